"""Snapshots of a migration's progress: frozen pydantic models handed out by the tracker.

They are values: built from the tracker's counters at one instant and never updated afterwards. Times are
timezone-aware UTC datetimes; durations and rates are plain floats (seconds, per second).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from omnimemory_kit.events import FileStatus, MigrationPriority, MigrationStatus
from omnimemory_kit.migration.rates import EtaUnavailableReason

__all__ = [
    "BatchProcessingMetrics",
    "EtaUnavailableReason",
    "FileProcessingInfo",
    "MigrationProgressSummary",
    "ProcessingRates",
    "RunSettings",
    "ValidationCounts",
    "percent_text",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def percent_text(value: float, digits: int = 1) -> str:
    """Return a percentage with ``digits`` decimals that reads 100 only when it is 100.

    Rounding would show 99.96 % (one failure in 2,500 items) as "100.0", which reads as "all of them":
    such a value is shown as "99.9" instead ("99" with no decimals): a floor at the top; every other value
    is rounded.
    """
    text = f"{value:.{digits}f}"
    if value < 100 and float(text) >= 100:
        return f"{100 - 10**-digits:.{digits}f}"
    return text


class ProcessingRates(BaseModel):
    """Throughput, counting finished files only (retries are not fresh work), over active time.

    ``recent`` rates are a time-based moving average (see ``omnimemory_kit.migration.rates``); ``overall``
    rates are finished work over the whole active elapsed time.
    """

    model_config = _FROZEN

    files_per_second_recent: float = Field(ge=0)
    files_per_second_overall: float = Field(ge=0)
    bytes_per_second_recent: float = Field(ge=0)
    bytes_per_second_overall: float = Field(ge=0)


class ValidationCounts(BaseModel):
    """Where a run's succeeded items stand in validation: counts per state, and rates over those checked.

    ``status`` says how validation stands in one phrase: ``completed, 3 mismatched``, ``completed, all
    validated``, or ``12 item(s) not validated yet``.
    """

    model_config = _FROZEN

    items: int = Field(ge=0)
    pending: int = Field(ge=0)
    validated: int = Field(ge=0)
    mismatched: int = Field(ge=0)
    error: int = Field(ge=0)

    @property
    def checked(self) -> int:
        """Items with a verdict (validated, mismatched or error)."""
        return self.validated + self.mismatched + self.error

    @computed_field  # type: ignore[prop-decorator]
    @property
    def validated_rate(self) -> float:
        """Validated over checked items, in percent (0 while none is checked)."""
        return self.validated / self.checked * 100.0 if self.checked else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mismatch_rate(self) -> float:
        """Mismatched over checked items, in percent (0 while none is checked)."""
        return self.mismatched / self.checked * 100.0 if self.checked else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        """Say how validation stands: ``completed, 3 mismatched``, ``completed, all validated``, ..."""
        if self.pending:
            return f"{self.pending} item(s) not validated yet"
        problems = [
            f"{n} {what}" for n, what in ((self.mismatched, "mismatched"), (self.error, "error")) if n
        ]
        return f"completed, {', '.join(problems)}" if problems else "completed, all validated"


class FileProcessingInfo(BaseModel):
    """One tracked file as it stands.

    ``attempts`` counts every attempt started (a start, and each in-place retry after a failed attempt);
    ``requeues`` counts how often ``retry_file`` put it back to pending after it failed for good.
    """

    model_config = _FROZEN

    path: str
    size: int = Field(ge=0)
    status: FileStatus
    attempts: int = Field(ge=0)
    requeues: int = Field(ge=0)
    batch_id: str | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    error_type: str | None
    error_message: str | None
    skip_reason: str | None = None


class BatchProcessingMetrics(BaseModel):
    """One batch: what was started in it and how it ended.

    ``files`` counts starts in this batch; a file interrupted and restarted elsewhere counts in both.
    ``success_rate`` is succeeded over finished, in percent (0 while nothing is finished).
    ``duration_seconds`` runs to ``closed_at``, or to the snapshot time while the batch is open.
    """

    model_config = _FROZEN

    batch_id: str
    files: int = Field(ge=0)
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)
    skipped: int = Field(ge=0)
    in_progress: int = Field(ge=0)
    interrupted: int = Field(ge=0)
    success_rate: float = Field(ge=0, le=100)
    opened_at: datetime
    closed_at: datetime | None
    duration_seconds: float = Field(ge=0)


class RunSettings(BaseModel):
    """The settings a run's workers apply now: an operator's ``control set`` where given, else the
    runner's own (``concurrency`` may be lower while a health rule slows the run). None: not known, or
    for ``max_rate`` and ``item_timeout``, no limit.
    """

    model_config = _FROZEN

    concurrency: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1)
    max_rate: float | None = Field(default=None, gt=0)  # items/s, run-wide
    item_timeout: float | None = Field(default=None, gt=0)  # seconds

    def describe(self) -> str:
        """Say them in one line (``concurrency 4, batch size 25, max-rate 50/s, item timeout none``)."""

        def shown(value: float | None, unit: str = "", none: str = "-") -> str:
            return none if value is None else f"{value:g}{unit}"

        return (
            f"concurrency {shown(self.concurrency)}, batch size {shown(self.batch_size)}, "
            f"max-rate {shown(self.max_rate, '/s', 'none')}, "
            f"item timeout {shown(self.item_timeout, ' s', 'none')}"
        )


class MigrationProgressSummary(BaseModel):
    """Where a migration stands, at ``as_of``.

    Counts: ``finished = succeeded + failed + skipped`` (failed means failed for good, until requeued);
    ``remaining = total - finished``; ``pending + in_progress + finished = total``.

    Percentages: ``completion_percentage = finished / total * 100`` and ``success_rate = succeeded /
    finished * 100``, both 0.0 while their denominator is 0 (an empty run is not "100 % done").

    ETA: ``eta_seconds`` (with the range ``eta_low_seconds``..``eta_high_seconds``) is in active seconds;
    ``estimated_completion_at`` assumes the run keeps running. All four are None exactly when
    ``eta_unavailable_reason`` says why.

    Time: ``elapsed_seconds`` is active time (paused, breaker-open and throttled time excluded);
    ``paused_seconds``, ``breaker_open_seconds`` and ``throttled_seconds`` are what was excluded. While health
    rules throttle the run, ``throttle_reason`` says why (and the ETA's reason is ``throttled``).

    Errors and retries: ``errors_by_type`` counts the files failed for good now, by the qualified type of
    their error (it sums to ``failed_files``; a requeued file leaves it). ``retry_count`` is
    ``attempt_failures`` (attempts that failed and were retried in place) plus ``requeued_count``
    (failed files put back by ``retry_file``); neither counts as finished work in the rates.
    ``interrupted_count`` counts files put back to pending because their worker died.
    ``stuck_calls`` counts sync calls that timed out and still hold a thread of a live run (until they
    return or the run ends).

    Activity: ``interrupted`` is True when the journal says running but nobody is working the run (its
    only process died): its clocks then stop at ``last_activity_at`` (the time of the last journal event),
    so ``elapsed_seconds`` and the rates stay where the run left them. It is decided by whoever builds the
    summary from live processes and leases (see ``migration/liveness.py``); a tracker that drives the run
    itself never reports it.

    Validation: ``validation`` holds the counts of the run's validation (``ValidationCounts``) when the
    run is validated (a runner with ``validate=``, or ``status`` of a run with verdicts); None otherwise.

    Batches: ``active_batches`` holds the batches with files in progress (bounded by the work in
    flight, so the summary stays O(1) in files); ``open_batches`` counts batches not yet closed.

    Control: ``control_state`` says what operators have the run do now (``running``, ``paused by NAME
    since T``, ``throttled until T``, ``awaiting approval: GATE``) and ``settings`` the settings in force.
    Both are None in a summary the tracker builds alone; the runner, ``status`` and the notebook panels,
    which read the run's control stream, fill them.

    Store: ``store_unavailable_since`` is set by a live runner while its store is unreachable (it rides
    the outage out: no new claims, finished outcomes kept in memory); None otherwise, and always None in a
    summary replayed from the journal (a journal cannot record that it could not be written).
    """

    model_config = _FROZEN

    name: str
    run_id: str | None
    priority: MigrationPriority
    status: MigrationStatus
    breaker_open: bool

    total_files: int = Field(ge=0)
    succeeded_files: int = Field(ge=0)
    failed_files: int = Field(ge=0)
    skipped_files: int = Field(ge=0)
    in_progress_files: int = Field(ge=0)
    pending_files: int = Field(ge=0)
    finished_files: int = Field(ge=0)
    remaining_files: int = Field(ge=0)

    total_bytes: int = Field(ge=0)
    processed_bytes: int = Field(ge=0)
    succeeded_bytes: int = Field(ge=0)
    remaining_bytes: int = Field(ge=0)

    completion_percentage: float = Field(ge=0, le=100)
    success_rate: float = Field(ge=0, le=100)
    processing_rates: ProcessingRates

    eta_seconds: float | None = Field(ge=0)
    eta_low_seconds: float | None = Field(ge=0)
    eta_high_seconds: float | None = Field(ge=0)
    estimated_completion_at: datetime | None
    eta_unavailable_reason: EtaUnavailableReason | None

    elapsed_seconds: float = Field(ge=0)
    paused_seconds: float = Field(ge=0)
    breaker_open_seconds: float = Field(ge=0)
    throttled_seconds: float = Field(default=0.0, ge=0)
    throttle_reason: str | None = None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    as_of: datetime

    errors_by_type: dict[str, int]
    active_batches: dict[str, BatchProcessingMetrics]
    open_batches: int = Field(ge=0)
    retry_count: int = Field(ge=0)
    attempt_failures: int = Field(ge=0)
    requeued_count: int = Field(ge=0)
    interrupted_count: int = Field(ge=0)
    store_unavailable_since: datetime | None = None
    stuck_calls: int = Field(default=0, ge=0)
    control_state: str | None = None
    settings: RunSettings | None = None

    interrupted: bool = False
    last_activity_at: datetime | None = None
    validation: ValidationCounts | None = None
