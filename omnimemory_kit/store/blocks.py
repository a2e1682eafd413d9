"""Item blocks: many work items as one JSON text, the form a bulk add (``add_item_blocks``) takes.

A block is a JSON object whose members, in order, are the items: the member's name is the key (any text;
the store keeps it in its stored form, ``text.to_stored``) and its value the size in bytes, a JSON integer
of at least 0. A key may appear more than once: the first one counts, as in ``add_items``.

One text for many items lets a manifest's lines become a block without an object per item, and lets SQLite
read the block in C (``json_each``), off the interpreter's lock, while the next block is being read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Final

from omnimemory_kit.errors import ConfigError

__all__ = ["BLOCK_ITEMS", "MAX_SIZE", "decode_block", "encode_block", "item_blocks"]

BLOCK_ITEMS: Final = 20_000
"""Items per block when blocks are made from items (large enough that a statement's cost is spread)."""
MAX_SIZE: Final = 2**63 - 1
"""The largest size a store keeps (64-bit integers)."""


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
        if isinstance(size, bool) or not isinstance(size, int):
            raise ConfigError(f"item {key!r} has a size that is not a whole number ({size!r})")
        if size < 0:
            raise ConfigError(f"item {key!r} has a negative size ({size})")
        if size > MAX_SIZE:
            raise ConfigError(f"item {key!r} has a size larger than any file ({size})")
        pairs.append((key, size))
    return pairs
