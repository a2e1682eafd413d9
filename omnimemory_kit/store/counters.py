"""Run counters the store keeps: what a follower needs to know where a run stands, without its journal.

Every backend keeps, per run and in the same transaction as the writes that change them (so they are
exact, never an estimate):

- how many items are in each status (the items projection's totals);
- per minute of the journal's clock (``OutcomeMinute``): attempts started (FILE_STARTED), outcomes
  (FILE_SUCCEEDED, FILE_FAILED, FILE_SKIPPED), retries (FILE_RETRIED), and the first and last outcome time
  in that minute. Rates come from these buckets: outcomes over the last minutes, or over the whole run.

``JournalStore.run_counters`` returns them as a ``RunCounters`` snapshot. Reading costs the number of
minute buckets (and, on PostgreSQL, the few rows per writer it sums), never the number of items or events.

``minute_rows`` is the one aggregation of events into buckets, used by backends that count in Python and
by the fallback that derives counters from the journal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from omnimemory_kit.events import Event, EventKind, FileStatus

__all__ = [
    "COUNTED_KINDS",
    "MINUTE",
    "OutcomeMinute",
    "RunCounters",
    "add_run_minutes",
    "counters_from",
    "merge_minute_rows",
    "minute_rows",
    "minute_start",
]

MINUTE: Final = 60.0
"""The length of one bucket, in seconds of the journal's clock."""

COUNTED_KINDS: Final = {
    EventKind.FILE_STARTED.value: 0,
    EventKind.FILE_SUCCEEDED.value: 1,
    EventKind.FILE_FAILED.value: 2,
    EventKind.FILE_SKIPPED.value: 3,
    EventKind.FILE_RETRIED.value: 4,
}
"""The event kinds a minute bucket counts, by their stored value, and the column each adds to."""


def minute_start(at: float) -> float:
    """Return the start of the minute bucket holding ``at``."""
    return math.floor(at / MINUTE) * MINUTE


@dataclass(frozen=True, slots=True)
class OutcomeMinute:
    """What the journal recorded in one minute: attempts started, outcomes, retries, outcome times."""

    start: float
    started: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    first_outcome_at: float | None = None
    last_outcome_at: float | None = None

    @property
    def outcomes(self) -> int:
        """Items finished in this minute (succeeded, failed or skipped)."""
        return self.succeeded + self.failed + self.skipped


@dataclass(frozen=True, slots=True)
class RunCounters:
    """A run's store-kept counters: items per status and the journal's activity per minute.

    Attributes:
        run_id: the run.
        pending, in_progress, succeeded, failed, skipped: items in each status now.
        started: attempts started over the run (FILE_STARTED events).
        retried: attempts that failed and were retried (FILE_RETRIED events).
        first_outcome_at, last_outcome_at: the first and last outcome's time (None before any).
        minutes: the per-minute buckets, oldest first (those since the ``since`` asked for).
    """

    run_id: str
    pending: int = 0
    in_progress: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    started: int = 0
    retried: int = 0
    first_outcome_at: float | None = None
    last_outcome_at: float | None = None
    minutes: tuple[OutcomeMinute, ...] = ()

    @property
    def total(self) -> int:
        """Items in the run."""
        return self.pending + self.in_progress + self.succeeded + self.failed + self.skipped

    @property
    def finished(self) -> int:
        """Items with an outcome (succeeded, failed or skipped)."""
        return self.succeeded + self.failed + self.skipped

    @property
    def unfinished(self) -> int:
        """Items pending or in progress."""
        return self.pending + self.in_progress

    def counts(self) -> dict[FileStatus, int]:
        """Return the items per status, like ``JournalStore.item_counts``."""
        return {
            FileStatus.PENDING: self.pending,
            FileStatus.IN_PROGRESS: self.in_progress,
            FileStatus.SUCCEEDED: self.succeeded,
            FileStatus.FAILED: self.failed,
            FileStatus.SKIPPED: self.skipped,
        }

    def recent_rate(self, window: float, now: float) -> float | None:
        """Return outcomes per second over the ``window`` seconds before ``now`` (whole minutes).

        None when no minute bucket lies in the window (nothing finished lately, or not asked for).
        """
        since = minute_start(now - window)
        done = sum(m.outcomes for m in self.minutes if m.start >= since)
        if not done:
            return None
        first = min(m.first_outcome_at or m.start for m in self.minutes if m.start >= since and m.outcomes)
        return done / max(now - first, MINUTE / 60)

    def lifetime_rate(self) -> float | None:
        """Return outcomes per second between the first and the last outcome (None before two)."""
        if self.first_outcome_at is None or self.last_outcome_at is None or self.finished < 2:
            return None
        span = self.last_outcome_at - self.first_outcome_at
        return self.finished / span if span > 0 else None


