"""The store contract's ``report_release_and_claim``: a batch's close and the next claim, one transaction.

Run against every backend in ``BACKENDS`` (real SQLite files and a real PostgreSQL server), like
``test_contract``, whose helpers it uses.
"""

from __future__ import annotations

import pytest

from omnimemory_kit.errors import ConfigError, InvalidTransitionError, LeaseLostError, StoreUnavailableError
from omnimemory_kit.events import Event, ItemRun, JournalEntry
from omnimemory_kit.store import JournalStore, Lease

from .conftest import StoreFactory
from .test_contract import OTHER, RUN, WORKER, K, counts, kinds, ok, with_items


def closed(lease: Lease, at: float = 6.0) -> Event:
    """Return the BATCH_CLOSED event of a lease."""
    return Event(K.BATCH_CLOSED, at=at, batch_id=lease.batch_id, worker_id=lease.worker_id)


def claim(store: JournalStore, limit: int) -> Lease:
    """Claim ``limit`` items for WORKER, which must be pending."""
    lease = store.claim(RUN, WORKER, limit, 30)
    assert lease is not None
    return lease


class TestCloseAndClaim:
    def test_the_close_then_the_next_batch_in_journal_order(self, store: JournalStore) -> None:
        """Outcomes, the close, then BATCH_OPENED and FILE_STARTED of the next batch, for the same worker."""
        with_items(store, "a", "b", "c", "d", "e")
        lease = claim(store, 2)
        before = store.last_seq(RUN)
        last, nxt = store.report_release_and_claim(
            lease, ok(lease, "a", "b"), [closed(lease)], limit=2, lease_seconds=30
        )
        assert nxt is not None
        assert last == before + 3
        assert [i.key for i in nxt.items] == ["c", "d"]
        assert (nxt.run_id, nxt.worker_id) == (RUN, WORKER)
        assert nxt.batch_id != lease.batch_id
        events = list(store.read_events(RUN, after_seq=before))
        assert [(e.kind, e.path) for e in events] == [
            (K.FILE_SUCCEEDED, "a"),
            (K.FILE_SUCCEEDED, "b"),
            (K.BATCH_CLOSED, None),
            (K.BATCH_OPENED, None),
            (K.FILE_STARTED, "c"),
            (K.FILE_STARTED, "d"),
        ]
        assert events[3].batch_id == nxt.batch_id
        assert counts(store) == {"succeeded": 2, "in_progress": 2, "pending": 1}
        assert [held.lease_id for held in store.leases(RUN)] == [nxt.lease_id]
        assert next(w for w in store.workers(RUN) if w.worker_id == WORKER).items_done == 2

    def test_one_transaction_says_where_the_claim_ended(self, store: JournalStore) -> None:
        """Both backends do it in one transaction; the new lease's seq is the journal's end after it."""
        assert store.release_and_claim_atomic
        with_items(store, "a", "b")
        lease = claim(store, 1)
        _, nxt = store.report_release_and_claim(
            lease, ok(lease, "a"), [closed(lease)], limit=5, lease_seconds=30
        )
        assert nxt is not None
        assert nxt.seq == store.last_seq(RUN)

    def test_the_claim_takes_what_the_close_put_back_first(self, store: JournalStore) -> None:
        """Unfinished items go back to pending with FILE_INTERRUPTED; the claim takes them first (oldest)."""
        with_items(store, "a", "b", "c", "d")
        lease = claim(store, 3)
        last, nxt = store.report_release_and_claim(
            lease, ok(lease, "a"), [closed(lease)], limit=2, lease_seconds=30
        )
        assert nxt is not None
        assert [i.key for i in nxt.items] == ["b", "c"]
        assert kinds(store, after_seq=last - 4) == [
            K.FILE_SUCCEEDED,
            K.FILE_INTERRUPTED,
            K.FILE_INTERRUPTED,
            K.BATCH_CLOSED,
            K.BATCH_OPENED,
            K.FILE_STARTED,
            K.FILE_STARTED,
        ]
        assert counts(store) == {"succeeded": 1, "in_progress": 2, "pending": 1}

    def test_the_claim_does_not_take_what_the_close_finished(self, store: JournalStore) -> None:
        """Items reported failed or skipped are finished: the claim takes only pending ones."""
        with_items(store, "a", "b", "c")
        lease = claim(store, 2)
        outcomes = [
            Event(K.FILE_FAILED, at=5.0, path="a", worker_id=WORKER, error_type="E", error_message="m"),
            Event(K.FILE_SKIPPED, at=5.0, path="b", worker_id=WORKER),
        ]
        _, nxt = store.report_release_and_claim(lease, outcomes, [closed(lease)], limit=5, lease_seconds=30)
        assert nxt is not None
        assert [i.key for i in nxt.items] == ["c"]
        assert counts(store) == {"failed": 1, "skipped": 1, "in_progress": 1}

    def test_nothing_pending_closes_and_claims_nothing(self, store: JournalStore) -> None:
        """With nothing left the close is done and None comes back for the claim."""
        with_items(store, "a")
        lease = claim(store, 1)
        last, nxt = store.report_release_and_claim(
            lease, ok(lease, "a"), [closed(lease)], limit=5, lease_seconds=30
        )
        assert nxt is None
        assert last == store.last_seq(RUN)
        assert kinds(store, after_seq=last - 2) == [K.FILE_SUCCEEDED, K.BATCH_CLOSED]
        assert counts(store) == {"succeeded": 1}
        assert store.leases(RUN) == []

    def test_no_outcomes_is_a_release_and_a_claim(self, store: JournalStore) -> None:
        """With nothing to report the batch's items go back and are claimed again at once."""
        with_items(store, "a", "b")
        lease = claim(store, 2)
        _, nxt = store.report_release_and_claim(lease, [], [closed(lease)], limit=1, lease_seconds=30)
        assert nxt is not None
        assert [i.key for i in nxt.items] == ["a"]
        assert counts(store) == {"in_progress": 1, "pending": 1}


