"""SRE health figures and tables: uptime/SLO table, incident timeline, latency over time, alert log."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from omnimemory_kit.health.incidents import Incident, incidents_frame
from omnimemory_kit.health.slo import SloStatus
from omnimemory_kit.health.uptime import WindowUptime, latency_bin
from omnimemory_kit.notebook.sre_figures import (
    ALERT_COLUMNS,
    alert_log_table,
    incident_timeline_figure,
    latency_over_time_figure,
    rollup_percentiles_frame,
    uptime_slo_table,
)
from omnimemory_kit.store.base import HealthAlertRow, HealthRollupRow

T0 = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)
EVIL = "<script>alert(1)</script>"


def window(name: str, label: str, uptime: float | None) -> WindowUptime:
    """An uptime row for one check and window."""
    return WindowUptime(name, label, T0, 10, 9, 0, uptime, 1.0, 1.0, 2.0, 3.0)


class TestUptimeSloTable:
    def test_one_row_per_check_with_windows_then_slo(self) -> None:
        """Each check gets its windows as percentages and, when it has one, its SLO standing."""
        rows = [window("db", "1h", 1.0), window("db", "24h", 0.999), window("web", "1h", None)]
        slos = [SloStatus("db", 99.9, 0.9995, 0.5, {}, fast_burn=False, slow_burn=True)]
        table = uptime_slo_table(rows, slos)
        assert list(table.columns) == ["check", "1h", "24h", "slo", "budget left", "burn"]
        assert table.to_dict("records") == [
            {"check": "db", "1h": "100.000%", "24h": "99.900%", "slo": "99.9%", "budget left": "50.000%",
             "burn": "slow burn"},
            {"check": "web", "1h": "", "24h": "", "slo": "", "budget left": "", "burn": ""},
        ]  # fmt: skip


class TestIncidentTimeline:
    def test_bars_span_each_incident_and_names_are_escaped(self) -> None:
        """One bar per incident from its start, as long as it lasted; an open one runs to 'now'."""
        incidents = incidents_frame(
            [
                Incident(EVIL, T0, T0 + dt.timedelta(minutes=5), "unhealthy", EVIL, 3),
                Incident("db", T0 + dt.timedelta(minutes=10), None, "degraded", None, 1),
            ]
        )
        fig = incident_timeline_figure(incidents, now=T0 + dt.timedelta(minutes=12))
        by_status = {trace.name: trace for trace in fig.data}
        assert set(by_status) == {"unhealthy", "degraded"}
        assert list(by_status["unhealthy"].x) == [300_000.0]
        assert list(by_status["degraded"].x) == [120_000.0]
        assert "<script>" not in fig.to_json()

    def test_no_incidents_says_so(self) -> None:
        """An empty frame gives a figure saying there were none."""
        fig = incident_timeline_figure(incidents_frame([]))
        assert "No incidents" in fig.to_json()


class TestLatencyOverTime:
    def test_percentiles_per_bucket_and_two_lines_per_check(self) -> None:
        """Each rollup bucket gives its p50/p99; the figure draws p50 and p99 per check."""
        bins = ((latency_bin(10.0), 98), (latency_bin(500.0), 2))
        rows = [
            HealthRollupRow("db", "hour", T0.timestamp(), 100, 99, 0, 100, 1980.0, bins),
            HealthRollupRow("db", "hour", T0.timestamp() + 3600, 0),
        ]
        frame = rollup_percentiles_frame(rows)
        assert frame["uptime"].tolist()[0] == 0.99
        assert abs(frame["p50_ms"][0] - 10.0) <= 0.5
        assert abs(frame["p99_ms"][0] - 500.0) <= 25.0
        assert pd.isna(frame["p50_ms"][1])
        fig = latency_over_time_figure(frame)
        assert [trace.name for trace in fig.data] == ["db p50", "db p99"]

    def test_without_latencies_the_figure_says_so(self) -> None:
        """No rollups means an empty figure with a reason."""
        assert "No latencies" in latency_over_time_figure(rollup_percentiles_frame([])).to_json()


class TestAlertLog:
    def test_newest_first_with_every_column(self) -> None:
        """Alerts are listed newest first with time, check, kind, webhook, outcome, attempts, error."""
        alerts = [
            HealthAlertRow(T0.timestamp(), "db", "down", "ops", "sent", 1, None, 1),
            HealthAlertRow(
                T0.timestamp() + 60, "db", "resolved", "ops", "failed", 4, "no answer within 5s", 2
            ),
        ]
        table = alert_log_table(alerts)
        assert list(table.columns) == list(ALERT_COLUMNS)
        assert table["kind"].tolist() == ["resolved", "down"]
        assert table.iloc[0].to_dict() == {
            "at": "2027-01-15 08:01:00", "check": "db", "kind": "resolved", "webhook": "ops",
            "outcome": "failed", "attempts": 4, "error": "no answer within 5s",
        }  # fmt: skip
