"""run_sync: a coroutine from sync code, with or without a running event loop (as in a notebook)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from omnimemory_kit.migration.sync import run_sync


async def where() -> tuple[int, asyncio.AbstractEventLoop]:
    """Return the current thread and loop."""
    return threading.get_ident(), asyncio.get_running_loop()


class TestRunSync:
    """The sync facade never nests or patches a running loop."""

    def test_without_a_loop_runs_in_this_thread(self) -> None:
        """With no running loop the coroutine runs here, on a fresh loop."""
        thread, _ = run_sync(where())
        assert thread == threading.get_ident()

    async def test_inside_a_running_loop_uses_a_worker_thread(self) -> None:
        """With a loop running (a notebook cell), the coroutine runs on another thread's own loop."""
        thread, loop = run_sync(where())
        assert thread != threading.get_ident()
        assert loop is not asyncio.get_running_loop()

    async def test_exceptions_propagate_unchanged(self) -> None:
        """An exception raised by the coroutine reaches the caller as itself."""

        async def boom() -> None:
            raise KeyError("missing")

        with pytest.raises(KeyError, match="missing"):
            run_sync(boom())
