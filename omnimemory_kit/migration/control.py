"""Control of a running migration: the commands operators give it, and a pure reducer over them.

Operators steer a run while it runs (pause, throttle, resize, approve the final step) by appending control
events to the run's *control stream* in the store (``control_stream_id``): a journal of its own beside the
run's, so its ``last_seq`` is a cheap change counter every runner and worker polls (or is told of, by
PostgreSQL NOTIFY) and its history is short to read. Each event says who (``user@host``), when, why, and
the arguments.

``reduce(state, event)`` folds one event into a frozen ``ControlState``; ``fold(events)`` replays a stream.
No I/O and no clock reads: whatever depends on time (a throttle that ends) takes ``now``. The runner
consults the state between claims.

Settings are validated here, once, for the library and the CLI alike (``parse_setting``): a bad value is a
``ConfigError`` naming the key and what is wrong, raised before anything is written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, Literal

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import CONTROL_KINDS, Event, EventKind
from omnimemory_kit.migration.summary import RunSettings
from omnimemory_kit.store.companions import CONTROL_SUFFIX

__all__ = [
    "SETTING_KEYS",
    "ControlCommand",
    "ControlSettings",
    "ControlState",
    "Phase",
    "control_event",
    "control_stream_id",
    "finalize_key",
    "fold",
    "is_control_stream",
    "parse_duration",
    "parse_setting",
    "reduce",
    "summary_fields",
]

FINALIZE_PREFIX: Final = "finalize:"
SETTING_KEYS: Final = ("concurrency", "batch-size", "max-rate", "item-timeout")
"""The settings ``set KEY=VALUE`` changes while the run runs."""

Phase = Literal["running", "paused", "throttled", "awaiting approval", "cancelled", "panicked"]


def control_stream_id(run_id: str) -> str:
    """Return the id of the run whose journal is ``run_id``'s control stream."""
    return run_id + CONTROL_SUFFIX


def is_control_stream(run_id: str) -> bool:
    """Tell whether a run id names a control stream (listings hide those)."""
    return run_id.endswith(CONTROL_SUFFIX)


def finalize_key(gate: str) -> str:
    """Return the control-stream item whose single claim runs ``finalize`` behind ``gate`` exactly once."""
    return FINALIZE_PREFIX + gate


def parse_duration(text: str) -> float:
    """Parse ``90``, ``90s``, ``15m``, ``2h`` or ``1.5h`` into seconds (positive, finite).

    Raises:
        ConfigError: anything else.
    """
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    raw = text.strip().lower()
    scale = units.get(raw[-1:])
    number = raw[:-1] if scale is not None else raw
    try:
        seconds = float(number) * (scale or 1.0)
    except ValueError:
        raise ConfigError(f"duration {text!r} is not a number of seconds or like 30s, 15m, 2h") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"duration {text!r} must be positive")
    return seconds


def parse_setting(key: str, value: str | float) -> int | float:
    """Validate one ``set`` value: ``concurrency`` and ``batch-size`` are integers ≥ 1, ``max-rate`` items/s
    and ``item-timeout`` seconds are numbers > 0 (``max-rate=0`` or ``none`` lifts the limit, returned as 0).

    Raises:
        ConfigError: an unknown key or a bad value, in one line naming both.
    """
    if key not in SETTING_KEYS:
        raise ConfigError(f"unknown setting {key!r} (settings: {', '.join(SETTING_KEYS)})")
    text = str(value).strip()
    if key in ("concurrency", "batch-size"):
        try:
            number = int(text)
        except ValueError:
            raise ConfigError(f"{key}={text!r}: must be a whole number of at least 1") from None
        if number < 1:
            raise ConfigError(f"{key}={text!r}: must be a whole number of at least 1")
        return number
    if key == "max-rate" and text.lower() in ("none", "off", "0"):
        return 0.0
    try:
        real = float(text)
    except ValueError:
        raise ConfigError(f"{key}={text!r}: must be a number greater than 0") from None
    if not math.isfinite(real) or real <= 0:
        raise ConfigError(f"{key}={text!r}: must be a number greater than 0")
    return real


def control_event(
    kind: EventKind, *, at: float, who: str, reason: str | None = None, args: Mapping[str, Any] | None = None
) -> Event:
    """Build a control event (``args`` travel as a JSON object in ``path``)."""
    return Event(
        kind, at, path=json.dumps(dict(args or {}), sort_keys=True), reason=reason or None, worker_id=who
    )


