"""The curated public API: every package's ``__all__`` is unique, importable, and complete.

The top package and every subpackage (found by walking the package, so a new one is checked without
being listed here) are held to the same rules. Their order is ruff's business (RUF022 sorts ``__all__``).
"""

from __future__ import annotations
import __future__

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

import omnimemory_kit

PACKAGES = [
    "omnimemory_kit",
    *sorted(
        info.name for info in pkgutil.walk_packages(omnimemory_kit.__path__, "omnimemory_kit.") if info.ispkg
    ),
]

_FUTURE_FEATURE = type(__future__.annotations)


def _exports(package: str) -> list[str]:
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{package} has no __all__"
    return list(exported)


def test_every_subpackage_is_checked() -> None:
    """The walk finds the subpackages (so the checks below cover more than the top package)."""
    assert {"omnimemory_kit.cli", "omnimemory_kit.health.checks", "omnimemory_kit.store"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
class TestAll:
    def test_all_lists_each_name_once(self, package: str) -> None:
        """``__all__`` names each export once."""
        exported = _exports(package)
        assert sorted(exported) == sorted(set(exported))

    def test_every_name_in_all_is_importable(self, package: str) -> None:
        """Every name ``__all__`` promises exists on the package."""
        module = importlib.import_module(package)
        missing = [name for name in _exports(package) if not hasattr(module, name)]
        assert missing == []

    def test_every_public_attribute_is_in_all(self, package: str) -> None:
        """Nothing public leaks out of the package without being listed in ``__all__``."""
        public = {
            name
            for name, value in vars(importlib.import_module(package)).items()
            if not name.startswith("_") and not isinstance(value, types.ModuleType | _FUTURE_FEATURE)
        }
        assert public - set(_exports(package)) == set()


def test_top_package_all_is_plainly_sorted() -> None:
    """The top package's ``__all__`` is in plain sorted order, so its diffs stay readable."""
    assert omnimemory_kit.__all__ == sorted(omnimemory_kit.__all__)


def test_health_server_is_exported_but_imported_on_first_use() -> None:
    """``import omnimemory_kit`` loads no HTTP server; ``omnimemory_kit.HealthServer`` still resolves."""
    code = (
        "import sys, omnimemory_kit\n"
        "before = 'aiohttp' in sys.modules\n"
        "from omnimemory_kit import HealthServer\n"
        "from omnimemory_kit.health.serve import HealthServer as Real\n"
        "print(before, HealthServer is Real)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "True"]


def test_validation_is_reachable_from_the_top_package() -> None:
    """What a validate function returns and what a validation reports is importable from the top package,
    as the very objects the validation modules define."""
    from omnimemory_kit.migration import summary, validation, validation_pass

    for name in ("Mismatch", "MismatchRow", "ValidationState", "ValidationSummary", "ValidationTimeout"):
        assert getattr(omnimemory_kit, name) is getattr(validation, name)
    assert omnimemory_kit.ValidationCounts is summary.ValidationCounts
    assert omnimemory_kit.validate_run is validation_pass.validate_run
