"""``omnimemory-kit migrate``, ``status`` and ``demo``: run, resume and inspect migrations from a terminal.

Exit codes follow ``omnimemory_kit.cli``: 0 every item done, 1 finished with failed items, 2 bad input,
3 store unavailable (at the start, or during the run for longer than ``--outage-timeout``), 130
interrupted (Ctrl-C stops cleanly: in-flight items finish, everything acknowledged is kept, and the same
command resumes).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from omnimemory_kit.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNAVAILABLE
from omnimemory_kit.cli.worker import (
    format_leases,
    format_workers,
    lease_rows,
    worker_rows,
    workers_and_leases,
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
from omnimemory_kit.migration.demo import DemoResult, run_demo_async
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.options import isolation
from omnimemory_kit.migration.outage import DEFAULT_OUTAGE_TIMEOUT
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import ManifestSource, WorkSource, source_from_spec
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore, open_store

__all__ = ["exit_code_for", "format_summary", "migration_commands"]

DEFAULT_STORE = "sqlite:///omnimemory.db"

T = TypeVar("T")


def _fail(exc: BaseException) -> NoReturn:
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
def _errors_to_exit() -> Iterator[None]:
    try:
        yield
    except (KitError, OSError) as exc:
        _fail(exc)


def _open(url: str, *, create: bool = True) -> JournalStore:
    return open_store(url, create=create)


def _duration(seconds: float | None) -> str:
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


def _eta_text(summary: MigrationProgressSummary) -> str:
    if summary.eta_seconds is None:
        reason = summary.eta_unavailable_reason
        return f"ETA - ({reason.value if reason is not None else 'unknown'})"
    low, high = summary.eta_low_seconds, summary.eta_high_seconds
    if low is not None and high is not None and _duration(low) != _duration(high):
        return f"ETA {_duration(summary.eta_seconds)} ({_duration(low)} to {_duration(high)})"
    return f"ETA {_duration(summary.eta_seconds)}"


def format_summary(summary: MigrationProgressSummary) -> str:
    """Return a few plain lines describing a run's state (for terminals and logs)."""
    rates = summary.processing_rates
    lines = [
        f"run {summary.run_id or summary.name!r} ({summary.name}): {summary.status.value}",
        f"  items    {summary.total_files} total: {summary.succeeded_files} succeeded, "
        f"{summary.failed_files} failed, {summary.skipped_files} skipped, "
        f"{summary.in_progress_files} in progress, {summary.pending_files} pending",
        f"  progress {summary.completion_percentage:.1f}% complete, {summary.success_rate:.1f}% successful",
        f"  time     {_duration(summary.elapsed_seconds)} active, "
        f"{_duration(summary.paused_seconds)} paused, "
        f"{rates.files_per_second_overall:.1f} items/s overall, {_eta_text(summary)}",
        f"  retries  {summary.retry_count} attempt(s) retried, {summary.requeued_count} requeued, "
        f"{summary.interrupted_count} interrupted",
    ]
    if summary.store_unavailable_since is not None:
        since = f"{summary.store_unavailable_since:%Y-%m-%d %H:%M:%SZ}"
        lines.append(f"  store    unavailable since {since}: no new work claimed until it is back")
    if summary.stuck_calls:
        lines[-1] += f", {summary.stuck_calls} call(s) stuck after timing out"
    if summary.errors_by_type:
        errors = ", ".join(f"{name} x{count}" for name, count in sorted(summary.errors_by_type.items()))
        lines.append(f"  errors   {errors}")
    return "\n".join(lines)


def _outcome_code(summary: MigrationProgressSummary, runner: MigrationRunner) -> int:
    # The runner's own status: on a shared run, one worker stopping leaves the run itself running.
    if runner.status is MigrationStatus.CANCELLED or summary.status is MigrationStatus.CANCELLED:
        return EXIT_INTERRUPTED
    if summary.failed_files or summary.status is MigrationStatus.FAILED:
        return EXIT_FAILED
    return EXIT_OK


class _ProgressBar:
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
            eta=_eta_text(summary),
        )


def _run_interruptibly(make: Callable[[], Coroutine[Any, Any, T]], on_interrupt: Callable[[], None]) -> T:
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


# --- migrate ------------------------------------------------------------------------------------------


def _check_numbers(batch_size: int, concurrency: int, retries: int, timeout: float | None) -> None:
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, not {batch_size}")
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, not {concurrency}")
    if retries < 0:
        raise ConfigError(f"--retries must be at least 0, not {retries}")
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"--timeout must be a positive number of seconds, not {timeout}")


