"""The PostgreSQL store's status facts (``store.status_facts``): a run's status in a few indexed queries.

The reads are ``store.status_reads``, shared with SQLite: here are their PostgreSQL dialect parts and the
partial index over the journal's rare kinds (``_RARE_EVENTS_INDEX``, created when the store is opened,
without a schema version); the queries repeat its predicate so the planner can prove the index applies. The
caller reads them in one repeatable-read snapshot with the counters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import psycopg
from psycopg.rows import TupleRow

from omnimemory_kit.events import STRING_ERROR_TYPE
from omnimemory_kit.store.counters import RunCounters
from omnimemory_kit.store.postgres_rows import event_from_row
from omnimemory_kit.store.status_facts import RARE_KINDS_SQL, VERDICT_KINDS, RunStatusFacts, kinds_sql
from omnimemory_kit.store.status_reads import STATUS_COLUMNS, ItemBytes, StatusDialect, read_status_facts

__all__ = ["POSTGRES_STATUS", "add_rare_index", "read_status"]

_R: Final = RARE_KINDS_SQL
_RARE_EVENTS_INDEX: Final = f"CREATE INDEX events_rare ON events (run_id, kind, batch_id) WHERE {_R}"


POSTGRES_STATUS: Final = StatusDialect(
    run="run_id",
    run_param="%(run)s",
    seq_param="%(seq)s",
    errors=(
        f"SELECT coalesce(nullif(f.error_type, ''), '{STRING_ERROR_TYPE}'), count(*) FROM "
        f"(SELECT DISTINCT ON (path) path, error_type FROM {{rare}} WHERE {{run}} AND {_R} "
        "AND kind = 'file_failed' ORDER BY path, seq DESC) AS f "
        "JOIN items AS i ON i.run_id = {run_param} AND i.key = f.path WHERE i.status = 'failed' GROUP BY 1"
    ),
    latest_verdicts=(
        f"(SELECT DISTINCT ON (path) {STATUS_COLUMNS} FROM {{rare}} WHERE {{run}} AND {_R} "
        f"AND kind IN ({kinds_sql(VERDICT_KINDS)}) ORDER BY path, seq DESC) AS e "
        "JOIN items AS i ON i.run_id = {run_param} AND i.key = e.path AND i.status = 'succeeded' "
        f"LEFT JOIN (SELECT path, max(seq) AS seq FROM {{rare}} WHERE {{run}} AND {_R} "
        "AND kind = 'file_requeued' GROUP BY path) AS r ON r.path = e.path "
        "WHERE (r.seq IS NULL OR r.seq < e.seq)"
    ),
)
"""The PostgreSQL spelling of the status reads (``store.status_reads``)."""


def add_rare_index(conn: psycopg.Connection[TupleRow], schema: str) -> None:
    """Create the rare-events index when the store lacks it (the caller holds the schema's advisory lock).

    Looked up first, so an open of a store that has it takes no lock on the journal.
    """
    found = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = 'events_rare'",
        (schema,),
    ).fetchone()
    if found is None:
        conn.execute(_RARE_EVENTS_INDEX)


def read_status(
    conn: psycopg.Connection[TupleRow],
    run_id: str,
    counters: RunCounters,
    *,
    kept_bytes: ItemBytes | None,
    where: str,
) -> RunStatusFacts:
    """Read a run's status facts (the caller holds a repeatable-read transaction: one snapshot).

    ``kept_bytes``: the item bytes the store keeps (read in the same snapshot), when they are wanted.
    """

    def query(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    return read_status_facts(
        query, POSTGRES_STATUS, run_id, counters, rare="events", with_bytes=kept_bytes is not None,
        event_of=lambda row: event_from_row(row, run_id, where), kept_bytes=kept_bytes,
    )  # fmt: skip
