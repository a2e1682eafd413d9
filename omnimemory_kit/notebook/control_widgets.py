"""The control widgets both migration panels share: what operators see of a run's control, and ask of it.

``control_line`` renders the control state and the settings in force; ``history_table`` the commands
given (when, who, command, why). Both panels show them: ``MigrationPanel`` (the run executes in this
kernel) and ``AttachedPanel`` (it executes elsewhere).
"""

from __future__ import annotations

import html
import time

from omnimemory_kit.migration.control import ControlState
from omnimemory_kit.migration.summary import RunSettings

__all__ = ["control_line", "history_table"]


def control_line(control_state: str | None, settings: RunSettings | None) -> str:
    """Return the control state and the settings in force as one line of HTML ("" when neither is known)."""
    parts = []
    if control_state is not None:
        parts.append(f"control: <b>{html.escape(control_state)}</b>")
    if settings is not None:
        parts.append(html.escape(settings.describe()))
    return "; ".join(parts)


def history_table(state: ControlState, *, last: int = 20) -> str:
    """Return the last ``last`` commands as an HTML table (UTC time, who, command, reason)."""
    rows = "".join(
        f"<tr><td>{time.strftime('%H:%M:%S', time.gmtime(c.at))}</td><td>{html.escape(c.who)}</td>"
        f"<td>{html.escape(c.describe())}</td><td>{html.escape(c.reason or '')}</td></tr>"
        for c in state.history[-last:]
    )
    return f"<table><tr><th>UTC</th><th>who</th><th>command</th><th>reason</th></tr>{rows}</table>"
