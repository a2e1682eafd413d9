"""A run's status facts read in SQL, written once for both backends (``sqlite_status``, ``postgres_status``).

Every query that reads the journal's rare kinds repeats the rare-events index's predicate (``RARE_KINDS_SQL``)
word for word, so each backend's planner can prove the partial index applies; ``{rare}`` is the table
expression they read (SQLite names the index where the store has it). ``StatusDialect`` holds what the
backends spell differently: how the run and the seq are bound, and the two queries that pick each item's
latest event (SQLite takes a bare column beside ``max(seq)``, PostgreSQL ``DISTINCT ON``). The caller reads
in one snapshot (a read transaction) and hands over the counters read in it, and the item bytes it keeps
beside them (``ItemBytes``) when asked for bytes; only a store that keeps none (an older one opened
read-only) has its items summed here instead, one pass over them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from omnimemory_kit.events import EVENT_KINDS, FILE_STATUSES, Event, EventKind, FileStatus
from omnimemory_kit.store.counters import RunCounters
from omnimemory_kit.store.status_facts import (
    LIFECYCLE_KINDS,
    QUIET_KINDS,
    RARE_KINDS_SQL,
    VERDICT_KINDS,
    RunStatusFacts,
    kinds_sql,
)

__all__ = ["STATUS_COLUMNS", "ItemBytes", "StatusDialect", "StatusQuery", "read_status_facts"]

STATUS_COLUMNS: Final = "seq, kind, at, path, size, batch_id, error_type, error_message, reason, worker_id"
"""The event columns every status query selects, in this order (what ``event_of`` decodes)."""

StatusQuery = Callable[[str, Mapping[str, Any]], list[tuple[Any, ...]]]
"""Run one query with its named parameters (``run``, and ``seq`` where bound) and return every row."""

ItemBytes = tuple[dict[FileStatus, int], int]
"""A run's item bytes per status (every status present) and how many items have no size (0 bytes)."""

_R: Final = RARE_KINDS_SQL
_ACTIVE: Final = f"kind NOT IN ({kinds_sql(QUIET_KINDS)})"
_RESTARTS: Final = (EventKind.RUN_STARTED, EventKind.RUN_RESUMED)


@dataclass(frozen=True, slots=True)
class StatusDialect:
    """What the backends' status SQL spells differently.

    Attributes:
        run: the column naming the run in ``events`` and ``items``.
        run_param: the placeholder of the run's key; ``seq_param``: of a seq.
        errors: failed items per the type of their last failure (``{rare}``, ``{run}`` filled in).
        latest_verdicts: the FROM clause of each succeeded item's latest verdict, as ``e``, unless the item
            was re-run after it (``{rare}``, ``{run}`` filled in); a ``WHERE`` clause closes it.
    """

    run: str
    run_param: str
    seq_param: str
    errors: str
    latest_verdicts: str

    def sql(self, template: str, rare: str) -> str:
        """Return ``template`` with the run's condition, the placeholders and the rare table filled in."""
        return template.format(
            rare=rare, run=f"{self.run} = {self.run_param}", run_param=self.run_param, seq=self.seq_param
        )


_LIFECYCLE: Final = (
    f"SELECT {STATUS_COLUMNS} FROM {{rare}} WHERE {{run}} AND {_R} "
    f"AND kind IN ({kinds_sql(LIFECYCLE_KINDS)}) ORDER BY seq"
)
# The activity times are the journal's tail by seq (the primary key), not rare reads.
_BEFORE: Final = (
    f"SELECT at FROM events WHERE {{run}} AND seq < {{seq}} AND {_ACTIVE} ORDER BY seq DESC LIMIT 1"
)
_LAST: Final = f"SELECT at FROM events WHERE {{run}} AND {_ACTIVE} ORDER BY seq DESC LIMIT 1"
_FIRST_START: Final = "SELECT seq, at FROM events WHERE {run} AND kind = 'file_started' ORDER BY seq LIMIT 1"
_OPEN_BATCHES: Final = (
    f"SELECT (SELECT count(DISTINCT batch_id) FROM {{rare}} WHERE {{run}} AND {_R} "
    "AND kind = 'batch_opened') "
    f"- (SELECT count(DISTINCT batch_id) FROM {{rare}} WHERE {{run}} AND {_R} AND kind = 'batch_closed')"
)
_TALLIES: Final = (
    f"SELECT kind, count(*) FROM {{rare}} WHERE {{run}} AND {_R} "
    "AND kind IN ('file_interrupted', 'file_requeued') GROUP BY kind"
)
_ANY_VERDICT: Final = (
    f"SELECT 1 FROM {{rare}} WHERE {{run}} AND {_R} AND kind IN ({kinds_sql(VERDICT_KINDS)}) LIMIT 1"
)
_BYTES: Final = (
    "SELECT status, sum(size), sum(CASE WHEN size = 0 THEN 1 ELSE 0 END) FROM items WHERE {run} "
    "GROUP BY status"
)
_E_COLUMNS: Final = ", ".join(f"e.{column.strip()}" for column in STATUS_COLUMNS.split(","))


