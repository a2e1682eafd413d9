"""``omnimemory-kit worker``: join an existing run and work it until nothing is left.

Many workers (on many machines against one PostgreSQL database, or processes on one machine sharing a SQLite
file) work the same run: each claims batches under leases, heartbeats them, and takes back the leases of
workers that died. A run recorded with a validate function is checked with it (``--no-validate``: not), as
``migrate`` does. Exit codes follow ``omnimemory_kit.cli.exit_codes``: 1 also when the run has mismatched
items (or items whose check failed) when this worker ends.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click
from rich.console import Console

from omnimemory_kit.cli.exit_codes import EXIT_INTERRUPTED
from omnimemory_kit.cli.heartbeat import heartbeat_options, heartbeat_setup, with_heartbeats
from omnimemory_kit.cli.option_checks import MAX_BATCH_SIZE, MAX_CONCURRENCY, check_count, check_seconds
from omnimemory_kit.cli.run_check import (
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
from omnimemory_kit.cli.summary_view import errors_to_exit, print_outcome
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.options import isolation
from omnimemory_kit.migration.outage import DEFAULT_OUTAGE_TIMEOUT
from omnimemory_kit.migration.run_status import status_validation
from omnimemory_kit.migration.validation import ValidationSummary
from omnimemory_kit.migration.worker import join_run
from omnimemory_kit.store import open_store

__all__ = ["worker_command"]


@click.command("worker")
@click.option("--store", "store_url", required=True, help="The run's store URL (postgresql://... or a file).")
@click.option("--run-id", "run_id", required=True, help="The run to join (created by migrate --create-only).")
@click.option("--concurrency", type=int, default=8, show_default=True, help="Items in flight at once.")
@click.option("--batch-size", type=int, default=None, help="Items per claimed batch (default: the run's).")
@click.option(
    "--function",
    "function_spec",
    default=None,
    help="The migration function, module:function or file.py:function (default: the one the run records).",
)
@click.option(
    "--lease-seconds",
    type=float,
    default=60.0,
    show_default=True,
    help="How long a claimed batch is held between heartbeats; a dead worker's items return after it.",
)
@click.option(
    "--outage-timeout",
    type=float,
    default=DEFAULT_OUTAGE_TIMEOUT,
    show_default=True,
    help="Seconds to ride out a store outage (no new claims, outcomes kept) before giving up with exit 3.",
)
@click.option(
    "--isolate",
    default="thread",
    show_default=True,
    help="Where a sync function runs: thread, or process (a hung call is killed with its process).",
)
@click.option("--health-config", "health_config_path", default=None, help=HEALTH_CONFIG_HELP)
@click.option(
    "--validate",
    "validate_spec",
    default=None,
    metavar="module:function",
    help="Check each succeeded item with this validate function after its batch (default: the one the "
    "run records; another than the recorded one is refused).",
)
@validate_switches
@click.option("--json", "as_json", is_flag=True, help="Print the final summary as JSON.")
@heartbeat_options(periodic=True)
@observability_options
@control_options
def worker_command(
    store_url: str,
    run_id: str,
    concurrency: int,
    batch_size: int | None,
    function_spec: str | None,
    lease_seconds: float,
    outage_timeout: float,
    isolate: str,
    health_config_path: str | None,
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
    """Join an existing run and work it until no item is left (other workers may share it).

    The run's items are not listed again: they are in the store. The migration function is the one
    recorded with the run unless --function names another place to load it from; the validate function
    is the one the run records unless --validate (for a run that records none) or --no-validate.
    """
    with errors_to_exit():
        check_count("--concurrency", concurrency, low=1, high=MAX_CONCURRENCY)
        check_count("--batch-size", batch_size, low=1, high=MAX_BATCH_SIZE)
        check_seconds("--lease-seconds", lease_seconds)
        check_seconds("--check-timeout", check_timeout)
        check_outage_timeout(outage_timeout)
        isolation(isolate, "--isolate")
        check_run_id(run_id)
        Observability.check(trace_sample)
        fn = load_function(function_spec) if function_spec is not None else None
        if validate_spec is not None and no_validate:
            raise ConfigError("--validate and --no-validate exclude each other")
        given = resolve_validate(validate_spec) if validate_spec is not None else None
        setup = control_setup(control)
        health_config = load_throttle(health_config_path)
        beats = heartbeat_setup(heartbeat, heartbeat_store, heartbeat_every, run_store=store_url)
        store = open_store(store_url, create=False)
    console = Console(stderr=True)
    watch: Observability | None = None
    checked: ValidationSummary | None = None
    try:
        with errors_to_exit():
            check = choose_validate(store, run_id, given, no_validate=no_validate)
            watch = Observability(metrics_port, metrics_host, trace_items, trace_sample)
            runner = join_run(
                store,
                run_id,
                fn,
                concurrency=concurrency,
                batch_size=batch_size,
                lease_seconds=lease_seconds,
                outage_timeout=outage_timeout,
                isolate=isolation(isolate),
                validate=check.fn if check is not None else None,
                check_timeout=check_timeout,
                **watch.runner_options(),
                **setup.runner_kwargs,
            )
            bar = ProgressBar(console, f"{run_id} ({runner.worker_id})")
            runner.on_progress = bar.update
            with bar.progress:
                apply_health_gate(runner, health_config)
                work_it = with_heartbeats(beats, run_with_hooks(runner, setup.hooks), runner, "worker")
                summary = run_interruptibly(work_it, runner.cancel)
                bar.update(summary)
            if check is not None:
                # the whole run's verdicts (this worker folds only its own events), from the store's counts
                checked = status_validation(store.status_facts(run_id), store.get_run(run_id).params)
                if checked is not None:
                    summary = summary.model_copy(update={"validation": checked.counts()})
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("interrupted: stopped; this worker's unfinished items go back to the others", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        if watch is not None:
            watch.close()
        store.close()
    print_outcome(summary, checked, as_json)
    # other workers may still be checking: pending checks are theirs, mismatches are the run's
    sys.exit(validation_code(checked, outcome=outcome_code(summary, runner), pending_fails=False))
