"""omnimemory-kit: an operations kit for long migrations and the health of what they depend on.

The public API is what ``__all__`` lists; everything else is internal.

Every name is imported on first use (PEP 562), so ``import omnimemory_kit`` and the command line (which
imports its submodules) load only what they touch: ``omnimemory-kit status`` needs no runner, health manager,
aiohttp or prometheus_client. Type checkers see the explicit re-exports below.
"""

import typing

from omnimemory_kit._lazy import lazy_exports as _lazy_exports

__version__ = "0.1.0"

__all__ = [
    "AcquireTimeoutError",
    "Alert",
    "Alerter",
    "AsyncCircuitBreaker",
    "AsyncConnectionPool",
    "BatchProcessingMetrics",
    "CheckResult",
    "CircuitBreakerConfig",
    "CircuitBreakerError",
    "CircuitBreakerStats",
    "CircuitState",
    "ClaimGate",
    "Clock",
    "CombinedGate",
    "ConfigError",
    "ConnectionPoolConfig",
    "ConnectionPoolStats",
    "CorrelationContext",
    "CorrelationFilter",
    "DependencyHealth",
    "DependencyType",
    "DirectorySource",
    "DiskSpaceCheck",
    "EtaConfig",
    "EtaUnavailableReason",
    "Event",
    "EventKind",
    "FairSemaphore",
    "FairSemaphoreStats",
    "FakeClock",
    "FileProcessingInfo",
    "FileStatus",
    "HealthAlertRow",
    "HealthCheckConfig",
    "HealthCheckRow",
    "HealthConfigFile",
    "HealthConfigGate",
    "HealthHistory",
    "HealthManager",
    "HealthMonitor",
    "HealthResponse",
    "HealthRollupRow",
    "HealthServer",
    "HealthSnapshotRow",
    "HealthStatus",
    "HealthThrottle",
    "HeartbeatRow",
    "HeartbeatSender",
    "HeartbeatStats",
    "HttpCheck",
    "Incident",
    "InvalidTransitionError",
    "IterableSource",
    "JournalStore",
    "JsonLinesFormatter",
    "KitError",
    "Lease",
    "LockPriority",
    "MaintenanceSchedule",
    "MaintenanceWindow",
    "ManagedResourceStats",
    "ManifestSource",
    "MigrationItem",
    "MigrationPriority",
    "MigrationProgressSummary",
    "MigrationProgressTracker",
    "MigrationRunner",
    "MigrationStatus",
    "Mismatch",
    "MismatchRow",
    "NotebookParameterError",
    "OperationType",
    "PoolClosedError",
    "PoolError",
    "PoolExhaustedError",
    "PostgresCheck",
    "PriorityLock",
    "PriorityLockStats",
    "ProcessingRates",
    "PushCheck",
    "RateConfig",
    "RecordedSource",
    "RedisCheck",
    "RegistryError",
    "ReportError",
    "ResourceManager",
    "ResourceManagerStats",
    "ResourceMetrics",
    "RetryError",
    "RetryPolicy",
    "RollupRetention",
    "RunControl",
    "RunRecord",
    "RunSettings",
    "SQLiteStore",
    "SharedHealthThrottle",
    "SkipItem",
    "SloStatus",
    "StoreCheck",
    "SystemClock",
    "TcpCheck",
    "ThrottlePolicy",
    "ThrottleRule",
    "UnknownBatchError",
    "UnknownFileError",
    "ValidationBusyError",
    "ValidationCounts",
    "ValidationState",
    "ValidationSummary",
    "ValidationTimeout",
    "Webhook",
    "WindowUptime",
    "WorkItem",
    "WorkSource",
    "WorkerRecord",
    "WritablePathCheck",
    "configure_logging",
    "correlation_context",
    "current_context",
    "get_connection_pool",
    "get_correlation_id",
    "get_fair_semaphore",
    "get_priority_lock",
    "health_manager",
    "incidents_from_history",
    "join_run",
    "load_function",
    "load_health_config",
    "open_store",
    "prepare_run",
    "redact",
    "redact_url",
    "register_connection_pool",
    "resource_manager",
    "retry",
    "run_sync",
    "send_heartbeat",
    "slo_table",
    "source_from_spec",
    "trace_operation",
    "traced",
    "unregister_connection_pool",
    "uptime_table",
    "validate_run",
    "with_circuit_breaker",
    "with_connection_pool",
    "with_correlation",
    "with_fair_semaphore",
    "with_priority_lock",
]

