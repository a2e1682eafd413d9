"""Helpers shared by the concurrency tests."""

from __future__ import annotations

import asyncio


async def settle(rounds: int = 20) -> None:
    """Let every ready task run until the loop is quiet (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
