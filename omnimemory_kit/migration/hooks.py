"""Hooks, as gh-ost has them: shell-free commands run on status, success, failure and throttle.

Each hook is a command line (split like a shell would, run without one) started with the run's state in
its environment: ``OMK_RUN_ID``, ``OMK_STATUS``, ``OMK_PROGRESS_PERCENT``, ``OMK_ETA_SECONDS``,
``OMK_SUCCEEDED``, ``OMK_FAILED``, ``OMK_THROTTLE_REASON``. A hook that fails or outlives ``timeout`` is
logged (and killed); it never stops the run. A hook whose program does not exist is refused up front
(``check``), before the run starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.summary import MigrationProgressSummary

__all__ = ["Hooks", "hook_environment"]

_log = logging.getLogger("omnimemory_kit.migration")


def hook_environment(summary: MigrationProgressSummary, throttle_reason: str | None = None) -> dict[str, str]:
    """Return the OMK_* variables describing the run (added to the inherited environment)."""
    eta = summary.eta_seconds
    return {
        "OMK_RUN_ID": summary.run_id or summary.name,
        "OMK_STATUS": "throttled" if throttle_reason else summary.status.value,
        "OMK_PROGRESS_PERCENT": f"{summary.completion_percentage:.1f}",
        "OMK_ETA_SECONDS": "" if eta is None else f"{eta:.0f}",
        "OMK_SUCCEEDED": str(summary.succeeded_files),
        "OMK_FAILED": str(summary.failed_files),
        "OMK_THROTTLE_REASON": throttle_reason or "",
    }


@dataclass(frozen=True, slots=True)
class Hooks:
    """The commands to run, how often ``on_status`` runs, and how long any hook may take."""

    on_status: str | None = None
    on_success: str | None = None
    on_failure: str | None = None
    on_throttle: str | None = None
    status_interval: float = 60.0
    timeout: float = 10.0

    def check(self) -> None:
        """Refuse a hook whose program cannot be found, or a bad interval or timeout.

        Raises:
            ConfigError: one line naming the hook and its program.
        """
        for option, command in self._named():
            try:
                words = shlex.split(command)
            except ValueError as exc:
                raise ConfigError(f"{option} {command!r}: {exc}") from None
            if not words:
                raise ConfigError(f"{option} is empty")
            program = words[0]
            if shutil.which(program) is None:
                raise ConfigError(f"{option}: command {program!r} not found")
        if not self.status_interval > 0 or not self.timeout > 0:
            raise ConfigError("hook interval and timeout must be positive")

    def _named(self) -> list[tuple[str, str]]:
        named = [
            ("--on-status", self.on_status),
            ("--on-success", self.on_success),
            ("--on-failure", self.on_failure),
            ("--on-throttle", self.on_throttle),
        ]
        return [(option, command) for option, command in named if command is not None]

    async def run(self, command: str | None, env: dict[str, str]) -> int | None:
        """Run one hook to its end or its timeout; return its exit code (None: not run, failed or killed)."""
        if command is None:
            return None
        try:
            proc = await asyncio.create_subprocess_exec(
                *shlex.split(command),
                env={**os.environ, **env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:
            _log.warning("hook %r could not start: %s", command, exc)
            return None
        try:
            async with asyncio.timeout(self.timeout):
                code = await proc.wait()
        except TimeoutError:
            _log.warning("hook %r timed out after %gs; killed", command, self.timeout)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            return None
        if code != 0:
            _log.warning("hook %r exited with %d", command, code)
        return code

    async def follow(
        self, summary: Callable[[], MigrationProgressSummary], throttle_reason: Callable[[], str | None]
    ) -> None:
        """Run ``on_status`` every ``status_interval``, ``on_throttle`` as a throttle begins; cancel to stop.

        Hooks run in the background: a slow one delays no other and never the run.
        """
        running: set[asyncio.Task[int | None]] = set()

        def start(command: str | None, env: dict[str, str]) -> None:
            if command is not None:
                task = asyncio.create_task(self.run(command, env))
                running.add(task)
                task.add_done_callback(running.discard)

        was_throttled = False
        waited = self.status_interval
        tick = min(0.25, self.status_interval)
        while True:
            reason = throttle_reason()
            if reason and not was_throttled:
                start(self.on_throttle, hook_environment(summary(), reason))
            was_throttled = bool(reason)
            if waited >= self.status_interval:
                waited = 0.0
                start(self.on_status, hook_environment(summary(), reason))
            await asyncio.sleep(tick)
            waited += tick
