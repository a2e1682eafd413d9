"""Prometheus metrics for a migration worker, kept as plain numbers and rendered only when scraped.

``RunMetrics`` is a ``prometheus_client`` collector in a registry of its own. The runner feeds it at its
seams: durable outcome events as they are folded (so the counters equal the journal's counts for this
worker), each attempt's duration, lease renewals and losses, breaker changes, pause state, and a summary
snapshot every progress interval (rate, ETA and its interval). A scrape reads those cached values and
never touches the store or the tracker: the scrape thread and the run's loop share nothing but numbers.

Plain counters instead of ``prometheus_client.Counter``/``Histogram`` objects keep the per-item cost to an
integer increment and a bisect (no lock, no label lookup): the benchmark holds the endpoint to ≤ 2 %.

Every series is labelled ``run_id`` and ``worker``; the names are listed in ``METRIC_NAMES``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.summary import MigrationProgressSummary

__all__ = ["ATTEMPT_BUCKETS", "METRIC_NAMES", "RunMetrics"]

PREFIX: Final = "omnimemory_migration"
ATTEMPT_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Upper bounds (seconds) of the attempt duration histogram's buckets."""

METRIC_NAMES: Final = (
    f"{PREFIX}_items_total",
    f"{PREFIX}_items_in_flight",
    f"{PREFIX}_retries_total",
    f"{PREFIX}_attempt_duration_seconds",
    f"{PREFIX}_rate_items_per_second",
    f"{PREFIX}_eta_seconds",
    f"{PREFIX}_eta_low_seconds",
    f"{PREFIX}_eta_high_seconds",
    f"{PREFIX}_paused",
    f"{PREFIX}_breaker_state",
    f"{PREFIX}_lease_renewals_total",
    f"{PREFIX}_lease_losses_total",
)
"""Every metric a worker exposes (counters with their ``_total`` suffix)."""

_OUTCOMES: Final = {
    EventKind.FILE_SUCCEEDED: "succeeded",
    EventKind.FILE_FAILED: "failed",
    EventKind.FILE_SKIPPED: "skipped",
}
_COUNTED: Final = {**_OUTCOMES, EventKind.FILE_RETRIED: "retried"}
_BREAKER_STATES: Final = ("closed", "half_open", "open")
_LABELS: Final = ["run_id", "worker"]


