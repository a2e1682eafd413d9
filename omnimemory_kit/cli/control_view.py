"""A run's control state, settings and command history as text: shared by ``control`` and ``status``."""

from __future__ import annotations

from datetime import UTC, datetime

from omnimemory_kit.migration.control import ControlState

__all__ = ["format_control", "format_history"]


def format_control(state: ControlState, now: float) -> str:
    """Return the control state, the current settings and the command history as plain lines."""
    s = state.settings
    settings = ", ".join(
        f"{name}={'-' if value is None else f'{value:g}'}"
        for name, value in (
            ("concurrency", s.concurrency),
            ("batch-size", s.batch_size),
            ("max-rate", s.max_rate),
            ("item-timeout", s.item_timeout),
        )
    )
    lines = [f"control  {state.describe(now)}", f"  settings {settings} (- : as the runner was started)"]
    return "\n".join([*lines, format_history(state)])


def format_history(state: ControlState) -> str:
    """Return the command history as plain lines (when, who, command, why)."""
    if not state.history:
        return "  history  no commands"
    lines = []
    for command in state.history:
        at = datetime.fromtimestamp(command.at, UTC).strftime("%Y-%m-%d %H:%M:%S")
        why = f"  ({command.reason})" if command.reason else ""
        lines.append(f"  {at}  {command.who:<24} {command.describe()}{why}")
    return "\n".join(lines)