class TestNothingOfEither:
    def test_a_lost_lease_records_and_claims_nothing(self, store_factory: StoreFactory) -> None:
        """A lease reclaimed meanwhile: LeaseLostError, nothing recorded, nothing claimed."""
        store, clock = store_factory(), store_factory.clock
        with_items(store, "a", "b", "c")
        lease = claim(store, 1)
        clock.advance(31)
        assert store.reclaim(RUN) == 1
        before, held = store.last_seq(RUN), counts(store)
        with pytest.raises(LeaseLostError):
            store.report_release_and_claim(lease, ok(lease, "a"), [closed(lease)], limit=2, lease_seconds=30)
        assert store.last_seq(RUN) == before
        assert counts(store) == held == {"pending": 3}
        assert store.leases(RUN) == []

    def test_an_expired_lease_with_outcomes_records_and_claims_nothing(
        self, store_factory: StoreFactory
    ) -> None:
        """Past expires_at the report is refused, so nothing is released and nothing claimed."""
        store, clock = store_factory(), store_factory.clock
        with_items(store, "a", "b")
        lease = claim(store, 1)
        clock.advance(30.001)
        before = store.last_seq(RUN)
        with pytest.raises(LeaseLostError):
            store.report_release_and_claim(lease, ok(lease, "a"), [closed(lease)], limit=2, lease_seconds=30)
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 1, "pending": 1}

    def test_a_bad_outcome_records_and_claims_nothing(self, store: JournalStore) -> None:
        """An outcome for an item the lease does not hold: refused, the lease kept, nothing claimed."""
        with_items(store, "a", "b", "c")
        lease = claim(store, 1)
        before = store.last_seq(RUN)
        stray = [Event(K.FILE_SUCCEEDED, at=5.0, path="b", worker_id=WORKER)]
        with pytest.raises(InvalidTransitionError):
            store.report_release_and_claim(
                lease, ok(lease, "a") + stray, [closed(lease)], limit=2, lease_seconds=30
            )
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 1, "pending": 2}
        assert [held.lease_id for held in store.leases(RUN)] == [lease.lease_id]

    @pytest.mark.parametrize(("limit", "seconds"), [(0, 30.0), (1, 0.0)])
    def test_a_bad_claim_is_refused_before_anything_is_recorded(
        self, store: JournalStore, limit: int, seconds: float
    ) -> None:
        """A limit below 1 or a lease that is not positive: ConfigError, the batch not even closed."""
        with_items(store, "a", "b")
        lease = claim(store, 1)
        before = store.last_seq(RUN)
        with pytest.raises(ConfigError):
            store.report_release_and_claim(
                lease, ok(lease, "a"), [closed(lease)], limit=limit, lease_seconds=seconds
            )
        assert store.last_seq(RUN) == before
        assert [held.lease_id for held in store.leases(RUN)] == [lease.lease_id]

    def test_a_failure_in_the_claim_undoes_the_close(
        self, store: JournalStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The store failing after the close was written, inside the claim: nothing of either is kept."""
        with_items(store, "a", "b", "c")
        lease = claim(store, 2)
        before = store.last_seq(RUN)

        def unavailable(*args: object, **kwargs: object) -> None:
            raise StoreUnavailableError("the store went away during the claim")

        monkeypatch.setattr(store, "_claim_locked", unavailable)
        with pytest.raises(StoreUnavailableError):
            store.report_release_and_claim(lease, ok(lease, "a"), [closed(lease)], limit=2, lease_seconds=30)
        monkeypatch.undo()
        assert store.last_seq(RUN) == before
        assert counts(store) == {"in_progress": 2, "pending": 1}
        assert [held.lease_id for held in store.leases(RUN)] == [lease.lease_id]
        # and the batch can still be closed as if nothing had happened
        _, nxt = store.report_release_and_claim(
            lease, ok(lease, "a", "b"), [closed(lease)], limit=2, lease_seconds=30
        )
        assert nxt is not None
        assert [i.key for i in nxt.items] == ["c"]

    def test_another_workers_claim_meanwhile_is_not_taken(self, store_factory: StoreFactory) -> None:
        """Items another worker holds stay its own: the claim takes only pending ones."""
        mine, theirs = store_factory(), store_factory()
        with_items(mine, "a", "b", "c")
        lease = claim(mine, 1)
        other = theirs.claim(RUN, OTHER, 1, 30)
        assert other is not None
        _, nxt = mine.report_release_and_claim(
            lease, ok(lease, "a"), [closed(lease)], limit=5, lease_seconds=30
        )
        assert nxt is not None
        assert [i.key for i in nxt.items] == ["c"]
        assert {held.worker_id for held in mine.leases(RUN)} == {WORKER, OTHER}


class TestTheDefault:
    def test_a_changed_claim_makes_the_calls_one_by_one(self, store: JournalStore) -> None:
        """A subclass that changes ``claim`` is not atomic: the default closes, then calls its claim."""
        calls: list[str] = []

        class Wrapped(type(store)):  # type: ignore[misc]
            def claim(self, run_id: str, worker_id: str, limit: int, lease_seconds: float) -> Lease | None:
                calls.append(worker_id)
                return super().claim(run_id, worker_id, limit, lease_seconds)  # type: ignore[no-any-return]

        wrapped = object.__new__(Wrapped)  # the same connection, seen through the subclass
        wrapped.__dict__.update(store.__dict__)
        assert not wrapped.release_and_claim_atomic
        with_items(store, "a", "b")
        lease = claim(store, 1)
        last, nxt = wrapped.report_release_and_claim(
            lease, ok(lease, "a"), [closed(lease)], limit=5, lease_seconds=30
        )
        assert calls == [WORKER]
        assert nxt is not None
        assert [i.key for i in nxt.items] == ["b"]
        assert kinds(store, after_seq=last - 2)[:3] == [K.FILE_SUCCEEDED, K.BATCH_CLOSED, K.BATCH_OPENED]


class TestExpiredRelease:
    def test_no_outcomes_releases_an_expired_lease_not_reclaimed_yet(
        self, store_factory: StoreFactory
    ) -> None:
        """Nothing to report: a lease past expires_at but not reclaimed is released, as ``release`` does."""
        store, clock = store_factory(), store_factory.clock
        with_items(store, "a", "b")
        lease = claim(store, 1)
        clock.advance(31)
        store.report_and_release(lease, [], [closed(lease)])
        assert store.leases(RUN) == []
        assert counts(store) == {"pending": 2}
        lease = claim(store, 2)
        clock.advance(31)
        _, nxt = store.report_release_and_claim(lease, [], [closed(lease)], limit=1, lease_seconds=30)
        assert nxt is not None
        assert [i.key for i in nxt.items] == ["a"]


ODD = "caf\udce9 \x00 key"  # not valid UTF-8 and holding NUL: kept as the store keeps such keys


def verdict_run(lease: Lease, *keys: str) -> ItemRun:
    """Return a run of ITEM_VALIDATED verdicts for ``keys``, each at its own time (7.0, 7.5, ...)."""
    ats = [7.0 + i / 2 for i in range(len(keys))]
    return ItemRun(K.ITEM_VALIDATED, max(ats), list(keys), worker_id=lease.worker_id, ats=ats)


class TestVerdictRuns:
    """A run of verdicts given by keys, released among the close's events, stands for its events in order
    on every backend (SQLite writes it as one row; PostgreSQL takes the events it stands for)."""

    @pytest.mark.parametrize("how", ["release", "report_and_release", "report_release_and_claim"])
    def test_a_run_of_verdicts_reads_back_as_its_events(self, store: JournalStore, how: str) -> None:
        with_items(store, "a", ODD, "c", "d")
        lease = claim(store, 3)
        mismatch = Event(K.ITEM_MISMATCHED, at=9.0, path="c", worker_id=WORKER, error_message="differs")
        closing: list[JournalEntry] = [verdict_run(lease, "a", ODD), mismatch, closed(lease, at=10.0)]
        outcomes = ok(lease, "a", ODD, "c")
        before = store.last_seq(RUN)
        if how == "release":
            store.report(lease, outcomes)
            before = store.last_seq(RUN)
            last = store.release(lease, closing)
        elif how == "report_and_release":
            last = store.report_and_release(lease, outcomes, closing)
        else:
            last, nxt = store.report_release_and_claim(lease, outcomes, closing, limit=1, lease_seconds=30)
            assert nxt is not None
            assert [i.key for i in nxt.items] == ["d"]
        events = list(store.read_events(RUN, after_seq=before))
        reported = 0 if how == "release" else 3
        assert last == before + reported + 4  # the run counts one seq per key
        assert [e.seq for e in events] == list(range(before + 1, before + len(events) + 1))
        assert [(e.kind, e.path, e.at, e.worker_id) for e in events[reported : reported + 4]] == [
            (K.ITEM_VALIDATED, "a", 7.0, WORKER),
            (K.ITEM_VALIDATED, ODD, 7.5, WORKER),
            (K.ITEM_MISMATCHED, "c", 9.0, WORKER),
            (K.BATCH_CLOSED, None, 10.0, WORKER),
        ]
        assert store.status_facts(RUN).verdicts == {K.ITEM_VALIDATED: 2, K.ITEM_MISMATCHED: 1}
        assert counts(store)["succeeded"] == 3

    def test_a_run_that_one_row_cannot_hold_goes_in_as_its_events(self, store: JournalStore) -> None:
        """A key twice in the run (a revalidation within one batch) keeps both verdicts, in order."""
        with_items(store, "a", "b")
        lease = claim(store, 2)
        run = ItemRun(K.ITEM_VALIDATED, 8.0, ["a", "b", "a"], worker_id=WORKER, ats=[6.0, 7.0, 8.0])
        before = store.last_seq(RUN)
        last = store.report_and_release(lease, ok(lease, "a", "b"), [run, closed(lease, at=9.0)])
        events = list(store.read_events(RUN, after_seq=before))
        assert last == before + 6
        assert [(e.kind, e.path, e.at) for e in events[2:5]] == [
            (K.ITEM_VALIDATED, "a", 6.0),
            (K.ITEM_VALIDATED, "b", 7.0),
            (K.ITEM_VALIDATED, "a", 8.0),
        ]
