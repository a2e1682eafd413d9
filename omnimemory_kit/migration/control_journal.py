"""An operator's pause and throttle, written into the run's journal once, so the tracker excludes their time.

The tracker leaves paused and throttled time out of rates and the ETA by folding RUN_PAUSED/RUN_RESUMED
and RUN_THROTTLED/RUN_UNTHROTTLED from the run's journal. Control commands live in their own stream, so
each workers' view of a pause or a throttle is mirrored into the run's journal by exactly one of the
run's workers: every worker computes the same mirror events, each with a once-key, and the one that
claims the key in the control stream journals it (``ControlLink.claim_once``).

An operator's throttle is journaled under the throttler ``control`` (the tracker keys throttles by
worker), with the reason ``manual: …`` as the summary names it beside health rules. A throttle that ends
by itself (``throttle --for``) is mirrored when a worker sees it ended.

``mirror(state, now, marks)`` is pure: from the control state and this worker's marks (what it has
mirrored), the events due and the new marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.control import ControlCommand, ControlState

__all__ = ["CONTROL_THROTTLER", "MirrorMarks", "mirror"]

CONTROL_THROTTLER: Final = "control"
"""The worker id an operator's throttle is journaled under (health throttles use the worker's own)."""


@dataclass(frozen=True, slots=True)
class MirrorMarks:
    """The control commands a worker has mirrored as the current pause and throttle (0: none)."""

    pause: int = 0
    throttle: int = 0


def _current(state: ControlState, kind: EventKind, since: float | None) -> ControlCommand | None:
    """Return the command that started the current pause or throttle (the last of ``kind`` at ``since``)."""
    for command in reversed(state.history):
        if command.kind is kind and command.at == since:
            return command
    return None


def mirror(
    state: ControlState, now: float, marks: MirrorMarks
) -> tuple[list[tuple[str, Event]], MirrorMarks]:
    """Return the run-journal events the control state calls for, each with its once-key, and new marks.

    Events are stamped ``now`` (when a worker saw the change), never earlier than what the journal holds.
    """
    due: list[tuple[str, Event]] = []
    pause, throttle = marks.pause, marks.throttle
    if state.paused_by is not None and not pause:
        command = _current(state, EventKind.CONTROL_PAUSE, state.paused_since)
        if command is not None:
            why = f"paused by {command.who}" + (f": {command.reason}" if command.reason else "")
            due.append((f"run-paused:{command.seq}", Event(EventKind.RUN_PAUSED, now, reason=why)))
            pause = command.seq
    elif state.paused_by is None and pause:
        due.append((f"run-resumed:{pause}", Event(EventKind.RUN_RESUMED, now, reason="resumed")))
        pause = 0
    if state.is_throttled(now):
        command = _current(state, EventKind.CONTROL_THROTTLE, state.throttled_since)
        if command is not None and command.seq != throttle:
            why = f"manual: {command.reason or 'throttled'}"
            event = Event(EventKind.RUN_THROTTLED, now, reason=why, worker_id=CONTROL_THROTTLER)
            due.append((f"run-throttled:{command.seq}", event))
            throttle = command.seq
    elif throttle:
        event = Event(
            EventKind.RUN_UNTHROTTLED, now, reason="manual throttle ended", worker_id=CONTROL_THROTTLER
        )
        due.append((f"run-unthrottled:{throttle}", event))
        throttle = 0
    return due, MirrorMarks(pause, throttle)