@dataclass(frozen=True, slots=True)
class ControlCommand:
    """One journaled command: what, when (epoch seconds), who (``user@host``), why, with what arguments."""

    kind: EventKind
    at: float
    who: str
    reason: str | None
    args: Mapping[str, Any]
    seq: int = 0

    @property
    def verb(self) -> str:
        """The command as typed: ``pause``, ``retry-failed``, ``set``…"""
        return self.kind.value.removeprefix("control_").replace("_", "-")

    def describe(self) -> str:
        """Render the command and its arguments as one would type them (``set concurrency=2``)."""
        words = [self.verb]
        if self.kind is EventKind.CONTROL_APPROVE:
            words.append(str(self.args.get("gate", "")))
        elif self.kind is EventKind.CONTROL_RERUN:
            words.append(f"{self.args.get('what', '')} ({self.args.get('requeued', 0)} requeued)")
        elif self.kind is EventKind.CONTROL_THROTTLE and "for" in self.args:
            words.append(f"--for {self.args['for']:g}s")
        else:
            words.extend(f"{key}={value}" for key, value in self.args.items())
        return " ".join(words)

    def to_dict(self) -> dict[str, Any]:
        """Return the command as plain data (for ``--json`` and tables)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "command": self.verb,
            "args": dict(self.args),
            "who": self.who,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ControlSettings:
    """The run's current settings; None leaves the runner's own configuration in force."""

    concurrency: int | None = None
    batch_size: int | None = None
    max_rate: float | None = None  # items/s, run-wide; None: no limit
    item_timeout: float | None = None

    def with_args(self, args: Mapping[str, Any]) -> ControlSettings:
        """Return the settings with ``set`` arguments applied (already validated when written)."""
        changes: dict[str, Any] = {}
        for key, value in args.items():
            if key == "max-rate":
                changes["max_rate"] = float(value) or None
            elif key in SETTING_KEYS:
                changes[key.replace("-", "_")] = value
        return replace(self, **changes)

    def in_force(
        self, *, concurrency: int | None, batch_size: int | None, item_timeout: float | None
    ) -> RunSettings:
        """Return the settings in force: these where set, else the runner's own (given here)."""
        return RunSettings(
            concurrency=self.concurrency or concurrency,
            batch_size=self.batch_size or batch_size,
            max_rate=self.max_rate,
            item_timeout=self.item_timeout or item_timeout,
        )


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True)
class ControlState:
    """What the operators have asked of a run so far, as a value.

    ``retry_requests`` counts ``retry-failed`` commands; a runner compares it with how many it has carried
    out, so each is done once. ``gates_waiting`` are the gates a runner reported waiting at; ``approvals``
    maps each approved gate to who approved it. ``finalized`` holds the gates whose finalize succeeded.
    ``attempts`` counts the claims of each once-work item (``finalize:GATE``…): more than one means a
    worker died (or lost its lease) while doing it and another took it over.
    """

    paused_by: str | None = None
    paused_since: float | None = None
    throttled: bool = False
    throttled_since: float | None = None
    throttled_until: float | None = None  # None while throttled: until ``unthrottle``
    throttle_reason: str | None = None
    cancelled: bool = False
    panicked: bool = False
    retry_requests: int = 0
    settings: ControlSettings = ControlSettings()
    gates_waiting: tuple[str, ...] = ()
    approvals: Mapping[str, str] = field(default_factory=dict)
    finalized: tuple[str, ...] = ()
    finalize_failed: tuple[str, ...] = ()
    attempts: Mapping[str, int] = field(default_factory=dict)  # once-work key -> times claimed
    history: tuple[ControlCommand, ...] = ()
    seq: int = 0

    def is_throttled(self, now: float) -> bool:
        """Tell whether a throttle is in force at ``now`` (a ``throttle --for`` ends by itself)."""
        return self.throttled and (self.throttled_until is None or now < self.throttled_until)

    def claims_allowed(self, now: float) -> bool:
        """Tell whether a runner may start new items at ``now`` (in-flight items always finish)."""
        return not (self.paused_by is not None or self.is_throttled(now) or self.cancelled or self.panicked)

    def awaiting(self) -> str | None:
        """Return a gate the run waits at for approval, if any."""
        for gate in self.gates_waiting:
            if gate not in self.approvals:
                return gate
        return None

    def phase(self, now: float) -> Phase:
        """Return the control state's one-word phase at ``now``."""
        if self.panicked:
            return "panicked"
        if self.cancelled:
            return "cancelled"
        if self.paused_by is not None:
            return "paused"
        if self.is_throttled(now):
            return "throttled"
        if self.awaiting() is not None:
            return "awaiting approval"
        return "running"

    def describe(self, now: float) -> str:
        """Say the state as people read it: ``paused by alice@db1 since 2026-12-04 16:00:00 UTC``."""
        phase = self.phase(now)
        if phase == "paused" and self.paused_since is not None:
            return f"paused by {self.paused_by} since {_stamp(self.paused_since)}"
        if phase == "throttled":
            until = "unthrottled" if self.throttled_until is None else _stamp(self.throttled_until)
            return f"throttled until {until}"
        if phase == "awaiting approval":
            return f"awaiting approval: {self.awaiting()}"
        return phase

    def to_dict(self, now: float) -> dict[str, Any]:
        """Return state, settings and history as plain data (for ``--json``, status and reports)."""
        s = self.settings
        return {
            "state": self.phase(now),
            "description": self.describe(now),
            "settings": {
                "concurrency": s.concurrency,
                "batch-size": s.batch_size,
                "max-rate": s.max_rate,
                "item-timeout": s.item_timeout,
            },
            "approvals": dict(self.approvals),
            "history": [command.to_dict() for command in self.history],
        }


