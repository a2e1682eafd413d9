"""The kit's own store (journal and health history): can it be opened and read?"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import ClassVar

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult
from omnimemory_kit.store.base import HealthHistoryStore
from omnimemory_kit.store.opening import open_store
from omnimemory_kit.store.url import parse_sqlite_url, redact_url

__all__ = ["StoreCheck"]


class StoreCheck(BuiltinCheck):
    """Open the store ``url`` names (once, then reused) and run a cheap read on it.

    The store is opened and read in a worker thread (store calls are blocking). By default a missing
    store is *not* created (``create=False``): a health check that silently makes an empty store would
    hide the problem it is there to find. After a failure the store is closed and reopened next time.

    Observed value: the round-trip latency in ms.

    Raises:
        ConfigError: the URL is malformed (checked at construction, password redacted).
    """

    kind: ClassVar[str] = "store"

    def __init__(
        self, url: str | os.PathLike[str], *, create: bool = False, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        super().__init__(clock=clock)
        if not (isinstance(url, str) and url.lower().startswith(("postgresql://", "postgres://"))):
            parse_sqlite_url(url)  # raises ConfigError for a malformed URL now, not at the first check
        self._url = url
        self._create = create
        self._store: HealthHistoryStore | None = None
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        """Return the store URL with its password redacted."""
        return redact_url(self._url)

    def _read(self) -> int:
        with self._lock:
            if self._store is None:
                self._store = open_store(self._url, create=self._create)
            # A read through the store's own indexes that returns nothing: proves the schema is there.
            return len(self._store.health_history(since=float("inf")))

    async def _probe(self) -> CheckResult:
        await asyncio.to_thread(self._read)
        return CheckResult.healthy("store readable")

    def _close_store(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

    async def _discard(self) -> None:
        await asyncio.to_thread(self._close_store)

    async def aclose(self) -> None:
        """Close the store. Idempotent."""
        self._closed = True
        await asyncio.to_thread(self._close_store)
