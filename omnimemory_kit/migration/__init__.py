"""The migration engine: the progress tracker (a reducer over the journal), rates and ETA, snapshots.

Names are imported on first use (PEP 562): a reader of one module (``status``) does not load the runner.
"""

import typing

from omnimemory_kit._lazy import lazy_exports as _lazy_exports

__all__ = [
    "BatchProcessingMetrics",
    "ClaimGate",
    "CombinedGate",
    "DirectorySource",
    "EtaConfig",
    "EtaEstimate",
    "EtaEstimator",
    "EtaForecast",
    "EtaUnavailableReason",
    "FileProcessingInfo",
    "HealthConfigGate",
    "HealthThrottle",
    "IterableSource",
    "ManifestSource",
    "MigrationItem",
    "MigrationProgressSummary",
    "MigrationProgressTracker",
    "MigrationRunner",
    "Mismatch",
    "MismatchRow",
    "ProcessingRates",
    "RateConfig",
    "RateEstimator",
    "RecordedSource",
    "RunSettings",
    "SharedHealthThrottle",
    "SkipItem",
    "ThrottlePolicy",
    "ThrottleRule",
    "ValidationCounts",
    "ValidationState",
    "ValidationSummary",
    "ValidationTimeout",
    "WorkSource",
    "join_run",
    "load_function",
    "prepare_run",
    "run_sync",
    "source_from_spec",
    "validate_run",
]

if typing.TYPE_CHECKING:
    from omnimemory_kit.migration.eta import EtaConfig as EtaConfig
    from omnimemory_kit.migration.eta import EtaEstimator as EtaEstimator
    from omnimemory_kit.migration.eta import EtaForecast as EtaForecast
    from omnimemory_kit.migration.loader import load_function as load_function
    from omnimemory_kit.migration.rates import EtaEstimate as EtaEstimate
    from omnimemory_kit.migration.rates import EtaUnavailableReason as EtaUnavailableReason
    from omnimemory_kit.migration.rates import RateConfig as RateConfig
    from omnimemory_kit.migration.rates import RateEstimator as RateEstimator
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

_WHERE: dict[str, tuple[str, ...]] = {
    "omnimemory_kit.migration.eta": (
        "EtaConfig",
        "EtaEstimator",
        "EtaForecast",
    ),
    "omnimemory_kit.migration.loader": ("load_function",),
    "omnimemory_kit.migration.rates": (
        "EtaEstimate",
        "EtaUnavailableReason",
        "RateConfig",
        "RateEstimator",
    ),
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
}
__getattr__, __dir__ = _lazy_exports(__name__, globals(), _WHERE, __all__)
