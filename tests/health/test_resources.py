"""Host metrics: real psutil readings, rates between samples on the injected clock, never blocking."""

from __future__ import annotations

import os
import socket
import threading

import psutil
import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.health import DependencyType, HealthCheckConfig, HealthManager
from omnimemory_kit.health.checks import DiskSpaceCheck
from omnimemory_kit.health.resources import ResourceSampler


def send_over_loopback(nbytes: int) -> None:
    """Push ``nbytes`` through a loopback TCP connection (counted by the host's network counters)."""
    server = socket.create_server(("127.0.0.1", 0))
    received = 0

    def drain() -> None:
        nonlocal received
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received += len(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    with socket.create_connection(server.getsockname()) as client:
        client.sendall(b"x" * nbytes)
    reader.join(timeout=10)
    server.close()
    assert received == nbytes


class TestSample:
    def test_figures_are_real_and_in_range(self, clock: FakeClock, tmp_path: object) -> None:
        """Every figure is present on Linux and within its natural range."""
        sampler = ResourceSampler(clock=clock, disk_path=str(tmp_path))
        sum(i * i for i in range(200_000))  # burn a little CPU so the process has CPU time to show
        clock.advance(1.0)
        metrics = sampler.sample()
        assert metrics.problems == ()
        assert metrics.disk_path == str(tmp_path)
        usage = psutil.disk_usage(str(tmp_path))
        assert metrics.disk_total_bytes == usage.total
        assert metrics.disk_percent is not None
        assert 0.0 <= metrics.disk_percent <= 100.0
        assert metrics.memory_percent is not None
        assert 0.0 < metrics.memory_percent <= 100.0
        assert metrics.process_rss_bytes is not None
        assert metrics.process_rss_bytes > 10 * 2**20
        assert metrics.open_fds is not None
        assert metrics.open_fds >= 3
        assert metrics.load_average is not None
        assert len(metrics.load_average) == 3
        assert metrics.cpu_percent is None or 0.0 <= metrics.cpu_percent <= 100.0
        assert metrics.sampled_at.timestamp() == pytest.approx(clock.time())

    def test_network_throughput_is_a_rate_between_samples(self, clock: FakeClock) -> None:
        """Bytes sent over loopback between two samples show as bytes per second of clock time."""
        sampler = ResourceSampler(clock=clock, min_window=0.5)
        first = sampler.sample()  # no clock time has passed: there is no rate yet
        assert first.net_sent_bytes_per_s is None
        clock.advance(0.1)
        sampler.sample()  # baseline stays (window < min_window) ...
        send_over_loopback(4_000_000)
        clock.advance(1.9)  # ... so the rate covers all 2.0 s and the 4 MB
        metrics = sampler.sample()
        totals = psutil.net_io_counters()
        assert metrics.window_s == pytest.approx(2.0)
        assert metrics.net_sent_bytes_per_s is not None
        assert metrics.net_recv_bytes_per_s is not None
        assert metrics.net_sent_bytes_per_s >= 4_000_000 / 2.0
        assert metrics.net_recv_bytes_per_s >= 4_000_000 / 2.0
        # a rate over this window, not the totals since boot divided by anything sensible
        assert metrics.net_sent_bytes_per_s < totals.bytes_sent

    def test_short_windows_repeat_the_last_good_rates(self, clock: FakeClock) -> None:
        """Sampling faster than min_window repeats the last rates instead of measuring noise."""
        sampler = ResourceSampler(clock=clock, min_window=1.0)
        clock.advance(1.0)
        measured = sampler.sample()
        send_over_loopback(1_000_000)
        clock.advance(0.01)
        again = sampler.sample()
        assert again.net_sent_bytes_per_s == measured.net_sent_bytes_per_s
        assert again.window_s == measured.window_s == pytest.approx(1.0)

    def test_cpu_percent_is_measured_by_the_sampler_not_psutil_global_state(self, clock: FakeClock) -> None:
        """Another caller resetting psutil's own baseline does not disturb the sampler's CPU figure."""
        sampler = ResourceSampler(clock=clock, min_window=0.0)
        me = psutil.Process()
        start = me.cpu_times()
        while (me.cpu_times().user + me.cpu_times().system) - (start.user + start.system) < 0.05:
            sum(i for i in range(10_000))  # burn at least 50 ms of this process's CPU time
        psutil.cpu_percent(None)
        clock.advance(1.0)
        metrics = sampler.sample()
        assert metrics.cpu_percent is not None
        assert 0.0 < metrics.cpu_percent <= 100.0
        assert metrics.process_cpu_percent is not None
        assert metrics.process_cpu_percent > 0.0

    def test_a_missing_disk_path_is_a_problem_not_an_exception(
        self, clock: FakeClock, tmp_path: object
    ) -> None:
        """A disk path that does not exist leaves disk figures empty and says why."""
        missing = os.path.join(str(tmp_path), "gone")
        metrics = ResourceSampler(clock=clock, disk_path=missing).sample()
        assert (metrics.disk_percent, metrics.disk_free_bytes, metrics.disk_total_bytes) == (None, None, None)
        assert len(metrics.problems) == 1
        assert metrics.problems[0].startswith(f"disk {missing!r}: ")
        assert metrics.memory_percent is not None
        assert 0.0 < metrics.memory_percent <= 100.0  # the other figures are still read


class TestInTheManager:
    async def test_the_manager_reports_the_configured_volume(
        self, clock: FakeClock, tmp_path: object
    ) -> None:
        """A manager's response carries host metrics for its resource_path, as IETF system entries."""
        manager = HealthManager(clock=clock, resource_path=str(tmp_path))
        try:
            response = await manager.get_comprehensive_health()
        finally:
            manager.close()
        assert response.resources is not None
        assert response.resources.disk_path == str(tmp_path)
        checks = response.to_ietf()["checks"]
        assert checks["disk:utilization"][0]["componentId"] == str(tmp_path)
        assert checks["memory:utilization"][0]["componentType"] == "system"

    async def test_the_disk_check_and_the_host_metric_agree_on_utilization(
        self, clock: FakeClock, tmp_path: object
    ) -> None:
        """The disk check's utilization and the host's disk utilization of one volume are one number."""
        manager = HealthManager(clock=clock, resource_path=str(tmp_path))
        check = DiskSpaceCheck(str(tmp_path), warn_free_pct=0, fail_free_pct=0, clock=clock)
        manager.register_health_check(
            HealthCheckConfig(name="disk", dependency_type=DependencyType.FILESYSTEM), check
        )
        try:
            response = await manager.get_comprehensive_health()
        finally:
            manager.close()
            await check.aclose()
        entries = {e["componentId"]: e for e in response.to_ietf()["checks"]["disk:utilization"]}
        assert set(entries) == {"disk", str(tmp_path)}
        assert entries["disk"]["observedValue"] == pytest.approx(
            entries[str(tmp_path)]["observedValue"], abs=1
        )
        assert entries["disk"]["observedValue"] == pytest.approx(
            psutil.disk_usage(str(tmp_path)).percent, abs=1
        )

    async def test_a_recent_sample_is_reused_until_it_is_too_old(self, clock: FakeClock) -> None:
        """Rounds within resource_max_age share one sample; a later round takes a new one."""
        manager = HealthManager(clock=clock, resource_max_age=1.0)
        try:
            first = (await manager.get_comprehensive_health()).resources
            clock.advance(0.5)
            second = (await manager.get_comprehensive_health()).resources
            clock.advance(0.5)
            third = (await manager.get_comprehensive_health()).resources
        finally:
            manager.close()
        assert first is not None
        assert second is not None
        assert third is not None
        assert second is first
        assert (third.sampled_at - first.sampled_at).total_seconds() == pytest.approx(1.0)

    async def test_changing_the_resource_path_takes_a_new_sample(
        self, clock: FakeClock, tmp_path: object
    ) -> None:
        """A new resource_path is sampled at once, not answered from the old volume's sample."""
        manager = HealthManager(clock=clock)
        try:
            await manager.get_comprehensive_health()
            manager.resource_path = str(tmp_path)
            resources = (await manager.get_comprehensive_health()).resources
        finally:
            manager.close()
        assert resources is not None
        assert resources.disk_path == str(tmp_path)

    async def test_without_resource_sampling_there_are_no_metrics(self, manager: HealthManager) -> None:
        """sample_resources=False leaves resources out."""
        assert (await manager.get_comprehensive_health()).resources is None

    def test_repr_names_the_volume(self, clock: FakeClock) -> None:
        """The sampler's repr shows the volume it watches."""
        assert (
            repr(ResourceSampler(clock=clock, disk_path="/tmp"))
            == "<ResourceSampler disk='/tmp' window>=0.5s>"
        )
