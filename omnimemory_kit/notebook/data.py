"""What the notebooks read from a store: one run's frames, every run's counts, health history and host use.

Reading is the effect; everything downstream (``figures``, ``tables``) is pure. A run's report reads what
the store sums for it (``JournalStore.report_aggregates``: outcomes per time bucket, errors per type,
items per attempts, each batch's counts, the few slowest and failed items) and folds that in
``report_fold``, so its cost follows the buckets and batches, not the millions of events a run may hold.
A store that cannot sum its journal gets the replay: the journal once into an unbound
``MigrationProgressTracker``, which yields the same frames. The figures downsample what they draw.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.events import EventKind, FileStatus, MigrationStatus
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.migration.liveness import read_activity
from omnimemory_kit.migration.rates import RateConfig
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.tracker import MigrationProgressTracker
from omnimemory_kit.migration.validation import ValidationLedger, ValidationSummary
from omnimemory_kit.notebook.report_fold import attempts_frame, errors_frame, fold_aggregates
from omnimemory_kit.store.base import HealthHistoryStore, JournalStore, RunRecord
from omnimemory_kit.store.companions import is_companion

__all__ = [
    "RESOURCE_COLUMNS",
    "MigrationData",
    "health_history_frame",
    "host_resources_frame",
    "load_migration",
    "load_validation",
    "report_rate_config",
    "runs_frame",
]

#: Columns of ``host_resources_frame`` (shaped like the history so the same figures read it).
RESOURCE_COLUMNS = ("taken_at", "name", "observed_value", "observed_unit")


@dataclass(frozen=True, slots=True)
class MigrationData:
    """One run, read from its journal: the record, the final summary, the frames and the throttles.

    ``files`` holds the items a report lists (at most ``top`` slowest and ``top`` failed ones) when the
    store sums the journal, every item when it was replayed; ``errors`` (failed items per error type) and
    ``attempts`` (items per attempts and status) count every item either way.
    """

    run: RunRecord
    summary: MigrationProgressSummary
    files: pd.DataFrame
    progress: pd.DataFrame
    batches: pd.DataFrame
    throttles: pd.DataFrame | None = None  # the throttle timeline (tracker.throttle_intervals())
    errors: pd.DataFrame | None = None  # report_fold.ERRORS_COLUMNS
    attempts: pd.DataFrame | None = None  # report_fold.ATTEMPTS_COLUMNS


def _ends(store: JournalStore, run_id: str) -> tuple[float, float]:
    """Return the times of a run's first and last journal events (two cheap reads; 0, 0 when empty)."""
    last = store.last_seq(run_id)
    # read to the end (one event each), so no reader is left open holding a connection or a transaction
    first_event = [*store.read_events(run_id, limit=1), None][0]
    last_event = [*store.read_events(run_id, after_seq=max(0, last - 1), limit=1), None][0]
    if first_event is None or last_event is None:
        return 0.0, 0.0
    return first_event.at, max(first_event.at, last_event.at)


#: Runs at least this long are reported with the live rate settings (``RateConfig()``).
FULL_SCALE_SECONDS = 600.0


def report_rate_config(span_seconds: float) -> RateConfig:
    """Return rate settings scaled to a run's length, for reports.

    Live defaults (a 60 s moving average, an ETA after 10 s of evidence) suit runs of minutes to days;
    replayed with them, a run of a few seconds would show one flat rate and never an ETA. A report of a
    shorter run scales both by its span over ``FULL_SCALE_SECONDS`` so its rate and ETA curves still tell
    how it went; the minimum number of finished items is kept.
    """
    live = RateConfig()
    scale = min(1.0, max(span_seconds, 0.0) / FULL_SCALE_SECONDS)
    if scale >= 1.0:
        return live
    return RateConfig(
        tau_seconds=max(live.tau_seconds * scale, 0.01),
        min_finished=live.min_finished,
        min_active_seconds=live.min_active_seconds * scale,
    )