def check_outage_timeout(seconds: float) -> None:
    """Refuse an ``--outage-timeout`` that is negative or not a finite number of seconds."""
    if not 0 <= seconds < float("inf"):
        raise ConfigError(f"--outage-timeout must be a number of seconds of at least 0, not {seconds}")


def _default_run_id(source: str, identity: str, function: str) -> str:
    digest = hashlib.sha256(f"{identity}\n{function}".encode()).hexdigest()[:10]
    stem = Path(source.rstrip("/\\")).stem or "run"
    return f"{stem}-{digest}"


@click.command("migrate")
@click.argument("source")
@click.option(
    "--function",
    "function_spec",
    required=True,
    help="The migration function: module:function or file.py:function.",
)
@click.option(
    "--run-id", default=None, help="Run id to create or resume (default: derived from source and function)."
)
@click.option(
    "--store", "store_url", default=DEFAULT_STORE, show_default=True, help="Journal store URL or path."
)
@click.option("--batch-size", type=int, default=100, show_default=True, help="Items per batch (lease).")
@click.option("--concurrency", type=int, default=8, show_default=True, help="Items in flight at once.")
@click.option(
    "--retries", type=int, default=2, show_default=True, help="Retries per item after a failed attempt."
)
@click.option("--timeout", type=float, default=None, help="Seconds per attempt (default: no limit).")
@click.option(
    "--isolate",
    default="thread",
    show_default=True,
    help="Where a sync function runs: thread, or process (a hung call is killed with its process).",
)
@click.option("--pattern", default="**/*.py", show_default=True, help="Glob for directory sources.")
@click.option("--dry-run", is_flag=True, help="List what would run; write nothing, call nothing.")
@click.option(
    "--create-only",
    "--no-work",
    "create_only",
    is_flag=True,
    help="Create the run and add its items, work none: `omnimemory-kit worker` processes do the work.",
)
@click.option(
    "--outage-timeout",
    type=float,
    default=DEFAULT_OUTAGE_TIMEOUT,
    show_default=True,
    help="Seconds to ride out a store outage (no new claims, outcomes kept) before giving up with exit 3.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final summary as JSON.")
