"""The store contract: what every backend (SQLite by default, PostgreSQL for many workers) must do.

One contract test suite (``tests/store/test_contract.py``) runs against every backend.

The store keeps, per run:

- the **journal**: the append-only list of ``Event``\\ s, each with a ``seq`` that is dense, starts at 1 and
  increases in commit order, so a reader tailing with ``read_events(after_seq=...)`` never skips one;
- the **items** table: one row per work item (key, size, status, attempts, lease). It is a *projection* of
  the journal's FILE_* events, updated in the same transaction as the events that change it, whichever
  method appended them (``append``, ``add_items``, ``claim``, ``report``, ``release``, ``reclaim``);
- **leases**: a batch of items claimed by one worker until ``expires_at``. A report from a worker whose lease
  expired or was reclaimed is rejected with ``LeaseLostError``, so no item is ever accounted twice. A
  batch's close and the next claim may be one call (``report_release_and_claim``), one transaction where
  the backend says so: a running worker commits once per batch;
- **workers**: who joined the run, from where, and when they were last seen.

It also keeps the **health history** (snapshots of health checks), independent of runs. The two are separate
contracts: ``JournalStore`` (runs, journal, items, leases, workers) and ``HealthHistoryStore``; a backend may
implement both (``Store``, what ``open_store`` returns), and callers are typed against the one they need.

How FILE_* events change the items table is written once, in ``omnimemory_kit.store.projection``.

Durability: when a writing method returns, its events are committed (durable against a process crash;
``synchronous=FULL`` on SQLite or PostgreSQL's defaults for power loss). Nothing acknowledged is lost.

Keys and free texts: any ``str`` round-trips. Keys from the file system are ``os.fsdecode`` strings, so a
name that is not valid UTF-8 holds lone surrogates (``surrogateescape``); every backend stores keys, run
sources and names, error messages and reasons through ``omnimemory_kit.text.to_stored`` (``stored_event``)
and gives them back through ``from_stored`` (``loaded_event``, ``loaded_rows``): ordinary text is stored
as itself, other text as U+FFFD followed by an escaped form, in the same TEXT columns in SQLite and
PostgreSQL.

Thread-safety: a store may be used from several threads (the async runner calls it through a worker thread
so the event loop never blocks). Implementations serialize internally where the driver needs it.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from omnimemory_kit.errors import ConfigError, InvalidTransitionError
from omnimemory_kit.events import Event, EventKind, FileStatus, JournalEntry
from omnimemory_kit.store.blocks import decode_block
from omnimemory_kit.store.counters import RunCounters, counters_from, minute_rows
from omnimemory_kit.store.projection import Item, fold
from omnimemory_kit.store.status_facts import RunStatusFacts, facts_from_events
from omnimemory_kit.text import STORED_MARKER, from_stored, kept_as_is, printable, to_stored

if TYPE_CHECKING:
    from omnimemory_kit.store.report_reads import ReportAggregates

__all__ = [
    "ERROR_MESSAGE_LIMIT",
    "EVENT_COLUMNS",
    "HealthAlertRow",
    "HealthCheckRow",
    "HealthHistoryStore",
    "HealthRollupRow",
    "HealthSnapshotRow",
    "HeartbeatRow",
    "JournalStore",
    "Lease",
    "ReportLink",
    "RunRecord",
    "Store",
    "WorkItem",
    "WorkerRecord",
    "check_claim",
    "check_outcomes",
    "check_run_id",
    "clip_error_message",
    "loaded_event",
    "loaded_rows",
    "parse_worker_id",
    "rollup_rows",
    "stored_entry",
    "stored_event",
    "work_items",
]

SCHEMA_VERSION = 8
"""The store schema version this code writes. A store with a higher version is refused; a lower one is
upgraded when opened to write.

