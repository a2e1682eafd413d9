"""Fixtures for the health tests: a manager on a fake clock, and the shared manager reset after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.health import HealthManager, health_manager


@pytest.fixture(autouse=True)
def _reset_shared_manager() -> Iterator[None]:
    """Leave the module-level ``health_manager`` empty for the next test."""
    yield
    health_manager.clear()


@pytest.fixture
def manager(clock: FakeClock) -> Iterator[HealthManager]:
    """A manager on the fake clock, without host metrics (they have their own tests)."""
    made = HealthManager(clock=clock, sample_resources=False)
    yield made
    made.close()