class RunMetrics(Collector):
    """One worker's migration metrics, registered in ``registry`` (a new one by default).

    The runner calls ``attach`` when it is given this object; the other methods are its feed.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, *, buckets: Sequence[float] = ATTEMPT_BUCKETS
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=False)
        self.run_id = ""
        self.worker_id = ""
        self.outcomes = dict.fromkeys(_OUTCOMES.values(), 0)
        self.retries = 0
        self.lease_renewals = 0
        self.lease_losses = 0
        self._bounds = tuple(sorted(buckets))
        self._buckets = [0] * (len(self._bounds) + 1)
        self._duration_sum = 0.0
        self._in_flight: Callable[[], int] = lambda: 0
        self._rate = 0.0
        self._eta: tuple[float | None, float | None, float | None] = (None, None, None)
        self._paused_reason: str | None = None
        self._breaker = "closed"
        self.registry.register(self)

    def attach(self, run_id: str, worker_id: str, in_flight: Callable[[], int]) -> None:
        """Label the series with the runner's run and worker, and read its in-flight count at scrapes."""
        self.run_id, self.worker_id, self._in_flight = run_id, worker_id, in_flight

    # --- the runner's feed (loop thread) ----------------------------------------------------------------

    def count(self, events: Iterable[Event]) -> None:
        """Count this worker's durable outcomes and retries among folded journal events."""
        worker = self.worker_id
        outcomes = self.outcomes
        counted = _COUNTED
        for event in events:
            name = counted.get(event.kind)
            if name is None or event.worker_id != worker:
                continue  # most events (added, started, batch and run events) end here
            if name == "retried":
                self.retries += 1
            else:
                outcomes[name] += 1

    def attempt(self, seconds: float) -> None:
        """Observe one attempt's duration."""
        self._buckets[bisect_left(self._bounds, seconds)] += 1
        self._duration_sum += seconds

    def lease(self, renewed: bool) -> None:
        """Count a lease renewal (``renewed``) or a lease lost to expiry."""
        if renewed:
            self.lease_renewals += 1
        else:
            self.lease_losses += 1

    def progress(self, summary: MigrationProgressSummary) -> None:
        """Cache the rate and the ETA (with its interval) from a fresh summary."""
        self._rate = summary.processing_rates.files_per_second_recent
        self._eta = (summary.eta_seconds, summary.eta_low_seconds, summary.eta_high_seconds)

    def paused(self, reason: str | None) -> None:
        """Record why the worker is not starting items (``None`` when it is running)."""
        self._paused_reason = reason

    def breaker(self, state: str) -> None:
        """Record the breaker's state (``closed``, ``half_open`` or ``open``)."""
        self._breaker = state

    # --- the scrape (server thread) ---------------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family from the cached numbers."""
        labels = [self.run_id, self.worker_id]
        items = CounterMetricFamily(
            f"{PREFIX}_items", "Items finished, by outcome", labels=[*_LABELS, "outcome"]
        )
        for outcome, value in self.outcomes.items():
            items.add_metric([*labels, outcome], value)
        yield items
        yield _gauge("items_in_flight", "Items being attempted now", labels, self._in_flight())
        yield _counter("retries", "Failed attempts that were retried", labels, self.retries)
        yield self._histogram(labels)
        yield _gauge("rate_items_per_second", "Recent processing rate", labels, self._rate)
        eta, low, high = self._eta
        yield _gauge("eta_seconds", "Estimated seconds left (NaN while unknown)", labels, eta)
        yield _gauge("eta_low_seconds", "Low end of the ETA interval", labels, low)
        yield _gauge("eta_high_seconds", "High end of the ETA interval", labels, high)
        paused = GaugeMetricFamily(
            f"{PREFIX}_paused", "1 while the worker starts no items, with why", labels=[*_LABELS, "reason"]
        )
        reason = self._paused_reason
        paused.add_metric([*labels, reason or ""], 0.0 if reason is None else 1.0)
        yield paused
        breaker = GaugeMetricFamily(
            f"{PREFIX}_breaker_state", "1 for the breaker's current state", labels=[*_LABELS, "state"]
        )
        for state in _BREAKER_STATES:
            breaker.add_metric([*labels, state], 1.0 if state == self._breaker else 0.0)
        yield breaker
        yield _counter("lease_renewals", "Lease heartbeats that renewed a lease", labels, self.lease_renewals)
        yield _counter("lease_losses", "Leases lost to expiry (items run again)", labels, self.lease_losses)

    def _histogram(self, labels: list[str]) -> Metric:
        counts = list(self._buckets)
        cumulative, running = [], 0
        for bound, count in zip((*self._bounds, math.inf), counts, strict=True):
            running += count
            cumulative.append(("+Inf" if bound == math.inf else repr(float(bound)), float(running)))
        family = HistogramMetricFamily(
            f"{PREFIX}_attempt_duration_seconds", "Duration of each attempt", labels=_LABELS
        )
        family.add_metric(labels, cumulative, self._duration_sum)
        return family

    def __repr__(self) -> str:
        done = sum(self.outcomes.values())
        return (
            f"<RunMetrics {self.run_id!r} worker={self.worker_id!r} finished={done} retries={self.retries}>"
        )


def _gauge(name: str, documentation: str, labels: list[str], value: float | None) -> Metric:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=_LABELS)
    family.add_metric(labels, math.nan if value is None else float(value))
    return family


def _counter(name: str, documentation: str, labels: list[str], value: int) -> Metric:
    family = CounterMetricFamily(f"{PREFIX}_{name}", documentation, labels=_LABELS)
    family.add_metric(labels, float(value))
    return family
