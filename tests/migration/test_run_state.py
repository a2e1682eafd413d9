"""The reduction's fold of a journal: runs of frequent events folded together, exactly as one by one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from omnimemory_kit.errors import UnknownFileError
from omnimemory_kit.events import Event, EventKind, ItemRun
from omnimemory_kit.migration.rates import RateConfig
from omnimemory_kit.migration.run_fold import fold_item_run
from omnimemory_kit.migration.run_state import RunState

KEYS = [f"k{i}" for i in range(8)]
SIZES = [None, 0, 7, 2**33]  # unsized, empty, small, past the 4 GiB array limit
FILE_KINDS = [
    EventKind.FILE_STARTED,
    EventKind.FILE_SUCCEEDED,
    EventKind.FILE_FAILED,
    EventKind.FILE_SKIPPED,
    EventKind.FILE_RETRIED,
    EventKind.FILE_INTERRUPTED,
    EventKind.FILE_REQUEUED,
]
FREQUENT = [EventKind.FILE_ADDED, EventKind.FILE_STARTED, EventKind.FILE_SUCCEEDED]
RUN_KINDS = [EventKind.RUN_PAUSED, EventKind.RUN_RESUMED, EventKind.BREAKER_OPENED, EventKind.BREAKER_CLOSED]


@st.composite
def journals(draw: st.DrawFn) -> list[Event]:
    """A journal of adds, starts, outcomes and run changes, often several of a kind in a row, with time
    going on (now and then backwards a little, as reported outcomes do), seqs mostly set, and now and then
    a file never added."""
    at = 100.0
    events = [Event(EventKind.RUN_STARTED, at, seq=1)]
    added = ["k0"]
    started: list[str] = []  # outcomes mostly for files started, so they take the common path
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from([*FREQUENT * 4, *FILE_KINDS, *RUN_KINDS]))
        for _ in range(draw(st.integers(1, 4)) if kind not in RUN_KINDS else 1):
            at += draw(st.sampled_from([0.0, 0.013, 0.7001, 3.0]))
            seq = len(events) + 1
            fields: dict[str, Any] = {"seq": seq if draw(st.booleans()) or seq % 3 else 0}
            if kind is EventKind.FILE_ADDED:
                added.append(draw(st.sampled_from(KEYS)))
                fields.update(path=added[-1], size=draw(st.sampled_from(SIZES)))
            elif kind in FILE_KINDS:
                path = draw(st.sampled_from(["never-added", *added * 4, *started * 8]))
                if kind is EventKind.FILE_STARTED:
                    started.append(path)
                fields.update(path=path, worker_id="w", error_type="E", error_message="m")
                if kind is EventKind.FILE_STARTED:
                    fields.update(batch_id=draw(st.sampled_from([None, "b1", "b2"])))
            events.append(Event(kind, at + draw(st.sampled_from([0.0, -0.5])), **fields))
    return events


def state() -> RunState:
    return RunState(RateConfig(tau_seconds=5, min_finished=2, min_active_seconds=1), 1.0, 8)


def one_by_one(folded: RunState, events: list[Event]) -> Exception | None:
    """Fold through the handler table, one event at a time (the reference); return what stopped it."""
    for event in events:
        if event.seq:
            if event.seq <= folded.seq:
                continue
            folded.seq = event.seq
        try:
            folded.handlers[event.kind](event)
        except UnknownFileError as exc:
            return exc
    return None


def together(folded: RunState, events: list[Event]) -> Exception | None:
    try:
        folded.apply(events)
    except UnknownFileError as exc:
        return exc
    return None


def view(folded: RunState) -> str:
    """Everything the fold keeps (the estimators' internals included), as text (NaN reads equal to NaN)."""
    seen = {k: v for k, v in vars(folded).items() if k not in ("handlers", "rates", "eta")}
    seen["batches"] = [{slot: getattr(b, slot) for slot in b.__slots__} for b in folded.batches]
    for name in ("rates", "eta"):
        estimator = getattr(folded, name)
        seen[name] = [getattr(estimator, slot) for slot in type(estimator).__slots__]
    return repr(seen)


class TestRuns:
    # no shrinking: a failure's example, cut down, takes minutes to find (past the per-test timeout)
    @settings(
        max_examples=150,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(journals(), st.integers(1, 40), st.booleans())
    def test_a_journal_folds_as_it_does_one_event_at_a_time(
        self, events: list[Event], chunk: int, replayed: bool
    ) -> None:
        """Runs of adds, starts and successes folded together leave every counter, array, batch, sample,
        estimator, seq and time as folding the events one by one does; an unknown file stops both there."""
        if replayed:  # a segment applied twice (a replay overlapping a refresh) counts once
            events = events + events[len(events) // 2 :]
        reference, folded = state(), state()
        for start in range(0, len(events), chunk):
            error = one_by_one(reference, events[start : start + chunk])
            raised = together(folded, events[start : start + chunk])
            assert str(raised) == str(error)
            assert view(folded) == view(reference)
            if error is not None:
                break

    def test_an_unknown_file_stops_the_fold_at_its_event(self) -> None:
        """A start naming a file never added raises; the events before it are folded, the ones after not,
        and seq and the last event time stop at it."""
        events = [
            Event(EventKind.FILE_ADDED, 1.0, path="a", seq=1),
            Event(EventKind.FILE_STARTED, 2.0, path="a", batch_id="b", seq=2),
            Event(EventKind.FILE_STARTED, 3.0, path="nope", batch_id="b", seq=3),
            Event(EventKind.FILE_ADDED, 4.0, path="c", seq=4),
        ]
        folded = state()
        with pytest.raises(UnknownFileError):
            folded.apply(events)
        assert (folded.seq, folded.last_at, len(folded.index)) == (3, 2.0, 1)
        assert folded.count[1] == 1  # "a" in progress

    def test_events_read_before_a_failure_are_folded(self) -> None:
        """When reading the journal fails midway, what it gave is folded (seq included) before the error."""

        def reading() -> Any:
            yield Event(EventKind.FILE_ADDED, 1.0, path="a", seq=1)
            yield Event(EventKind.FILE_ADDED, 1.0, path="b", seq=2)
            raise OSError("gone")

        folded = state()
        with pytest.raises(OSError, match="gone"):
            folded.apply(reading())
        assert (folded.seq, len(folded.index)) == (2, 2)


@st.composite
def claims(draw: st.DrawFn) -> list[Event]:
    """Adds, then claims: runs of starts at one time into one batch (as a claim journals them), some
    naming a file already in progress or finished, twice, or never added; outcomes in between; the
    times now and then landing on a sample's due time."""
    at = 100.0
    events = [Event(EventKind.RUN_STARTED, at, seq=1)]
    for key in KEYS:
        events.append(Event(EventKind.FILE_ADDED, at, path=key, size=draw(st.sampled_from(SIZES))))
    for number in range(draw(st.integers(1, 6))):
        at += draw(st.sampled_from([0.0, 0.25, 1.0, 2.5]))
        batch = f"b{draw(st.integers(0, number))}"
        keys = draw(st.lists(st.sampled_from([*KEYS, "never-added"]), min_size=1, max_size=8))
        if draw(st.booleans()):
            events.append(Event(EventKind.BATCH_OPENED, at, batch_id=batch, worker_id="w"))
        events += [Event(EventKind.FILE_STARTED, at, path=k, batch_id=batch, worker_id="w") for k in keys]
        done = draw(st.lists(st.sampled_from(KEYS), max_size=4))
        events += [Event(EventKind.FILE_SUCCEEDED, at + 0.1, path=k) for k in done]
    return [Event(**{**vars_of(e), "seq": i}) for i, e in enumerate(events, 1)]


def vars_of(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in event.__dataclass_fields__}


class TestClaims:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(claims())
    def test_a_claims_starts_fold_as_one_by_one(self, events: list[Event]) -> None:
        """A claim's starts (one time, one batch) folded together leave the state as one by one does,
        whichever of them are pending, repeated or unknown, and whether a sample falls due at the claim."""
        reference, folded = state(), state()
        error = one_by_one(reference, events)
        raised = together(folded, events)
        assert str(raised) == str(error)
        assert view(folded) == view(reference)


class TestItemRuns:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(claims(), st.data())
    def test_a_run_folded_by_its_keys_folds_as_its_events(
        self, events: list[Event], data: st.DataObject
    ) -> None:
        """A chunk's additions or a claim's starts folded by their keys (``fold_item_run``) leave the state as
        folding their events does; where the keys cannot say it (a file never added, a short run) nothing is
        folded and the events are."""
        kind = data.draw(st.sampled_from([EventKind.FILE_ADDED, EventKind.FILE_STARTED]))
        keys = data.draw(
            st.lists(st.sampled_from([*KEYS, "new-1", "new-2", "never-added"]), min_size=1, max_size=10)
        )
        at = data.draw(st.sampled_from([100.0, 101.0, 103.5, 200.0]))
        if kind is EventKind.FILE_ADDED:
            sizes: list[int] | None = data.draw(
                st.lists(st.sampled_from([0, 7, 2**33]), min_size=len(keys), max_size=len(keys))
            )
            run = ItemRun(kind, at, keys, sizes)
        else:
            run = ItemRun(
                kind, at, keys, batch_id=data.draw(st.sampled_from(["b0", "b9", None])), worker_id="w"
            )
        reference, folded = state(), state()
        together(reference, events)
        together(folded, events)
        error = together(reference, run.events())
        before = view(folded)
        if fold_item_run(folded, run):
            raised = None
        else:
            assert view(folded) == before  # nothing folded: the events are
            raised = together(folded, run.events())
        assert str(raised) == str(error)
        assert view(folded) == view(reference)