def read_status_facts(
    query: StatusQuery,
    d: StatusDialect,
    run: Any,
    counters: RunCounters,
    *,
    rare: str,
    with_bytes: bool,
    event_of: Callable[[tuple[Any, ...]], Event],
    kept_bytes: ItemBytes | None = None,
) -> RunStatusFacts:
    """Read a run's status facts with ``query`` in dialect ``d`` (``run``: the run's key there).

    Args:
        rare: the table expression read for rare kinds (the events table, or it through its index).
        with_bytes: include the item bytes per status: ``kept_bytes`` when the store keeps them (read in
            the same snapshot), else one pass over the run's items.
        event_of: decodes a row of ``STATUS_COLUMNS`` (refusing a kind this version lacks).
    """

    def rows(template: str, **params: Any) -> list[tuple[Any, ...]]:
        return query(d.sql(template, rare), {"run": run, **params})

    lifecycle = tuple(event_of(row) for row in rows(_LIFECYCLE))
    restarts = [e.seq for e in lifecycle if e.kind in _RESTARTS]
    before = {}
    for seq in restarts:  # a restart after a crash closes the dead process's time at the event before it
        found = rows(_BEFORE, seq=seq)
        if found:
            before[seq] = float(found[0][0])
    last = rows(_LAST)
    first_start = None
    if not restarts and counters.started:  # a tracker used directly: its first start started the run
        found = rows(_FIRST_START)
        first_start = (int(found[0][0]), float(found[0][1])) if found else None
    tallies: dict[Any, Any] = dict(rows(_TALLIES))
    nbytes: dict[FileStatus, int] | None = None
    unsized = 0
    if with_bytes and kept_bytes is not None:
        nbytes, unsized = kept_bytes
    elif with_bytes:
        nbytes = dict.fromkeys(FileStatus, 0)
        for status, size, zero in rows(_BYTES):
            nbytes[FILE_STATUSES[status]] = int(size or 0)
            unsized += int(zero or 0)
    any_verdict = bool(rows(_ANY_VERDICT))
    verdicts: dict[EventKind, int] = {}
    flagged: tuple[Event, ...] = ()
    if any_verdict:  # most runs are never validated: two queries spared
        verdicts = {
            EVENT_KINDS[kind]: int(n)
            for kind, n in rows(f"SELECT e.kind, count(*) FROM {d.latest_verdicts} GROUP BY e.kind")
        }
        flagged = tuple(
            event_of(row)
            for row in rows(
                f"SELECT {_E_COLUMNS} FROM {d.latest_verdicts} AND e.kind <> 'item_validated' ORDER BY e.seq"
            )
        )
    open_batches = rows(_OPEN_BATCHES)
    return RunStatusFacts(
        counters=counters,
        lifecycle=lifecycle,
        before=before,
        last_at=float(last[0][0]) if last else None,
        first_start=first_start,
        bytes_by_status=nbytes,
        unsized=unsized,
        open_batches=max(0, int(open_batches[0][0])) if open_batches else 0,
        errors_by_type={str(name): int(n) for name, n in rows(d.errors)},
        interrupted=int(tallies.get(EventKind.FILE_INTERRUPTED.value, 0)),
        requeued=int(tallies.get(EventKind.FILE_REQUEUED.value, 0)),
        verdicts=verdicts,
        flagged=flagged,
        any_verdict=any_verdict,
    )
