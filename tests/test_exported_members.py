"""The curated public API: ``__all__`` is sorted, importable, and complete."""

from __future__ import annotations

import types

import omnimemory_kit


def test_all_is_sorted_and_unique() -> None:
    """``__all__`` lists each name once, in sorted order, so diffs stay readable."""
    assert list(omnimemory_kit.__all__) == sorted(set(omnimemory_kit.__all__))


def test_every_name_in_all_is_importable() -> None:
    """Every name ``__all__`` promises exists on the package."""
    missing = [name for name in omnimemory_kit.__all__ if not hasattr(omnimemory_kit, name)]
    assert missing == []


def test_every_public_attribute_is_in_all() -> None:
    """Nothing public leaks out of the package without being listed in ``__all__``."""
    public = {
        name
        for name, value in vars(omnimemory_kit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(omnimemory_kit.__all__) == set()
