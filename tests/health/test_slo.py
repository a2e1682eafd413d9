"""SLOs: error budget remaining and multi-window burn rates from the rollups."""

from __future__ import annotations

import pytest

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.slo import check_slo, slo_status, slo_table
from omnimemory_kit.health.uptime import rollups_for
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import HealthHistoryStore

NOW = 1_800_000_000.0


def add(store: HealthHistoryStore, name: str, ago_minutes: int, status: str) -> None:
    """Add one sample taken ``ago_minutes`` before NOW (and a few seconds into its minute)."""
    store.add_health_rollups(rollups_for(name, NOW - 60 * ago_minutes + 5, status, 1.0))


class TestBudget:
    def test_budget_remaining_is_what_the_down_share_left_of_the_allowed_share(self) -> None:
        """99 % SLO, 1000 samples of which 5 down: half the budget remains; the uptime is 99.5 %."""
        with open_store("sqlite://") as store:
            for minute in range(1000):
                add(store, "db", 2000 + minute, "unhealthy" if minute < 5 else "healthy")
            standing = slo_status(store, "db", 99.0, NOW)
        assert standing.uptime == pytest.approx(0.995)
        assert standing.budget_remaining == pytest.approx(0.5)
        assert standing.burn_rates["1h"] is None  # nothing in the last hour
        assert not standing.fast_burn
        assert not standing.slow_burn


class TestBurnRates:
    def test_a_hard_outage_in_the_last_hour_is_a_fast_burn(self) -> None:
        """Down for the last 20 minutes of an hour with a 99.9 % SLO: 1 h burn 333, 5 min burn 1000: page."""
        with open_store("sqlite://") as store:
            for minute in range(60):
                add(store, "db", minute, "unhealthy" if minute < 20 else "healthy")
            standing = slo_status(store, "db", 99.9, NOW)
        assert standing.burn_rates["5m"] == pytest.approx(1000.0)
        assert standing.burn_rates["1h"] == pytest.approx(1000.0 / 3)  # 20 of 60
        assert standing.fast_burn
        assert standing.slow_burn

    def test_an_old_outage_that_stopped_does_not_page(self) -> None:
        """Down 40 to 60 minutes ago, healthy since: the 5 min window keeps the fast-burn alert off."""
        with open_store("sqlite://") as store:
            for minute in range(60):
                add(store, "db", minute, "unhealthy" if minute >= 40 else "healthy")
            standing = slo_status(store, "db", 99.9, NOW)
        assert standing.burn_rates["1h"] is not None
        assert standing.burn_rates["1h"] > 14.4
        assert standing.burn_rates["5m"] == 0.0
        assert not standing.fast_burn

    def test_the_table_keeps_the_given_order_and_checks_without_samples(self) -> None:
        """slo_table lists every check asked for, in order; one without samples has no figures."""
        with open_store("sqlite://") as store:
            add(store, "db", 1, "healthy")
            table = slo_table(store, {"web": 99.0, "db": 99.5}, NOW)
        assert [(s.name, s.uptime) for s in table] == [("web", None), ("db", 1.0)]


class TestValidation:
    @pytest.mark.parametrize("bad", [0, 100, 100.5, -1, float("nan")])
    def test_slo_outside_0_to_100_is_refused(self, bad: float) -> None:
        """An SLO of 0 or less, 100 or more, or not a number is a config error."""
        with pytest.raises(HealthConfigError, match="above 0 and below 100"):
            check_slo(bad)
