"""The PostgreSQL store's tables, as versioned migrations ``PostgresStore`` applies in order when it opens.

Kept apart from the store's queries: the DDL changes only by appending a migration, the queries often.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import TupleRow

from omnimemory_kit.store.base import SCHEMA_VERSION

__all__ = ["MIGRATIONS", "drop_journal_run_key"]

# Each entry upgrades the schema from version i to i + 1. Never edit a released entry: add a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id      text PRIMARY KEY,
        name        text NOT NULL,
        priority    text NOT NULL,
        source      text NOT NULL,
        function    text NOT NULL,
        created_at  double precision NOT NULL,
        params      jsonb NOT NULL DEFAULT '{}',
        last_seq    bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE events (
        run_id        text NOT NULL REFERENCES runs ON DELETE CASCADE,
        seq           bigint NOT NULL,
        kind          text NOT NULL,
        at            double precision NOT NULL,
        path          text,
        size          bigint,
        batch_id      text,
        error_type    text,
        error_message text,
        reason        text,
        worker_id     text,
        PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE items (
        run_id    text NOT NULL REFERENCES runs ON DELETE CASCADE,
        key       text NOT NULL,
        ord       bigint GENERATED ALWAYS AS IDENTITY,
        size      bigint NOT NULL DEFAULT 0,
        status    text NOT NULL DEFAULT 'pending',
        attempts  integer NOT NULL DEFAULT 0,
        lease_id  text,
        PRIMARY KEY (run_id, key)
    );
    CREATE INDEX items_pending ON items (run_id, ord) WHERE status = 'pending';
    CREATE INDEX items_lease ON items (lease_id) WHERE lease_id IS NOT NULL;
    CREATE TABLE leases (
        lease_id    text PRIMARY KEY,
        run_id      text NOT NULL REFERENCES runs ON DELETE CASCADE,
        worker_id   text NOT NULL,
        batch_id    text NOT NULL,
        claimed_at  double precision NOT NULL,
        expires_at  double precision NOT NULL
    );
    CREATE INDEX leases_run ON leases (run_id, expires_at);
    CREATE TABLE workers (
        run_id      text NOT NULL REFERENCES runs ON DELETE CASCADE,
        worker_id   text NOT NULL,
        host        text NOT NULL,
        pid         integer NOT NULL,
        started_at  double precision NOT NULL,
        last_seen   double precision NOT NULL,
        items_done  bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, worker_id)
    );
    CREATE TABLE health_snapshots (
        snapshot_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        taken_at     double precision NOT NULL,
        status       text NOT NULL,
        payload      text NOT NULL
    );
    CREATE INDEX health_snapshots_taken ON health_snapshots (taken_at);
    CREATE TABLE health_checks (
        snapshot_id    bigint NOT NULL REFERENCES health_snapshots ON DELETE CASCADE,
        position       integer NOT NULL,
        name           text NOT NULL,
        status         text NOT NULL,
        critical       boolean NOT NULL,
        latency_ms     double precision,
        error          text,
        observed_value double precision,
        observed_unit  text,
        breaker_state  text
    );
    CREATE INDEX health_checks_snapshot ON health_checks (snapshot_id, position);
    """,
    # 2: the run ledger
    """
    ALTER TABLE runs ADD COLUMN operator text NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN origin text NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN correlation_id text NOT NULL DEFAULT '';
    CREATE TABLE run_reports (
        run_id   text NOT NULL REFERENCES runs ON DELETE CASCADE,
        path     text NOT NULL,
        made_at  double precision NOT NULL,
        PRIMARY KEY (run_id, path)
    );
    """,
    # 3: health rollups (minute, hour and day buckets per check), their latency histograms, alerts, heartbeats
    """
    CREATE TABLE health_rollups (
        resolution     text NOT NULL,
        bucket_start   double precision NOT NULL,
        name           text NOT NULL,
        total          bigint NOT NULL,
        up             bigint NOT NULL,
        maintenance    bigint NOT NULL,
        latency_count  bigint NOT NULL,
        latency_sum_ms double precision NOT NULL,
        PRIMARY KEY (resolution, bucket_start, name)
    );
    CREATE TABLE health_rollup_latency (
        resolution   text NOT NULL,
        bucket_start double precision NOT NULL,
        name         text NOT NULL,
        bin          integer NOT NULL,
        count        bigint NOT NULL,
        PRIMARY KEY (resolution, bucket_start, name, bin)
    );
    CREATE TABLE health_alerts (
        alert_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at        double precision NOT NULL,
        name      text NOT NULL,
        kind      text NOT NULL,
        webhook   text NOT NULL,
        outcome   text NOT NULL,
        attempts  integer NOT NULL,
        error     text
    );
    CREATE INDEX health_alerts_at ON health_alerts (at);
    CREATE TABLE health_heartbeats (
        name     text PRIMARY KEY,
        at       double precision NOT NULL,
        message  text,
        beats    bigint NOT NULL
    );
    """,
    # 4: run counters. Each writing connection adds to rows of its own (shard = its backend pid), so
    # concurrent workers never wait on one another's counter rows; readers sum the shards. Statement
    # triggers with transition tables keep them in the same transaction as every write of items and
    # events, whichever statement made it (their functions find the tables in this schema whatever the
    # writer's search_path). The upgrade counts what the store holds.
    """
    CREATE TABLE run_counts (
        run_id       text NOT NULL REFERENCES runs ON DELETE CASCADE,
        shard        integer NOT NULL,
        pending      bigint NOT NULL DEFAULT 0,
        in_progress  bigint NOT NULL DEFAULT 0,
        succeeded    bigint NOT NULL DEFAULT 0,
        failed       bigint NOT NULL DEFAULT 0,
        skipped      bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, shard)
    );
    CREATE TABLE run_minutes (
        run_id            text NOT NULL REFERENCES runs ON DELETE CASCADE,
        minute            double precision NOT NULL,
        shard             integer NOT NULL,
        started           bigint NOT NULL DEFAULT 0,
        succeeded         bigint NOT NULL DEFAULT 0,
        failed            bigint NOT NULL DEFAULT 0,
        skipped           bigint NOT NULL DEFAULT 0,
        retried           bigint NOT NULL DEFAULT 0,
        first_outcome_at  double precision,
        last_outcome_at   double precision,
        PRIMARY KEY (run_id, minute, shard)
    );
    CREATE FUNCTION omk_count_items() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO run_counts AS c (run_id, shard, pending, in_progress, succeeded, failed, skipped)
            SELECT run_id, pg_backend_pid(),
                   count(*) FILTER (WHERE status = 'pending'),
                   count(*) FILTER (WHERE status = 'in_progress'),
                   count(*) FILTER (WHERE status = 'succeeded'),
                   count(*) FILTER (WHERE status = 'failed'),
                   count(*) FILTER (WHERE status = 'skipped')
            FROM new_items GROUP BY run_id
            ON CONFLICT (run_id, shard) DO UPDATE SET
                pending = c.pending + EXCLUDED.pending, in_progress = c.in_progress + EXCLUDED.in_progress,
                succeeded = c.succeeded + EXCLUDED.succeeded, failed = c.failed + EXCLUDED.failed,
                skipped = c.skipped + EXCLUDED.skipped;
        ELSE
            INSERT INTO run_counts AS c (run_id, shard, pending, in_progress, succeeded, failed, skipped)
            SELECT run_id, pg_backend_pid(),
                   coalesce(sum(d) FILTER (WHERE status = 'pending'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'in_progress'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'succeeded'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'failed'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'skipped'), 0)
            FROM (SELECT run_id, status, 1 AS d FROM new_items
                  UNION ALL SELECT run_id, status, -1 FROM old_items) AS changed
            GROUP BY run_id
            ON CONFLICT (run_id, shard) DO UPDATE SET
                pending = c.pending + EXCLUDED.pending, in_progress = c.in_progress + EXCLUDED.in_progress,
                succeeded = c.succeeded + EXCLUDED.succeeded, failed = c.failed + EXCLUDED.failed,
                skipped = c.skipped + EXCLUDED.skipped;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER items_counted_insert AFTER INSERT ON items REFERENCING NEW TABLE AS new_items
        FOR EACH STATEMENT EXECUTE FUNCTION omk_count_items();
    CREATE TRIGGER items_counted_update AFTER UPDATE ON items
        REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
        FOR EACH STATEMENT EXECUTE FUNCTION omk_count_items();
    CREATE FUNCTION omk_count_events() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
        INSERT INTO run_minutes AS m (run_id, minute, shard, started, succeeded, failed, skipped, retried,
                                      first_outcome_at, last_outcome_at)
        SELECT run_id, floor(at / 60) * 60, pg_backend_pid(),
               count(*) FILTER (WHERE kind = 'file_started'),
               count(*) FILTER (WHERE kind = 'file_succeeded'),
               count(*) FILTER (WHERE kind = 'file_failed'),
               count(*) FILTER (WHERE kind = 'file_skipped'),
               count(*) FILTER (WHERE kind = 'file_retried'),
               min(at) FILTER (WHERE kind IN ('file_succeeded', 'file_failed', 'file_skipped')),
               max(at) FILTER (WHERE kind IN ('file_succeeded', 'file_failed', 'file_skipped'))
        FROM new_events
        WHERE kind IN ('file_started', 'file_succeeded', 'file_failed', 'file_skipped', 'file_retried')
        GROUP BY 1, 2
        ON CONFLICT (run_id, minute, shard) DO UPDATE SET
            started = m.started + EXCLUDED.started, succeeded = m.succeeded + EXCLUDED.succeeded,
            failed = m.failed + EXCLUDED.failed, skipped = m.skipped + EXCLUDED.skipped,
            retried = m.retried + EXCLUDED.retried,
            first_outcome_at = LEAST(m.first_outcome_at, EXCLUDED.first_outcome_at),
            last_outcome_at = GREATEST(m.last_outcome_at, EXCLUDED.last_outcome_at);
        RETURN NULL;
    END $$;
    CREATE TRIGGER events_counted AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
        FOR EACH STATEMENT EXECUTE FUNCTION omk_count_events();
    INSERT INTO run_counts (run_id, shard, pending, in_progress, succeeded, failed, skipped)
    SELECT run_id, 0, count(*) FILTER (WHERE status = 'pending'),
           count(*) FILTER (WHERE status = 'in_progress'), count(*) FILTER (WHERE status = 'succeeded'),
           count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'skipped')
    FROM items GROUP BY run_id;
    INSERT INTO run_minutes (run_id, minute, shard, started, succeeded, failed, skipped, retried,
                             first_outcome_at, last_outcome_at)
    SELECT run_id, floor(at / 60) * 60, 0,
           count(*) FILTER (WHERE kind = 'file_started'), count(*) FILTER (WHERE kind = 'file_succeeded'),
           count(*) FILTER (WHERE kind = 'file_failed'), count(*) FILTER (WHERE kind = 'file_skipped'),
           count(*) FILTER (WHERE kind = 'file_retried'),
           min(at) FILTER (WHERE kind IN ('file_succeeded', 'file_failed', 'file_skipped')),
           max(at) FILTER (WHERE kind IN ('file_succeeded', 'file_failed', 'file_skipped'))
    FROM events
    WHERE kind IN ('file_started', 'file_succeeded', 'file_failed', 'file_skipped', 'file_retried')
    GROUP BY 1, 2;
    -- items in progress without a lease (a crashed lease-less writer): what reclaim looks for each time
    CREATE INDEX items_unleased ON items (run_id) WHERE status = 'in_progress' AND lease_id IS NULL;
    """,
    # 5: SQLite lists a lease's keys with the lease; nothing changes here
    "SELECT 1",
    # 6: the items' bytes per status beside their counts, and the items without a size (a size never
    # changes, so those are counted once, as items are inserted); numeric, so no sum of sizes overflows.
    # The items table is locked first: a writer still running the trigger's earlier version finishes
    # before the items are weighed, and a later one runs this one.
    """
    LOCK TABLE items IN SHARE MODE;
    ALTER TABLE run_counts
        ADD COLUMN pending_bytes      numeric NOT NULL DEFAULT 0,
        ADD COLUMN in_progress_bytes  numeric NOT NULL DEFAULT 0,
        ADD COLUMN succeeded_bytes    numeric NOT NULL DEFAULT 0,
        ADD COLUMN failed_bytes       numeric NOT NULL DEFAULT 0,
        ADD COLUMN skipped_bytes      numeric NOT NULL DEFAULT 0,
        ADD COLUMN unsized            bigint NOT NULL DEFAULT 0;
    CREATE OR REPLACE FUNCTION omk_count_items() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO run_counts AS c (run_id, shard, pending, in_progress, succeeded, failed, skipped,
                                         pending_bytes, in_progress_bytes, succeeded_bytes, failed_bytes,
                                         skipped_bytes, unsized)
            SELECT run_id, pg_backend_pid(),
                   count(*) FILTER (WHERE status = 'pending'),
                   count(*) FILTER (WHERE status = 'in_progress'),
                   count(*) FILTER (WHERE status = 'succeeded'),
                   count(*) FILTER (WHERE status = 'failed'),
                   count(*) FILTER (WHERE status = 'skipped'),
                   coalesce(sum(size) FILTER (WHERE status = 'pending'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'in_progress'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'succeeded'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'failed'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'skipped'), 0),
                   count(*) FILTER (WHERE size = 0)
            FROM new_items GROUP BY run_id
            ON CONFLICT (run_id, shard) DO UPDATE SET
                pending = c.pending + EXCLUDED.pending, in_progress = c.in_progress + EXCLUDED.in_progress,
                succeeded = c.succeeded + EXCLUDED.succeeded, failed = c.failed + EXCLUDED.failed,
                skipped = c.skipped + EXCLUDED.skipped,
                pending_bytes = c.pending_bytes + EXCLUDED.pending_bytes,
                in_progress_bytes = c.in_progress_bytes + EXCLUDED.in_progress_bytes,
                succeeded_bytes = c.succeeded_bytes + EXCLUDED.succeeded_bytes,
                failed_bytes = c.failed_bytes + EXCLUDED.failed_bytes,
                skipped_bytes = c.skipped_bytes + EXCLUDED.skipped_bytes,
                unsized = c.unsized + EXCLUDED.unsized;
        ELSE
            INSERT INTO run_counts AS c (run_id, shard, pending, in_progress, succeeded, failed, skipped,
                                         pending_bytes, in_progress_bytes, succeeded_bytes, failed_bytes,
                                         skipped_bytes)
            SELECT run_id, pg_backend_pid(),
                   coalesce(sum(d) FILTER (WHERE status = 'pending'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'in_progress'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'succeeded'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'failed'), 0),
                   coalesce(sum(d) FILTER (WHERE status = 'skipped'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'pending'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'in_progress'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'succeeded'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'failed'), 0),
                   coalesce(sum(size) FILTER (WHERE status = 'skipped'), 0)
            FROM (SELECT run_id, status, 1 AS d, size FROM new_items
                  UNION ALL SELECT run_id, status, -1, -size FROM old_items) AS changed
            GROUP BY run_id
            ON CONFLICT (run_id, shard) DO UPDATE SET
                pending = c.pending + EXCLUDED.pending, in_progress = c.in_progress + EXCLUDED.in_progress,
                succeeded = c.succeeded + EXCLUDED.succeeded, failed = c.failed + EXCLUDED.failed,
                skipped = c.skipped + EXCLUDED.skipped,
                pending_bytes = c.pending_bytes + EXCLUDED.pending_bytes,
                in_progress_bytes = c.in_progress_bytes + EXCLUDED.in_progress_bytes,
                succeeded_bytes = c.succeeded_bytes + EXCLUDED.succeeded_bytes,
                failed_bytes = c.failed_bytes + EXCLUDED.failed_bytes,
                skipped_bytes = c.skipped_bytes + EXCLUDED.skipped_bytes;
        END IF;
        RETURN NULL;
    END $$;
    INSERT INTO run_counts AS c (run_id, shard, pending_bytes, in_progress_bytes, succeeded_bytes,
                                 failed_bytes, skipped_bytes, unsized)
    SELECT run_id, 0,
           coalesce(sum(size) FILTER (WHERE status = 'pending'), 0),
           coalesce(sum(size) FILTER (WHERE status = 'in_progress'), 0),
           coalesce(sum(size) FILTER (WHERE status = 'succeeded'), 0),
           coalesce(sum(size) FILTER (WHERE status = 'failed'), 0),
           coalesce(sum(size) FILTER (WHERE status = 'skipped'), 0),
           count(*) FILTER (WHERE size = 0)
    FROM items GROUP BY run_id
    ON CONFLICT (run_id, shard) DO UPDATE SET
        pending_bytes = c.pending_bytes + EXCLUDED.pending_bytes,
        in_progress_bytes = c.in_progress_bytes + EXCLUDED.in_progress_bytes,
        succeeded_bytes = c.succeeded_bytes + EXCLUDED.succeeded_bytes,
        failed_bytes = c.failed_bytes + EXCLUDED.failed_bytes,
        skipped_bytes = c.skipped_bytes + EXCLUDED.skipped_bytes,
        unsized = c.unsized + EXCLUDED.unsized;
    """,
    # 7: SQLite keeps a run of item events in one row; the PostgreSQL journal keeps a row per event
    "SELECT 1",
    # 8: SQLite keeps a run of verdicts in one row; the PostgreSQL journal keeps a row per event
    "SELECT 1",
)
assert len(MIGRATIONS) == SCHEMA_VERSION, "every schema version needs its migration"


def drop_journal_run_key(conn: psycopg.Connection[TupleRow], schema: str) -> None:
    """Drop the journal's foreign key to its run when the store has it (the caller holds the advisory lock).

    Checked per inserted row (a trigger running a query each), the key cost a worker's batch boundary of
    100 items about 1 ms of the server's CPU, a fifth of the boundary's server time, and guarded nothing:
    every insert of events updates its run's row in the same statement (that is where seqs come from), so
    an event of a missing run is never written, and runs are never deleted (only the whole schema is).
    Applied when a store is opened to write, without a schema version (like ``events_rare``); looked up
    first, so opening a store without the key takes no lock on the journal.
    """
    found = conn.execute(
        "SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = %s AND c.conname = 'events_run_id_fkey'",
        (schema,),
    ).fetchone()
    if found is not None:
        conn.execute("ALTER TABLE events DROP CONSTRAINT events_run_id_fkey")
