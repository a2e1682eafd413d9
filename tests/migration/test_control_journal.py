"""An operator's pause and throttle mirrored into the run's journal: which events, with which once-keys."""

from __future__ import annotations

from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.control import ControlState, control_event, fold
from omnimemory_kit.migration.control_journal import CONTROL_THROTTLER, MirrorMarks, mirror


def command(kind: EventKind, at: float, seq: int, reason: str | None = None, **args: object) -> Event:
    event = control_event(kind, at=at, who="ann@db1", reason=reason, args=args)
    return Event(
        event.kind, event.at, path=event.path, reason=event.reason, worker_id=event.worker_id, seq=seq
    )


def state(*events: Event) -> ControlState:
    return fold(events)


class TestPause:
    def test_a_pause_then_its_resume(self) -> None:
        """A pause is journaled once with who and why; its resume once, keyed by the pause."""
        paused = state(command(EventKind.CONTROL_PAUSE, 10.0, 1, "peak"))
        due, marks = mirror(paused, 10.5, MirrorMarks())
        assert [(key, e.kind, e.at, e.reason) for key, e in due] == [
            ("run-paused:1", EventKind.RUN_PAUSED, 10.5, "paused by ann@db1: peak")
        ]
        assert mirror(paused, 11.0, marks) == ([], marks)  # nothing new while the pause holds
        resumed = fold([command(EventKind.CONTROL_RESUME, 12.0, 2)], paused)
        due, marks = mirror(resumed, 12.2, marks)
        assert [(key, e.kind, e.at) for key, e in due] == [("run-resumed:1", EventKind.RUN_RESUMED, 12.2)]
        assert marks == MirrorMarks()

    def test_a_pause_and_resume_never_seen_paused_write_nothing(self) -> None:
        """A worker that saw the run only after the resume mirrors nothing (others saw the pause)."""
        both = state(command(EventKind.CONTROL_PAUSE, 1.0, 1), command(EventKind.CONTROL_RESUME, 1.1, 2))
        assert mirror(both, 2.0, MirrorMarks()) == ([], MirrorMarks())

    def test_every_worker_computes_the_same_keys(self) -> None:
        """Two workers seeing the same pause compute the same once-key, so only one journals it."""
        paused = state(command(EventKind.CONTROL_PAUSE, 1.0, 7))
        first, _ = mirror(paused, 1.2, MirrorMarks())
        second, _ = mirror(paused, 1.9, MirrorMarks())
        assert [key for key, _ in first] == [key for key, _ in second] == ["run-paused:7"]


class TestThrottle:
    def test_a_throttle_is_journaled_under_the_control_throttler(self) -> None:
        """An operator's throttle is a RUN_THROTTLED of the throttler `control`, named `manual: …`."""
        held = state(command(EventKind.CONTROL_THROTTLE, 5.0, 3, "peak hours"))
        due, marks = mirror(held, 5.1, MirrorMarks())
        [(key, event)] = due
        assert (key, event.kind, event.worker_id, event.reason) == (
            "run-throttled:3",
            EventKind.RUN_THROTTLED,
            CONTROL_THROTTLER,
            "manual: peak hours",
        )
        assert marks == MirrorMarks(throttle=3)

    def test_a_throttle_for_a_while_ends_by_itself(self) -> None:
        """`throttle --for` is mirrored ended once a worker sees its time is up, with no command."""
        held = state(command(EventKind.CONTROL_THROTTLE, 5.0, 3, **{"for": 60.0}))
        _, marks = mirror(held, 6.0, MirrorMarks())
        assert mirror(held, 64.9, marks) == ([], marks)
        due, marks = mirror(held, 65.2, marks)
        assert [(key, e.kind, e.worker_id) for key, e in due] == [
            ("run-unthrottled:3", EventKind.RUN_UNTHROTTLED, CONTROL_THROTTLER)
        ]
        assert marks == MirrorMarks()

    def test_a_new_throttle_over_a_throttle_updates_its_reason(self) -> None:
        """A second throttle while throttled is journaled (its reason) and its end is keyed by it."""
        first = state(command(EventKind.CONTROL_THROTTLE, 5.0, 3, "peak"))
        _, marks = mirror(first, 5.1, MirrorMarks())
        second = fold([command(EventKind.CONTROL_THROTTLE, 6.0, 4, "backup")], first)
        due, marks = mirror(second, 6.1, marks)
        assert [(key, e.reason) for key, e in due] == [("run-throttled:4", "manual: backup")]
        ended = fold([command(EventKind.CONTROL_UNTHROTTLE, 7.0, 5)], second)
        due, _ = mirror(ended, 7.1, marks)
        assert [key for key, _ in due] == ["run-unthrottled:4"]