if typing.TYPE_CHECKING:
    from omnimemory_kit.clock import Clock as Clock
    from omnimemory_kit.clock import FakeClock as FakeClock
    from omnimemory_kit.clock import SystemClock as SystemClock
    from omnimemory_kit.concurrency import AsyncConnectionPool as AsyncConnectionPool
    from omnimemory_kit.concurrency import ConnectionPoolConfig as ConnectionPoolConfig
    from omnimemory_kit.concurrency import ConnectionPoolStats as ConnectionPoolStats
    from omnimemory_kit.concurrency import FairSemaphore as FairSemaphore
    from omnimemory_kit.concurrency import FairSemaphoreStats as FairSemaphoreStats
    from omnimemory_kit.concurrency import LockPriority as LockPriority
    from omnimemory_kit.concurrency import PriorityLock as PriorityLock
    from omnimemory_kit.concurrency import PriorityLockStats as PriorityLockStats
    from omnimemory_kit.concurrency import get_connection_pool as get_connection_pool
    from omnimemory_kit.concurrency import get_fair_semaphore as get_fair_semaphore
    from omnimemory_kit.concurrency import get_priority_lock as get_priority_lock
    from omnimemory_kit.concurrency import register_connection_pool as register_connection_pool
    from omnimemory_kit.concurrency import unregister_connection_pool as unregister_connection_pool
    from omnimemory_kit.concurrency import with_connection_pool as with_connection_pool
    from omnimemory_kit.concurrency import with_fair_semaphore as with_fair_semaphore
    from omnimemory_kit.concurrency import with_priority_lock as with_priority_lock
    from omnimemory_kit.errors import AcquireTimeoutError as AcquireTimeoutError
    from omnimemory_kit.errors import CircuitBreakerError as CircuitBreakerError
    from omnimemory_kit.errors import ConfigError as ConfigError
    from omnimemory_kit.errors import InvalidTransitionError as InvalidTransitionError
    from omnimemory_kit.errors import KitError as KitError
    from omnimemory_kit.errors import NotebookParameterError as NotebookParameterError
    from omnimemory_kit.errors import PoolClosedError as PoolClosedError
    from omnimemory_kit.errors import PoolError as PoolError
    from omnimemory_kit.errors import PoolExhaustedError as PoolExhaustedError
    from omnimemory_kit.errors import RegistryError as RegistryError
    from omnimemory_kit.errors import ReportError as ReportError
    from omnimemory_kit.errors import RetryError as RetryError
    from omnimemory_kit.errors import UnknownBatchError as UnknownBatchError
    from omnimemory_kit.errors import UnknownFileError as UnknownFileError
    from omnimemory_kit.errors import ValidationBusyError as ValidationBusyError
    from omnimemory_kit.events import Event as Event
    from omnimemory_kit.events import EventKind as EventKind
    from omnimemory_kit.events import FileStatus as FileStatus
    from omnimemory_kit.events import MigrationPriority as MigrationPriority
    from omnimemory_kit.events import MigrationStatus as MigrationStatus
    from omnimemory_kit.health import CheckResult as CheckResult
    from omnimemory_kit.health import DependencyHealth as DependencyHealth
    from omnimemory_kit.health import DependencyType as DependencyType
    from omnimemory_kit.health import HealthCheckConfig as HealthCheckConfig
    from omnimemory_kit.health import HealthHistory as HealthHistory
    from omnimemory_kit.health import HealthManager as HealthManager
    from omnimemory_kit.health import HealthResponse as HealthResponse
    from omnimemory_kit.health import HealthStatus as HealthStatus
    from omnimemory_kit.health import ResourceMetrics as ResourceMetrics
    from omnimemory_kit.health import health_manager as health_manager
    from omnimemory_kit.health.alerts import Alert as Alert
    from omnimemory_kit.health.alerts import Alerter as Alerter
    from omnimemory_kit.health.alerts import Webhook as Webhook
    from omnimemory_kit.health.checks import DiskSpaceCheck as DiskSpaceCheck
    from omnimemory_kit.health.checks import HttpCheck as HttpCheck
    from omnimemory_kit.health.checks import PostgresCheck as PostgresCheck
    from omnimemory_kit.health.checks import PushCheck as PushCheck
    from omnimemory_kit.health.checks import RedisCheck as RedisCheck
    from omnimemory_kit.health.checks import StoreCheck as StoreCheck
    from omnimemory_kit.health.checks import TcpCheck as TcpCheck
    from omnimemory_kit.health.checks import WritablePathCheck as WritablePathCheck
    from omnimemory_kit.health.checks import send_heartbeat as send_heartbeat
    from omnimemory_kit.health.config import HealthConfigFile as HealthConfigFile
    from omnimemory_kit.health.config import load_health_config as load_health_config
    from omnimemory_kit.health.heartbeats import HeartbeatSender as HeartbeatSender
    from omnimemory_kit.health.heartbeats import HeartbeatStats as HeartbeatStats
    from omnimemory_kit.health.incidents import Incident as Incident
    from omnimemory_kit.health.incidents import incidents_from_history as incidents_from_history
    from omnimemory_kit.health.maintenance import MaintenanceSchedule as MaintenanceSchedule
    from omnimemory_kit.health.maintenance import MaintenanceWindow as MaintenanceWindow
    from omnimemory_kit.health.monitor import HealthMonitor as HealthMonitor
    from omnimemory_kit.health.serve import HealthServer as HealthServer
    from omnimemory_kit.health.slo import SloStatus as SloStatus
    from omnimemory_kit.health.slo import slo_table as slo_table
    from omnimemory_kit.health.uptime import RollupRetention as RollupRetention
    from omnimemory_kit.health.uptime import WindowUptime as WindowUptime
    from omnimemory_kit.health.uptime import uptime_table as uptime_table
    from omnimemory_kit.migration.eta import EtaConfig as EtaConfig
    from omnimemory_kit.migration.loader import load_function as load_function
    from omnimemory_kit.migration.rates import EtaUnavailableReason as EtaUnavailableReason
    from omnimemory_kit.migration.rates import RateConfig as RateConfig
    from omnimemory_kit.migration.run_control import RunControl as RunControl
    from omnimemory_kit.migration.runner import MigrationRunner as MigrationRunner
    from omnimemory_kit.migration.runner import SkipItem as SkipItem
    from omnimemory_kit.migration.sources import DirectorySource as DirectorySource
    from omnimemory_kit.migration.sources import IterableSource as IterableSource
    from omnimemory_kit.migration.sources import ManifestSource as ManifestSource
    from omnimemory_kit.migration.sources import MigrationItem as MigrationItem
    from omnimemory_kit.migration.sources import WorkSource as WorkSource
    from omnimemory_kit.migration.sources import source_from_spec as source_from_spec
    from omnimemory_kit.migration.summary import BatchProcessingMetrics as BatchProcessingMetrics
    from omnimemory_kit.migration.summary import FileProcessingInfo as FileProcessingInfo
    from omnimemory_kit.migration.summary import MigrationProgressSummary as MigrationProgressSummary
    from omnimemory_kit.migration.summary import ProcessingRates as ProcessingRates
    from omnimemory_kit.migration.summary import RunSettings as RunSettings
    from omnimemory_kit.migration.summary import ValidationCounts as ValidationCounts
    from omnimemory_kit.migration.sync import run_sync as run_sync
    from omnimemory_kit.migration.throttle import ClaimGate as ClaimGate
    from omnimemory_kit.migration.throttle import CombinedGate as CombinedGate
    from omnimemory_kit.migration.throttle import HealthThrottle as HealthThrottle
    from omnimemory_kit.migration.throttle import ThrottlePolicy as ThrottlePolicy
    from omnimemory_kit.migration.throttle import ThrottleRule as ThrottleRule
    from omnimemory_kit.migration.throttle_shared import HealthConfigGate as HealthConfigGate
    from omnimemory_kit.migration.throttle_shared import SharedHealthThrottle as SharedHealthThrottle
    from omnimemory_kit.migration.tracker import MigrationProgressTracker as MigrationProgressTracker
    from omnimemory_kit.migration.validation import Mismatch as Mismatch
    from omnimemory_kit.migration.validation import MismatchRow as MismatchRow
    from omnimemory_kit.migration.validation import ValidationState as ValidationState
    from omnimemory_kit.migration.validation import ValidationSummary as ValidationSummary
    from omnimemory_kit.migration.validation import ValidationTimeout as ValidationTimeout
    from omnimemory_kit.migration.validation_pass import validate_run as validate_run
    from omnimemory_kit.migration.worker import RecordedSource as RecordedSource
    from omnimemory_kit.migration.worker import join_run as join_run
    from omnimemory_kit.migration.worker import prepare_run as prepare_run
    from omnimemory_kit.observability import CorrelationContext as CorrelationContext
    from omnimemory_kit.observability import CorrelationFilter as CorrelationFilter
    from omnimemory_kit.observability import JsonLinesFormatter as JsonLinesFormatter
    from omnimemory_kit.observability import OperationType as OperationType
    from omnimemory_kit.observability import configure_logging as configure_logging
    from omnimemory_kit.observability import correlation_context as correlation_context
    from omnimemory_kit.observability import current_context as current_context
    from omnimemory_kit.observability import get_correlation_id as get_correlation_id
    from omnimemory_kit.observability import redact as redact
    from omnimemory_kit.observability import trace_operation as trace_operation
    from omnimemory_kit.observability import traced as traced
    from omnimemory_kit.observability import with_correlation as with_correlation
    from omnimemory_kit.resilience import AsyncCircuitBreaker as AsyncCircuitBreaker
    from omnimemory_kit.resilience import CircuitBreakerConfig as CircuitBreakerConfig
    from omnimemory_kit.resilience import CircuitBreakerStats as CircuitBreakerStats
    from omnimemory_kit.resilience import CircuitState as CircuitState
    from omnimemory_kit.resilience import RetryPolicy as RetryPolicy
    from omnimemory_kit.resilience import retry as retry
    from omnimemory_kit.resources import ManagedResourceStats as ManagedResourceStats
    from omnimemory_kit.resources import ResourceManager as ResourceManager
    from omnimemory_kit.resources import ResourceManagerStats as ResourceManagerStats
    from omnimemory_kit.resources import resource_manager as resource_manager
    from omnimemory_kit.resources import with_circuit_breaker as with_circuit_breaker
    from omnimemory_kit.store import HealthAlertRow as HealthAlertRow
    from omnimemory_kit.store import HealthCheckRow as HealthCheckRow
    from omnimemory_kit.store import HealthRollupRow as HealthRollupRow
    from omnimemory_kit.store import HealthSnapshotRow as HealthSnapshotRow
    from omnimemory_kit.store import HeartbeatRow as HeartbeatRow
    from omnimemory_kit.store import JournalStore as JournalStore
    from omnimemory_kit.store import Lease as Lease
    from omnimemory_kit.store import RunRecord as RunRecord
    from omnimemory_kit.store import SQLiteStore as SQLiteStore
    from omnimemory_kit.store import WorkerRecord as WorkerRecord
    from omnimemory_kit.store import WorkItem as WorkItem
    from omnimemory_kit.store import open_store as open_store
    from omnimemory_kit.store import redact_url as redact_url

