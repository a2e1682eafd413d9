"""The durable store: the journal and health-history contracts, the SQLite backend, opening a store by URL."""

from omnimemory_kit.store.base import EVENT_COLUMNS as EVENT_COLUMNS
from omnimemory_kit.store.base import SCHEMA_VERSION as SCHEMA_VERSION
from omnimemory_kit.store.base import HealthAlertRow as HealthAlertRow
from omnimemory_kit.store.base import HealthCheckRow as HealthCheckRow
from omnimemory_kit.store.base import HealthHistoryStore as HealthHistoryStore
from omnimemory_kit.store.base import HealthRollupRow as HealthRollupRow
from omnimemory_kit.store.base import HealthSnapshotRow as HealthSnapshotRow
from omnimemory_kit.store.base import HeartbeatRow as HeartbeatRow
from omnimemory_kit.store.base import JournalStore as JournalStore
from omnimemory_kit.store.base import Lease as Lease
from omnimemory_kit.store.base import RunRecord as RunRecord
from omnimemory_kit.store.base import Store as Store
from omnimemory_kit.store.base import WorkerRecord as WorkerRecord
from omnimemory_kit.store.base import WorkItem as WorkItem
from omnimemory_kit.store.counters import OutcomeMinute as OutcomeMinute
from omnimemory_kit.store.counters import RunCounters as RunCounters
from omnimemory_kit.store.opening import open_store as open_store
from omnimemory_kit.store.sqlite import SQLiteStore as SQLiteStore
from omnimemory_kit.store.url import redact_url as redact_url

__all__ = [
    "EVENT_COLUMNS",
    "SCHEMA_VERSION",
    "HealthAlertRow",
    "HealthCheckRow",
    "HealthHistoryStore",
    "HealthRollupRow",
    "HealthSnapshotRow",
    "HeartbeatRow",
    "JournalStore",
    "Lease",
    "OutcomeMinute",
    "RunCounters",
    "RunRecord",
    "SQLiteStore",
    "Store",
    "WorkItem",
    "WorkerRecord",
    "open_store",
    "redact_url",
]
