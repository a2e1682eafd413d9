"""Fixtures for the concurrency tests: a clean registry per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnimemory_kit.concurrency import reset_registry
from omnimemory_kit.resources import resource_manager


@pytest.fixture(autouse=True)
def _clean_registries() -> Iterator[None]:
    """Start and end every test with no named locks, semaphores, pools, breakers or resources."""
    reset_registry()
    resource_manager.reset()
    yield
    reset_registry()
    resource_manager.reset()