def migrate_command(
    source: str,
    function_spec: str,
    run_id: str | None,
    store_url: str,
    batch_size: int,
    concurrency: int,
    retries: int,
    timeout: float | None,
    isolate: str,
    pattern: str,
    dry_run: bool,
    create_only: bool,
    outage_timeout: float,
    as_json: bool,
) -> None:
    """Migrate every item of SOURCE (a directory, a .csv or a .jsonl manifest) with a function.

    Resumable: running the same command again (same --run-id and --store) continues where it stopped.
    With --create-only the run is only created, for `omnimemory-kit worker` processes (on this machine or,
    against PostgreSQL, on many) to work.
    """
    with _errors_to_exit():
        _check_numbers(batch_size, concurrency, retries, timeout)
        check_outage_timeout(outage_timeout)
        isolate = isolation(isolate, "--isolate")
        if create_only and dry_run:
            raise ConfigError("--create-only and --dry-run exclude each other")
        work = source_from_spec(source, pattern=pattern)
        if isinstance(work, ManifestSource):
            for _ in work:  # read it all once, so a bad row is reported before anything is written
                pass
        fn = load_function(function_spec)
        store = _open(store_url)
    run_id = run_id or _default_run_id(source, work.identity, function_spec)
    if create_only:
        _create_only(store, run_id, work, fn, batch_size, concurrency, retries, timeout)
    console = Console(stderr=True)
    try:
        with _errors_to_exit():
            runner = MigrationRunner(
                store,
                run_id,
                work,
                fn,
                batch_size=batch_size,
                concurrency=concurrency,
                item_timeout=timeout,
                retry=RetryPolicy(max_attempts=retries + 1, base_delay=0.5, max_delay=30.0),
                dry_run=dry_run,
                outage_timeout=outage_timeout,
                isolate=isolation(isolate),
            )
            _check_identity(store, runner)
            bar = _ProgressBar(console, runner.run_id)
            runner.on_progress = bar.update
            with bar.progress:
                summary = _run_interruptibly(runner.run, runner.cancel)
                bar.update(summary)
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo(
            "interrupted: stopped; everything acknowledged is kept (run the command again to resume)",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    finally:
        store.close()
    click.echo(summary.model_dump_json(indent=2) if as_json else format_summary(summary))
    if dry_run:
        click.echo(f"dry run: {summary.pending_files} item(s) would run; nothing was written")
        sys.exit(EXIT_OK)
    sys.exit(_outcome_code(summary, runner))


def _create_only(
    store: JournalStore,
    run_id: str,
    work: WorkSource,
    fn: Callable[..., Any],
    batch_size: int,
    concurrency: int,
    retries: int,
    timeout: float | None,
) -> NoReturn:
    """Create the run and add its items, print how to start workers, and exit."""
    try:
        with _errors_to_exit():
            record = prepare_run(
                store,
                run_id,
                work,
                fn,
                batch_size=batch_size,
                params={"concurrency": concurrency, "item_timeout": timeout, "max_attempts": retries + 1},
            )
            total = sum(store.item_counts(run_id).values())
    finally:
        store.close()
    click.echo(f"run {record.run_id!r} created with {total} item(s) in {store.url}; nothing worked yet")
    click.echo(f"start workers with: omnimemory-kit worker --store {store.url} --run-id {record.run_id}")
    sys.exit(EXIT_OK)


def _check_identity(store: JournalStore, runner: MigrationRunner) -> None:
    """Refuse a reused run id with another source or function before anything is shown or written."""
    try:
        record = store.get_run(runner.run_id)
    except RunNotFoundError:
        return
    for field, given in (("source", runner.source.identity), ("function", runner.function_id)):
        recorded = getattr(record, field)
        if recorded and recorded != given:
            raise RunMismatchError(runner.run_id, field, recorded, given)


# --- status -------------------------------------------------------------------------------------------


@click.command("status")
@click.argument("run_id")
@click.option(
    "--store", "store_url", default=DEFAULT_STORE, show_default=True, help="Journal store URL or path."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def status_command(run_id: str, store_url: str, as_json: bool) -> None:
    """Replay RUN_ID's journal and print where it stands (with its workers and leases)."""
    with _errors_to_exit():
        store = _open(store_url, create=False)
        try:
            record = store.get_run(run_id)
            # Replay read-only into an in-memory tracker: status never writes to the store.
            tracker = MigrationProgressTracker(record.name, record.priority, run_id=run_id)
            tracker.apply_many(store.read_events(run_id))
            summary = tracker.get_progress_summary()
            workers, leases, now = workers_and_leases(store, run_id)
        finally:
            store.close()
    if as_json:
        data = summary.model_dump(mode="json")
        data["workers"] = worker_rows(workers)
        data["leases"] = lease_rows(leases, now)
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(format_summary(summary))
    click.echo(format_workers(workers, now))
    click.echo(format_leases(leases, now))


# --- demo ---------------------------------------------------------------------------------------------


def run_demo_command(out_dir: Path, store_url: str | None, console: Console) -> DemoResult:
    """Run the demo with a progress bar; the body of ``omnimemory-kit demo`` (extend it here)."""
    bar = _ProgressBar(console, "demo")
    holder: dict[str, MigrationRunner] = {}

    async def go() -> DemoResult:
        return await run_demo_async(
            out_dir, store_url, on_progress=bar.update, on_runner=lambda runner: holder.update(runner=runner)
        )

    with bar.progress:
        result = _run_interruptibly(go, lambda: holder["runner"].cancel() if "runner" in holder else None)
        bar.update(result.summary)
    return result


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the sample, the migrated tools and the journal.",
)
@click.option(
    "--store", "store_url", default=None, help="Journal store URL or path (default: OUT/omnimemory-demo.db)."
)
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where the migration and health reports (and index.html) go.",
)
def demo_command(out_dir: Path, store_url: str | None, reports_dir: Path) -> None:
    """Generate 274 legacy tool files, migrate them with the bundled example migration, and report.

    Ends with the migration report and a health report (this machine's disk and store, plus PostgreSQL
    and Redis when they run locally) in REPORTS, and prints the path of REPORTS/index.html.
    """
    console = Console(stderr=True)
    try:
        with _errors_to_exit():
            result = run_demo_command(out_dir, store_url, console)
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("interrupted: run the demo again to resume", err=True)
        sys.exit(EXIT_INTERRUPTED)
    click.echo(format_summary(result.summary))
    click.echo(f"  sample   {result.sample.files} legacy tool files in {result.sample.root}")
    click.echo(f"  output   {result.out_dir / 'migrated'} (manifest: {result.manifest})")
    click.echo(f"  journal  {result.store_url} (run id {result.run_id!r})")
    status = result.summary.status
    if status is MigrationStatus.CANCELLED:
        sys.exit(EXIT_INTERRUPTED)
    from omnimemory_kit.cli.report import run_demo_reports  # late: the reports pull in Jupyter

    with _errors_to_exit():
        index, reports_ok = run_demo_reports(result.store_url, result.run_id, reports_dir)
    click.echo(f"reports index: {index.resolve()}")
    sys.exit(EXIT_OK if reports_ok else EXIT_FAILED)


def migration_commands() -> list[click.Command]:
    """Return the commands this module adds to the CLI."""
    return [migrate_command, status_command, demo_command]
