"""Item blocks: many work items as one JSON text, the form a bulk add (``add_item_blocks``) takes.

A block is a JSON object whose members, in order, are the items: the member's name is the key (any text;
the store keeps it in its stored form, ``text.to_stored``) and its value the size in bytes, a JSON integer
of at least 0. A key may appear more than once: the first one counts, as in ``add_items``.

One text for many items lets a manifest's lines become a block without an object per item, and lets SQLite
read the block in C (``json_each``), off the interpreter's lock, while the next block is being read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Final, cast

from omnimemory_kit.errors import ConfigError

if TYPE_CHECKING:
    from omnimemory_kit.store.base import WorkItem

__all__ = [
    "BLOCK_ITEMS",
    "MAX_SIZE",
    "check_items",
    "decode_block",
    "encode_block",
    "item_blocks",
    "item_problem",
]

BLOCK_ITEMS: Final = 20_000
"""Items per block when blocks are made from items (large enough that a statement's cost is spread)."""
MAX_SIZE: Final = 2**63 - 1
"""The largest size a store keeps (64-bit integers)."""


def item_problem(key: object, size: object) -> str | None:
    """Return what is wrong with an item's key and size (text; a whole number of bytes up to
    ``MAX_SIZE``), or None."""
    if not isinstance(key, str):
        return f"item {key!r} has a key that is not text ({type(key).__name__})"
    if isinstance(size, bool) or not isinstance(size, int):
        return f"item {key!r} has a size that is not a whole number ({size!r})"
    if size < 0:
        return f"item {key!r} has a negative size ({size})"
    if size > MAX_SIZE:
        return f"item {key!r} has a size larger than any file ({size})"
    return None


def check_items(items: Sequence[WorkItem]) -> None:
    """Refuse items whose key is not text or whose size is not a whole number of bytes up to ``MAX_SIZE``.

    The common chunk (text keys, int sizes in range) is checked in a few passes in C.

    Raises:
        ConfigError: the first such item, named.
    """
    keys = [item.key for item in items]
    sizes = [item.size for item in items]
    if (
        set(map(type, keys)) <= {str}
        and set(map(type, sizes)) <= {int}
        and (not sizes or (min(sizes) >= 0 and max(sizes) <= MAX_SIZE))
    ):
        return
    for key, size in zip(keys, sizes, strict=True):
        problem = item_problem(key, size)
        if problem is not None:
            raise ConfigError(problem)


def encode_block(pairs: Iterable[tuple[str, int]]) -> str:
    """Return the block of ``(key, size)`` pairs (ASCII JSON: other characters as escapes)."""
    dumps = json.dumps
    return "{" + ",".join([f"{dumps(key)}:{int(size)}" for key, size in pairs]) + "}"


def item_blocks(pairs: Iterable[tuple[str, int]], size: int = BLOCK_ITEMS) -> Iterator[str]:
    """Yield the blocks of ``size`` pairs each (the last one shorter) of a stream of pairs."""
    chunk: list[tuple[str, int]] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) >= size:
            yield encode_block(chunk)
            chunk = []
    if chunk:
        yield encode_block(chunk)


def decode_block(block: str) -> list[tuple[str, int]]:
    """Return a block's ``(key, size)`` pairs in order, repeated keys included, checked.

    Raises:
        ConfigError: the text is not a JSON object of non-empty keys with whole sizes from 0 to
            ``MAX_SIZE``.
    """
    if not block.lstrip().startswith("{"):
        raise ConfigError("an item block must be a JSON object of key: size members")
    try:
        members: list[tuple[str, object]] = json.loads(block, object_pairs_hook=list)
    except ValueError as exc:
        raise ConfigError(f"an item block is not JSON: {exc}") from None
    pairs = []
    for key, size in members:
        if not key:
            raise ConfigError("an item block holds an empty key")
        problem = item_problem(key, size)
        if problem is not None:
            raise ConfigError(problem)
        pairs.append((key, cast(int, size)))
    return pairs
