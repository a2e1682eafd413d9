"""``omnimemory-kit migrate`` and ``demo``: run and resume migrations from a terminal (``status`` is its own).

Exit codes follow ``omnimemory_kit.cli.exit_codes``: 0 every item done, 1 finished with failed items,
2 bad input, 3 store unavailable (at the start, or during the run for longer than ``--outage-timeout``),
130 interrupted (Ctrl-C stops cleanly: in-flight items finish, everything acknowledged is kept, and the
same command resumes).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from omnimemory_kit.cli.demo_reports import run_demo_reports
from omnimemory_kit.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from omnimemory_kit.cli.heartbeat import heartbeat_options, heartbeat_setup, with_heartbeats
from omnimemory_kit.cli.new_store import removes_new_store_on_failure
from omnimemory_kit.cli.option_checks import (
    MAX_BATCH_SIZE,
    MAX_CONCURRENCY,
    MAX_RETRIES,
    check_count,
    check_seconds,
)
from omnimemory_kit.cli.run_check import (
    RESERVED,
    ValidateChoice,
    check_run_id,
    choose_validate,
    resolve_validate,
    validate_switches,
    validation_code,
)
from omnimemory_kit.cli.running import (
    HEALTH_CONFIG_HELP,
    Observability,
    ProgressBar,
    apply_health_gate,
    check_outage_timeout,
    control_options,
    control_setup,
    load_throttle,
    observability_options,
    outcome_code,
    run_interruptibly,
    run_with_hooks,
)
from omnimemory_kit.cli.summary_view import errors_to_exit, fail, format_summary, print_outcome
from omnimemory_kit.errors import ConfigError, RunMismatchError, RunNotFoundError
from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.demo import DemoResult, run_demo_async
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.options import isolation
from omnimemory_kit.migration.outage import DEFAULT_OUTAGE_TIMEOUT
from omnimemory_kit.migration.rerun import RerunSelection, parse_rerun, requeue, rerun_keys
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import DirectorySource, ManifestSource, WorkSource, source_from_spec
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import JournalStore, open_store
from omnimemory_kit.store.ledger import current_operator
from omnimemory_kit.store.url import DEFAULT_STORE_URL, is_postgres_url, parse_sqlite_url
from omnimemory_kit.text import printable, to_stored

__all__ = ["migration_commands"]


def _open_for_dry_run(url: str) -> JournalStore:
    """Open the store read-only when it exists; else an empty in-memory one (a dry run creates nothing)."""
    if not is_postgres_url(url):
        location = parse_sqlite_url(url)
        if location.in_memory or not Path(location.path).exists():
            return open_store("sqlite://")
    return open_store(url, read_only=True)


# --- migrate ------------------------------------------------------------------------------------------


def _check_numbers(batch_size: int | None, concurrency: int, retries: int, timeout: float | None) -> None:
    check_count("--batch-size", batch_size, low=1, high=MAX_BATCH_SIZE)
    check_count("--concurrency", concurrency, low=1, high=MAX_CONCURRENCY)
    check_count("--retries", retries, low=0, high=MAX_RETRIES)
    check_seconds("--timeout", timeout)


def _default_run_id(store: JournalStore, source: str, identity: str, function: str) -> str:
    # surrogatepass: a source path that is not valid UTF-8 still hashes, and only such a stem is escaped
    # (every other derived run id stays what it was, so existing runs resume)
    digest = hashlib.sha256(f"{identity}\n{function}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    stem = Path(source.rstrip("/\\")).stem
    if to_stored(stem) != stem:
        stem = printable(stem)
    stem = stem or "run"
    run_id = f"{stem}-{digest}"
    if RESERVED in stem:  # '~' names companion runs: a new run gets '-' instead, an older one resumes
        try:
            store.get_run(run_id)
        except RunNotFoundError:
            run_id = f"{stem.replace(RESERVED, '-')}-{digest}"
    return run_id


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
    "--store", "store_url", default=DEFAULT_STORE_URL, show_default=True, help="Journal store URL or path."
)
@click.option(
    "--batch-size",
    type=int,
    default=None,
    help="Items per batch (lease). Default: 16 per unit of --concurrency, 100 to 1,000 (with --create-only: "
    "each worker's own default for its concurrency).",
)
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
@click.option(
    "--follow-symlinks-outside",
    is_flag=True,
    help="Also migrate files whose symbolic links lead outside SOURCE (skipped by default).",
)
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
@click.option("--health-config", "health_config_path", default=None, help=HEALTH_CONFIG_HELP)
@click.option(
    "--rerun",
    "rerun_spec",
    default=None,
    metavar="failed|batch:ID|keys:FILE",
    help="Requeue the run's failed items, every item of one batch, or the items listed one per line in "
    "FILE (finished ones, succeeded too), then work the run; also while other processes work it.",
)
@click.option(
    "--validate",
    "validate_spec",
    default=None,
    metavar="module:function",
    help="Check each succeeded item with this validate function after its batch, while the next batches "
    "run (recorded with a new run, for workers and `omnimemory-kit validate`). A resumed run is checked "
    "with the validate function it records: another one is refused.",
)
@validate_switches
@click.option("--json", "as_json", is_flag=True, help="Print the final summary as JSON.")
@heartbeat_options(periodic=True)
@observability_options
@control_options
@removes_new_store_on_failure
def migrate_command(
    source: str,
    function_spec: str,
    run_id: str | None,
    store_url: str,
    batch_size: int | None,
    concurrency: int,
    retries: int,
    timeout: float | None,
    isolate: str,
    pattern: str,
    follow_symlinks_outside: bool,
    dry_run: bool,
    create_only: bool,
    outage_timeout: float,
    health_config_path: str | None,
    rerun_spec: str | None,
    validate_spec: str | None,
    no_validate: bool,
    check_timeout: float,
    as_json: bool,
    heartbeat: str | None,
    heartbeat_store: str | None,
    heartbeat_every: float | None,
    metrics_port: int | None,
    metrics_host: str,
    trace_items: bool,
    trace_sample: float | None,
    **control: Any,
) -> None:
    """Migrate every item of SOURCE (a directory, a .csv or a .jsonl manifest) with a function.

    Resumable: running the same command again (same --run-id and --store) continues where it stopped.
    With --create-only the run is only created, for `omnimemory-kit worker` processes (on this machine or,
    against PostgreSQL, on many) to work.
    """
    with errors_to_exit():
        _check_numbers(batch_size, concurrency, retries, timeout)
        check_seconds("--check-timeout", check_timeout)
        check_outage_timeout(outage_timeout)
        Observability.check(trace_sample)
        isolate = isolation(isolate, "--isolate")
        if create_only and dry_run:
            raise ConfigError("--create-only and --dry-run exclude each other")
        selection = parse_rerun(rerun_spec) if rerun_spec is not None else None
        if selection is not None and (create_only or dry_run):
            raise ConfigError("--rerun works a run: it excludes --create-only and --dry-run")
        if not source.strip():
            raise ConfigError("SOURCE must not be empty (name a directory, a .csv or a .jsonl manifest)")
        if run_id is not None:
            check_run_id(run_id)
        work = source_from_spec(
            source, pattern=pattern, follow_symlinks_outside=follow_symlinks_outside, warn_outside=False
        )  # _report_outside says it, once
        if isinstance(work, ManifestSource) and not create_only:
            # read it all once, so a bad row is reported before anything is written (the runner adds in
            # chunks; create-only needs no check: prepare_run records the run and its items together)
            work.check()
        fn = load_function(function_spec)
        setup = control_setup(control)
        health_config = load_throttle(health_config_path)
        if validate_spec is not None and dry_run:
            raise ConfigError("--validate checks what a run wrote: it excludes --dry-run")
        if validate_spec is not None and no_validate:
            raise ConfigError("--validate and --no-validate exclude each other")
        given = resolve_validate(validate_spec) if validate_spec is not None else None
        beats = heartbeat_setup(
            heartbeat, heartbeat_store, heartbeat_every, run_store=store_url,
            excluded=(("--dry-run", dry_run), ("--create-only", create_only)),
        )  # fmt: skip
        store = _open_for_dry_run(store_url) if dry_run else open_store(store_url)
    try:
        with errors_to_exit():
            run_id = run_id or _default_run_id(store, source, work.identity, function_spec)
            # a dry run checks nothing; a resumed run is checked with the validate function it records
            skip = dry_run or (create_only and given is None)  # nothing is checked now: load nothing
            check = None if skip else choose_validate(store, run_id, given, no_validate=no_validate)
    except SystemExit:
        store.close()
        raise
    check_fn = check.fn if check is not None else None
    if create_only:
        _create_only(store, run_id, work, fn, batch_size, concurrency, retries, timeout, check)
    console = Console(stderr=True)
    watch: Observability | None = None
    try:
        with errors_to_exit():
            watch = Observability(metrics_port, metrics_host, trace_items, trace_sample)
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
                **watch.runner_options(),
                **setup.runner_kwargs,
                params=check.record_params() if check is not None else None,
                validate=check_fn,
                check_timeout=check_timeout,
            )
            new_run = _check_identity(store, runner)
            if selection is not None:
                _rerun(store, runner.run_id, selection)
            bar = ProgressBar(console, runner.run_id)
            runner.on_progress = bar.update
            with bar.progress:
                apply_health_gate(runner, health_config)
                work_it = with_heartbeats(beats, run_with_hooks(runner, setup.hooks), runner, "migrate")
                summary = run_interruptibly(work_it, runner.cancel)
                bar.update(summary)
            checked = runner.validation_summary()  # checked after each batch, while the run went on
            done = summary.status is MigrationStatus.COMPLETED
            if check_fn is not None and done and (checked is None or checked.pending):
                # completed before without the check (nothing ran now): check the rest in a separate pass
                checked = asyncio.run(
                    validate_run(
                        store, runner.run_id, check_fn, concurrency=concurrency, item_timeout=timeout
                    )
                )
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo(
            "interrupted: stopped; everything acknowledged is kept (run the command again to resume)",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    finally:
        if watch is not None:
            watch.close()
        store.close()
    print_outcome(summary, checked, as_json)
    _report_outside(work)
    if new_run and (dry_run or summary.status is MigrationStatus.COMPLETED):  # every item was added
        _report_duplicates(work, summary.total_files)
    if dry_run:
        click.echo(f"dry run: {summary.pending_files} item(s) would run; nothing was written")
        sys.exit(EXIT_OK)
    sys.exit(validation_code(checked, outcome=outcome_code(summary, runner)))


def _report_duplicates(work: WorkSource, items: int) -> None:
    """Say on stderr how many manifest rows repeated a key (``items``: the new run's items, all added)."""
    if isinstance(work, ManifestSource) and work.rows is not None and work.rows > items:
        click.echo(
            f"manifest: {work.rows - items} duplicate key(s) dropped (a key listed twice is migrated once, "
            "with its first size)",
            err=True,
        )


def _report_outside(work: WorkSource) -> None:
    """Say on stderr how many matches were skipped because their symbolic links lead outside SOURCE."""
    if isinstance(work, DirectorySource) and work.outside:
        click.echo(
            f"skipped {len(work.outside)} file(s) whose symbolic links lead outside SOURCE "
            f"(first: {printable(work.outside[0])}); --follow-symlinks-outside migrates them",
            err=True,
        )


def _create_only(
    store: JournalStore,
    run_id: str,
    work: WorkSource,
    fn: Callable[..., Any],
    batch_size: int | None,
    concurrency: int,
    retries: int,
    timeout: float | None,
    check: ValidateChoice | None,
) -> NoReturn:
    """Create the run and add its items (and its validate function), print how to start workers, and exit."""
    try:
        with errors_to_exit():
            try:  # a run topped up with a longer manifest: say what was new
                present: int | None = sum(store.item_counts(run_id).values())
            except RunNotFoundError:
                present = None
            record = prepare_run(
                store,
                run_id,
                work,
                fn,
                batch_size=batch_size,
                params={
                    "concurrency": concurrency,
                    "item_timeout": timeout,
                    "max_attempts": retries + 1,
                    **(check.record_params() if check is not None else {}),
                },
            )
            total = sum(store.item_counts(run_id).values())
    finally:
        store.close()
    _report_outside(work)
    if present is None:
        _report_duplicates(work, total)
        click.echo(f"run {record.run_id!r} created with {total} item(s) in {store.url}; nothing worked yet")
    else:
        click.echo(
            f"run {record.run_id!r} in {store.url}: added {total - present} new item(s) "
            f"({present} already present)"
        )
    click.echo(f"start workers with: omnimemory-kit worker --store {store.url} --run-id {record.run_id}")
    sys.exit(EXIT_OK)


def _rerun(store: JournalStore, run_id: str, selection: RerunSelection) -> None:
    """Requeue the finished items ``selection`` names and say how many (on stderr)."""
    plan = rerun_keys(store, run_id, selection)  # RunNotFoundError: nothing to re-run (exit 2)
    count = requeue(store, run_id, plan.keys, at=time.time(), worker_id=current_operator())
    note = (
        f"; {plan.unfinished} selected item(s) are not finished and run as they are"
        if plan.unfinished
        else ""
    )
    what = "failed item(s)" if selection.kind == "failed" else "item(s)"
    click.echo(f"re-running {count} {what} of {selection}{note}", err=True)


def _check_identity(store: JournalStore, runner: MigrationRunner) -> bool:
    """Refuse a reused run id with another source or function before anything is shown or written.

    Returns whether the run is new (not in the store yet).
    """
    try:
        record = store.get_run(runner.run_id)
    except RunNotFoundError:
        return True
    for field, given in (("source", runner.source.identity), ("function", runner.function_id)):
        recorded = getattr(record, field)
        if recorded and recorded != given:
            raise RunMismatchError(runner.run_id, field, recorded, given)
    return False


# --- demo ---------------------------------------------------------------------------------------------


def run_demo_command(out_dir: Path, store_url: str | None, console: Console) -> DemoResult:
    """Run the demo with a progress bar; the body of ``omnimemory-kit demo`` (extend it here)."""
    bar = ProgressBar(console, "demo")
    holder: dict[str, MigrationRunner] = {}

    async def go() -> DemoResult:
        return await run_demo_async(
            out_dir, store_url, on_progress=bar.update, on_runner=lambda runner: holder.update(runner=runner)
        )

    with bar.progress:
        result = run_interruptibly(go, lambda: holder["runner"].cancel() if "runner" in holder else None)
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
    for option, folder in (("--out", out_dir), ("--reports", reports_dir)):
        if folder.exists() and not folder.is_dir():
            fail(ConfigError(f"{option} '{printable(str(folder))}' is not a folder"))
    try:
        with errors_to_exit():
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
    with errors_to_exit():
        index, reports_ok = run_demo_reports(result.store_url, result.run_id, reports_dir)
    click.echo(f"reports index: {index.resolve()}")
    sys.exit(EXIT_OK if reports_ok else EXIT_FAILED)


def migration_commands() -> list[click.Command]:
    """Return the commands this module adds to the CLI."""
    return [migrate_command, demo_command]
