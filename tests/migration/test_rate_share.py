"""The run-wide max-rate shared by live workers: equal shares, borrowed when unused, one bucket."""

from __future__ import annotations

import pytest

from omnimemory_kit.migration.rate_share import RateShare


class TestShares:
    def test_no_limit_no_rate(self) -> None:
        """Without a max-rate a worker is not paced."""
        share = RateShare()
        assert share.update(0.0, None, 3, 0) is None
        assert share.update(1.0, 0.0, 3, 10) is None
        assert repr(share) == "<RateShare no limit>"

    def test_a_new_limit_starts_with_an_equal_share(self) -> None:
        """The first look at a limit gives each live worker limit / workers."""
        share = RateShare()
        assert share.update(0.0, 60.0, 3, 500) == pytest.approx(20.0)
        assert share.update(0.5, 60.0, 3, 510) == pytest.approx(20.0)  # the bucket starts counting here
        assert share.update(1.0, 60.0, 2, 540) == pytest.approx(30.0)  # on target, one worker left

    def test_a_changed_limit_resets_the_bucket(self) -> None:
        """A new max-rate forgets how far the run was behind the old one."""
        share = RateShare()
        share.update(0.0, 50.0, 1, 0)
        share.update(0.5, 50.0, 1, 0)
        share.update(1.5, 50.0, 1, 0)  # nothing done: a second of tokens
        assert share.tokens == pytest.approx(50.0)
        assert share.update(2.0, 10.0, 1, 0) == pytest.approx(10.0)
        assert share.tokens == 0.0


class TestBorrowing:
    def test_a_run_behind_the_limit_speeds_every_worker_up(self) -> None:
        """Items the run did not start leave tokens, which raise each worker's rate above its share."""
        share = RateShare(burst=1.0, horizon=2.0)
        share.update(-0.5, 50.0, 2, 0)
        share.update(0.0, 50.0, 2, 0)
        rate = share.update(0.5, 50.0, 2, 15)  # 15 done where 25 were allowed: 10 tokens to spare
        assert share.tokens == pytest.approx(10.0)
        assert rate == pytest.approx((50.0 + 10.0 / 2.0) / 2)

    def test_a_run_ahead_of_the_limit_slows_every_worker_down(self) -> None:
        """More done than allowed costs tokens, down to the bucket's floor."""
        share = RateShare(burst=1.0, horizon=2.0)
        share.update(-0.5, 50.0, 2, 0)
        share.update(0.0, 50.0, 2, 0)
        assert share.update(0.5, 50.0, 2, 35) == pytest.approx((50.0 - 10.0 / 2.0) / 2)
        assert share.update(1.0, 50.0, 2, 1000) == pytest.approx((50.0 - 50.0 / 2.0) / 2)
        assert share.tokens == pytest.approx(-50.0)  # the bucket holds at most one second either way

    def test_a_long_stall_banks_one_burst_only(self) -> None:
        """Tokens stop at the bucket's capacity: a stalled run does not earn an unbounded burst."""
        share = RateShare(burst=1.0, horizon=2.0)
        share.update(-0.5, 50.0, 1, 0)
        share.update(0.0, 50.0, 1, 0)
        assert share.update(600.0, 50.0, 1, 0) == pytest.approx(50.0 + 50.0 / 2.0)
        assert "tokens=+50.0" in repr(share)


def simulate(capacities: list[float], limit: float, seconds: float, lag: float = 0.4) -> list[float]:
    """Run workers of the given top speeds (items/s) paced by their RateShare; return done per second.

    Each looks at the run every 0.5 s and sees the finished count ``lag`` seconds late (outcomes reach
    the store in flushes).
    """
    step = 0.05
    shares = [RateShare() for _ in capacities]
    rates: list[float | None] = [None] * len(capacities)
    history: list[tuple[float, float]] = [(0.0, 0.0)]
    done = 0.0
    now = 0.0
    per_second = [0.0] * int(seconds)
    while now < seconds - 1e-9:
        if round(now / step) % 10 == 0:  # every 0.5 s
            seen = max(d for t, d in history if t <= now - lag) if now >= lag else 0.0
            rates = [s.update(now, limit, len(shares), int(seen)) for s in shares]
        made = sum(min(cap, rate or cap) for cap, rate in zip(capacities, rates, strict=True)) * step
        done += made
        per_second[int(now)] += made
        now = round(now + step, 9)
        history.append((now, done))
    return per_second


class TestRunWide:
    def test_a_starved_workers_share_is_borrowed(self) -> None:
        """One worker that manages 5 items/s of its 16.7: the other two make up the run's 50 items/s."""
        per_second = simulate([5.0, 200.0, 200.0], 50.0, 14.0)
        rate = sum(per_second[2:12]) / 10
        assert 47.5 <= rate <= 52.5, per_second

    def test_workers_that_all_keep_up_hold_the_limit(self) -> None:
        """Three fast workers start at their equal shares and stay there."""
        per_second = simulate([200.0, 200.0, 200.0], 50.0, 12.0)
        assert all(48.0 <= done <= 52.0 for done in per_second), per_second

    def test_an_equal_share_alone_falls_short(self) -> None:
        """The reason for the bucket: without borrowing a starved worker's share is lost."""
        per_second = simulate([5.0, 200.0, 200.0], 50.0, 12.0)
        assert sum(per_second[2:12]) / 10 > 5.0 + 2 * 50.0 / 3 + 1.0  # more than equal shares give
