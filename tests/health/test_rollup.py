"""The roll-up rule, checked exhaustively on small inputs and by properties on random ones."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.health.models import HealthResponse, HealthStatus
from omnimemory_kit.health.rollup import roll_up
from omnimemory_kit.health.status import SEVERITY, ietf_status, worst

H, D, U, K = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY, HealthStatus.UNKNOWN
PAIRS = [(status, critical) for status in HealthStatus for critical in (True, False)]
dependencies = st.lists(st.tuples(st.sampled_from(list(HealthStatus)), st.booleans()), max_size=12)


def expected(deps: list[tuple[HealthStatus, bool]]) -> HealthStatus:
    """The rule as the issue states it, written independently of the implementation."""
    if any(critical and status == U for status, critical in deps):
        return U
    if any(status in (D, U, K) for status, _ in deps):
        return D
    return H


class TestTheRule:
    def test_no_dependencies_is_healthy(self) -> None:
        """An empty service is healthy (documented choice)."""
        assert roll_up([]) == H

    def test_single_dependency_table(self) -> None:
        """Each status with each criticality rolls up as the issue's table says."""
        table = {
            (H, True): H,
            (H, False): H,
            (D, True): D,
            (D, False): D,
            (U, True): U,
            (U, False): D,
            (K, True): D,
            (K, False): D,
        }
        assert {pair: roll_up([pair]) for pair in PAIRS} == table

    def test_every_combination_of_up_to_three_dependencies(self) -> None:
        """All 512 ordered combinations of three dependencies follow the rule."""
        for deps in itertools.product(PAIRS, repeat=3):
            assert roll_up(deps) == expected(list(deps)), deps

    @given(dependencies)
    def test_random_services_follow_the_rule(self, deps: list[tuple[HealthStatus, bool]]) -> None:
        """Any list of dependencies rolls up as the rule says."""
        assert roll_up(deps) == expected(deps)

    @given(dependencies)
    def test_order_does_not_matter(self, deps: list[tuple[HealthStatus, bool]]) -> None:
        """Reversing the dependencies never changes the overall status."""
        assert roll_up(deps) == roll_up(list(reversed(deps)))

    @given(dependencies, st.integers(min_value=0, max_value=11), st.sampled_from(list(HealthStatus)))
    def test_a_worse_dependency_never_improves_the_service(
        self, deps: list[tuple[HealthStatus, bool]], index: int, new: HealthStatus
    ) -> None:
        """Making one dependency worse never makes the overall status better."""
        if not deps:
            return
        index %= len(deps)
        status, critical = deps[index]
        if SEVERITY[new] < SEVERITY[status]:
            return
        changed = [*deps[:index], (new, critical), *deps[index + 1 :]]
        assert SEVERITY[roll_up(changed)] >= SEVERITY[roll_up(deps)]

    @given(dependencies)
    def test_every_result_is_a_valid_response_status(self, deps: list[tuple[HealthStatus, bool]]) -> None:
        """Whatever the roll-up produces is accepted by HealthResponse and maps to an IETF status."""
        status = roll_up(deps)
        assert status in (H, D, U)
        response = HealthResponse(status=status, checked_at="2026-01-01T00:00:00Z", duration_ms=0.0)
        assert response.to_ietf()["status"] in ("pass", "warn", "fail")


class TestHelpers:
    def test_worst_orders_statuses(self) -> None:
        """worst picks the more severe status, unhealthy above degraded above unknown above healthy."""
        assert worst(H, U) == U
        assert worst(D, K) == D
        assert worst(K, H) == K
        assert worst(D, D) == D

    def test_ietf_mapping(self) -> None:
        """healthy → pass, unhealthy → fail, degraded and unknown → warn."""
        assert [ietf_status(s) for s in (H, D, U, K)] == ["pass", "warn", "fail", "warn"]
