"""Lazy exports for a package's door (PEP 562): names imported on first use, from a table of where they live.

Seam: ``omnimemory_kit`` and ``omnimemory_kit.migration`` list their public names in ``__all__`` and say in
a table which module holds each; this module turns the table into the package's ``__getattr__`` and
``__dir__``, so ``import omnimemory_kit`` loads nothing it is not asked for. Type checkers read the
package's explicit re-exports under ``TYPE_CHECKING`` instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    namespace: MutableMapping[str, object],
    where: Mapping[str, Iterable[str]],
    exported: Iterable[str],
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package``.

    Args:
        package: the package's ``__name__`` (named in the error for an unknown attribute).
        namespace: the package's ``globals()``: an imported name is stored there, so later lookups find it
            without the hook.
        where: module → the public names it holds.
        exported: the package's ``__all__`` (listed by ``__dir__`` before they are imported).
    """
    module_of = {name: module for module, names in where.items() for name in names}
    listed = frozenset(exported)

    def __getattr__(name: str) -> object:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # imported once
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *listed})

    return __getattr__, __dir__
