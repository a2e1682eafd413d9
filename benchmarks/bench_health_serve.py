"""``health serve`` as an SRE tool: scrape latency, the uptime table, and how soon a down alert arrives.

Targets (issue 15):
- ``/metrics`` with 50 checks: p99 at most 5 ms at 200 requests/s from a loopback client (the server in
  its own process, its checks running every second meanwhile); ``/livez`` in the same run is the floor;
- the uptime table (5 windows) and SLO table for 50 checks x 30 days of minute samples: at most 200 ms;
- a down check's webhook is received at most 1 s after its damping threshold is met.

``OMNIMEMORY_BENCH_QUICK=1`` sends fewer requests.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import median, table, verdict

QUICK = os.environ.get("OMNIMEMORY_BENCH_QUICK") == "1"
CHECKS = 50
RATE = 200.0
SECONDS = 2.0 if QUICK else 5.0
DAYS = 30


# --- /metrics under load -------------------------------------------------------------------------


async def _serve_child(port_file: str) -> None:
    """Run a HealthServer with 50 instant checks (every second) until SIGTERM; write its port."""
    from omnimemory_kit.health import HealthCheckConfig, HealthManager
    from omnimemory_kit.health.monitor import HealthMonitor
    from omnimemory_kit.health.serve import HealthServer

    manager = HealthManager(sample_resources=False)

    async def instant() -> bool:
        return True

    for index in range(CHECKS):
        manager.register_health_check(HealthCheckConfig(name=f"dep{index:02d}", timeout=1.0), instant)
    monitor = HealthMonitor(manager, {f"dep{index:02d}": 1.0 for index in range(CHECKS)})
    server = HealthServer(monitor, port=0)

    def announce() -> None:
        Path(port_file).write_text(str(server.port))

    await server.serve_forever(on_ready=announce)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


OPENMETRICS_ACCEPT = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
"""What Prometheus sends when it scrapes."""


def _scrape(base: str, path: str, accept: str | None = None) -> list[float]:
    """Send RATE requests per second for SECONDS to ``path``; return each latency in seconds."""
    import httpx

    latencies: list[float] = []
    with httpx.Client(base_url=base, headers={"Accept": accept} if accept else None) as client:
        client.get(path)  # connect and warm up
        start = time.perf_counter()
        for index in range(int(RATE * SECONDS)):
            due = start + index / RATE
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            began = time.perf_counter()
            answer = client.get(path)
            latencies.append(time.perf_counter() - began)
            assert answer.status_code == 200
    return latencies


def _render_costs() -> tuple[list[float], list[float]]:
    """Return per-call seconds of rendering /metrics for 50 checks after a new result, and from cache."""
    import datetime as dt

    from omnimemory_kit.health import ComponentType, DependencyHealth, DependencyType, HealthResponse
    from omnimemory_kit.health import HealthStatus as Status
    from omnimemory_kit.health.metrics import HealthMetrics

    names = [f"dep{index:02d}" for index in range(CHECKS)]
    metrics = HealthMetrics(names)
    now = dt.datetime.now(dt.UTC)
    results = [
        DependencyHealth(
            name=name, dependency_type=DependencyType.OTHER, component_type=ComponentType.COMPONENT,
            critical=True, status=Status.HEALTHY, observed_status=Status.HEALTHY, checked_at=now,
            latency_ms=1.5, last_success_at=now,
        )
        for name in names
    ]  # fmt: skip
    overall = HealthResponse(status=Status.HEALTHY, checked_at=now, duration_ms=0.0)
    for result in results:
        metrics.observe(result, overall)
    fresh, cached = [], []
    for index in range(500 if QUICK else 2000):
        metrics.observe(results[index % CHECKS], overall)
        began = time.perf_counter()
        metrics.render()
        fresh.append(time.perf_counter() - began)
        began = time.perf_counter()
        metrics.render()
        cached.append(time.perf_counter() - began)
    return fresh, cached


def _metrics_section() -> list[list[object]]:
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        child = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_health_serve", "--serve", str(port_file)],
            cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            while not port_file.exists() or not port_file.read_text():
                if child.poll() is not None:
                    raise RuntimeError("the health server did not start")
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            time.sleep(1.5)  # every check has run at least once
            metrics = _scrape(base, "/metrics")
            openmetrics = _scrape(base, "/metrics", OPENMETRICS_ACCEPT)
            livez = _scrape(base, "/livez")
        finally:
            child.terminate()
            child.wait(timeout=30)
    p99 = _percentile(metrics, 0.99)
    open_p99 = _percentile(openmetrics, 0.99)
    fresh, cached = _render_costs()
    return [
        [
            f"/metrics, {CHECKS} checks, {RATE:.0f} req/s for {SECONDS:.0f} s",
            f"p50 {median(metrics) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms",
            f"/livez p50 {median(livez) * 1000:.2f} ms, p99 {_percentile(livez, 0.99) * 1000:.2f} ms",
            "p99 ≤ 5 ms",
            verdict(p99 <= 0.005),
        ],
        [
            f"the same as OpenMetrics (Accept of a Prometheus scrape), {RATE:.0f} req/s for {SECONDS:.0f} s",
            f"p50 {median(openmetrics) * 1000:.2f} ms, p99 {open_p99 * 1000:.2f} ms",
            "the text format above",
            "p99 ≤ 5 ms",
            verdict(open_p99 <= 0.005),
        ],
        [
            f"rendering the exposition of {CHECKS} checks after a new result / cached "
            "(serve renders at most once a second)",
            f"p99 {_percentile(fresh, 0.99) * 1000:.2f} ms / {_percentile(cached, 0.99) * 1e6:.1f} µs",
            "the HTTP round trip above",
            "(informational)",
            "",
        ],
    ]


# --- the uptime table ----------------------------------------------------------------------------


def _fill(store: object, now: float) -> int:
    """Add 30 days of one-minute samples per check as rollups (minute rows kept for the last 24 h)."""
    from omnimemory_kit.health.uptime import RESOLUTIONS, bucket_start, is_up, latency_bin
    from omnimemory_kit.store.base import HealthRollupRow

    rng = random.Random(15)
    samples = 0
    for index in range(CHECKS):
        name = f"dep{index:02d}"
        sums: dict[tuple[str, float], list[object]] = {}
        for minute in range(DAYS * 1440):
            at = now - 60.0 * minute
            status = "unhealthy" if rng.random() < 0.001 else "healthy"
            latency = rng.lognormvariate(1.0, 0.6)
            samples += 1
            for resolution in RESOLUTIONS:
                if resolution == "minute" and minute >= 1440:
                    continue
                key = (resolution, bucket_start(at, resolution))
                entry = sums.setdefault(key, [0, 0, 0.0, {}])
                entry[0] += 1  # type: ignore[operator]
                entry[1] += int(is_up(status))  # type: ignore[operator]
                entry[2] += latency  # type: ignore[operator]
                bins: dict[int, int] = entry[3]  # type: ignore[assignment]
                number = latency_bin(latency)
                bins[number] = bins.get(number, 0) + 1
        rows = [
            HealthRollupRow(
                name,
                resolution,
                start,
                int(total),
                int(up),
                0,
                int(total),
                float(latency_sum),
                tuple(sorted(bins.items())),
            )
            for (resolution, start), (total, up, latency_sum, bins) in sums.items()
        ]
        store.add_health_rollups(rows)  # type: ignore[attr-defined]
    return samples


def _uptime_section() -> list[list[object]]:
    from omnimemory_kit.health.slo import slo_table
    from omnimemory_kit.health.uptime import uptime_table
    from omnimemory_kit.store import open_store

    now = time.time()
    names = [f"dep{index:02d}" for index in range(CHECKS)]
    with tempfile.TemporaryDirectory() as folder, open_store(f"sqlite:///{folder}/bench.db") as store:
        samples = _fill(store, now)
        timings, slo_timings, floor = [], [], []
        for _ in range(3 if QUICK else 7):
            began = time.perf_counter()
            rows = uptime_table(store, now, names=names)
            timings.append(time.perf_counter() - began)
            began = time.perf_counter()
            slo_table(store, dict.fromkeys(names, 99.9), now)
            slo_timings.append(time.perf_counter() - began)
            began = time.perf_counter()
            store.summarize_health_rollups(resolution="day", since=now - DAYS * 86400)
            floor.append(time.perf_counter() - began)
    assert len(rows) == CHECKS * 5
    took = min(timings)
    return [
        [
            f"uptime table, {CHECKS} checks x {DAYS} days of minute samples ({samples:,}), 5 windows",
            f"best {took * 1000:.0f} ms, median {median(timings) * 1000:.0f} ms "
            f"(+ SLO table {min(slo_timings) * 1000:.0f} ms)",
            f"one 30-day summary query: {median(floor) * 1000:.1f} ms",
            "≤ 200 ms",
            verdict(took <= 0.2),
        ]
    ]


# --- time to the webhook -------------------------------------------------------------------------


async def _alert_delays(trials: int) -> list[float]:
    """Return, per trial, seconds from the result that met the damping threshold to the webhook's receipt."""
    from aiohttp import web

    from omnimemory_kit.health import HealthCheckConfig, HealthManager
    from omnimemory_kit.health.alerts import Alerter, Webhook
    from omnimemory_kit.health.monitor import HealthMonitor

    received: asyncio.Queue[float] = asyncio.Queue()

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        received.put_nowait(time.time())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    delays = []
    try:
        for _ in range(trials):
            manager = HealthManager(sample_resources=False)
            runs = iter(range(1_000_000))

            async def healthy_once(runs: object = runs) -> bool:
                return next(runs) == 0  # type: ignore[call-overload]  # then down for good

            manager.register_health_check(
                HealthCheckConfig(name="db", timeout=1.0, failures_to_change=3), healthy_once
            )
            monitor = HealthMonitor(manager, {"db": 0.1})
            alerter = Alerter([Webhook("ops", url)])
            threshold_met: list[float] = []

            def note(result: object, overall: object, met: list[float] = threshold_met) -> None:
                if getattr(result, "status", None) == "unhealthy" and not met:
                    met.append(time.time())

            monitor.add_listener(note)
            monitor.add_listener(alerter.observe)
            monitor.start()
            arrived = await asyncio.wait_for(received.get(), 10)
            await monitor.stop()
            await alerter.aclose()
            manager.close()
            delays.append(arrived - threshold_met[0])
    finally:
        await runner.cleanup()
    return delays


