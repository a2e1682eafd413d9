"""Figure functions: data in, a titled and labelled Plotly figure out; empty data explained, never raised."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from omnimemory_kit.notebook import figures as F
from tests.notebook.frames import T0, batches_frame, files_frame, health_frame, progress_frame


def _title(fig: go.Figure) -> str:
    return str(fig.layout.title.text)


def _annotations(fig: go.Figure) -> list[str]:
    return [str(a.text) for a in fig.layout.annotations]


def _trace_names(fig: go.Figure) -> list[str]:
    return [str(t.name) for t in fig.data]


ALL_FIGURES: list[tuple[Callable[[pd.DataFrame], go.Figure], Callable[[], pd.DataFrame]]] = [
    (F.progress_figure, progress_frame),
    (F.rate_figure, progress_frame),
    (F.eta_figure, progress_frame),
    (F.eta_honesty_figure, progress_frame),
    (F.batches_figure, batches_frame),
    (F.errors_by_type_figure, files_frame),
    (F.slowest_items_figure, files_frame),
    (F.retry_histogram_figure, files_frame),
    (F.health_timeline_figure, health_frame),
    (F.latency_percentiles_figure, health_frame),
    (F.flapping_figure, health_frame),
    (F.host_resources_figure, health_frame),
]


class TestEveryFigure:
    @pytest.mark.parametrize(("build", "data"), ALL_FIGURES)
    def test_has_title_axis_titles_and_data(
        self, build: Callable[..., go.Figure], data: Callable[[], pd.DataFrame]
    ) -> None:
        """Each figure on real-shaped data has a title, labelled axes and at least one trace."""
        fig = build(data())
        assert _title(fig)
        assert fig.layout.xaxis.title.text
        assert fig.layout.yaxis.title.text
        assert len(fig.data) >= 1
        assert not _annotations(fig) or build is F.flapping_figure

    @pytest.mark.parametrize(("build", "data"), ALL_FIGURES)
    def test_empty_frame_gives_explained_empty_figure(
        self, build: Callable[..., go.Figure], data: Callable[[], pd.DataFrame]
    ) -> None:
        """An empty frame (right columns, no rows) yields a titled figure whose annotation says why."""
        fig = build(data().iloc[0:0])
        assert _title(fig)
        assert len(fig.data) == 0
        assert _annotations(fig)
        assert _annotations(fig)[0].startswith("No ")

    @pytest.mark.parametrize(("build", "data"), ALL_FIGURES)
    def test_none_or_wrong_columns_gives_empty_figure(
        self, build: Callable[..., go.Figure], data: Callable[[], pd.DataFrame]
    ) -> None:
        """None or a frame without the needed columns is explained like empty data, not raised."""
        assert len(build(None).data) == 0
        assert len(build(pd.DataFrame({"x": [1]})).data) == 0

    @pytest.mark.parametrize(("build", "data"), ALL_FIGURES)
    def test_user_text_is_escaped_in_the_figure_json(
        self, build: Callable[..., go.Figure], data: Callable[[], pd.DataFrame]
    ) -> None:
        """A file name or error message like ``<script>`` never reaches the figure unescaped."""
        assert "<script>" not in pio.to_json(build(data()))


class TestMigrationFigures:
    def test_progress_stacks_the_three_outcomes_and_draws_the_total(self) -> None:
        """Cumulative progress has succeeded/failed/skipped stacked plus a total line, coloured by outcome."""
        fig = F.progress_figure(progress_frame())
        assert _trace_names(fig) == ["succeeded", "failed", "skipped", "total"]
        assert [t.stackgroup for t in fig.data[:3]] == ["outcomes"] * 3
        assert fig.data[0].line.color == F.OUTCOME_COLORS["succeeded"]
        assert fig.data[1].line.color == F.OUTCOME_COLORS["failed"]
        assert list(fig.data[3].y) == [100] * 20

    def test_progress_keeps_journal_order_for_equal_times(self) -> None:
        """Samples sharing a time collapse to the latest, so a stacked cumulative count never drops."""
        frame = progress_frame(400)
        frame["at"] = frame["at"].iloc[0] + (frame.index // 2) * 10.0  # samples share times in pairs
        fig = F.progress_figure(frame, max_points=1000)
        succeeded = list(fig.data[0].y)
        assert succeeded == sorted(succeeded)
        assert succeeded == list(frame["succeeded"].iloc[1::2])  # the later sample of each moment
        assert len(set(fig.data[0].x)) == len(fig.data[0].x) == 200

    def test_progress_times_are_utc_moments_on_a_date_axis(self) -> None:
        """Epoch seconds become UTC epoch milliseconds on a date axis (compact in the page)."""
        fig = F.progress_figure(progress_frame())
        assert fig.layout.xaxis.type == "date"
        assert pd.Timestamp(fig.data[0].x[0], unit="ms", tz="UTC") == pd.Timestamp(T0, unit="s", tz="UTC")

    def test_rate_shows_recent_and_overall(self) -> None:
        """The rate figure compares the recent rate with the whole-run average, in items per second."""
        fig = F.rate_figure(progress_frame())
        assert _trace_names(fig) == ["recent", "overall average"]
        assert "items per second" in fig.layout.yaxis.title.text

    def test_rate_shades_throttled_intervals(self) -> None:
        """Each throttle interval becomes a band; one still open ends at the last sample."""
        throttles = pd.DataFrame(
            {
                "began_at": pd.to_datetime([T0 + 10, T0 + 40], unit="s", utc=True),
                "ended_at": pd.to_datetime([T0 + 20, float("nan")], unit="s", utc=True),
                "duration_s": [10.0, 5.0],
                "reason": ["redis unhealthy", "load_average_1m 9 > 8"],
            }
        )
        progress = progress_frame()
        fig = F.rate_figure(progress, throttles=throttles)
        bands = [shape for shape in fig.layout.shapes if shape.type == "rect"]
        assert len(bands) == 2
        assert (bands[0].x0, bands[0].x1) == ((T0 + 10) * 1000, (T0 + 20) * 1000)
        assert bands[1].x1 == fig.data[0].x[-1]
        assert len(F.rate_figure(progress).layout.shapes) == 0

    def test_eta_band_spans_low_to_high_in_readable_units(self) -> None:
        """The ETA band runs from the low to the high estimate; the unit follows the magnitude."""
        fig = F.eta_figure(progress_frame())
        high, low, estimate = fig.data
        assert low.fill == "tonexty"
        assert fig.layout.yaxis.title.text == "Time remaining (minutes)"
        assert estimate.y[2] == pytest.approx(180.0 / 60)
        assert low.y[2] == pytest.approx(180.0 * 0.8 / 60)
        assert high.y[2] == pytest.approx(180.0 * 1.3 / 60)

    def test_eta_without_any_estimate_is_explained(self) -> None:
        """A run too young for an estimate says so instead of drawing nothing."""
        fig = F.eta_figure(progress_frame().iloc[:2])
        assert "not enough items" in _annotations(fig)[0]

    def test_eta_honesty_sets_the_shown_eta_against_what_remained(self) -> None:
        """For a finished run the ETA shown is drawn beside the time that remained; the legend scores it."""
        fig = F.eta_honesty_figure(progress_frame())
        assert _trace_names(fig)[2:] == ["ETA shown", "actual"]
        actual = fig.data[3]
        assert actual.y[0] == pytest.approx(170.0 / 60)  # sample 2: 190 s of active time in all, 20 s gone
        assert actual.y[-1] == 0.0
        # low = 0.8 * (20 - i) * 10 <= (19 - i) * 10 holds for samples 2..15: 14 of the 18 with an ETA
        assert _trace_names(fig)[1] == "80 % interval (78 % held)"

    def test_eta_honesty_waits_for_the_end(self) -> None:
        """A run not finished yet cannot be judged: the figure says so."""
        fig = F.eta_honesty_figure(progress_frame().iloc[:10])
        assert "has not finished" in _annotations(fig)[0]

    def test_long_progress_is_downsampled(self) -> None:
        """A long series is cut to ``max_points`` samples, keeping the first and the last."""
        fig = F.progress_figure(progress_frame(5000), max_points=100)
        assert len(fig.data[0].x) == 100
        assert fig.data[3].y[-1] == 100

    def test_batches_show_duration_and_success_rate_percent(self) -> None:
        """Batches are bars of seconds with the success rate as a percentage on a right axis."""
        fig = F.batches_figure(batches_frame())
        bars, rate = fig.data
        assert list(bars.y) == [4.0, 5.0, 6.0, 7.0]
        assert list(rate.y) == [100.0, 90.0, 80.0, 100.0]
        assert rate.yaxis == "y2"
        assert fig.layout.yaxis2.title.text == "Success rate (%)"

    def test_many_batches_are_bucketed_keeping_the_worst_duration(self) -> None:
        """Thousands of batches merge into groups that keep the slowest duration and pool success."""
        batches = batches_frame(1000)
        batches["duration_s"] = 1.0
        batches.loc[500, "duration_s"] = 999.0
        fig = F.batches_figure(batches, max_points=100)
        assert len(fig.data[0].y) == 100
        assert sorted(fig.data[0].y)[-2:] == [1.0, 999.0]
        assert min(fig.data[1].y) > 80.0

    def test_errors_split_failed_for_good_from_recovered(self) -> None:
        """ValueError failed twice for good; TimeoutError was recovered by a retry."""
        fig = F.errors_by_type_figure(files_frame())
        failed, recovered = fig.data
        assert dict(zip(failed.y, failed.x, strict=True)) == {"TimeoutError": 0, "ValueError": 2}
        assert dict(zip(recovered.y, recovered.x, strict=True)) == {"TimeoutError": 1, "ValueError": 0}
        assert fig.layout.barmode == "stack"

    def test_errors_without_errors_is_explained(self) -> None:
        """A clean run gets an empty errors figure that says no attempt failed."""
        files = files_frame()
        files["error_type"] = None
        assert "No errors" in _annotations(F.errors_by_type_figure(files))[0]

    def test_slowest_items_are_the_longest_first_coloured_by_outcome(self) -> None:
        """The slowest item tops the chart, and its bar has the colour of its outcome."""
        fig = F.slowest_items_figure(files_frame(), top=3)
        order = list(fig.layout.yaxis.categoryarray)
        assert order[-1] == "dir/&lt;script&gt;alert(1)&lt;/script&gt;.py"
        assert len(order) == 3
        failed = next(t for t in fig.data if t.name == "failed")
        assert failed.marker.color == F.OUTCOME_COLORS["failed"]

    def test_slowest_items_with_alike_long_paths_keep_separate_bars(self) -> None:
        """Two long paths that shorten to the same label still get a bar each."""
        files = files_frame()
        files.loc[0, "path"] = "a/" + "x" * 80 + "/tool.py"
        files.loc[1, "path"] = "b/" + "x" * 80 + "/tool.py"
        fig = F.slowest_items_figure(files, top=6)
        labels = list(fig.layout.yaxis.categoryarray)
        assert len(set(labels)) == len(labels) == 6

    def test_retry_histogram_counts_items_per_attempt_count(self) -> None:
        """Items are counted by attempts, stacked by outcome; never-attempted items are left out."""
        fig = F.retry_histogram_figure(files_frame())
        counts = {t.name: dict(zip(t.x, t.y, strict=True)) for t in fig.data}
        assert counts["succeeded"] == {"1": 2, "2": 1, "3": 0}
        assert counts["failed"] == {"1": 0, "2": 0, "3": 2}
        assert sum(sum(c.values()) for c in counts.values()) == 6


class TestHealthFigures:
    def test_timeline_run_length_encodes_status_stretches(self) -> None:
        """Postgres flaps into five stretches; redis is one healthy stretch spanning every snapshot."""
        fig = F.health_timeline_figure(health_frame())
        by_status = {t.name: list(t.y) for t in fig.data}
        assert by_status["unhealthy"] == ["postgresql", "postgresql", "overall", "overall"]
        assert by_status["healthy"].count("postgresql") == 3
        assert by_status["healthy"].count("redis") == 1
        assert F.NO_DATA not in by_status  # snapshots a minute apart, none missing
        unhealthy = next(t for t in fig.data if t.name == "unhealthy")
        assert unhealthy.marker.color == F.HEALTH_COLORS["unhealthy"]
        assert list(unhealthy.x) == [60_000.0] * 4

    def test_overall_row_sits_on_top(self) -> None:
        """The overall status of each snapshot is the timeline's first row, above the dependencies."""
        fig = F.health_timeline_figure(health_frame())
        assert list(fig.layout.yaxis.categoryarray) == ["redis", "postgresql", "cpu", "overall"]

    def test_a_gap_in_the_history_is_drawn_as_no_data(self) -> None:
        """One snapshot, then eleven minutes of nothing: a short stretch of status, then no data."""
        frame = health_frame()
        frame = frame[frame["taken_at"].isin([T0 + 240.0, T0 + 300.0])].copy()  # a minute apart
        late = frame[frame["taken_at"] == T0 + 300.0].assign(taken_at=T0 + 300.0 + 11 * 60)
        fig = F.health_timeline_figure(pd.concat([frame, late]))
        redis = [
            (t.name, base, width)
            for t in fig.data
            for name, base, width in zip(t.y, t.base, t.x, strict=True)
            if name == "redis"
        ]
        # a result vouches for 1.5 typical intervals at most (here 1.5 x 1 min), then nothing vouches
        healthy = sorted(w for n, _, w in redis if n == "healthy")
        assert healthy == [90_000.0, 60_000.0 + 90_000.0]
        (gap,) = [w for n, _, w in redis if n == F.NO_DATA]
        assert gap == pytest.approx((11 * 60 - 90) * 1000.0)
        no_data = next(t for t in fig.data if t.name == F.NO_DATA)
        assert no_data.marker.color != F.HEALTH_COLORS["healthy"]

    def test_hold_can_be_given(self) -> None:
        """hold_s sets how long one snapshot vouches: with 30 s every minute-long step has a gap."""
        fig = F.health_timeline_figure(health_frame(), hold_s=30)
        gaps = [t for t in fig.data if t.name == F.NO_DATA]
        assert gaps
        assert set(gaps[0].x) == {30_000.0}

    def test_latency_percentiles_per_dependency(self) -> None:
        """p50/p90/p99 are computed per dependency in milliseconds."""
        fig = F.latency_percentiles_figure(health_frame())
        assert _trace_names(fig) == ["p50", "p90", "p99"]
        p50 = dict(zip(fig.data[0].x, fig.data[0].y, strict=True))
        assert p50["postgresql"] == pytest.approx(4.5)
        assert p50["redis"] == pytest.approx(1.0)

    def test_a_timeout_is_counted_apart_from_the_latency_percentiles(self) -> None:
        """One 2 s timeout among 2 ms answers leaves p99 at the answers' and is named under the bar."""
        frame = health_frame()
        redis = frame.index[frame["name"] == "redis"]
        frame.loc[redis[-1], ["status", "latency_ms", "error"]] = [
            "unhealthy",
            2000.0,
            "TimeoutError: no answer within 2s",
        ]
        fig = F.latency_percentiles_figure(frame)
        p99 = dict(zip(fig.data[2].x, fig.data[2].y, strict=True))
        assert p99["redis"] == pytest.approx(1.0)
        labels = dict(zip(fig.layout.xaxis.tickvals, fig.layout.xaxis.ticktext, strict=True))
        assert "1 timeout<" in labels["redis"]
        assert labels["postgresql"] == "postgresql"

    def test_flapping_counts_status_changes(self) -> None:
        """Postgres changed status four times (flapping); redis and cpu never changed."""
        fig = F.flapping_figure(health_frame(), threshold=3)
        changes = dict(zip(fig.data[0].x, fig.data[0].y, strict=True))
        assert changes == {"cpu": 0, "postgresql": 4, "redis": 0}
        colors = dict(zip(fig.data[0].x, fig.data[0].marker.color, strict=True))
        assert colors["postgresql"] == F.OUTCOME_COLORS["failed"]

    def test_host_resources_plot_only_percentages(self) -> None:
        """Only checks observed in percent are drawn, on a 0-100 axis."""
        fig = F.host_resources_figure(health_frame())
        assert _trace_names(fig) == ["cpu"]
        assert list(fig.data[0].y) == [20.0, 21.0, 22.0, 23.0, 24.0, 25.0]
        assert tuple(fig.layout.yaxis.range) == (0, 100)

    def test_process_cpu_above_100_percent_is_not_cut_off(self) -> None:
        """A process using three cores (300 %) stays on the chart: the axis grows past 100."""
        frame = health_frame()
        frame.loc[frame.index[frame["name"] == "cpu"][-1], "observed_value"] = 300.0
        fig = F.host_resources_figure(frame)
        assert fig.layout.yaxis.range[1] >= 300.0


class TestDownsample:
    def test_keeps_short_frames_whole(self) -> None:
        """A frame within the limit is returned unchanged."""
        frame = pd.DataFrame({"x": range(10)})
        assert F.downsample(frame, 10) is frame

    def test_keeps_first_and_last_and_limit(self) -> None:
        """A long frame is cut to the limit with its first and last rows kept."""
        out = F.downsample(pd.DataFrame({"x": range(1_000_001)}), 500)
        assert len(out) == 500
        assert out["x"].iloc[0] == 0
        assert out["x"].iloc[-1] == 1_000_000

    def test_refuses_fewer_than_two_points(self) -> None:
        """A limit below two cannot keep both ends and is refused."""
        with pytest.raises(ValueError, match="at least 2"):
            F.downsample(pd.DataFrame({"x": [1, 2, 3]}), 1)