def _args(event: Event) -> dict[str, Any]:
    if not event.path:
        return {}
    try:
        loaded = json.loads(event.path)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def reduce(state: ControlState, event: Event) -> ControlState:
    """Fold one control-stream event into the state (other kinds only advance ``seq``).

    An event the state has folded already (its store ``seq`` at or below the state's) is skipped, so two
    readers folding the same new events into one state (a beat and a ``refresh``) count them once.
    """
    if event.seq and event.seq <= state.seq:
        return state
    kind = event.kind
    seq = max(state.seq, event.seq)
    if kind is EventKind.GATE_WAITING:
        gate = str(_args(event).get("gate", ""))
        waiting = state.gates_waiting if gate in state.gates_waiting else (*state.gates_waiting, gate)
        return replace(state, gates_waiting=waiting, seq=seq)
    if kind is EventKind.FILE_STARTED and event.path:
        attempts = {**state.attempts, event.path: state.attempts.get(event.path, 0) + 1}
        return replace(state, attempts=attempts, seq=seq)
    if kind is EventKind.FILE_SUCCEEDED and event.path and event.path.startswith(FINALIZE_PREFIX):
        gate = event.path.removeprefix(FINALIZE_PREFIX)
        return replace(state, finalized=(*state.finalized, gate), seq=seq)
    if kind is EventKind.FILE_FAILED and event.path and event.path.startswith(FINALIZE_PREFIX):
        gate = event.path.removeprefix(FINALIZE_PREFIX)
        return replace(state, finalize_failed=(*state.finalize_failed, gate), seq=seq)
    if kind not in CONTROL_KINDS:
        return replace(state, seq=seq)
    args = _args(event)
    who = event.worker_id or "unknown"
    command = ControlCommand(kind, event.at, who, event.reason, args, event.seq)
    state = replace(state, history=(*state.history, command), seq=seq)
    if kind is EventKind.CONTROL_PAUSE:
        if state.paused_by is not None:
            return state
        return replace(state, paused_by=who, paused_since=event.at)
    if kind is EventKind.CONTROL_RESUME:
        return replace(state, paused_by=None, paused_since=None)
    if kind is EventKind.CONTROL_THROTTLE:
        for_seconds = args.get("for")
        until = event.at + float(for_seconds) if for_seconds is not None else None
        return replace(
            state,
            throttled=True,
            throttled_since=event.at,
            throttled_until=until,
            throttle_reason=event.reason,
        )
    if kind is EventKind.CONTROL_UNTHROTTLE:
        return replace(
            state, throttled=False, throttled_since=None, throttled_until=None, throttle_reason=None
        )
    if kind is EventKind.CONTROL_SET:
        return replace(state, settings=state.settings.with_args(args))
    if kind is EventKind.CONTROL_RETRY_FAILED:
        return replace(state, retry_requests=state.retry_requests + 1)
    if kind is EventKind.CONTROL_RERUN:
        return state  # carried out by the one who gave it (items requeued in the run): history only
    if kind is EventKind.CONTROL_CANCEL:
        return replace(state, cancelled=True)
    if kind is EventKind.CONTROL_PANIC:
        return replace(state, panicked=True)
    if kind is EventKind.CONTROL_APPROVE:
        gate = str(args.get("gate", ""))
        return replace(state, approvals={**state.approvals, gate: str(args.get("by") or who)})
    return state  # pragma: no cover - every control kind is handled above


def fold(events: Iterable[Event], state: ControlState | None = None) -> ControlState:
    """Replay control-stream events onto ``state`` (a fresh one by default)."""
    result = state if state is not None else ControlState()
    for event in events:
        result = reduce(result, event)
    return result


def summary_fields(state: ControlState, params: Mapping[str, Any], now: float) -> dict[str, Any]:
    """Return a summary's control state and settings in force, for a reader of the store (not a runner).

    Settings not changed by a command are the run's as it was created (``params``).
    """

    def number(key: str) -> Any:
        value = params.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None

    settings = state.settings.in_force(
        concurrency=number("concurrency"),
        batch_size=number("batch_size"),
        item_timeout=number("item_timeout"),
    )
    return {"control_state": state.describe(now), "settings": settings}
