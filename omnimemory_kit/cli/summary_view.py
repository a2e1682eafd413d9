"""A run's summary as plain lines, and errors as one line and an exit code: what every command shows.

Kept apart from ``running`` (the runner in a terminal: progress bar, Ctrl-C, observability) so that a
command that only reads a run (``status``) loads no runner.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import NoReturn

import click

from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_UNAVAILABLE
from omnimemory_kit.cli.json_output import dumps
from omnimemory_kit.errors import (
    ConfigError,
    KitError,
    RunMismatchError,
    RunNotFoundError,
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
    ValidationBusyError,
)
from omnimemory_kit.events import FINISHED_RUN_STATUSES, MigrationStatus
from omnimemory_kit.migration.summary import MigrationProgressSummary, percent_text
from omnimemory_kit.migration.validation import ValidationSummary
from omnimemory_kit.text import printable

__all__ = [
    "errors_to_exit",
    "eta_text",
    "exit_code_for",
    "fail",
    "format_duration",
    "format_summary",
    "format_validation",
]


def fail(exc: BaseException) -> NoReturn:
    """Print one line naming what was wrong and exit with the code its kind maps to."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(exit_code_for(exc))


def exit_code_for(exc: BaseException) -> int:
    """Return the CLI exit code for an error: 2 for bad input (a run busy with another validation pass too),
    3 for an unavailable store, 1 otherwise."""
    if isinstance(
        exc,
        ConfigError
        | RunMismatchError
        | RunNotFoundError
        | StoreCorruptError
        | SchemaVersionError
        | ValidationBusyError,
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
    """Return the ETA with its 80 % interval, or why there is none yet."""
    if summary.eta_seconds is None:
        reason = summary.eta_unavailable_reason
        if summary.throttle_reason and reason is not None and reason.value == "throttled":
            return f"ETA - (throttled, {summary.throttle_reason})"  # gh-ost's "throttled, <reason>"
        return f"ETA - ({reason.value if reason is not None else 'unknown'})"
    low, high = summary.eta_low_seconds, summary.eta_high_seconds
    if low is not None and high is not None and format_duration(low) != format_duration(high):
        shown, low_text, high_text = (format_duration(v) for v in (summary.eta_seconds, low, high))
        return f"ETA {shown} (80 %: {low_text} to {high_text})"
    return f"ETA {format_duration(summary.eta_seconds)}"


def print_outcome(
    summary: MigrationProgressSummary, checked: ValidationSummary | None, as_json: bool
) -> None:
    """Print a run's final summary (``migrate``, ``worker``), with its validation when it was checked."""
    if as_json:
        data = summary.model_dump(mode="json")
        if checked is not None:
            data["validation"] = checked.as_dict()
        click.echo(dumps(data))
        return
    click.echo(format_summary(summary))
    if checked is not None:
        click.echo(format_validation(checked))


def format_summary(summary: MigrationProgressSummary) -> str:
    """Return a few plain lines describing a run's state (for terminals and logs)."""
    rates = summary.processing_rates
    state = summary.status.value
    if summary.interrupted:
        last = summary.last_activity_at
        state = (
            f"interrupted, last activity at {last:%Y-%m-%d %H:%M:%SZ}" if last else "interrupted"
        ) + " (the journal says running, but no live worker or lease is left; resume it to go on)"
    counts = summary.validation
    if counts is not None and summary.status is MigrationStatus.COMPLETED:
        # a completed run is done when checked: its status says how ("completed, 3 mismatched")
        state = counts.status if not counts.pending else f"completed, {counts.status}"
    lines = [
        f"run {summary.run_id or summary.name!r} ({summary.name}): {state}",
        f"  items    {summary.total_files} total: {summary.succeeded_files} succeeded, "
        f"{summary.failed_files} failed, {summary.skipped_files} skipped, "
        f"{summary.in_progress_files} in progress, {summary.pending_files} pending",
        f"  progress {percent_text(summary.completion_percentage)}% complete, "
        f"{percent_text(summary.success_rate)}% successful",
        f"  time     {format_duration(summary.elapsed_seconds)} active, "
        f"{format_duration(summary.paused_seconds)} paused, "
        f"{rates.files_per_second_overall:.1f} items/s overall, {eta_text(summary)}",
        f"  retries  {summary.retry_count} attempt(s) retried, {summary.requeued_count} requeued, "
        f"{summary.interrupted_count} interrupted",
    ]
    if summary.stuck_calls:
        lines[-1] += f", {summary.stuck_calls} call(s) stuck after timing out"
    if summary.store_unavailable_since is not None:
        since = f"{summary.store_unavailable_since:%Y-%m-%d %H:%M:%SZ}"
        lines.append(f"  store    unavailable since {since}: no new work claimed until it is back")
    if summary.throttled_seconds or summary.throttle_reason:
        now = f", throttled now: {summary.throttle_reason}" if summary.throttle_reason else ""
        lines.append(f"  throttle {format_duration(summary.throttled_seconds)} throttled{now}")
    if counts is not None:
        lines.append(
            f"  validate {counts.validated} validated, {counts.mismatched} mismatched, {counts.error} error, "
            f"{counts.pending} pending of {counts.items} succeeded "
            f"({percent_text(counts.validated_rate)}% of those checked validated)"
        )
    if summary.control_state is not None and summary.status not in FINISHED_RUN_STATUSES:
        lines.append(f"  control  {summary.control_state}")  # a finished run has nothing left to steer
    if summary.settings is not None:
        lines.append(f"  settings {summary.settings.describe()}")
    if summary.errors_by_type:
        errors = ", ".join(f"{name} x{count}" for name, count in sorted(summary.errors_by_type.items()))
        lines.append(f"  errors   {errors}")
    return "\n".join(lines)


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
