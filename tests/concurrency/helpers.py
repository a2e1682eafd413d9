"""Helpers shared by the concurrency tests."""

from __future__ import annotations

import asyncio


async def settle(rounds: int = 20) -> None:
    """Let every ready task run until the loop is quiet (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class FakeConnection:
    """A connection stand-in that records how often it was closed and can be marked broken."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.healthy = True
        self.close_calls = 0

    def __repr__(self) -> str:
        return f"<FakeConnection #{self.number}>"


class FakeDatabase:
    """Makes, validates and closes FakeConnections, with failures injected on demand."""

    def __init__(self) -> None:
        self.made: list[FakeConnection] = []
        self.fail_next_creates = 0

    async def create(self) -> FakeConnection:
        """Make a connection (after one loop step, like real I/O), or fail if told to."""
        await asyncio.sleep(0)
        if self.fail_next_creates:
            self.fail_next_creates -= 1
            raise ConnectionRefusedError("database refused the connection")
        connection = FakeConnection(len(self.made))
        self.made.append(connection)
        return connection

    async def validate(self, connection: FakeConnection) -> bool:
        """Report whether the connection still works."""
        await asyncio.sleep(0)
        return connection.healthy

    async def close(self, connection: FakeConnection) -> None:
        """Close the connection, counting the calls."""
        connection.close_calls += 1

    @property
    def open_connections(self) -> list[FakeConnection]:
        """Return the connections made and not yet closed."""
        return [c for c in self.made if c.close_calls == 0]
