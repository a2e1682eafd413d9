"""What ``migrate`` and ``worker`` share: errors to exit codes, the progress bar, Ctrl-C, the summary.

Both commands run a ``MigrationRunner`` in a terminal the same way: bad input ends in one line on stderr and
the exit code its kind maps to (``omnimemory_kit.cli.exit_codes``), a rich progress bar follows the runner's
summaries, the first Ctrl-C (or SIGTERM) asks the runner to stop cleanly and the second cancels it, and the
final summary is printed as a few plain lines. The commands import this module, never each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from omnimemory_kit.cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
)
from omnimemory_kit.errors import (
    ConfigError,
    KitError,
    RunMismatchError,
    RunNotFoundError,
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
)
from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.validation import ValidationSummary
from omnimemory_kit.text import printable

__all__ = [
    "DEFAULT_STORE",
    "ProgressBar",
    "errors_to_exit",
    "eta_text",
    "exit_code_for",
    "fail",
    "format_duration",
    "format_summary",
    "format_validation",
    "outcome_code",
    "run_interruptibly",
]

T = TypeVar("T")


DEFAULT_STORE = "sqlite:///omnimemory.db"
"""The store commands use when ``--store`` is not given."""


def fail(exc: BaseException) -> NoReturn:
    """Print one line naming what was wrong and exit with the code its kind maps to."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(exit_code_for(exc))


def exit_code_for(exc: BaseException) -> int:
    """Return the CLI exit code for an error: 2 for bad input, 3 for an unavailable store, 1 otherwise."""
    if isinstance(
        exc, ConfigError | RunMismatchError | RunNotFoundError | StoreCorruptError | SchemaVersionError
    ):
        return EXIT_BAD_INPUT
    if isinstance(exc, StoreError):
        return EXIT_UNAVAILABLE
    return EXIT_FAILED


@contextlib.contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn a kit error or an OS error raised inside the block into one stderr line and its exit code."""
    try:
        yield
    except (KitError, OSError) as exc:
        fail(exc)


def format_duration(seconds: float | None) -> str:
    """Return a short duration (``4.2s``, ``35s``, ``3m07s``, ``2h05m``; ``-`` for None)."""
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def eta_text(summary: MigrationProgressSummary) -> str:
    """Return the ETA with its range, or why there is none yet."""
    if summary.eta_seconds is None:
        reason = summary.eta_unavailable_reason
        return f"ETA - ({reason.value if reason is not None else 'unknown'})"
    low, high = summary.eta_low_seconds, summary.eta_high_seconds
    if low is not None and high is not None and format_duration(low) != format_duration(high):
        return (
            f"ETA {format_duration(summary.eta_seconds)} ({format_duration(low)} to {format_duration(high)})"
        )
    return f"ETA {format_duration(summary.eta_seconds)}"


def format_summary(summary: MigrationProgressSummary) -> str:
    """Return a few plain lines describing a run's state (for terminals and logs)."""
    rates = summary.processing_rates
    state = summary.status.value
    if summary.interrupted:
        last = summary.last_activity_at
        state = (
            f"interrupted, last activity at {last:%Y-%m-%d %H:%M:%SZ}" if last else "interrupted"
        ) + " (the journal says running, but no live worker or lease is left; resume it to go on)"
    lines = [
        f"run {summary.run_id or summary.name!r} ({summary.name}): {state}",
        f"  items    {summary.total_files} total: {summary.succeeded_files} succeeded, "
        f"{summary.failed_files} failed, {summary.skipped_files} skipped, "
        f"{summary.in_progress_files} in progress, {summary.pending_files} pending",
        f"  progress {summary.completion_percentage:.1f}% complete, {summary.success_rate:.1f}% successful",
        f"  time     {format_duration(summary.elapsed_seconds)} active, "
        f"{format_duration(summary.paused_seconds)} paused, "
        f"{rates.files_per_second_overall:.1f} items/s overall, {eta_text(summary)}",
        f"  retries  {summary.retry_count} attempt(s) retried, {summary.requeued_count} requeued, "
        f"{summary.interrupted_count} interrupted",
    ]
    if summary.stuck_calls:
        lines[-1] += f", {summary.stuck_calls} call(s) stuck after timing out"
    if summary.errors_by_type:
        errors = ", ".join(f"{name} x{count}" for name, count in sorted(summary.errors_by_type.items()))
        lines.append(f"  errors   {errors}")
    return "\n".join(lines)


def outcome_code(summary: MigrationProgressSummary, runner: MigrationRunner) -> int:
    """Return the exit code a finished run ends with: 130 cancelled, 1 with failed items, else 0."""
    # The runner's own status: on a shared run, one worker stopping leaves the run itself running.
    if runner.status is MigrationStatus.CANCELLED or summary.status is MigrationStatus.CANCELLED:
        return EXIT_INTERRUPTED
    if summary.failed_files or summary.status is MigrationStatus.FAILED:
        return EXIT_FAILED
    return EXIT_OK


class ProgressBar:
    """A rich progress bar fed by the runner's ``on_progress`` summaries (rate, ETA with its range)."""

    def __init__(self, console: Console, description: str) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,  # a bar in a log file is noise: the summary follows anyway
        )
        self.task: TaskID = self.progress.add_task(description, total=None, rate="", eta="")

    def update(self, summary: MigrationProgressSummary) -> None:
        rates = summary.processing_rates
        self.progress.update(
            self.task,
            total=summary.total_files,
            completed=summary.finished_files,
            rate=f"{rates.files_per_second_recent:.1f} items/s",
            eta=eta_text(summary),
        )


def run_interruptibly(make: Callable[[], Coroutine[Any, Any, T]], on_interrupt: Callable[[], None]) -> T:
    """Run a coroutine; the first Ctrl-C (or SIGTERM) calls ``on_interrupt``, the second cancels it."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        interrupts = 0

        def handle() -> None:
            nonlocal interrupts
            interrupts += 1
            if interrupts == 1:
                click.echo("interrupted: finishing in-flight items (Ctrl-C again to stop now)", err=True)
                on_interrupt()
            else:
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, handle)
        return await make()

    return asyncio.run(main())


def format_validation(summary: ValidationSummary, *, limit: int = 20) -> str:
    """Return a validation summary as a few lines: the status, the counts, then the mismatch table."""
    lines = [
        f"validation {summary.status_text()}",
        f"  items    {summary.items} succeeded: {summary.validated} validated, {summary.mismatched} "
        f"mismatched, {summary.error} error, {summary.pending} pending ({summary.checked_now} checked now)",
    ]
    for title, rows in (("mismatch", summary.mismatches), ("error", summary.errors)):
        for row in rows[:limit]:
            found = (
                f" (expected {row.expected!r}, actual {row.actual!r})" if row.expected or row.actual else ""
            )
            lines.append(f"  {title:8} {printable(row.key)}: {printable(row.detail)}{found}")
        if len(rows) > limit:
            lines.append(f"  ... and {len(rows) - limit} more {title}(es); --json lists every one")
    return "\n".join(lines)
