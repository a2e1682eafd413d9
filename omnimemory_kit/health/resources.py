"""Host and process metrics from psutil, sampled cheaply and without ever blocking on an interval.

psutil's ``cpu_percent(interval=x)`` sleeps ``x`` seconds, and its ``interval=None`` form keeps one hidden
baseline per process that every caller shares. The sampler instead keeps its *own* previous counters and
computes every rate between two of its samples:

- system CPU % from the change in ``cpu_times()`` (busy share of all CPU time, 0-100);
- process CPU % from the change in the process's CPU seconds over the change in the host's CPU seconds per
  core, i.e. percent of one core (like ``top``; above 100 when several cores are busy);
- network throughput in bytes per second from the change in ``net_io_counters()`` over the change in the
  injected clock's monotonic time, never the totals since boot.

The baseline is taken when the sampler is made (the "priming" call) and moves forward only once at least
``min_window`` seconds have passed, so a dashboard polling every millisecond still gets rates over a
meaningful window instead of 0/100 % noise. Each reading that fails (a missing disk path, a platform
without load average) gives None and a line in ``problems``, never an exception.

A sample costs roughly 0.1-0.2 ms; the manager runs it in a worker thread next to the checks.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass

import psutil

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.health.models import ResourceMetrics

__all__ = ["ResourceSampler"]


@dataclass(frozen=True, slots=True)
class _Counters:
    """Cumulative counters at one moment; rates are differences between two of these."""

    at: float  # injected clock, monotonic seconds
    cpu_total: float | None  # all CPUs' seconds, every mode
    cpu_idle: float | None  # all CPUs' idle (+ iowait) seconds
    process_cpu: float | None  # this process's user + system seconds
    net_sent: int | None
    net_recv: int | None


@dataclass(frozen=True, slots=True)
class _Rates:
    cpu_percent: float | None
    process_cpu_percent: float | None
    net_sent_bytes_per_s: float | None
    net_recv_bytes_per_s: float | None
    window_s: float | None


_NO_RATES = _Rates(None, None, None, None, None)


class ResourceSampler:
    """Sample host and process metrics into ``ResourceMetrics``; safe to call from several threads.

    Args:
        clock: where the time between samples comes from (network rates and ``sampled_at``).
        disk_path: whose volume to report disk usage for (the store's directory); the current working
            directory when None.
        min_window: the shortest time, in seconds, rates are measured over once the first window is done.
    """

    def __init__(
        self, *, clock: Clock = SYSTEM_CLOCK, disk_path: str | None = None, min_window: float = 0.5
    ) -> None:
        self._clock = clock
        self.disk_path = disk_path
        self.min_window = min_window
        self._process = psutil.Process()
        self._cpu_count = psutil.cpu_count() or 1
        self._lock = threading.Lock()
        self._baseline = self._read_counters()
        self._last_rates: _Rates | None = None

    def sample(self) -> ResourceMetrics:
        """Read every metric now (non-blocking: no interval sleeps) and return them as a snapshot."""
        problems: list[str] = []
        with self._lock:
            short = (
                self._last_rates is not None and self._clock.monotonic() - self._baseline.at < self.min_window
            )
            rates = self._last_rates if short and self._last_rates is not None else None
        if rates is None:  # the window is long enough (or first): read the counters and measure
            counters = self._read_counters()
            with self._lock:
                rates = self._rates_since_baseline(counters)
        memory_percent = memory_available = None
        try:
            memory = psutil.virtual_memory()
            memory_percent, memory_available = float(memory.percent), int(memory.available)
        except (OSError, psutil.Error) as exc:
            problems.append(f"memory: {exc}")
        rss = None
        try:
            rss = int(self._process.memory_info().rss)
        except (OSError, psutil.Error) as exc:
            problems.append(f"process memory: {exc}")
        disk_path = self.disk_path or os.getcwd()
        disk_percent = disk_free = disk_total = None
        try:
            usage = psutil.disk_usage(disk_path)
            disk_percent, disk_free, disk_total = float(usage.percent), int(usage.free), int(usage.total)
        except (OSError, psutil.Error) as exc:
            problems.append(f"disk {disk_path!r}: {exc}")
        load: tuple[float, float, float] | None = None
        try:
            one, five, fifteen = os.getloadavg()
            load = (one, five, fifteen)
        except (OSError, AttributeError) as exc:  # not on every platform
            problems.append(f"load average: {exc}")
        fds = None
        try:
            fds = int(self._process.num_fds())
        except (OSError, AttributeError, psutil.Error) as exc:  # POSIX only
            problems.append(f"open file descriptors: {exc}")
        return ResourceMetrics(
            sampled_at=dt.datetime.fromtimestamp(self._clock.time(), dt.UTC),
            cpu_percent=rates.cpu_percent,
            process_cpu_percent=rates.process_cpu_percent,
            process_rss_bytes=rss,
            memory_percent=memory_percent,
            memory_available_bytes=memory_available,
            disk_path=disk_path,
            disk_percent=disk_percent,
            disk_free_bytes=disk_free,
            disk_total_bytes=disk_total,
            load_average=load,
            open_fds=fds,
            net_sent_bytes_per_s=rates.net_sent_bytes_per_s,
            net_recv_bytes_per_s=rates.net_recv_bytes_per_s,
            window_s=rates.window_s,
            problems=tuple(problems),
        )

    def _rates_since_baseline(self, now: _Counters) -> _Rates:
        """Return rates over [baseline, now]; move the baseline once the window is long enough."""
        window = now.at - self._baseline.at
        if self._last_rates is not None and window < self.min_window:
            return self._last_rates  # too short to measure well: repeat the last good window
        rates = _compute_rates(self._baseline, now, self._cpu_count)
        if rates == _NO_RATES:
            return self._last_rates or rates
        self._last_rates = rates
        if window >= self.min_window:
            self._baseline = now
        return rates

    def _read_counters(self) -> _Counters:
        cpu_total = cpu_idle = None
        try:
            times = psutil.cpu_times()
            cpu_total = float(sum(times))
            cpu_idle = float(times.idle + getattr(times, "iowait", 0.0))
        except (OSError, psutil.Error):
            pass
        process_cpu = None
        try:
            proc = self._process.cpu_times()
            process_cpu = float(proc.user + proc.system)
        except (OSError, psutil.Error):
            pass
        net_sent = net_recv = None
        try:
            net = psutil.net_io_counters()
            if net is not None:
                net_sent, net_recv = int(net.bytes_sent), int(net.bytes_recv)
        except (OSError, psutil.Error):
            pass
        return _Counters(self._clock.monotonic(), cpu_total, cpu_idle, process_cpu, net_sent, net_recv)

    def __repr__(self) -> str:
        return f"<ResourceSampler disk={self.disk_path or os.getcwd()!r} window>={self.min_window}s>"


def _compute_rates(before: _Counters, after: _Counters, cpu_count: int) -> _Rates:
    """Return the rates between two counter readings (None where a difference is not meaningful)."""
    cpu_percent = process_percent = None
    if after.cpu_total is not None and before.cpu_total is not None:
        total = after.cpu_total - before.cpu_total
        if total > 0 and after.cpu_idle is not None and before.cpu_idle is not None:
            idle = after.cpu_idle - before.cpu_idle
            cpu_percent = min(100.0, max(0.0, 100.0 * (total - idle) / total))
            if after.process_cpu is not None and before.process_cpu is not None:
                used = max(0.0, after.process_cpu - before.process_cpu)
                process_percent = 100.0 * used / (total / cpu_count)
    elapsed = after.at - before.at
    sent = recv = None
    if elapsed > 0:
        if after.net_sent is not None and before.net_sent is not None:
            sent = max(0, after.net_sent - before.net_sent) / elapsed
        if after.net_recv is not None and before.net_recv is not None:
            recv = max(0, after.net_recv - before.net_recv) / elapsed
    if cpu_percent is None and sent is None:
        return _NO_RATES
    return _Rates(cpu_percent, process_percent, sent, recv, elapsed if elapsed > 0 else None)
