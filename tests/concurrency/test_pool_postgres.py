"""AsyncConnectionPool over real psycopg connections to the real PostgreSQL server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest

from omnimemory_kit import (
    AsyncConnectionPool,
    ConnectionPoolConfig,
    register_connection_pool,
    with_connection_pool,
)

pytestmark = pytest.mark.postgres

Connection = psycopg.AsyncConnection[tuple[object, ...]]


async def alive(connection: Connection) -> bool:
    """Return whether the server still answers on this connection."""
    await connection.execute("SELECT 1")
    await connection.rollback()  # leave no transaction open behind the check
    return True


@pytest.fixture
async def schema(pg_dsn: str) -> AsyncIterator[str]:
    """A schema of our own on the shared server, dropped afterwards."""
    name = f"test_pool_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as admin:
        await admin.execute(f"CREATE SCHEMA {name}")
        await admin.execute(f"CREATE TABLE {name}.items (n int PRIMARY KEY, pid int NOT NULL)")
        try:
            yield name
        finally:
            await admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
def pool(pg_dsn: str, schema: str) -> AsyncConnectionPool[Connection]:
    """A pool of at most two real connections whose search_path is the test schema."""

    async def connect() -> Connection:
        return await psycopg.AsyncConnection.connect(pg_dsn, options=f"-c search_path={schema}")

    async def rollback(connection: Connection) -> None:
        await connection.rollback()

    return AsyncConnectionPool(
        connect,
        reset=rollback,
        config=ConnectionPoolConfig(
            min_size=1, max_size=2, timeout=10.0, discard_on=(psycopg.OperationalError,)
        ),
        validate=alive,
        name="postgres",
    )


async def terminate(pg_dsn: str, pid: int) -> None:
    """Kill one server backend, as a restart or a network cut would."""
    async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


class TestRealPostgres:
    async def test_a_transaction_left_open_is_rolled_back_before_the_next_user(
        self, pool: AsyncConnectionPool[Connection]
    ) -> None:
        """The reset callback rolls back uncommitted work, so the next borrower starts clean."""
        async with pool.connection() as connection:
            await connection.execute("INSERT INTO items VALUES (1, pg_backend_pid())")
            first = connection
        async with pool.connection() as connection:
            assert connection is first
            assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            cursor = await connection.execute("SELECT count(*) FROM items")
            assert await cursor.fetchone() == (0,)
        await pool.close()

    async def test_concurrent_work_shares_at_most_max_size_connections(
        self, pool: AsyncConnectionPool[Connection], schema: str
    ) -> None:
        """Twenty concurrent tasks do their inserts through at most two server connections."""
        register_connection_pool("database", pool)

        async def insert(n: int) -> None:
            async with with_connection_pool("database") as connection:
                await connection.execute("INSERT INTO items VALUES (%s, pg_backend_pid())", (n,))
                await connection.commit()

        await asyncio.gather(*(insert(n) for n in range(20)))
        async with pool.connection() as connection:
            cursor = await connection.execute("SELECT count(*), count(DISTINCT pid) FROM items")
            assert await cursor.fetchone() == (20, 2)
        stats = pool.stats()
        assert (stats.connections_num, stats.pool_size, stats.in_use) == (2, 2, 0)
        assert stats.requests_queued > 0
        await pool.close()

    async def test_a_killed_idle_connection_is_replaced_on_checkout(
        self, pool: AsyncConnectionPool[Connection], pg_dsn: str
    ) -> None:
        """An idle connection whose backend died fails validation, is closed, and a fresh one serves."""
        async with pool.connection() as connection:
            first = connection
            dead_pid = connection.info.backend_pid
        await terminate(pg_dsn, dead_pid)
        async with pool.connection() as connection:
            cursor = await connection.execute("SELECT pg_backend_pid()")
            row = await cursor.fetchone()
            assert row is not None
            assert row[0] != dead_pid
        assert first.closed
        assert pool.stats().validations_failed == 1
        await pool.close()

    async def test_a_connection_broken_inside_the_block_is_discarded(
        self, pool: AsyncConnectionPool[Connection], pg_dsn: str
    ) -> None:
        """An OperationalError in the block discards that connection; the next checkout gets a live one."""
        lent: list[Connection] = []

        async def use_while_the_server_drops_it() -> None:
            async with pool.connection() as connection:
                lent.append(connection)
                await terminate(pg_dsn, connection.info.backend_pid)
                await connection.execute("SELECT 1")

        with pytest.raises(psycopg.OperationalError):
            await use_while_the_server_drops_it()
        broken = lent[0]
        assert broken.closed
        assert pool.stats().connections_lost == 1
        async with pool.connection() as connection:
            assert connection is not broken
            assert await alive(connection)
        await pool.close()
        assert pool.stats().pool_size == 0