def _alert_section() -> list[list[object]]:
    delays = asyncio.run(_alert_delays(5 if QUICK else 20))
    worst = max(delays)
    return [
        [
            "down alert after the damping threshold (3 failures, checks every 0.1 s)",
            f"median {median(delays) * 1000:.1f} ms, max {worst * 1000:.1f} ms",
            "the check interval: 100 ms",
            "≤ 1 s",
            verdict(worst <= 1.0),
        ]
    ]


def run() -> str:
    """Measure and return the Markdown section."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    rows = _metrics_section() + _uptime_section() + _alert_section()
    return (
        "## Health serving, uptime and alerts\n\n"
        "The server runs in its own process; the client is a plain httpx client on loopback pacing its "
        "requests, and `/livez` (no work at all) measured right after `/metrics` is the floor of the "
        "machine. The uptime store is a SQLite file holding the rollups 30 days of one-minute samples "
        "leave (minute rows for the last 24 h, hour and day rows for all 30 days); best and median of "
        "7 tables. The machine's load average is printed with the run: these shared 2 cores are often "
        "busy with other test suites, which moves p99 and medians.\n\n"
        + table(["case", "measured", "side by side", "target", "result"], rows)
        + f"\n\nLoad average before the run: {load}. "
        "Reproduce: `.venv/bin/python -m benchmarks health_serve`.\n"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(_serve_child(sys.argv[2]))
    else:
        print(run())
