"""``omnimemory-kit validate``: check a run's migrated items with a function and journal each verdict.

Exit codes follow ``omnimemory_kit.cli.exit_codes``: 0 every succeeded item validated, 1 some mismatched
or errored (or still pending), or the run is not finished (what is done is checked: "validation
incomplete"), 2 bad input (no such run, no validate function, a bad option or key, a run still worked by
live workers), 3 store unavailable, 130 interrupted (verdicts already appended are kept; run the command
again to go on).
"""

from __future__ import annotations

import asyncio
import sys

import click

from omnimemory_kit.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED
from omnimemory_kit.cli.json_output import dumps
from omnimemory_kit.cli.run_check import (
    check_run_id,
    load_recorded_validate,
    resolve_validate,
    validation_code,
)
from omnimemory_kit.cli.summary_view import errors_to_exit, format_validation
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import FileStatus
from omnimemory_kit.migration.liveness import read_activity
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.store import JournalStore, open_store
from omnimemory_kit.store.url import DEFAULT_STORE_URL

__all__ = ["validate_command"]


@click.command("validate")
@click.argument("run_id")
@click.option("--function", "function_spec", default=None, help="The validate function: module:function.")
@click.option(
    "--store", "store_url", default=DEFAULT_STORE_URL, show_default=True, help="Journal store URL or path."
)
@click.option(
    "--only",
    type=click.Choice(["mismatched", "error", "all"]),
    default=None,
    help="Revalidate the items in this state, or all succeeded items (default: those not validated yet).",
)
@click.option("--key", default=None, help="Revalidate this one item.")
@click.option("--concurrency", type=int, default=8, show_default=True, help="Checks in flight at once.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per check.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def validate_command(
    run_id: str,
    function_spec: str | None,
    store_url: str,
    only: str | None,
    key: str | None,
    concurrency: int,
    timeout: float,
    as_json: bool,
) -> None:
    """Check RUN_ID's succeeded items with a function; journal validated, mismatched or error for each.

    The validate function (the one recorded with the run, or --function) receives each item as the
    migration function did and returns True or None (valid) or a Mismatch(detail, expected, actual), or
    raises (error). Crash-safe: run it again to go on. A run that is not finished is refused while live
    workers hold its batches; otherwise what is done is checked, and the rest is counted as not migrated.
    """
    with errors_to_exit():
        check_run_id(run_id)
        if only is not None and key is not None:
            raise ConfigError("--only and --key exclude each other")
        given = resolve_validate(function_spec) if function_spec is not None else None
        store = open_store(store_url, create=False)
        try:
            record = store.get_run(run_id)
            check = given if given is not None else load_recorded_validate(run_id, record.params)
            if check is None:
                raise ConfigError(f"run {run_id!r} has no validate function: pass --function module:function")
            not_migrated = _not_migrated(store, run_id)
            fn = check.fn
            try:
                summary = asyncio.run(
                    validate_run(
                        store,
                        run_id,
                        fn,
                        only=only,  # type: ignore[arg-type]  # click.Choice checked it
                        key=key,
                        concurrency=concurrency,
                        item_timeout=timeout,
                    )
                )
            except KeyboardInterrupt:
                click.echo("interrupted: verdicts already recorded are kept; run again to go on", err=True)
                sys.exit(EXIT_INTERRUPTED)
        finally:
            store.close()
    incomplete = f"validation incomplete: {not_migrated} items not yet migrated"
    if as_json:
        data = summary.as_dict()
        data["not_migrated"] = not_migrated
        if not_migrated:
            data["status"] = incomplete
        click.echo(dumps(data))
    else:
        click.echo(format_validation(summary))
        if not_migrated:
            click.echo(incomplete)
    sys.exit(EXIT_FAILED if not_migrated else validation_code(summary))


def _not_migrated(store: JournalStore, run_id: str) -> int:
    """Return how many of the run's items are not finished; refuse a run live workers still hold.

    Raises:
        ConfigError: live workers hold leases on the run (it is still running: validate it when it ends).
    """
    counts = store.item_counts(run_id)
    unfinished = counts[FileStatus.PENDING] + counts[FileStatus.IN_PROGRESS]
    if unfinished:
        activity = read_activity(store, run_id)
        if activity.live_leases:
            raise ConfigError(
                f"run {run_id!r} is still running: live workers hold {activity.live_leases} batch(es) and "
                f"{unfinished} item(s) are not migrated yet; validate it when it has ended"
            )
    return unfinished
