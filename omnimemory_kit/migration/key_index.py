"""A compact map from work-item keys to their index, holding each key's 64-bit hash instead of the key.

Seam: the run state (``migration/run_state.py``) keeps per-file arrays indexed by the order files were
added, and needs ``key -> index``. A dict of the keys costs about 150 bytes per file (the key string, an
int object, the dict slot); this costs 14 to 20: the key's ``hash()`` in an ``array('q')`` in index order
(8 bytes) and an open-addressing table of indexes (``array('i')``, a third to two thirds full, linear
probing: 6 to 12 bytes per key).
It answers ``get``, ``in`` and ``len`` like the dict it stands in for, but cannot list the keys.

The price: two different keys with the same 64-bit hash would be taken for one (the second add is then
seen as a repeat). Python's string hash is SipHash, salted per process; at 10 million keys the chance that
any two collide is about 3 in a million per process. Use it where the keys are kept elsewhere (the store
holds every item's key) and memory matters more than listing them from the tracker.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Final

__all__ = ["HashedKeys"]

_EMPTY: Final = -1
_MIN_SLOTS: Final = 8


class HashedKeys:
    """``key -> index`` for keys added in order 0, 1, 2, ..., kept as 64-bit hashes (see the module)."""

    __slots__ = ("_hashes", "_limit", "_mask", "_table")

    def __init__(self) -> None:
        self._hashes = array("q")  # the i-th key's hash
        self._table = array("i", [_EMPTY]) * _MIN_SLOTS  # slot -> index, or _EMPTY
        self._mask = _MIN_SLOTS - 1
        self._limit = _MIN_SLOTS * 2 // 3  # grow past this many keys

    def get(self, key: str) -> int | None:
        """Return the index of ``key``, or None if it was never added."""
        h = hash(key)
        table, hashes, mask = self._table, self._hashes, self._mask
        slot = h & mask
        while True:
            index = table[slot]
            if index == _EMPTY:
                return None
            if hashes[index] == h:
                return index
            slot = (slot + 1) & mask

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __len__(self) -> int:
        return len(self._hashes)

    def __setitem__(self, key: str, index: int) -> None:
        """Add ``key`` at ``index``, which must be ``len(self)``: indexes follow the order keys come in."""
        if index != len(self._hashes):
            raise ValueError(f"keys are added in order: expected index {len(self._hashes)}, not {index}")
        h = hash(key)
        self._hashes.append(h)
        if len(self._hashes) > self._limit:
            self._grow()  # re-inserts every key, this one included
            return
        table, mask = self._table, self._mask
        slot = h & mask
        while table[slot] != _EMPTY:
            slot = (slot + 1) & mask
        table[slot] = index

    def subset(self, indexes: Iterable[int]) -> HashedKeys:
        """Return the keys at ``indexes`` (ascending), numbered 0, 1, 2, ... in that order."""
        hashes = self._hashes
        kept = HashedKeys()
        kept._hashes = array("q", [hashes[index] for index in indexes])
        kept._grow(_MIN_SLOTS)
        return kept

    def _grow(self, slots: int = 0) -> None:
        slots = slots or (self._mask + 1) * 2
        while len(self._hashes) > slots * 2 // 3:
            slots *= 2
        table = array("i", [_EMPTY]) * slots
        mask = slots - 1
        for index, h in enumerate(self._hashes):
            slot = h & mask
            while table[slot] != _EMPTY:
                slot = (slot + 1) & mask
            table[slot] = index
        self._table, self._mask, self._limit = table, mask, slots * 2 // 3

    def nbytes(self) -> int:
        """Return the bytes its two arrays hold (allocated, not counting over-allocation)."""
        return len(self._hashes) * self._hashes.itemsize + len(self._table) * self._table.itemsize

    def __repr__(self) -> str:
        return f"<HashedKeys keys={len(self._hashes)} slots={self._mask + 1}>"
