"""Run a coroutine from sync code, even where an event loop is already running (a notebook cell).

Without a running loop the coroutine runs on a fresh loop in this thread (``asyncio.run``). With one
(Jupyter, or sync code called from async code) it runs on a fresh loop in a worker thread and this thread
waits for it, so the caller's loop is never nested or patched (no nest_asyncio).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion and return its result (exceptions propagate unchanged).

    Note that while a loop is running in this thread, that loop is blocked until ``coro`` finishes:
    call this from scripts and sync callbacks, and ``await`` the coroutine directly where you can.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # carried back to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="omnimemory-run-sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
