"""The migration engine: the progress tracker (a reducer over the journal), rates and ETA, snapshots."""

from omnimemory_kit.migration.rates import EtaEstimate as EtaEstimate
from omnimemory_kit.migration.rates import EtaUnavailableReason as EtaUnavailableReason
from omnimemory_kit.migration.rates import RateConfig as RateConfig
from omnimemory_kit.migration.rates import RateEstimator as RateEstimator
from omnimemory_kit.migration.summary import BatchProcessingMetrics as BatchProcessingMetrics
from omnimemory_kit.migration.summary import FileProcessingInfo as FileProcessingInfo
from omnimemory_kit.migration.summary import MigrationProgressSummary as MigrationProgressSummary
from omnimemory_kit.migration.summary import ProcessingRates as ProcessingRates
from omnimemory_kit.migration.tracker import MigrationProgressTracker as MigrationProgressTracker

__all__ = [
    "BatchProcessingMetrics",
    "EtaEstimate",
    "EtaUnavailableReason",
    "FileProcessingInfo",
    "MigrationProgressSummary",
    "MigrationProgressTracker",
    "ProcessingRates",
    "RateConfig",
    "RateEstimator",
]
