"""Flap damping: reported statuses change only after enough consecutive rounds agree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.damping import FlapDamper
from omnimemory_kit.health.status import SEVERITY, HealthStatus

H, D, U = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY
rounds = st.lists(st.sampled_from(list(HealthStatus)), max_size=40)


class TestDamping:
    def test_first_observation_is_reported_as_is(self) -> None:
        """With no history the first status is reported immediately, even with damping."""
        damper = FlapDamper(failures_to_change=5)
        result = damper.observe(U)
        assert (result.status, result.pending, damper.reported) == (U, False, U)

    def test_a_blip_shorter_than_the_threshold_is_pending_only(self) -> None:
        """Two failures below a threshold of three report healthy, pending; a success clears it."""
        damper = FlapDamper(failures_to_change=3)
        damper.observe(H)
        assert [(r.status, r.pending) for r in map(damper.observe, [U, U, H])] == [
            (H, True),
            (H, True),
            (H, False),
        ]

    def test_recovery_needs_its_own_streak(self) -> None:
        """Recovering needs successes_to_recover consecutive better rounds; a failure resets it."""
        damper = FlapDamper(failures_to_change=1, successes_to_recover=2)
        damper.observe(U)
        seen = [(r.status, r.pending) for r in map(damper.observe, [H, U, H, H])]
        assert seen == [(U, True), (U, False), (U, True), (H, False)]

    def test_bad_thresholds_are_refused(self) -> None:
        """A threshold below one is a configuration error naming the threshold and the value given."""
        with pytest.raises(HealthConfigError, match=r"^failures_to_change must be at least 1, not 0$"):
            FlapDamper(failures_to_change=0)
        with pytest.raises(HealthConfigError, match=r"^successes_to_recover must be at least 1, not -2$"):
            FlapDamper(successes_to_recover=-2)

    @given(rounds)
    def test_no_damping_reports_every_observation(self, observed: list[HealthStatus]) -> None:
        """With both thresholds at 1 the reported status is always the observed one, never pending."""
        damper = FlapDamper()
        for status in observed:
            result = damper.observe(status)
            assert (result.status, result.pending) == (status, False)

    @given(rounds, st.integers(1, 4), st.integers(1, 4))
    def test_a_change_needs_the_threshold_of_consecutive_rounds(
        self, observed: list[HealthStatus], failures: int, successes: int
    ) -> None:
        """The reported status only changes when the last N rounds were all worse (or M all better)."""
        damper = FlapDamper(failures, successes)
        for index, status in enumerate(observed):
            before = damper.reported
            result = damper.observe(status)
            assert result.pending == (result.status != status)
            if before is not None and result.status != before:
                assert result.status == status
                worse = SEVERITY[status] > SEVERITY[before]
                needed = failures if worse else successes
                window = observed[index - needed + 1 : index + 1] if index + 1 >= needed else None
                assert window is not None
                assert all(
                    (SEVERITY[s] > SEVERITY[before]) if worse else (SEVERITY[s] < SEVERITY[before])
                    for s in window
                )

    def test_repr_shows_streaks(self) -> None:
        """The repr shows the reported status and both streaks against their thresholds."""
        damper = FlapDamper(3, 2)
        damper.observe(H)
        damper.observe(D)
        assert repr(damper) == "<FlapDamper reported=healthy worse=1/3 better=0/2>"