_WHERE: dict[str, tuple[str, ...]] = {
    "omnimemory_kit.health.serve": ("HealthServer",),
    "omnimemory_kit.clock": (
        "Clock",
        "FakeClock",
        "SystemClock",
    ),
    "omnimemory_kit.concurrency": (
        "AsyncConnectionPool",
        "ConnectionPoolConfig",
        "ConnectionPoolStats",
        "FairSemaphore",
        "FairSemaphoreStats",
        "LockPriority",
        "PriorityLock",
        "PriorityLockStats",
        "get_connection_pool",
        "get_fair_semaphore",
        "get_priority_lock",
        "register_connection_pool",
        "unregister_connection_pool",
        "with_connection_pool",
        "with_fair_semaphore",
        "with_priority_lock",
    ),
    "omnimemory_kit.errors": (
        "AcquireTimeoutError",
        "CircuitBreakerError",
        "ConfigError",
        "InvalidTransitionError",
        "KitError",
        "NotebookParameterError",
        "PoolClosedError",
        "PoolError",
        "PoolExhaustedError",
        "RegistryError",
        "ReportError",
        "RetryError",
        "UnknownBatchError",
        "UnknownFileError",
        "ValidationBusyError",
    ),
    "omnimemory_kit.events": (
        "Event",
        "EventKind",
        "FileStatus",
        "MigrationPriority",
        "MigrationStatus",
    ),
    "omnimemory_kit.health": (
        "CheckResult",
        "DependencyHealth",
        "DependencyType",
        "HealthCheckConfig",
        "HealthHistory",
        "HealthManager",
        "HealthResponse",
        "HealthStatus",
        "ResourceMetrics",
        "health_manager",
    ),
    "omnimemory_kit.health.alerts": (
        "Alert",
        "Alerter",
        "Webhook",
    ),
    "omnimemory_kit.health.checks": (
        "DiskSpaceCheck",
        "HttpCheck",
        "PostgresCheck",
        "PushCheck",
        "RedisCheck",
        "StoreCheck",
        "TcpCheck",
        "WritablePathCheck",
        "send_heartbeat",
    ),
    "omnimemory_kit.health.config": (
        "HealthConfigFile",
        "load_health_config",
    ),
    "omnimemory_kit.health.heartbeats": (
        "HeartbeatSender",
        "HeartbeatStats",
    ),
    "omnimemory_kit.health.incidents": (
        "Incident",
        "incidents_from_history",
    ),
    "omnimemory_kit.health.maintenance": (
        "MaintenanceSchedule",
        "MaintenanceWindow",
    ),
    "omnimemory_kit.health.monitor": ("HealthMonitor",),
    "omnimemory_kit.health.slo": (
        "SloStatus",
        "slo_table",
    ),
    "omnimemory_kit.health.uptime": (
        "RollupRetention",
        "WindowUptime",
        "uptime_table",
    ),
    "omnimemory_kit.migration.eta": ("EtaConfig",),
    "omnimemory_kit.migration.loader": ("load_function",),
    "omnimemory_kit.migration.rates": (
        "EtaUnavailableReason",
        "RateConfig",
    ),
    "omnimemory_kit.migration.run_control": ("RunControl",),
    "omnimemory_kit.migration.runner": (
        "MigrationRunner",
        "SkipItem",
    ),
    "omnimemory_kit.migration.sources": (
        "DirectorySource",
        "IterableSource",
        "ManifestSource",
        "MigrationItem",
        "WorkSource",
        "source_from_spec",
    ),
    "omnimemory_kit.migration.summary": (
        "BatchProcessingMetrics",
        "FileProcessingInfo",
        "MigrationProgressSummary",
        "ProcessingRates",
        "RunSettings",
        "ValidationCounts",
    ),
    "omnimemory_kit.migration.sync": ("run_sync",),
    "omnimemory_kit.migration.throttle": (
        "ClaimGate",
        "CombinedGate",
        "HealthThrottle",
        "ThrottlePolicy",
        "ThrottleRule",
    ),
    "omnimemory_kit.migration.throttle_shared": (
        "HealthConfigGate",
        "SharedHealthThrottle",
    ),
    "omnimemory_kit.migration.tracker": ("MigrationProgressTracker",),
    "omnimemory_kit.migration.validation": (
        "Mismatch",
        "MismatchRow",
        "ValidationState",
        "ValidationSummary",
        "ValidationTimeout",
    ),
    "omnimemory_kit.migration.validation_pass": ("validate_run",),
    "omnimemory_kit.migration.worker": (
        "RecordedSource",
        "join_run",
        "prepare_run",
    ),
    "omnimemory_kit.observability": (
        "CorrelationContext",
        "CorrelationFilter",
        "JsonLinesFormatter",
        "OperationType",
        "configure_logging",
        "correlation_context",
        "current_context",
        "get_correlation_id",
        "redact",
        "trace_operation",
        "traced",
        "with_correlation",
    ),
    "omnimemory_kit.resilience": (
        "AsyncCircuitBreaker",
        "CircuitBreakerConfig",
        "CircuitBreakerStats",
        "CircuitState",
        "RetryPolicy",
        "retry",
    ),
    "omnimemory_kit.resources": (
        "ManagedResourceStats",
        "ResourceManager",
        "ResourceManagerStats",
        "resource_manager",
        "with_circuit_breaker",
    ),
    "omnimemory_kit.store": (
        "HealthAlertRow",
        "HealthCheckRow",
        "HealthRollupRow",
        "HealthSnapshotRow",
        "HeartbeatRow",
        "JournalStore",
        "Lease",
        "RunRecord",
        "SQLiteStore",
        "WorkerRecord",
        "WorkItem",
        "open_store",
        "redact_url",
    ),
}
"""Where each public name lives, by module (the lazy imports of ``__getattr__``)."""
__getattr__, __dir__ = _lazy_exports(__name__, globals(), _WHERE, __all__)
