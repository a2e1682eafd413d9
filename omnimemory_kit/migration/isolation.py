"""Process isolation for sync migration functions that must be killable (``isolate="process"``).

A thread stuck in a hung call cannot be stopped; a process can. ``ProcessCalls`` keeps up to ``size``
worker processes (started with ``spawn``, so no lock held by another thread is copied into them), each
loading the migration function by its name, and hands each one item at a time over a pipe:

- a call's timeout counts from the moment the item is sent to a ready process (starting a process is
  not part of it);
- a call that times out is killed with its process, and the slot starts a fresh process for the next
  item: the item times out, the others go on;
- a process that dies in a call (a crash, ``os._exit``) fails that item and is replaced the same way;
- the function's exceptions come back as themselves when they pickle, otherwise as ``IsolatedCallError``
  carrying the original type name and message; ``SkipItem`` skips, ``SystemExit`` fails the item.

The function must be importable by name in a fresh interpreter (``module:function`` or
``path/to/file.py:function``): ``check_importable`` says so up front, naming the function.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import pickle
import signal
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from omnimemory_kit.clock import Clock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import error_message, error_type_name
from omnimemory_kit.migration.attempt import check_returned
from omnimemory_kit.migration.loader import function_identity, load_function
from omnimemory_kit.migration.sources import MigrationItem

__all__ = ["IsolatedCallError", "ProcessCalls", "check_importable"]


class IsolatedCallError(Exception):
    """The migration function failed in its worker process with an exception that could not cross back.

    Attributes:
        error_type: the original exception's qualified type name.
    """

    def __init__(self, error_type: str, message: str) -> None:
        self.error_type = error_type
        super().__init__(f"{error_type}: {message}" if message else error_type)

    def __reduce__(self) -> tuple[type[IsolatedCallError], tuple[str, str]]:
        return (IsolatedCallError, (self.error_type, str(self)))


def check_importable(fn: Callable[..., Any]) -> str:
    """Return the name a worker process loads ``fn`` by; raise ``ConfigError`` when it has none.

    Raises:
        ConfigError: ``fn`` is defined in ``__main__``, inside another function, or is not found again
            under its name.
    """
    spec = function_identity(fn)
    module, _, qualname = spec.rpartition(":")
    if not module or module in ("__main__", "?") or "<" in qualname:
        raise ConfigError(
            f"isolate='process' needs a migration function importable by name (module:function or "
            f"path/to/file.py:function), not {spec!r}"
        )
    try:
        load_function(spec)
    except ConfigError as exc:
        raise ConfigError(
            f"isolate='process' cannot load the migration function again by name: {exc}"
        ) from exc
    return spec


def _serve(spec: str, conn: Connection) -> None:
    """In the worker process: load the function, then run items until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        fn = load_function(spec)
    except BaseException as exc:
        conn.send(("fatal", f"{error_type_name(exc)}: {error_message(exc)}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        try:
            check_returned(fn(item))
        except BaseException as exc:  # SystemExit too: the item's failure, not this process's end
            conn.send(("raise", _portable(exc)))
        else:
            conn.send(("ok", None))


def _portable(exc: BaseException) -> BaseException:
    """Return ``exc`` if it survives pickling, else an ``IsolatedCallError`` carrying its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return IsolatedCallError(error_type_name(exc), error_message(exc))
    return exc


class _Worker:
    """One worker process and the parent's end of its pipe."""

    __slots__ = ("conn", "process")

    def __init__(self, context: Any, spec: str, number: int) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(spec, child), name=f"omnimemory-migrate-{number}", daemon=True
        )
        self.process.start()
        child.close()
        self.conn: Connection = parent

    async def receive(self) -> tuple[str, Any]:
        """Wait (without blocking the loop) for the next message; a dead process raises ``EOFError``."""
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()
        fd = self.conn.fileno()

        def wake() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await readable
        finally:
            loop.remove_reader(fd)
        message: tuple[str, Any] = self.conn.recv()
        return message

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.conn.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()  # the process sees the pipe close and exits


class ProcessCalls:
    """Run a sync migration function in up to ``size`` worker processes; kill and replace a hung one.

    Args:
        fn: the migration function (importable by name; see ``check_importable``).
        size: processes running calls at once (the runner's concurrency).
        clock: times each call from the moment its item reaches a ready process.
    """

    def __init__(self, fn: Callable[[MigrationItem], Any], size: int, clock: Clock) -> None:
        self._spec = check_importable(fn)
        self.size = size
        self._clock = clock
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._count = 0  # processes alive or starting
        self._started = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.killed = 0

    @property
    def stuck(self) -> int:
        """Return 0: a hung call is killed with its process, so no slot stays stuck."""
        return 0

    async def call(self, item: MigrationItem, time_limit: float | None) -> Any:
        """Run ``fn(item)`` in a worker process; kill it and raise ``TimeoutError`` after ``time_limit``."""
        worker = await self._acquire()
        try:
            worker.conn.send(item)
            if time_limit is None:
                kind, payload = await worker.receive()
            else:
                async with self._clock.timeout(time_limit):
                    kind, payload = await worker.receive()
        except EOFError:
            worker.process.join(0.5)  # its pipe closed: it has exited or is exiting, so this is short
            code = worker.process.exitcode
            self._discard(worker)
            how = "" if code is None else f" (exit code {code})"
            raise IsolatedCallError(
                "ProcessDied", f"the worker process running the migration function died{how}"
            ) from None
        except BaseException:  # timed out or cancelled: the call cannot be left running
            self._discard(worker)
            raise
        self._release(worker)
        if kind == "raise":
            raise payload
        return None

    def close(self) -> None:
        """Let idle processes exit (their pipes close); no process is waited for."""
        idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()

    async def _acquire(self) -> _Worker:
        while True:
            if self._idle:
                return self._idle.pop()
            if self._count < self.size:
                self._count += 1
                self._started += 1
                try:
                    worker = _Worker(self._context, self._spec, self._started)
                    kind, payload = await worker.receive()
                except BaseException:
                    self._count -= 1
                    self._wake()
                    raise
                if kind != "ready":
                    worker.kill()
                    self._count -= 1
                    self._wake()
                    raise ConfigError(
                        f"the migration function cannot be loaded in a worker process: {payload}"
                    )
                return worker
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def _release(self, worker: _Worker) -> None:
        self._idle.append(worker)
        self._wake()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self.killed += 1
        self._count -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
