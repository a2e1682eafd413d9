"""Writable path: create, write and delete a small temporary file in a directory."""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import ClassVar

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult

__all__ = ["WritablePathCheck"]


class WritablePathCheck(BuiltinCheck):
    """Prove ``path`` is a writable directory by creating, writing and deleting a temporary file there.

    The file I/O runs in a worker thread, off the event loop. With ``fsync=True`` the write is also
    flushed to the device (catches a full or read-only device that only fails on flush; slower).

    Observed value: the round-trip latency in ms.
    """

    kind: ClassVar[str] = "path"

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = False, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        super().__init__(clock=clock)
        self.path = os.fspath(path)
        self.fsync = fsync

    @property
    def target(self) -> str:
        """Return the directory checked."""
        return self.path

    def _write_and_delete(self) -> None:
        if not os.path.isdir(self.path):
            kind = "is not a directory" if os.path.exists(self.path) else "does not exist"
            raise NotADirectoryError(f"{self.path} {kind}")
        with tempfile.NamedTemporaryFile(dir=self.path, prefix=".omnimemory-health-", delete=True) as handle:
            handle.write(b"ok")
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())

    async def _probe(self) -> CheckResult:
        await asyncio.to_thread(self._write_and_delete)
        return CheckResult.healthy(f"{self.path} is writable")
