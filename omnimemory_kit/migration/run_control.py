"""``RunControl``: steer a run from anywhere (another terminal, machine or notebook) through its store.

Each verb validates its input, then appends one control event to the run's control stream and notifies the
store's watchers, so every runner and worker of the run applies it between claims. Bad input (an unknown
run, a bad setting, a gate that is not waiting or was approved already, a run that has finished) raises
``ConfigError`` / ``RunNotFoundError`` before anything is written.

Who gave a command is ``user@host`` of the calling process unless ``who`` says otherwise.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from typing import Any, Final

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError, RunNotFoundError
from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.control import (
    SETTING_KEYS,
    ControlCommand,
    ControlState,
    control_event,
    control_stream_id,
    fold,
    is_control_stream,
    parse_setting,
)
from omnimemory_kit.migration.rerun import RerunSelection, parse_rerun, requeue, rerun_keys
from omnimemory_kit.store.base import JournalStore, RunRecord
from omnimemory_kit.store.changes import JournalWatch, watch

__all__ = ["RunControl", "current_user", "ensure_control_stream", "read_control", "run_lifecycle"]

_ENDS: Final = {
    EventKind.RUN_COMPLETED.value: "completed",
    EventKind.RUN_CANCELLED.value: "cancelled",
    EventKind.RUN_FAILED.value: "failed",
}
_REOPENS: Final = {EventKind.RUN_STARTED.value, EventKind.RUN_RESUMED.value}


def current_user() -> str:
    """Return ``user@host`` for this process (who gave a command)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER: still say where it came from
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def run_lifecycle(store: JournalStore, run_id: str) -> str | None:
    """Return how the run ended (``completed``/``cancelled``/``failed``), or None while it is open.

    A run restarted after its end is open again. Scans the journal's rows once (no events are built).
    """
    ended: str | None = None
    for row in store.read_event_rows(run_id):
        kind = row[0]
        if kind in _ENDS:
            ended = _ENDS[kind]
        elif kind in _REOPENS:
            ended = None
    return ended


def read_control(store: JournalStore, run_id: str) -> ControlState:
    """Replay a run's control stream (an empty state when no command was ever given); reads only."""
    try:
        return fold(store.read_events(control_stream_id(run_id)))
    except RunNotFoundError:
        return ControlState()


def ensure_control_stream(store: JournalStore, run_id: str, *, at: float) -> str:
    """Create the run's control stream if it has none yet; return its id."""
    stream = control_stream_id(run_id)
    try:
        store.get_run(stream)
    except RunNotFoundError:
        store.create_run(
            RunRecord(run_id=stream, name=f"control of {run_id}", source="control", created_at=at)
        )
    return stream