1: runs, events, items, leases, workers, health history. 2: the run ledger (each run's operator, origin and
correlation id; the reports made from a run). 3: health rollups, alerts and heartbeats. 4: run counters
(items per status and per-minute activity, ``store.counters``), computed from the journal on upgrade.
5: SQLite: each lease lists the keys it was claimed with (``leases.keys``), in place of an index of the
items by lease (maintained twice per item claimed), and items in progress without a lease are indexed (as
on PostgreSQL); PostgreSQL: unchanged.
6: the items' bytes and items without a size per status, kept beside their count (weighed from the items
on upgrade), so ``status_facts(with_bytes=True)`` reads them instead of passing over the items.
"""

EVENT_COLUMNS = (
    "kind",
    "at",
    "path",
    "size",
    "batch_id",
    "error_type",
    "error_message",
    "reason",
    "worker_id",
    "seq",
)
"""The order of the fields in a row from ``JournalStore.read_event_rows`` (``Event``'s own field order)."""

ERROR_MESSAGE_LIMIT: Final = 4096
"""Longest error message a store keeps, in characters; a longer one is cut and marked."""
_TRUNCATED: Final = "… [truncated]"


STARTS: Final = (EventKind.RUN_STARTED, EventKind.RUN_RESUMED, EventKind.RUN_COMPLETED)
"""The lifecycle kinds that decide whether a run is done (``append_start``)."""


def run_is_done(counts: Mapping[FileStatus, int], starts: Iterable[Event]) -> bool:
    """Whether a run with item ``counts`` and these ``STARTS`` events (in seq order) is done."""
    if counts.get(FileStatus.PENDING, 0) or counts.get(FileStatus.IN_PROGRESS, 0):
        return False
    last = None
    for event in starts:
        last = event.kind
    return last is EventKind.RUN_COMPLETED


def clip_error_message(message: str | None) -> str | None:
    """Return ``message`` cut to ``ERROR_MESSAGE_LIMIT`` characters, marked as truncated if it was longer."""
    if message is None or len(message) <= ERROR_MESSAGE_LIMIT:
        return message
    return message[: ERROR_MESSAGE_LIMIT - len(_TRUNCATED)] + _TRUNCATED


def parse_worker_id(worker_id: str) -> tuple[str, int]:
    """Split ``host:pid:token`` into host and pid, best effort (unknown parts become "" and 0)."""
    parts = worker_id.split(":")
    host = parts[0] if parts else ""
    try:
        pid = int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        pid = 0
    return host, pid


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if every store keeps it as it is: non-blank, valid UTF-8, no NUL.

    Run ids are names people type and look up, so unlike keys they are refused rather than escaped.

    Raises:
        ConfigError: the run id is blank or not storable text (the message shows it escaped).
    """
    if not run_id.strip():
        raise ConfigError("a run id must not be empty")
    if to_stored(run_id) != run_id:
        raise ConfigError(
            f"run id '{printable(run_id)}' is not valid UTF-8 text (or holds NUL); choose another"
        )
    return run_id


def stored_event(event: Event) -> Event:
    """Return ``event`` with its key and free texts as the store keeps them (``omnimemory_kit.text``).

    Every backend applies this to the events it is given and ``loaded_event`` to those it returns, so a
    key from the file system that is not valid UTF-8 (or holds NUL) round-trips exactly.
    """
    path, message, reason = event.path, event.error_message, event.reason
    if message is None and reason is None and (path is None or (path.isascii() and "\x00" not in path)):
        # the common case (a success with a plain key): ``kept_as_is`` inlined, as this runs per event
        return event
    stored_path = path if path is None else to_stored(path)
    stored_message = message if message is None else to_stored(message)
    stored_reason = reason if reason is None else to_stored(reason)
    if stored_path is path and stored_message is message and stored_reason is reason:
        return event
    return replace(event, path=stored_path, error_message=stored_message, reason=stored_reason)


def stored_entry(entry: JournalEntry) -> JournalEntry:
    """Return an event as ``stored_event`` does, or a run with its keys as the store keeps them."""
    if isinstance(entry, Event):
        return stored_event(entry)
    keys = entry.keys
    if kept_as_is("".join(keys)):  # the whole run tested at once spares each key a call
        return entry
    return replace(entry, keys=[to_stored(key) for key in keys])


def loaded_event(event: Event) -> Event:
    """Return a stored event with its key and free texts as they were given (inverse of ``stored_event``)."""
    path, message, reason = event.path, event.error_message, event.reason
    if (
        (path is None or path[:1] != STORED_MARKER)
        and (message is None or message[:1] != STORED_MARKER)
        and (reason is None or reason[:1] != STORED_MARKER)
    ):
        return event
    return replace(
        event,
        path=path if path is None else from_stored(path),
        error_message=message if message is None else from_stored(message),
        reason=reason if reason is None else from_stored(reason),
    )


_TEXT_COLUMNS = tuple(EVENT_COLUMNS.index(name) for name in ("path", "error_message", "reason"))


def loaded_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Yield ``EVENT_COLUMNS`` rows with their key and free texts as they were given."""
    path_at, message_at, reason_at = _TEXT_COLUMNS
    marker = STORED_MARKER
    for row in rows:
        path, message, reason = row[path_at], row[message_at], row[reason_at]
        if (
            (path is None or path[:1] != marker)
            and (message is None or message[:1] != marker)
            and (reason is None or reason[:1] != marker)
        ):
            yield row
            continue
        fixed = list(row)
        for at in _TEXT_COLUMNS:
            if fixed[at] is not None:
                fixed[at] = from_stored(fixed[at])
        yield tuple(fixed)


def _shown(key: str | None) -> str:
    """Return a stored key as a person reads it in a message (quoted, odd characters escaped)."""
    return "None" if key is None else f"'{printable(from_stored(key))}'"


_OUTCOMES = frozenset({EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED, EventKind.FILE_SKIPPED})
_REPORTABLE = _OUTCOMES | {EventKind.FILE_RETRIED}


def check_claim(limit: int, lease_seconds: float) -> None:
    """Refuse a claim's ``limit`` below 1 or a ``lease_seconds`` that is not positive (``ConfigError``)."""
    if limit < 1:
        raise ConfigError(f"claim limit must be at least 1, not {limit}")
    if not lease_seconds > 0:
        raise ConfigError(f"lease_seconds must be positive, not {lease_seconds}")


def check_outcomes(lease: Lease, events: Sequence[Event], held: set[str]) -> int:
    """Validate a ``report``: every event an outcome for an item ``held`` in progress by ``lease``.

    ``held`` (the keys the lease holds in progress, as the backend read them) is consumed: an item reported
    finished leaves it, so a second outcome for it is refused too.

    Returns:
        how many items the report finishes (for the worker's ``items_done``).

    Raises:
        InvalidTransitionError: an event is of another kind or names an item the lease does not hold.
    """
    done = 0
    for event in events:
        if event.kind not in _REPORTABLE:
            raise InvalidTransitionError(
                f"item {_shown(event.path)}",
                "leased (report takes file_succeeded, file_failed, file_skipped, file_retried)",
                f"report {event.kind} for",
            )
        if event.path not in held:
            raise InvalidTransitionError(
                f"item {_shown(event.path)}",
                f"not in progress under lease {lease.lease_id!r}",
                f"report {event.kind} for",
            )
        if event.kind in _OUTCOMES:
            held.discard(event.path)
            done += 1
    return done


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A migration run as created in the store.

    ``source`` and ``function`` identify what the run migrates and with what; reopening a run id with a
    different source or function is refused (``RunMismatchError``). ``params`` holds the rest of the
    configuration (batch size, concurrency, retries, ...), informational. The ledger facts say who started
    the run (``operator``, ``user@host``), from where (``origin``: the command line or the notebook) and
    under which ``correlation_id`` (the id its log records carry); they are kept as first recorded.
    """

    run_id: str
    name: str
    priority: str = "normal"
    source: str = ""
    function: str = ""
    created_at: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)
    operator: str = ""
    origin: str = ""
    correlation_id: str = ""


@dataclass(frozen=True, slots=True)
class ReportLink:
    """A report made from a run: where its page is and when it was made (epoch seconds)."""

    path: str
    made_at: float


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One unit of work: a key (a file path, a manifest row id, ...) and its size in bytes."""

    key: str
    size: int = 0


# The slots' setters: items built through them cost about half of what the frozen dataclass's __init__
# does (an object.__setattr__ call per field), and a claim builds one per item it leases.
_SET_ITEM_KEY, _SET_ITEM_SIZE = (getattr(WorkItem, f.name).__set__ for f in fields(WorkItem))
assert [f.name for f in fields(WorkItem)] == ["key", "size"], "work_items sets fields by position"


def work_items(keys: Iterable[str], sizes: Iterable[int]) -> tuple[WorkItem, ...]:
    """Return ``tuple(WorkItem(key, size) for ...)`` over pairs of keys and sizes, built faster."""
    new = WorkItem.__new__
    items: list[WorkItem] = []
    append = items.append
    for key, size in zip(keys, sizes, strict=True):
        item = new(WorkItem)
        _SET_ITEM_KEY(item, key)
        _SET_ITEM_SIZE(item, size)
        append(item)
    return tuple(items)


@dataclass(frozen=True, slots=True)
class Lease:
    """A batch of items claimed by one worker until ``expires_at`` (store clock, epoch seconds).

    ``seq`` is the journal's last seq right after the claim committed, when the backend knows it without
    another query (0 otherwise); it is not part of the lease's identity (not compared).
    """

    lease_id: str
    run_id: str
    worker_id: str
    batch_id: str
    items: tuple[WorkItem, ...]
    expires_at: float
    seq: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """A worker that joined a run (``worker_id`` is ``host:pid:token``)."""

    worker_id: str
    run_id: str
    host: str
    pid: int
    started_at: float
    last_seen: float
    items_done: int = 0
    leases: int = 0


@dataclass(frozen=True, slots=True)
class HealthCheckRow:
    """One dependency's result inside a recorded health snapshot."""

    name: str
    status: str
    critical: bool
    latency_ms: float | None = None
    error: str | None = None
    observed_value: float | None = None
    observed_unit: str | None = None
    breaker_state: str | None = None


@dataclass(frozen=True, slots=True)
class HealthSnapshotRow:
    """A recorded health snapshot: the overall status, each check, and the full payload as JSON text."""

    taken_at: float
    status: str
    checks: tuple[HealthCheckRow, ...]
    payload_json: str = "{}"
    snapshot_id: int = 0


def health_check_rows(snapshot_id: int, snapshot: HealthSnapshotRow) -> list[tuple[Any, ...]]:
    """Return the rows of ``snapshot``'s checks as every backend's ``health_checks`` table stores them.

    A NaN latency or observed value is stored as none: SQLite cannot keep NaN (it reads back NULL), and
    every backend reads back the same.
    """
    return [
        (
            snapshot_id,
            position,
            c.name,
            str(c.status),
            bool(c.critical),
            _number_or_none(c.latency_ms),
            clip_error_message(c.error),
            _number_or_none(c.observed_value),
            c.observed_unit,
            c.breaker_state,
        )
        for position, c in enumerate(snapshot.checks)
    ]


def _number_or_none(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def health_history_pairs(
    rows: Iterable[Sequence[Any]], name: str | None
) -> list[tuple[HealthSnapshotRow, HealthCheckRow]]:
    """Group joined rows into (snapshot, check) pairs, keeping the checks named ``name`` (None: all).

    Each row: snapshot_id, taken_at, status, payload, then a check's fields in ``HealthCheckRow`` order,
    ordered by time, snapshot and the check's position. Each snapshot carries all its checks.
    """
    heads: dict[int, tuple[float, str, str]] = {}
    checks: dict[int, list[HealthCheckRow]] = {}
    for sid, taken_at, status, payload, check_name, check_status, critical, *rest in rows:
        heads[sid] = (float(taken_at), status, payload)
        checks.setdefault(sid, []).append(HealthCheckRow(check_name, check_status, bool(critical), *rest))
    pairs: list[tuple[HealthSnapshotRow, HealthCheckRow]] = []
    for sid, (taken_at, status, payload) in heads.items():
        snapshot = HealthSnapshotRow(taken_at, status, tuple(checks[sid]), payload, sid)
        pairs += [(snapshot, check) for check in snapshot.checks if name is None or check.name == name]
    return pairs


@dataclass(frozen=True, slots=True)
class HealthAlertRow:
    """One alert about a check, as sent (or not) to one webhook.

    Attributes:
        at: when it was decided (epoch seconds).
        name: the check.
        kind: ``"down"``, ``"resolved"`` or ``"reminder"``.
        webhook: the webhook's name.
        outcome: ``"sent"``, ``"failed"`` (every attempt failed) or ``"muted"`` (a maintenance window).
        attempts: how many deliveries were tried.
        error: why the last attempt failed, or None.
        alert_id: the store's id (0 before it is recorded).
    """

    at: float
    name: str
    kind: str
    webhook: str
    outcome: str
    attempts: int = 0
    error: str | None = None
    alert_id: int = 0


@dataclass(frozen=True, slots=True)
class HeartbeatRow:
    """The latest heartbeat of a push check: when, what it said, and how many arrived in all."""

    name: str
    at: float
    message: str | None = None
    beats: int = 1


@dataclass(frozen=True, slots=True)
class HealthRollupRow:
    """One check's samples summed over one time bucket (a minute, an hour or a day).

    Adding two rows of the same check, resolution and bucket adds every count and every latency bin, so a
    rollup can be written sample by sample and read back summed over any range of buckets.

    Attributes:
        name: the check.
        resolution: ``"minute"``, ``"hour"`` or ``"day"``.
        bucket_start: the bucket's start (epoch seconds, a multiple of the resolution's length).
        total: samples counted for uptime (those in a maintenance window are not).
        up: of those, the healthy or degraded ones.
        maintenance: samples taken inside a maintenance window (in no other count).
        latency_count: samples with a latency, for the mean.
        latency_sum_ms: the sum of their latencies.
        latency_bins: ``(bin, count)`` pairs of the latency histogram, bin ascending (see
            ``omnimemory_kit.health.uptime`` for the bins).
    """

    name: str
    resolution: str
    bucket_start: float
    total: int = 0
    up: int = 0
    maintenance: int = 0
    latency_count: int = 0
    latency_sum_ms: float = 0.0
    latency_bins: tuple[tuple[int, int], ...] = ()


def rollup_rows(
    resolution: str, rows: Iterable[Sequence[Any]], bins: Iterable[Sequence[Any]]
) -> list[HealthRollupRow]:
    """Build ``HealthRollupRow``s from a backend's rows, the same way for every backend.

    ``rows`` are ``(name, bucket_start, total, up, maintenance, latency_count, latency_sum_ms)``; ``bins``
    are ``(name, bucket_start, bin, count)``, joined to their row by name and bucket start.
    """
    by_bucket: dict[tuple[str, float], list[tuple[int, int]]] = {}
    for name, start, number, count in bins:
        by_bucket.setdefault((name, float(start)), []).append((int(number), int(count)))
    return [
        HealthRollupRow(
            name,
            resolution,
            float(start),
            int(total),
            int(up),
            int(maintenance),
            int(latency_count),
            float(latency_sum_ms),
            tuple(by_bucket.get((name, float(start)), ())),
        )
        for name, start, total, up, maintenance, latency_count, latency_sum_ms in rows
    ]


class _Closing(abc.ABC):
    """What every store has: a printable URL, ``close``, and use as a context manager."""

    #: The store's URL with any password redacted (safe to print and log).
    url: str

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class JournalStore(_Closing):
    """The journal contract: runs, their journals, the items projection, leases and workers.

    What trackers, runners, workers and the run notebooks need.
    """

    # --- runs -------------------------------------------------------------------------------------

    @abc.abstractmethod
    def create_run(self, record: RunRecord) -> RunRecord:
        """Create a run, or return the existing one with that id.

        Appends a RUN_CREATED event when the run is new.

        Raises:
            RunMismatchError: the run exists with a different ``source`` or ``function``.
        """

    @abc.abstractmethod
    def create_run_with_blocks(
        self, record: RunRecord, blocks: Iterable[str], *, at: float
    ) -> tuple[RunRecord, int]:
        """Create a run (or reopen it, as ``create_run``) and add every block's items, in one transaction.

        All or nothing: a malformed block, ``blocks`` raising while it is read (a bad manifest line), a
        kill or an outage records neither a new run nor any item; an existing run keeps what it had. The
        items are added as ``add_item_blocks`` adds them (FILE_ADDED stamped ``at``), after RUN_CREATED.
        ``blocks`` is read only once the run is known to match ``record``.

        Returns:
            The run as stored, and how many of the items were new.

        Raises:
            RunMismatchError: the run exists with a different ``source`` or ``function``.
            ConfigError: a block is malformed; nothing is recorded.
        """

    @abc.abstractmethod
    def get_run(self, run_id: str) -> RunRecord:
        """Return a run. Raises ``RunNotFoundError`` if there is none with that id."""

    @abc.abstractmethod
    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""

    @abc.abstractmethod
    def add_report(self, run_id: str, report: ReportLink) -> None:
        """Record that a report was made from a run (the same path twice is kept once).

        Raises:
            RunNotFoundError: there is no run with that id.
        """

    @abc.abstractmethod
    def run_reports(self, run_id: str) -> list[ReportLink]:
        """Return the reports made from a run, oldest first (none for a store older than the ledger)."""

    # --- journal ----------------------------------------------------------------------------------

    @abc.abstractmethod
    def append(self, run_id: str, events: Sequence[Event]) -> int:
        """Append events durably, update the items projection for FILE_* events, return the last seq.

        Events for items change the items table by the one rule of ``omnimemory_kit.store.projection``
        (the tracker's own reduction), in event order, however the events are split into calls; a start
        appended here holds no lease. The caller (the tracker) has already validated them.
        """

    @abc.abstractmethod
    def read_events(self, run_id: str, after_seq: int = 0, limit: int | None = None) -> Iterator[Event]:
        """Yield the run's events with ``seq > after_seq`` in seq order (at most ``limit``)."""

    def read_event_rows(self, run_id: str, after_seq: int = 0) -> Iterator[tuple[Any, ...]]:
        """Yield the run's events after ``after_seq`` as plain tuples in ``EVENT_COLUMNS`` order.

        The fast path for reports over millions of events (``pandas.DataFrame.from_records(rows,
        columns=EVENT_COLUMNS)``): no ``Event`` objects are built. ``kind`` is the stored string value.
        Backends override this with a direct query; this default derives it from ``read_events``.
        """
        for e in self.read_events(run_id, after_seq):
            yield (str(e.kind), e.at, e.path, e.size, e.batch_id, e.error_type, e.error_message, e.reason,
                   e.worker_id, e.seq)  # fmt: skip

    def check_event_kinds(self, run_id: str) -> None:
        """Raise ``UnknownEventKindError`` if the run's journal holds an event of a kind this version lacks.

        What a reader that never reads the whole journal (a worker folding only its own events) asks before
        it works a run, so that a journal written by a newer version is refused as a full replay would
        refuse it. Backends ask their server for the first unknown kind; this default reads every event.
        """
        for _ in self.read_events(run_id):
            pass

    def append_start(self, run_id: str, event: Event) -> int | None:
        """Journal a runner's start (RUN_STARTED or RUN_RESUMED) unless the run is done; return its seq.

        Done: RUN_COMPLETED follows the run's last start and no item is pending or in progress. Then
        nothing is written and None is returned, so a worker joining a shared run just as another
        completes it does not reopen it (a second start would need a second completion). Backends check
        and append in one transaction; this default checks, then appends.
        """
        if run_is_done(
            self.item_counts(run_id), self.read_events_matching(run_id, after_seq=0, kinds=STARTS)
        ):
            return None
        return self.append(run_id, [event])

    def read_events_matching(
        self,
        run_id: str,
        *,
        after_seq: int,
        until_seq: int | None = None,
        worker_id: str | None = None,
        kinds: Iterable[EventKind] | None = None,
    ) -> Iterator[Event]:
        """Yield the run's events with ``after_seq < seq <= until_seq`` of ``worker_id`` and of ``kinds``.

        Each filter left None keeps every event. What a worker that folds only its own events reads: its
        own events after a write (a release may have requeued items), and the run's lifecycle and batch
        closes when deciding who journals the completion. Backends filter on the server; this default
        filters ``read_events``.
        """
        wanted = None if kinds is None else frozenset(kinds)
        limit = None if until_seq is None else max(until_seq - after_seq, 0)
        for event in self.read_events(run_id, after_seq, limit=limit):
            if worker_id is not None and event.worker_id != worker_id:
                continue
            if wanted is None or event.kind in wanted:
                yield event

    @abc.abstractmethod
    def last_seq(self, run_id: str) -> int:
        """Return the run's highest seq (0 when the journal is empty)."""

    # --- items and leases ---------------------------------------------------------------------------

    @abc.abstractmethod
    def add_items(self, run_id: str, items: Iterable[WorkItem], *, at: float) -> int:
        """Add work items not already in the run (by key), appending FILE_ADDED for each new one.

        Idempotent, so a resumed run can re-scan its source (a key repeated in ``items`` counts once, the
        first size wins). Returns how many were new.

        Raises:
            ConfigError: an item has a negative size; nothing is added.
        """

    def add_item_blocks(self, run_id: str, blocks: Iterable[str], *, at: float) -> int:
        """Add the items of every block (``store.blocks``) like ``add_items``, in one transaction.

        All or nothing: when a block is malformed, or ``blocks`` raises while it is read (a bad manifest
        line), nothing is added. This default decodes the blocks into one ``add_items`` call; backends
        override it to read blocks without an object per item.

        Raises:
            ConfigError: a block is malformed; nothing is added.
        """
        items = (WorkItem(key, size) for block in blocks for key, size in decode_block(block))
        return self.add_items(run_id, items, at=at)

    @abc.abstractmethod
    def item_counts(self, run_id: str) -> dict[FileStatus, int]:
        """Return how many items are in each status (every status present, zero included)."""

    def item_statuses(
        self, run_id: str, *, keys: Iterable[str] | None = None, status: FileStatus | None = None
    ) -> dict[str, FileStatus]:
        """Return the status of the run's items among ``keys`` and in ``status`` (each None: every one).

        Keys the run does not have are left out. What selecting items by state costs without replaying the
        journal (``migrate --rerun``): backends read their items table; this default folds the journal.

        Raises:
            RunNotFoundError: the run does not exist.
        """
        wanted = None if keys is None else set(keys)
        return {
            key: item.status
            for key, item in self._projected_items(run_id).items()
            if (wanted is None or key in wanted) and (status is None or item.status is status)
        }

    def batch_items(self, run_id: str, batch_id: str) -> dict[str, FileStatus] | None:
        """Return the items ``batch_id`` was the last batch to start, with their status.

        None when the run never opened such a batch; an empty dict when it did but every item it ran has
        started again in a later batch since.

        Raises:
            RunNotFoundError: the run does not exist.
        """
        projected = self._projected_items(run_id)
        items = {key: item.status for key, item in projected.items() if item.batch_id == batch_id}
        if items or self._opened_batch(run_id, batch_id):
            return items
        return None

    def latest_batches(self, run_id: str, limit: int) -> tuple[list[tuple[str, int]], int]:
        """Return the run's latest ``limit`` batches and how many batches it has.

        Each batch is (batch id, seq of its first BATCH_OPENED), oldest first; "latest" is by that seq.
        What ``status --batches`` reads before folding the journal from the first of them. Backends read
        the rare-events index; this default reads every BATCH_OPENED of the journal.

        Raises:
            RunNotFoundError: the run does not exist.
        """
        first: dict[str, int] = {}
        for event in self.read_events_matching(run_id, after_seq=0, kinds=(EventKind.BATCH_OPENED,)):
            if event.batch_id is not None:
                first.setdefault(event.batch_id, event.seq)
        return (list(first.items())[-limit:] if limit > 0 else []), len(first)

    def _opened_batch(self, run_id: str, batch_id: str) -> bool:
        """Whether the run's journal holds a BATCH_OPENED of ``batch_id``."""
        opened = self.read_events_matching(run_id, after_seq=0, kinds=(EventKind.BATCH_OPENED,))
        return any(event.batch_id == batch_id for event in opened)

    def _projected_items(self, run_id: str) -> dict[str, Item]:
        return fold({}, list(self.read_events(run_id)))

    def run_counters(self, run_id: str, *, since: float | None = None) -> RunCounters:
        """Return the run's store-kept counters (``omnimemory_kit.store.counters``) without its journal.

        Items per status, attempts started and retried, the first and last outcome time, and the
        per-minute buckets (those starting at or after ``since``'s minute; all when None). Backends keep
        them in the same transactions as the writes that change them; this default (for stores that keep
        none) derives them from ``item_counts`` and the journal.

        Raises:
            RunNotFoundError: there is no run with that id.
        """
        counts = self.item_counts(run_id)
        buckets = minute_rows((row[0], row[1]) for row in self.read_event_rows(run_id))
        return counters_from(run_id, counts, ((start, *row) for start, row in buckets.items()), since=since)

    def status_facts(self, run_id: str, *, with_bytes: bool = False) -> RunStatusFacts:
        """Return what ``status`` shows of a run (``omnimemory_kit.store.status_facts``), in one snapshot.

        Backends read the counters and the journal's rare events through an index, never the whole
        journal; item bytes per status (``with_bytes``) are kept beside the counters (a store opened
        read-only that predates them passes over its items once instead). This default reads the journal
        once.

        Raises:
            RunNotFoundError: there is no run with that id.
        """
        counts = self.item_counts(run_id)
        return facts_from_events(run_id, counts, self.read_events(run_id), with_bytes=with_bytes)

    def report_aggregates(
        self, run_id: str, *, origin: float, bucket_seconds: float, top: int
    ) -> ReportAggregates | None:
        """Return what a report draws of a run, summed by the store (``store.report_reads``).

        ``origin`` and ``bucket_seconds`` place the time buckets; ``top`` bounds the per-item tables.
        None from a store that cannot sum its journal itself: the report replays the journal instead.

        Raises:
            RunNotFoundError: there is no run with that id.
        """
        return None

    @abc.abstractmethod
    def register_worker(self, run_id: str, worker_id: str, *, host: str, pid: int) -> WorkerRecord:
        """Record that a worker joined the run (or refresh it); return its record."""

    @abc.abstractmethod
    def workers(self, run_id: str) -> list[WorkerRecord]:
        """Return the run's workers with their live lease counts and items done."""

    @abc.abstractmethod
    def leases(self, run_id: str) -> list[Lease]:
        """Return the run's current leases (expired ones included until reclaimed), oldest first.

        Each lease's ``items`` are those it still holds in progress (finished ones drop out).
        """

    @abc.abstractmethod
    def claim(self, run_id: str, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
        """Atomically claim up to ``limit`` pending items, oldest first, for ``lease_seconds``.

        Safe with concurrent claimers (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
        SQLite): no item is ever in two live leases. Appends BATCH_OPENED and one FILE_STARTED per item.
        Returns None when no item is pending. A worker not registered yet is registered by its first claim
        (host and pid parsed from ``host:pid:token``). The batch id is generated, unique in the run.

        Raises:
            ConfigError: ``limit`` is below 1 or ``lease_seconds`` is not positive.
        """

    @abc.abstractmethod
    def heartbeat(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend a live lease; return it with the new ``expires_at``.

        Raises:
            LeaseLostError: the lease expired or was reclaimed.
        """

    @abc.abstractmethod
    def report(self, lease: Lease, events: Sequence[Event]) -> int:
        """Durably record outcomes for items of a live lease; return the last seq.

        Accepts FILE_SUCCEEDED, FILE_FAILED, FILE_SKIPPED and FILE_RETRIED (an attempt failed and will be
        retried: attempts + 1, still in progress) for items of this lease that are still in progress.

        Terminal outcomes count towards the worker's ``items_done``.

        Raises:
            LeaseLostError: the lease expired or was reclaimed; nothing is recorded.
            InvalidTransitionError: an event is of another kind, or names an item this lease does not hold
                in progress; nothing is recorded.
        """

    @abc.abstractmethod
    def release(self, lease: Lease, events: Sequence[JournalEntry] = ()) -> int:
        """End a lease: append ``events`` (e.g. BATCH_CLOSED), requeue its unfinished items.

        ``events`` may hold a run of verdicts given by keys only where ``takes_verdict_runs`` says so.

        Items still in progress under the lease go back to pending with FILE_INTERRUPTED (appended before
        ``events``). A lease that expired but was not reclaimed yet may still be released (nobody else can
        hold its items). Raises ``LeaseLostError`` if the lease is gone (released or reclaimed).
        """

    @property
    def report_and_release_atomic(self) -> bool:
        """Whether ``report_and_release`` is one transaction (all or nothing, so safe to repeat whole)."""
        return False

    @property
    def takes_verdict_runs(self) -> bool:
        """Whether ``release``, ``report_and_release`` and ``report_release_and_claim`` take, among the
        events they append, a run of ITEM_VALIDATED verdicts given by keys (an ``ItemRun`` with each key's
        time), which stands for its events in order. False: the caller hands the events themselves."""
        return False

    def report_and_release(
        self, lease: Lease, outcomes: Sequence[Event], events: Sequence[JournalEntry] = ()
    ) -> int:
        """Record ``outcomes`` (as ``report``), then end the lease (as ``release`` with ``events``).

        A backend may do both in one transaction (SQLite and PostgreSQL do, and say so with
        ``report_and_release_atomic``); this default makes the two calls, so a failure between them leaves
        the report done and the release not. Either way nothing is released when the report is refused.

        Raises:
            LeaseLostError: the lease expired or was reclaimed before the report; nothing is recorded.
            InvalidTransitionError: as ``report``; nothing is recorded.
        """
        if outcomes:
            self.report(lease, outcomes)
        return self.release(lease, events)

    @property
    def release_and_claim_atomic(self) -> bool:
        """Whether ``report_release_and_claim`` is one transaction (all or nothing, one commit)."""
        return False

    def report_release_and_claim(
        self,
        lease: Lease,
        outcomes: Sequence[Event],
        events: Sequence[JournalEntry] = (),
        *,
        limit: int,
        lease_seconds: float,
    ) -> tuple[int, Lease | None]:
        """Close a batch and claim the next one for the same worker: ``report_and_release``, then ``claim``.

        Returns the journal's last seq after the release and the new lease (None when nothing was pending
        then; the release's requeued items are pending again, so the claim may take them). A backend may
        do all of it in one transaction, one commit per batch boundary (SQLite and PostgreSQL do, and say
        so with ``release_and_claim_atomic``; their new lease's ``seq`` is then the journal's last seq
        after the claim); this default makes the calls one after another, so a failure between them
        leaves the release done and nothing claimed.

        Raises:
            ConfigError: ``limit`` is below 1 or ``lease_seconds`` is not positive; nothing is recorded.
            LeaseLostError: as ``report_and_release``; nothing is recorded and nothing claimed.
            InvalidTransitionError: as ``report``; nothing is recorded and nothing claimed.
        """
        check_claim(limit, lease_seconds)
        last = self.report_and_release(lease, outcomes, events)
        return last, self.claim(lease.run_id, lease.worker_id, limit, lease_seconds)

    @abc.abstractmethod
    def reclaim(self, run_id: str, *, worker_id: str | None = None) -> int:
        """Take back leases that expired (or every lease of ``worker_id``, known dead).

        Their in-progress items go back to pending with FILE_INTERRUPTED events; also items in progress
        without any lease (recorded through ``append`` by a process that crashed) when ``worker_id`` is
        None (so call that form only when no lease-less writer of the run is alive). Each reclaimed lease's
        batch gets a BATCH_CLOSED event whose ``reason`` says why. Returns how many items were requeued.
        """


class HealthHistoryStore(_Closing):
    """The health-history contract: snapshots of health checks, kept independent of runs."""

    @abc.abstractmethod
    def record_health(self, snapshot: HealthSnapshotRow) -> int:
        """Durably record a health snapshot; return its id."""

    @abc.abstractmethod
    def health_history(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[tuple[HealthSnapshotRow, HealthCheckRow]]:
        """Return (snapshot, check) pairs in time order, filtered by time range and check name.

        ``since <= taken_at <= until`` (either bound optional). Each snapshot carries all its checks; the
        pair's check is the one that matched ``name`` (every check when ``name`` is None).
        """

    @abc.abstractmethod
    def prune_health(self, older_than: float) -> int:
        """Delete snapshots and alerts older than ``older_than`` (epoch s); return how many snapshots."""

    @abc.abstractmethod
    def record_heartbeat(self, name: str, at: float, message: str | None = None) -> None:
        """Durably note a heartbeat of push check ``name`` (the latest time is kept, beats counted)."""

    @abc.abstractmethod
    def last_heartbeat(self, name: str) -> HeartbeatRow | None:
        """Return the latest heartbeat of push check ``name``, or None if none ever arrived."""

    @abc.abstractmethod
    def record_health_alert(self, alert: HealthAlertRow) -> int:
        """Durably record an alert (sent, failed or muted); return its id."""

    @abc.abstractmethod
    def health_alerts(
        self, *, since: float | None = None, until: float | None = None, name: str | None = None
    ) -> list[HealthAlertRow]:
        """Return recorded alerts with ``since <= at <= until`` for check ``name``, oldest first."""

    @abc.abstractmethod
    def add_health_rollups(self, rows: Sequence[HealthRollupRow]) -> None:
        """Durably add each row into the stored row of its check, resolution and bucket (created if new)."""

    @abc.abstractmethod
    def health_rollups(
        self,
        *,
        resolution: str,
        since: float | None = None,
        until: float | None = None,
        name: str | None = None,
    ) -> list[HealthRollupRow]:
        """Return the rollups of one resolution with ``since <= bucket_start < until``, by name then time."""

    @abc.abstractmethod
    def summarize_health_rollups(
        self, *, resolution: str, since: float, until: float | None = None, latency: bool = True
    ) -> list[HealthRollupRow]:
        """Return one row per check: its rollups with ``since <= bucket_start < until`` added together.

        Each row's ``bucket_start`` is ``since``; rows come in name order. ``latency=False`` leaves the
        latency bins out (cheaper when only counts are wanted).
        """

    @abc.abstractmethod
    def prune_health_rollups(self, resolution: str, older_than: float) -> int:
        """Delete the rollups of ``resolution`` whose bucket starts before ``older_than``; return how many."""


class Store(JournalStore, HealthHistoryStore):
    """A store keeping both the journal and the health history (every backend, what ``open_store`` gives)."""
