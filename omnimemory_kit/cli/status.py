"""``omnimemory-kit status RUN``: where a run stands, read from what the store keeps, in well under a second.

The summary comes from the store's counters and the journal's rare events (``JournalStore.status_facts``,
``migration.run_status``), never from replaying the journal: a run of ten million items answers as fast as a
small one. ``--json`` adds the item bytes (one pass over the items); ``--batches`` lists every batch, which
needs the whole journal and costs what a replay costs.
"""

from __future__ import annotations

import itertools
import json
import socket
from typing import Any

import click

from omnimemory_kit.cli.control_view import format_history
from omnimemory_kit.cli.summary_view import errors_to_exit, format_summary
from omnimemory_kit.cli.workers_view import (
    format_leases,
    format_workers,
    lease_rows,
    worker_rows,
    workers_and_leases,
)
from omnimemory_kit.migration.control import summary_fields
from omnimemory_kit.migration.liveness import assess_activity
from omnimemory_kit.migration.run_control import read_control
from omnimemory_kit.migration.run_status import status_summary, status_validation
from omnimemory_kit.store import JournalStore, RunRecord, open_store
from omnimemory_kit.store.base import check_run_id
from omnimemory_kit.store.url import DEFAULT_STORE_URL

__all__ = ["status_command"]


def _batch_rows(store: JournalStore, record: RunRecord) -> list[dict[str, Any]]:
    """Replay the journal for its batches (what ``--batches`` asks for; the summary never needs it)."""
    from omnimemory_kit.cli.batches_view import batch_rows
    from omnimemory_kit.migration.tracker import MigrationProgressTracker

    tracker = MigrationProgressTracker(record.name, record.priority, run_id=record.run_id)
    events = store.read_events(record.run_id)
    while chunk := list(itertools.islice(events, 10_000)):
        tracker.apply_many(chunk)
    return batch_rows(tracker.batches_dataframe())


@click.command("status")
@click.argument("run_id")
@click.option(
    "--store", "store_url", default=DEFAULT_STORE_URL, show_default=True, help="Journal store URL or path."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (with item bytes).")
@click.option(
    "--batches",
    "with_batches",
    is_flag=True,
    help="Also list every batch: items, outcomes, duration, worker, attempts (reads the whole journal).",
)
def status_command(run_id: str, store_url: str, as_json: bool, with_batches: bool) -> None:
    """Print where RUN_ID stands (with its workers and leases), from the counters the store keeps."""
    with errors_to_exit():
        check_run_id(run_id)
        store = open_store(store_url, read_only=True)  # also on read-only media; never writes
        try:
            record = store.get_run(run_id)
            store.check_event_kinds(run_id)  # a journal of a newer version is refused, as a replay would
            facts = store.status_facts(run_id, with_bytes=as_json)
            workers, leases, now = workers_and_leases(store, run_id)
            # A run the journal shows running may have nobody left working it (its process was killed).
            activity = assess_activity(workers, leases, now, host=socket.gethostname())
            control = read_control(store, run_id)
            summary = status_summary(record, facts, now, interrupted=activity.interrupted)
            summary = summary.model_copy(update=summary_fields(control, record.params, now))
            checked = status_validation(facts, record.params)
            if checked is not None:
                summary = summary.model_copy(update={"validation": checked.counts()})
            batches = _batch_rows(store, record) if with_batches else None
        finally:
            store.close()
    if as_json:
        data = summary.model_dump(mode="json")
        data["workers"] = worker_rows(workers)
        data["leases"] = lease_rows(leases, now)
        data["control"] = control.to_dict(now)
        if batches is not None:
            data["batches"] = batches
        if checked is not None:
            data["mismatches"] = checked.as_dict()["mismatches"]
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(format_summary(summary))  # with the control state and settings
    click.echo(format_history(control))
    click.echo(format_workers(workers, now))
    click.echo(format_leases(leases, now))
    if batches is not None:
        from omnimemory_kit.cli.batches_view import format_batches

        click.echo(format_batches(batches))