def load_migration(
    store: JournalStore,
    run_id: str,
    *,
    sample_interval: float | None = None,
    samples: int = 2000,
    rate_config: RateConfig | None = None,
    clock: Clock | None = None,
    top: int = 100,
) -> MigrationData:
    """Read one run's summary and frames from the store's aggregates (or a replay of its journal).

    Args:
        store: the journal.
        run_id: the run.
        sample_interval: seconds of event time between progress samples (default: the run's span
            divided by ``samples``, so a 3-second demo and a 3-day migration both get a useful curve).
        samples: the number of progress samples aimed at by default.
        rate_config: rate smoothing and ETA evidence (default: ``report_rate_config`` of the run's span).
        clock: whose ``time()`` judges whether a running run's workers are still alive (the system's).
        top: how many of the slowest and of the failed items ``files`` holds, at most (when the store
            sums the journal).

    Raises:
        RunNotFoundError: the store has no run with that id.
    """
    run = store.get_run(run_id)
    first, last = _ends(store, run_id)
    span = max(0.0, last - first)
    if sample_interval is None:
        sample_interval = max(span / samples, 0.01)
    config = rate_config if rate_config is not None else report_rate_config(span)
    now_clock = clock or SYSTEM_CLOCK
    aggregates = store.report_aggregates(run_id, origin=first, bucket_seconds=sample_interval, top=top)
    if aggregates is None:
        return _replay(store, run, sample_interval, config, now_clock)
    # asked only of a run the journal leaves running: is anybody still working it (as ``status`` asks)?
    frames = fold_aggregates(
        run, aggregates, rate_config=config, now=now_clock.time(),
        activity=lambda: read_activity(store, run_id, now_clock.time()),
    )  # fmt: skip
    return MigrationData(
        run=run,
        summary=frames.summary,
        files=frames.files,
        progress=frames.progress,
        batches=frames.batches,
        throttles=frames.throttles,
        errors=frames.errors,
        attempts=frames.attempts,
    )


def _replay(
    store: JournalStore, run: RunRecord, sample_interval: float, config: RateConfig, clock: Clock
) -> MigrationData:
    """Replay the run's whole journal into an unbound tracker (a store that cannot sum it)."""
    tracker = MigrationProgressTracker(
        run.name,
        run.priority,
        run_id=run.run_id,
        sample_interval=sample_interval,
        rate_config=config,
        clock=clock,
    )
    tracker.apply_many(store.read_events(run.run_id))
    # A run the journal shows running may have nobody left working it (its process was killed): the
    # report says so, as ``status`` does, instead of "running" with clocks that grow with the wall clock.
    activity = None
    if tracker.get_progress_summary().status is MigrationStatus.RUNNING:
        activity = read_activity(store, run.run_id, clock.time())
    files = tracker.to_dataframe()
    failed = files[files["status"] == FileStatus.FAILED.value]
    errors = failed.groupby(failed["error_type"].fillna("").astype(str), sort=False).agg(
        error_message=("error_message", "first"), items=("path", "size")
    )
    attempts = files[files["attempts"] > 0].groupby(["attempts", "status"]).size()
    return MigrationData(
        run=run,
        summary=tracker.get_progress_summary(activity),
        files=files,
        progress=tracker.progress_dataframe(),
        batches=tracker.batches_dataframe(),
        throttles=tracker.throttle_intervals(),
        errors=errors_frame(
            [(t, FileStatus.FAILED.value, str(m or ""), int(n)) for t, m, n in errors.itertuples()]
        ),
        attempts=attempts_frame(
            [
                (int(a), str(st), int(n))
                for a, st, n in attempts.reset_index(name="items").itertuples(index=False)
            ]
        ),
    )


#: The kinds a validation ledger folds (``ValidationLedger.apply``) apart from FILE_ADDED, which it only
#: uses for sizes no table shows.
_VERDICT_KINDS = (EventKind.ITEM_VALIDATED, EventKind.ITEM_MISMATCHED, EventKind.ITEM_VALIDATION_ERROR)
_LEDGER_KINDS = (
    EventKind.FILE_SUCCEEDED,
    EventKind.FILE_FAILED,
    EventKind.FILE_SKIPPED,
    EventKind.FILE_STARTED,
    EventKind.FILE_REQUEUED,
    *_VERDICT_KINDS,
)


