"""Keys no text column takes as they are (undecodable file names, NUL) round-trip through every backend."""

from __future__ import annotations

import os

from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store import JournalStore, RunRecord, WorkItem
from tests.store.conftest import StoreFactory

LATIN1 = os.fsdecode(b"caf\xe9.py")  # 'caf\udce9.py': what os.listdir gives for a Latin-1 name
ODD_KEYS = [
    LATIN1,
    "new\nline.py",
    "tab\tname.py",
    "nul\x00.txt",
    "\ufffdmarker.py",
    "back\\slash.py",
    "ok.py",
]


def _run(store: JournalStore, run_id: str = "odd") -> None:
    store.create_run(
        RunRecord(run_id=run_id, name="odd names", source=os.fsdecode(b"/src/\xff"), function="m:f")
    )


class TestOddKeysRoundTrip:
    """Every key comes back exactly as given, from every read path."""

    def test_items_claimed_reported_and_read_back(self, store: JournalStore) -> None:
        """add_items, claim, report, read_events and read_event_rows all carry the exact keys."""
        _run(store)
        assert store.add_items("odd", [WorkItem(k, 1) for k in ODD_KEYS], at=1.0) == len(ODD_KEYS)
        lease = store.claim("odd", "host:1:t", limit=100, lease_seconds=60)
        assert lease is not None
        assert [item.key for item in lease.items] == ODD_KEYS
        outcome = [
            Event(EventKind.FILE_FAILED, at=2.0, path=k, error_type="OSError", error_message=f"no {k}")
            for k in ODD_KEYS
        ]
        store.report(lease, outcome)
        assert store.item_counts("odd")[FileStatus.FAILED] == len(ODD_KEYS)
        failed = [e for e in store.read_events("odd") if e.kind is EventKind.FILE_FAILED]
        assert [e.path for e in failed] == ODD_KEYS
        assert [e.error_message for e in failed] == [f"no {k}" for k in ODD_KEYS]
        rows = [row for row in store.read_event_rows("odd") if row[0] == "file_added"]
        assert [row[2] for row in rows] == ODD_KEYS

    def test_adding_again_is_idempotent(self, store: JournalStore) -> None:
        """A rescan adds none of the odd keys twice (lookups use the stored form consistently)."""
        _run(store)
        store.add_items("odd", [WorkItem(k) for k in ODD_KEYS], at=1.0)
        assert store.add_items("odd", [WorkItem(k) for k in ODD_KEYS], at=2.0) == 0

    def test_leases_and_release_keep_the_keys(self, store: JournalStore) -> None:
        """A lease listed by leases() names the real keys; releasing it requeues exactly those items."""
        _run(store)
        store.add_items("odd", [WorkItem(LATIN1)], at=1.0)
        lease = store.claim("odd", "host:1:t", limit=10, lease_seconds=60)
        assert lease is not None
        assert [item.key for item in store.leases("odd")[0].items] == [LATIN1]
        store.release(lease)
        interrupted = [e.path for e in store.read_events("odd") if e.kind is EventKind.FILE_INTERRUPTED]
        assert interrupted == [LATIN1]
        again = store.claim("odd", "host:1:t", limit=10, lease_seconds=60)
        assert again is not None
        assert [item.key for item in again.items] == [LATIN1]

    def test_run_source_round_trips_from_another_connection(self, store_factory: StoreFactory) -> None:
        """A source path that is not valid UTF-8 is recorded and matched again by a second store object."""
        first = store_factory()
        _run(first)
        second = store_factory()
        assert second.get_run("odd").source == os.fsdecode(b"/src/\xff")
        _run(second)  # same source: accepted, not a mismatch
