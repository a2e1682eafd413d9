"""``omnimemory-kit validate``: check a run's migrated items with a function and journal each verdict.

Exit codes follow ``omnimemory_kit.cli.exit_codes``: 0 every succeeded item validated, 1 some mismatched
or errored (or still pending), 2 bad input (no such run, no validate function, a bad option or key), 3 store
unavailable, 130 interrupted (verdicts already appended are kept; run the command again to go on).
"""

from __future__ import annotations

import asyncio
import json
import sys

import click

from omnimemory_kit.cli.exit_codes import EXIT_INTERRUPTED
from omnimemory_kit.cli.run_check import (
    check_run_id,
    load_recorded_validate,
    resolve_validate,
    validation_code,
)
from omnimemory_kit.cli.summary_view import errors_to_exit, format_validation
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.validation_pass import validate_run
from omnimemory_kit.store import open_store
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
    type=click.Choice(["mismatched", "error"]),
    default=None,
    help="Revalidate only the items in this state (default: the items not validated yet).",
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

    The function receives each item as the migration function did and returns True or None (valid) or a
    Mismatch(detail, expected, actual), or raises (error). Crash-safe: run it again to go on.
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
    click.echo(
        json.dumps(summary.as_dict(), indent=2, default=str) if as_json else format_validation(summary)
    )
    sys.exit(validation_code(summary))
