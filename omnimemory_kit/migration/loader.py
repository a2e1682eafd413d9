"""Resolve a migration function from a ``module:function`` or ``path/to/file.py:function`` spec."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omnimemory_kit.errors import ConfigError

__all__ = ["function_identity", "load_function"]

_FILE_MODULE_PREFIX = "_omnimemory_migration_"


def load_function(spec: str, *, what: str = "migration function") -> Callable[..., Any]:
    """Import and return the callable named by ``spec``.

    Args:
        spec: ``package.module:function`` (imported from ``sys.path``) or ``path/to/file.py:function``
            (loaded from that file). The function may be a dotted attribute path (``module:Class.method``).
        what: what the function is, as error messages name it (``"validate function"``).

    Raises:
        ConfigError: the spec has no ``:``, the module or file cannot be found or fails to import, the
            attribute is missing, or it is not callable. The message names the spec.
    """
    module_part, sep, attr_part = spec.rpartition(":")
    if not sep or not module_part or not attr_part or not all(p.isidentifier() for p in attr_part.split(".")):
        raise ConfigError(
            f"{what} {spec!r} is not of the form 'package.module:function' or 'path/to/file.py:function'"
        )
    target: Any = (
        _load_file(module_part, spec, what)
        if module_part.endswith(".py")
        else _import(module_part, spec, what)
    )
    for name in attr_part.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise ConfigError(f"{what} {spec!r}: {module_part!r} has no attribute {name!r}") from None
    if not callable(target):
        raise ConfigError(f"{what} {spec!r} is not callable (it is a {type(target).__name__})")
    return target  # type: ignore[no-any-return]


def function_identity(fn: Callable[..., Any]) -> str:
    """Return a stable name for a migration function, recorded with the run (``module:qualname``)."""
    module = getattr(fn, "__module__", None) or "?"
    if module.startswith(_FILE_MODULE_PREFIX):
        module = getattr(sys.modules.get(module), "__file__", None) or module
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__qualname__
    return f"{module}:{qualname}"


def _import(module_name: str, spec: str, what: str) -> Any:
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise ConfigError(f"{what} {spec!r}: {module_name!r} is not a module name")
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"{what} {spec!r}: no module named {exc.name!r}") from exc
    except Exception as exc:
        raise ConfigError(
            f"{what} {spec!r}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc


def _load_file(file_name: str, spec: str, what: str) -> Any:
    path = Path(file_name).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{what} {spec!r}: file {file_name!r} does not exist")
    # A private, stable module name per file so two files called migrate.py never collide.
    module_name = f"{_FILE_MODULE_PREFIX}{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ConfigError(f"{what} {spec!r}: cannot load {file_name!r} as Python")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise ConfigError(
            f"{what} {spec!r}: loading {file_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    return module