class RunControl:
    """The control verbs for one run: pause, resume, throttle, unthrottle, set, retry_failed, rerun,
    cancel, approve and panic; ``state()`` and ``history()`` read what was asked so far.

    Args:
        store: the run's store.
        run_id: the run to control.
        clock: stamps each command's time.
        who: who gives the commands (default ``user@host``).

    Raises:
        RunNotFoundError: the store has no such run.
    """

    def __init__(
        self, store: JournalStore, run_id: str, *, clock: Clock = SYSTEM_CLOCK, who: str | None = None
    ) -> None:
        if is_control_stream(run_id):
            raise ConfigError(f"{run_id!r} is a control stream, not a run")
        store.get_run(run_id)  # raises RunNotFoundError for an unknown run
        self.store = store
        self.run_id = run_id
        self.stream_id = control_stream_id(run_id)
        self.who = who or current_user()
        self._clock = clock
        self._state = ControlState()
        self._watch: JournalWatch | None = None

    # --- reading ----------------------------------------------------------------------------------

    def state(self) -> ControlState:
        """Return the control state, folding any commands appended since the last read."""
        try:
            events = list(self.store.read_events(self.stream_id, after_seq=self._state.seq))
        except RunNotFoundError:
            return self._state  # no command was ever given
        self._state = fold(events, self._state)
        return self._state

    def history(self) -> tuple[ControlCommand, ...]:
        """Return every command given to the run, oldest first."""
        return self.state().history

    def describe(self) -> str:
        """Return the control state as people read it (``paused by ann@db1 since …``)."""
        return self.state().describe(self._clock.time())

    # --- the verbs --------------------------------------------------------------------------------

    def pause(self, *, reason: str | None = None) -> ControlCommand:
        """Stop new claims on every runner of the run; in-flight items finish."""
        return self._give(EventKind.CONTROL_PAUSE, reason)

    def resume(self, *, reason: str | None = None) -> ControlCommand:
        """Let a paused run claim again."""
        return self._give(EventKind.CONTROL_RESUME, reason)

    def throttle(self, *, for_seconds: float | None = None, reason: str | None = None) -> ControlCommand:
        """Stop new claims until ``unthrottle`` (or for ``for_seconds``); in-flight items finish."""
        if for_seconds is not None and not for_seconds > 0:
            raise ConfigError(f"throttle --for must be a positive duration, not {for_seconds}")
        args = {"for": float(for_seconds)} if for_seconds is not None else {}
        return self._give(EventKind.CONTROL_THROTTLE, reason, args)

    def unthrottle(self, *, reason: str | None = None) -> ControlCommand:
        """End a throttle."""
        return self._give(EventKind.CONTROL_UNTHROTTLE, reason)

    def set(
        self, settings: Mapping[str, Any] | None = None, /, *, reason: str | None = None, **kw: Any
    ) -> ControlCommand:
        """Change settings while the run runs: concurrency, batch-size, max-rate (items/s), item-timeout.

        Keys may be written with ``_`` (``batch_size=50``). All values are validated before any is written.
        """
        given = {**(settings or {}), **kw}
        if not given:
            raise ConfigError(f"set needs at least one KEY=VALUE ({', '.join(SETTING_KEYS)})")
        args = {key.replace("_", "-"): value for key, value in given.items()}
        return self._give(EventKind.CONTROL_SET, reason, {k: parse_setting(k, v) for k, v in args.items()})

    def retry_failed(self, *, reason: str | None = None) -> ControlCommand:
        """Requeue the run's failed items (a runner carries each request out once)."""
        return self._give(EventKind.CONTROL_RETRY_FAILED, reason)

    def rerun(self, what: str | RerunSelection, *, reason: str | None = None) -> ControlCommand:
        """Re-run part of the run while it goes on: ``failed``, ``batch:ID`` or ``keys:FILE``.

        The finished items it names are requeued at once (one FILE_REQUEUED each, as ``migrate --rerun``
        does) and every worker of the run claims them like any pending item; the command is journaled with
        what it requeued. Items still pending or in progress are left as they are.

        Raises:
            ConfigError: the selection is malformed, names a batch or key the run lacks, or the run finished.
        """
        selection = parse_rerun(what) if isinstance(what, str) else what
        ended = run_lifecycle(self.store, self.run_id)
        if ended is not None:
            raise ConfigError(f"run {self.run_id!r} has finished ({ended}); there is nothing to control")
        plan = rerun_keys(self.store, self.run_id, selection)  # ConfigError before anything is written
        count = requeue(self.store, self.run_id, plan.keys, at=self._clock.time(), worker_id=self.who)
        spec = f"batch:{selection.batch_id}" if selection.kind == "batch" else selection.kind
        args = {"what": spec, "requeued": count, "unfinished": plan.unfinished}
        return self._give(EventKind.CONTROL_RERUN, reason, args)

    def cancel(self, *, reason: str | None = None) -> ControlCommand:
        """Stop the run: no new claims, in-flight items finish, the run ends cancelled."""
        return self._give(EventKind.CONTROL_CANCEL, reason)

    def panic(self, *, reason: str | None = None) -> ControlCommand:
        """Stop claiming at once on every runner; in-flight items finish and the runners exit non-zero."""
        return self._give(EventKind.CONTROL_PANIC, reason)

    def approve(self, gate: str, *, by: str, reason: str | None = None) -> ControlCommand:
        """Approve a gate the run waits at (``cut-over``): its ``finalize`` runs, once.

        Raises:
            ConfigError: no runner waits at that gate, or it was approved already.
        """
        if not by.strip():
            raise ConfigError("approve needs --by NAME (who approves)")
        state = self.state()
        if gate in state.approvals:
            raise ConfigError(
                f"gate {gate!r} of run {self.run_id!r} was approved already by {state.approvals[gate]}"
            )
        if gate not in state.gates_waiting:
            waiting = ", ".join(state.gates_waiting) or "none"
            raise ConfigError(f"run {self.run_id!r} does not wait at gate {gate!r} (waiting: {waiting})")
        return self._give(EventKind.CONTROL_APPROVE, reason, {"gate": gate, "by": by})

    # --- writing ----------------------------------------------------------------------------------

    def _give(
        self, kind: EventKind, reason: str | None, args: Mapping[str, Any] | None = None
    ) -> ControlCommand:
        ended = run_lifecycle(self.store, self.run_id)
        if ended is not None:
            raise ConfigError(f"run {self.run_id!r} has finished ({ended}); there is nothing to control")
        now = self._clock.time()
        stream = ensure_control_stream(self.store, self.run_id, at=now)
        event = control_event(kind, at=now, who=self.who, reason=reason, args=args)
        seq = self.store.append(stream, [event])
        if self._watch is None:
            self._watch = watch(self.store, stream)
        self._watch.notify()
        return ControlCommand(kind, now, self.who, reason or None, dict(args or {}), seq)

    def close(self) -> None:
        """Close the notification channel (the store stays open: it is the caller's)."""
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def __repr__(self) -> str:
        return f"<RunControl run={self.run_id!r} {self.describe()}>"