def minute_rows(events: Iterable[Event | Sequence[Any]]) -> dict[float, list[Any]]:
    """Aggregate events into minute buckets: ``{start: [started, succeeded, failed, skipped, retried,
    first_outcome_at, last_outcome_at]}`` (only buckets an event of a counted kind falls in).

    Takes ``Event``s or ``(kind value, at)`` pairs.
    """
    buckets: dict[float, list[Any]] = {}
    columns = COUNTED_KINDS  # keyed by value: an EventKind (a StrEnum) finds its value's entry
    floor = math.floor
    minute = MINUTE
    last_start = None
    row: list[Any] = []
    # Runs on the store's thread for every event a batch reports: kept to plain local operations.
    for event in events:
        if isinstance(event, Event):
            column = columns.get(event.kind)
            at = event.at
        else:
            column = columns.get(event[0])
            at = event[1]
        if column is None:
            continue
        start = floor(at / minute) * minute
        if start != last_start:
            last_start = start
            got = buckets.get(start)
            if got is None:
                got = buckets[start] = [0, 0, 0, 0, 0, None, None]
            row = got
        row[column] += 1
        if 0 < column < 4:  # an outcome (column 0 counts starts, 4 retries)
            first = row[5]
            if first is None:
                row[5] = row[6] = at
            elif at < first:
                row[5] = at
            elif at > row[6]:
                row[6] = at
    return buckets


def add_run_minutes(buckets: dict[float, list[Any]], kind: str, ats: Sequence[float]) -> None:
    """Add a run of events of one kind (by stored value) at times ``ats`` to ``minute_rows`` buckets.

    A run that falls in one minute (a report's outcomes, usually) is added whole, from its first and last
    time; one that spans minutes is counted event by event.
    """
    column = COUNTED_KINDS.get(kind)
    if column is None or not ats:
        return
    lo, hi = min(ats), max(ats)
    start = minute_start(lo)
    parts = {start: (len(ats), lo, hi)} if minute_start(hi) == start else None
    if parts is None:
        spread = minute_rows([(kind, at) for at in ats])
        parts = {begin: (row[column], row[5], row[6]) for begin, row in spread.items()}
    for begin, (count, first, last) in parts.items():
        row = buckets.get(begin)
        if row is None:
            row = buckets[begin] = [0, 0, 0, 0, 0, None, None]
        row[column] += count
        if 0 < column < 4:  # an outcome: its times bound the bucket's first and last outcome
            row[5] = first if row[5] is None else min(row[5], first)
            row[6] = last if row[6] is None else max(row[6], last)


def merge_minute_rows(into: dict[float, list[Any]], buckets: dict[float, list[Any]]) -> None:
    """Add ``minute_rows`` buckets to others of the same shape."""
    for start, row in buckets.items():
        got = into.get(start)
        if got is None:
            into[start] = list(row)
            continue
        for column in range(5):
            got[column] += row[column]
        if row[5] is not None:
            got[5] = row[5] if got[5] is None else min(got[5], row[5])
            got[6] = row[6] if got[6] is None else max(got[6], row[6])


def counters_from(
    run_id: str,
    counts: Mapping[FileStatus, int],
    minutes: Iterable[Sequence[Any]],
    *,
    totals: Sequence[Any] | None = None,
    since: float | None = None,
) -> RunCounters:
    """Build ``RunCounters`` from item counts and bucket rows ``(start, started, succeeded, failed,
    skipped, retried, first_outcome_at, last_outcome_at)`` (any order; one row per start).

    ``totals`` (started, retried, first_outcome_at, last_outcome_at) over the whole run, when the rows
    are only those since ``since``; otherwise the rows are the whole run and the totals are summed here.
    """
    buckets = sorted(
        (
            OutcomeMinute(
                float(start), int(started), int(ok), int(failed), int(skipped), int(retried),
                None if first is None else float(first), None if last is None else float(last),
            )
            for start, started, ok, failed, skipped, retried, first, last in minutes
        ),
        key=lambda m: m.start,
    )  # fmt: skip
    if totals is None:
        firsts = [m.first_outcome_at for m in buckets if m.first_outcome_at is not None]
        lasts = [m.last_outcome_at for m in buckets if m.last_outcome_at is not None]
        started, retried = sum(m.started for m in buckets), sum(m.retried for m in buckets)
        first_at, last_at = (min(firsts) if firsts else None), (max(lasts) if lasts else None)
    else:
        started, retried = int(totals[0] or 0), int(totals[1] or 0)
        first_at = None if totals[2] is None else float(totals[2])
        last_at = None if totals[3] is None else float(totals[3])
    if since is not None:
        buckets = [m for m in buckets if m.start >= minute_start(since)]
    return RunCounters(
        run_id,
        pending=counts.get(FileStatus.PENDING, 0),
        in_progress=counts.get(FileStatus.IN_PROGRESS, 0),
        succeeded=counts.get(FileStatus.SUCCEEDED, 0),
        failed=counts.get(FileStatus.FAILED, 0),
        skipped=counts.get(FileStatus.SKIPPED, 0),
        started=started,
        retried=retried,
        first_outcome_at=first_at,
        last_outcome_at=last_at,
        minutes=tuple(buckets),
    )
