"""Events built in bulk (``item_events``, ``item_event``) are the constructor's events, as frozen."""

from __future__ import annotations

import dataclasses

import pytest

from omnimemory_kit.events import (
    EVENT_KINDS,
    Event,
    EventKind,
    ItemRun,
    events_of_rows,
    expand_runs,
    has_runs,
    item_event,
    item_events,
    journal_length,
)


class TestItemEvents:
    def test_equal_to_the_constructors_events(self) -> None:
        """Each event equals (and hashes like) the one ``Event(...)`` builds from the same values."""
        built = item_events(EventKind.FILE_STARTED, 12.5, ["a", "b"], batch_id="batch-3", worker_id="h:1:x")
        kind = EventKind.FILE_STARTED
        expected = [Event(kind, 12.5, path=key, batch_id="batch-3", worker_id="h:1:x") for key in "ab"]
        assert built == expected
        assert [hash(e) for e in built] == [hash(e) for e in expected]
        assert [repr(e) for e in built] == [repr(e) for e in expected]

    def test_sizes_go_with_their_keys(self) -> None:
        """Sizes pair with keys in order; without sizes every size is None."""
        added = item_events(EventKind.FILE_ADDED, 1.0, ["x", "y"], sizes=[5, 0])
        assert [(e.path, e.size, e.seq) for e in added] == [("x", 5, 0), ("y", 0, 0)]
        assert item_events(EventKind.FILE_ADDED, 1.0, ["x"])[0].size is None

    def test_sizes_of_another_length_are_refused(self) -> None:
        """A size list that does not match the keys raises instead of dropping items."""
        with pytest.raises(ValueError):
            item_events(EventKind.FILE_ADDED, 1.0, ["x", "y"], sizes=[5])

    def test_frozen_like_any_event(self) -> None:
        """An event built in bulk refuses assignment, like one from the constructor."""
        event = item_events(EventKind.FILE_ADDED, 1.0, ["x"])[0]
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.path = "y"  # type: ignore[misc]

    def test_one_outcome(self) -> None:
        """``item_event`` builds the outcome ``Event(kind, at, path=key, worker_id=...)`` builds."""
        built = item_event(EventKind.FILE_SUCCEEDED, 3.0, "k", "h:1:x")
        assert built == Event(EventKind.FILE_SUCCEEDED, 3.0, path="k", worker_id="h:1:x")


class TestJournalEntries:
    """A write's entries: events, and runs of item events given by keys that stand for their events."""

    def test_a_run_counts_and_expands_as_its_events_in_place(self) -> None:
        run = ItemRun(EventKind.ITEM_VALIDATED, 3.0, ["a", "b"], worker_id="w", ats=[2.0, 3.0])
        closed = Event(EventKind.BATCH_CLOSED, 4.0, batch_id="b1", worker_id="w")
        first = Event(EventKind.FILE_SUCCEEDED, 1.0, path="a", worker_id="w")
        entries = [first, run, closed]
        assert has_runs(entries)
        assert journal_length(entries) == 4
        assert expand_runs(entries) == [
            first,
            Event(EventKind.ITEM_VALIDATED, 2.0, path="a", worker_id="w"),
            Event(EventKind.ITEM_VALIDATED, 3.0, path="b", worker_id="w"),
            closed,
        ]

    def test_events_alone_are_returned_as_they_are(self) -> None:
        events = [Event(EventKind.FILE_SUCCEEDED, 1.0, path=key) for key in "xyz"]
        assert not has_runs(events)
        assert journal_length(events) == 3
        assert expand_runs(events) is events


class TestEventsOfRows:
    def test_rows_become_the_constructors_events(self) -> None:
        row = ("file_failed", 5.0, "k", None, "b1", "OSError", "gone", None, "w", 7)
        (event,) = events_of_rows([row], EVENT_KINDS)
        assert event == Event(EventKind.FILE_FAILED, 5.0, "k", None, "b1", "OSError", "gone", None, "w", 7)

    def test_an_unknown_kind_raises_key_error(self) -> None:
        with pytest.raises(KeyError):
            events_of_rows([("no_such_kind", 1.0, None, None, None, None, None, None, None, 1)], EVENT_KINDS)