def load_validation(store: JournalStore, run_id: str) -> ValidationSummary | None:
    """Fold a run's validation from its journal: counts and the mismatch and error tables.

    None when the run was never validated (no verdict, no validate function recorded). Only the kinds
    validation looks at are read, filtered by the store; a run never validated costs one filtered scan.

    Raises:
        RunNotFoundError: the store has no run with that id.
    """
    record = store.get_run(run_id)
    if not record.params.get("validate"):
        verdicts = store.read_events_matching(run_id, after_seq=0, kinds=_VERDICT_KINDS)
        if next(iter(verdicts), None) is None:
            return None
    ledger = ValidationLedger()
    ledger.apply(store.read_events_matching(run_id, after_seq=0, kinds=_LEDGER_KINDS))
    if not ledger.verdicts and not record.params.get("validate"):
        return None
    return ledger.summary()


def runs_frame(store: JournalStore) -> pd.DataFrame:
    """Return one row per run in the store, newest first, with its item counts (no journal replay)."""
    rows: list[dict[str, Any]] = []
    for run in store.list_runs():
        if is_companion(run.run_id, run.source):  # parts of a run, not runs
            continue
        counts = store.item_counts(run.run_id)
        rows.append(
            {
                "run_id": run.run_id,
                "name": run.name,
                "created_at": (
                    pd.Timestamp(run.created_at, unit="s", tz="UTC").floor("s") if run.created_at else pd.NaT
                ),
                "items": sum(counts.values()),
                **{status.value: counts.get(status, 0) for status in FileStatus},
                "source": run.source,
                "function": run.function,
            }
        )
    columns = ["run_id", "name", "created_at", "items", *(s.value for s in FileStatus), "source", "function"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)


def _since(hours: float | None, now: dt.datetime | None) -> dt.datetime | None:
    if hours is None:
        return None
    return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(hours=hours)


def health_history_frame(
    store: HealthHistoryStore, *, since_hours: float | None = None, now: dt.datetime | None = None
) -> pd.DataFrame:
    """Return the recorded health history (one row per check per snapshot) of the last ``since_hours``."""
    return HealthHistory(store, retention=None).frame(since=_since(since_hours, now))


def host_resources_frame(
    store: HealthHistoryStore, *, since_hours: float | None = None, now: dt.datetime | None = None
) -> pd.DataFrame:
    """Return host and process utilisation (percent) per recorded snapshot, from the snapshots' payloads.

    Rows look like the history's (``taken_at, name, observed_value, observed_unit``) with names such as
    ``cpu (host)``, ``memory (host)`` or ``disk (/)``, so ``host_resources_figure`` draws either.
    """
    since = _since(since_hours, now)
    pairs = store.health_history(since=since.timestamp() if since else None)
    rows: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    for snapshot, _check in pairs:
        if snapshot.snapshot_id in seen:
            continue
        seen.add(snapshot.snapshot_id)
        try:
            document = json.loads(snapshot.payload_json or "{}")
        except ValueError:
            continue
        for key, entries in (document.get("checks") or {}).items():
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, dict) or entry.get("componentType") != "system":
                    continue
                if entry.get("observedUnit") != "percent" or entry.get("observedValue") is None:
                    continue
                measure = str(key).split(":", 1)[0]
                rows.append(
                    (
                        snapshot.taken_at,
                        f"{measure} ({entry.get('componentId', '')})",
                        entry["observedValue"],
                        "percent",
                    )
                )
    frame = pd.DataFrame(rows, columns=list(RESOURCE_COLUMNS))
    frame["taken_at"] = pd.to_datetime(frame["taken_at"].astype("float64"), unit="s", utc=True)
    frame["observed_value"] = frame["observed_value"].astype("float64")
    return frame
