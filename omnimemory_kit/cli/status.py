"""``omnimemory-kit status RUN``: where a run stands, read from what the store keeps, in well under a second.

The summary comes from the store's counters and the journal's rare events (``JournalStore.status_facts``,
``migration.run_status``), never from replaying the journal: a run of ten million items answers as fast as a
small one. ``--json`` adds the item bytes (one pass over the items); ``--batches`` lists the latest batches,
reading the journal only from the first of them and folding only what concerns them.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Container, Iterable, Sequence
from typing import Any, Final

import click

from omnimemory_kit.cli.control_view import format_history
from omnimemory_kit.cli.early_reader import reader_may_leave
from omnimemory_kit.cli.json_output import dumps
from omnimemory_kit.cli.summary_view import errors_to_exit, format_summary
from omnimemory_kit.cli.workers_view import (
    format_leases,
    format_workers,
    lease_rows,
    worker_rows,
    workers_and_leases,
)
from omnimemory_kit.events import FINISHED_RUN_STATUSES, Event, EventKind
from omnimemory_kit.migration.control import ControlState, summary_fields
from omnimemory_kit.migration.liveness import assess_activity
from omnimemory_kit.migration.rates import RateConfig
from omnimemory_kit.migration.run_control import read_control
from omnimemory_kit.migration.run_state import RunState
from omnimemory_kit.migration.run_status import status_summary, status_validation
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.validation import ValidationSummary
from omnimemory_kit.store import JournalStore, open_store
from omnimemory_kit.store.base import Lease, WorkerRecord, check_run_id
from omnimemory_kit.store.companions import refuse_companion
from omnimemory_kit.store.url import DEFAULT_STORE_URL

__all__ = ["status_command"]


_CHUNK: Final = 10_000


_BATCH_KINDS: Final = frozenset({EventKind.BATCH_OPENED, EventKind.BATCH_CLOSED})


def _listed_events(state: RunState, listed: Container[str], events: Iterable[Event]) -> list[Event]:
    """Return the events that concern the ``listed`` batches, adding each item where it starts in one.

    Kept: the listed batches' opens and closes, every later event of an item once it started in a listed
    batch (a start elsewhere after it moves it out), and the run's own events (pauses, interruptions). Left
    out: the other batches' opens, closes and items (batches opened earlier and still running beside the
    listed ones), and every FILE_ADDED (an item is added to the state where it first starts in a listed
    batch), so the fold costs what the listed batches hold, never the run.
    """
    known = state.index
    kept: list[Event] = []
    for event in events:
        kind, key = event.kind, event.path
        if kind in _BATCH_KINDS:
            if event.batch_id in listed:
                kept.append(event)
        elif key is None:
            kept.append(event)
        elif kind is EventKind.FILE_ADDED:
            continue
        elif key in known:
            kept.append(event)
        elif kind is EventKind.FILE_STARTED and event.batch_id in listed:
            state.add_file(key, event.size or 0, event.at)
            kept.append(event)
    return kept


def _batch_rows(store: JournalStore, run_id: str, limit: int, now: float) -> tuple[list[dict[str, Any]], int]:
    """Return the rows of the run's latest ``limit`` batches, and how many batches the run has.

    Only the journal from the first of those batches' opens on is read, and only what concerns them is
    folded (``_listed_events``) by the tracker's reducer, a chunk at a time (runs of one kind folded
    together): an older batch still running beside them adds neither a row nor its items.
    """
    from omnimemory_kit.cli.batches_view import batch_rows
    from omnimemory_kit.migration.tracker_views import batches_frame

    latest, count = store.latest_batches(run_id, limit)
    if not latest:
        return [], count
    listed = {batch_id for batch_id, _ in latest}
    state = RunState(RateConfig(), sample_interval=1e300, max_samples=2)
    events = store.read_events(run_id, latest[0][1] - 1)
    while chunk := list(itertools.islice(events, _CHUNK)):
        state.apply(_listed_events(state, listed, chunk))
    rows = batch_rows(batches_frame(state, threading.RLock(), now))
    return [row for row in rows if row["batch_id"] in listed], count


def _json_document(
    summary: MigrationProgressSummary,
    workers: Sequence[WorkerRecord],
    leases: Sequence[Lease],
    control: ControlState,
    now: float,
    checked: ValidationSummary | None,
    batches: list[dict[str, Any]] | None,
    batch_count: int,
) -> dict[str, Any]:
    """Return what ``status --json`` prints: the facts of the text, and the item bytes.

    A validated run carries its verdict counts (``validation``), the validation errors' count beside the
    mismatches', and both tables; a finished run has no control state (``control_state`` and the control's
    ``state`` are null), as its text has no control line.
    """
    data = summary.model_dump(mode="json")
    data["workers"] = worker_rows(workers)
    data["leases"] = lease_rows(leases, now)
    data["control"] = control.to_dict(now)
    if summary.control_state is None:
        data["control"].update(state=None, description=None)
    if batches is not None:
        data["batches"] = batches
        data["batch_count"] = batch_count
    if checked is not None:
        tables = checked.as_dict()
        data["mismatches"] = tables["mismatches"]
        data["validation_errors"] = checked.error
        data["validation_error_rows"] = tables["errors"]
    return data


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
    help="Also list the latest batches: items, outcomes, duration, worker, attempts.",
)
@click.option(
    "--batches-limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many of the latest batches --batches lists (reading the journal from the first of them).",
)
def status_command(
    run_id: str, store_url: str, as_json: bool, with_batches: bool, batches_limit: int
) -> None:
    """Print where RUN_ID stands (with its workers and leases), from the counters the store keeps."""
    with errors_to_exit():
        check_run_id(run_id)
        store = open_store(store_url, read_only=True)  # also on read-only media; never writes
        try:
            record = store.get_run(run_id)
            refuse_companion(run_id, record.source)
            store.check_event_kinds(run_id)  # a journal of a newer version is refused, as a replay would
            facts = store.status_facts(run_id, with_bytes=as_json)
            workers, leases, now = workers_and_leases(store, run_id)
            # A run the journal shows running may have nobody left working it (its process was killed).
            activity = assess_activity(workers, leases, now, host=socket.gethostname())
            control = read_control(store, run_id)
            summary = status_summary(record, facts, now, interrupted=activity.interrupted)
            fields = summary_fields(control, record.params, now)
            if summary.status in FINISHED_RUN_STATUSES:  # nothing runs to pause or throttle any more
                fields["control_state"] = None
            summary = summary.model_copy(update=fields)
            checked = status_validation(facts, record.params)
            if checked is not None:
                summary = summary.model_copy(update={"validation": checked.counts()})
            batches, batch_count = (
                _batch_rows(store, run_id, batches_limit, now) if with_batches else (None, 0)
            )
        finally:
            store.close()
    with reader_may_leave():
        if as_json:
            click.echo(
                dumps(_json_document(summary, workers, leases, control, now, checked, batches, batch_count))
            )
            return
        click.echo(format_summary(summary))  # with the control state of a run not finished, and settings
        click.echo(format_history(control))
        click.echo(format_workers(workers, now))
        click.echo(format_leases(leases, now))
        if batches is not None:
            from omnimemory_kit.cli.batches_view import format_batches

            click.echo(format_batches(batches))
            if batch_count > len(batches):
                click.echo(
                    f"  (the latest {len(batches)} of {batch_count} batches; --batches-limit N lists more)"
                )
