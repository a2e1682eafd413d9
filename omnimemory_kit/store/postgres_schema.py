"""The PostgreSQL store's tables, as versioned migrations ``PostgresStore`` applies in order when it opens.

Kept apart from the store's queries: the DDL changes only by appending a migration, the queries often.
"""

from __future__ import annotations

from omnimemory_kit.store.base import SCHEMA_VERSION

__all__ = ["MIGRATIONS"]

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
)
assert len(MIGRATIONS) == SCHEMA_VERSION, "every schema version needs its migration"
