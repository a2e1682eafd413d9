"""The reduction's fold of a journal: runs of frequent events folded together, exactly as one by one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnimemory_kit.errors import UnknownFileError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.rates import RateConfig
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
RUN_KINDS = [EventKind.RUN_PAUSED, EventKind.RUN_RESUMED, EventKind.BREAKER_OPENED, EventKind.BREAKER_CLOSED]


@st.composite
def journals(draw: st.DrawFn) -> list[Event]:
    """A journal of adds, starts, outcomes and run changes, with time going on, seqs mostly set."""
    at = 100.0
    events = [Event(EventKind.RUN_STARTED, at, seq=1)]
    for seq in range(2, draw(st.integers(1, 120)) + 2):
        at += draw(st.sampled_from([0.0, 0.01, 0.7, 3.0]))
        kind = draw(st.sampled_from([EventKind.FILE_ADDED] * 3 + FILE_KINDS * 2 + RUN_KINDS))
        fields: dict[str, Any] = {"seq": seq if draw(st.booleans()) or seq % 3 else 0}
        if kind is EventKind.FILE_ADDED:
            fields.update(path=draw(st.sampled_from(KEYS)), size=draw(st.sampled_from(SIZES)))
        elif kind in FILE_KINDS:
            fields.update(path=draw(st.sampled_from(KEYS)), worker_id="w", error_type="E", error_message="m")
            if kind is EventKind.FILE_STARTED:
                fields.update(batch_id=draw(st.sampled_from([None, "b1", "b2"])))
        events.append(Event(kind, at + draw(st.sampled_from([0.0, -0.5])), **fields))
    return events


def state() -> RunState:
    return RunState(RateConfig(tau_seconds=5, min_finished=2, min_active_seconds=1), 1.0, 8)


def one_by_one(events: list[Event]) -> tuple[RunState, Exception | None]:
    """Fold through the handler table, one event at a time (the reference)."""
    folded = state()
    for event in events:
        if event.seq:
            if event.seq <= folded.seq:
                continue
            folded.seq = event.seq
        try:
            folded.handlers[event.kind](event)
        except UnknownFileError as exc:
            return folded, exc
    return folded, None


def together(events: list[Event], chunk: int) -> tuple[RunState, Exception | None]:
    folded = state()
    try:
        for start in range(0, len(events), chunk):
            folded.apply(events[start : start + chunk])
    except UnknownFileError as exc:
        return folded, exc
    return folded, None


def view(folded: RunState) -> str:
    """Everything the fold keeps (the estimators' internals included), as text (NaN reads equal to NaN)."""
    seen = {k: v for k, v in vars(folded).items() if k not in ("handlers", "bulk", "rates", "eta")}
    seen["batches"] = [{slot: getattr(b, slot) for slot in b.__slots__} for b in folded.batches]
    for name in ("rates", "eta"):
        estimator = getattr(folded, name)
        seen[name] = [getattr(estimator, slot) for slot in type(estimator).__slots__]
    return repr(seen)


class TestRuns:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(journals(), st.integers(1, 40), st.booleans())
    def test_a_journal_folds_as_it_does_one_event_at_a_time(
        self, events: list[Event], chunk: int, replayed: bool
    ) -> None:
        """Runs of adds, starts and successes folded together leave every counter, array, batch, sample,
        estimator, seq and time as folding the events one by one does; an unknown file stops both there."""
        if replayed:  # a segment applied twice (a replay overlapping a refresh) counts once
            events = events + events[len(events) // 2 :]
        reference, error = one_by_one(events)
        folded, raised = together(events, chunk)
        assert str(raised) == str(error)
        assert view(folded) == view(reference)

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
