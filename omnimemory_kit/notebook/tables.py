"""Tables for the notebooks: a snapshot or a frame in, a small readable DataFrame out (pure).

pandas escapes cell text when it renders HTML, so file names and error messages are shown, never run.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from omnimemory_kit.health.models import HealthResponse
from omnimemory_kit.migration.summary import MigrationProgressSummary, percent_text
from omnimemory_kit.migration.validation import MismatchRow, ValidationSummary
from omnimemory_kit.text import printable

__all__ = [
    "failures_table",
    "health_snapshot_table",
    "health_status_html",
    "mismatches_table",
    "summary_table",
    "table_html",
    "validation_table",
]

_MAX_MESSAGE = 160


def _duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "n/a"
    seconds = float(seconds)
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def _bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TiB"  # pragma: no cover - the loop returns at GiB


def _is_number(column: pd.Series[Any]) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def table_html(frame: pd.DataFrame, *, max_rows: int = 200) -> str:
    """Return a frame as an escaped HTML table whose headers line up with their columns.

    Numbers are right-aligned and text left-aligned, each header like its column (JupyterLab's stylesheet
    right-aligns every cell and pandas every header, which set text under headers that sat elsewhere).
    The rule travels with the table in a ``<style>`` keyed by the column pattern, so it holds in
    JupyterLab, in a widget and in a report. More than ``max_rows`` rows are cut, with a note.
    """
    shown = frame.head(max_rows)
    pattern = "".join("r" if _is_number(shown[column]) else "l" for column in shown.columns)
    key = f"omk-align-{pattern or 'none'}"
    rules = "".join(
        f"table.{key} tr > :nth-child({i}) {{ text-align: {'right' if a == 'r' else 'left'}; }}"
        for i, a in enumerate(pattern, 1)
    )
    style = f"<style>{rules} table.{key} th {{ white-space: nowrap; }}</style>"
    # escaped by pandas; no index column (row numbers mean nothing to a reader)
    markup = shown.to_html(
        index=False, escape=True, border=0, classes=["dataframe", key], na_rep="", justify="left"
    )
    if len(frame) > max_rows:
        markup += f"<p><em>{len(frame) - max_rows:,} more rows not shown.</em></p>"
    return style + markup


def summary_table(summary: MigrationProgressSummary) -> pd.DataFrame:
    """Return a run's summary as ``Measure``/``Value`` rows people can read at a glance."""
    rates = summary.processing_rates
    eta = (
        "finished"
        if summary.remaining_files == 0
        else f"{_duration(summary.eta_seconds)} (80 % interval {_duration(summary.eta_low_seconds)} to "
        f"{_duration(summary.eta_high_seconds)})"
        if summary.eta_seconds is not None
        else f"not yet ({summary.eta_unavailable_reason or 'no estimate'})"
    )
    rows: list[tuple[str, Any]] = [
        ("Run", f"{summary.name} ({summary.run_id})"),
        ("Status", str(summary.status.value) + (" (breaker open)" if summary.breaker_open else "")),
        ("Items", f"{summary.total_files:,}"),
        ("Succeeded", f"{summary.succeeded_files:,}"),
        ("Failed", f"{summary.failed_files:,}"),
        ("Skipped", f"{summary.skipped_files:,}"),
        ("In progress / pending", f"{summary.in_progress_files:,} / {summary.pending_files:,}"),
        ("Completion", f"{percent_text(summary.completion_percentage)}%"),
        ("Success rate", f"{percent_text(summary.success_rate)}%"),
        ("Data processed", f"{_bytes(summary.processed_bytes)} of {_bytes(summary.total_bytes)}"),
        (
            "Rate (recent / overall)",
            f"{rates.files_per_second_recent:.2f} / {rates.files_per_second_overall:.2f} items/s",
        ),
        ("Elapsed (active)", _duration(summary.elapsed_seconds)),
        (
            "Paused / breaker open",
            f"{_duration(summary.paused_seconds)} / {_duration(summary.breaker_open_seconds)}",
        ),
        ("Time remaining", eta),
        ("Retries", f"{summary.retry_count:,}"),
    ]
    return pd.DataFrame(rows, columns=["Measure", "Value"])


def _clip(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def failures_table(files: pd.DataFrame | None, *, limit: int = 50) -> pd.DataFrame:
    """Return the failed items (most attempts first): path, attempts, batch, error type and message.

    No files (None or an empty frame) gives an empty table with those columns.
    """
    columns = ["path", "attempts", "batch_id", "error_type", "error_message"]
    if files is None or files.empty or "status" not in files.columns:
        return pd.DataFrame(columns=columns)
    failed = files[files["status"].astype(str) == "failed"]
    failed = failed.sort_values(["attempts", "path"], ascending=[False, True], kind="stable").head(limit)
    out = failed.reindex(columns=columns).reset_index(drop=True)
    # keys from the file system may hold undecodable bytes or newlines: shown escaped, never lost in output
    out["path"] = [printable(p) if isinstance(p, str) else p for p in out["path"]]
    out["error_message"] = [
        m if not isinstance(m, str) else _clip(printable(m)) for m in out["error_message"]
    ]
    return out


def validation_table(summary: ValidationSummary | None) -> pd.DataFrame:
    """Return how a run's validation stands as one row: status, counts and the validated rate.

    None (a run never validated) gives an empty table with those columns.
    """
    columns = ["status", "items", "validated", "mismatched", "error", "pending", "validated %"]
    if summary is None:
        return pd.DataFrame(columns=columns)
    row = [summary.status_text(), summary.items, summary.validated, summary.mismatched, summary.error,
           summary.pending, round(summary.validated_rate, 1)]  # fmt: skip
    return pd.DataFrame([row], columns=columns)


def _shown(value: Any) -> Any:
    return _clip(printable(value)) if isinstance(value, str) else value


def mismatches_table(
    summary: ValidationSummary | None, *, limit: int = 100, errors: bool = True
) -> pd.DataFrame:
    """Return the mismatch table, oldest first: key, state, detail, expected, actual and when (UTC).

    Items whose check failed (state ``error``) follow the mismatched ones unless ``errors`` is False.
    None (a run never validated) gives an empty table with those columns.
    """
    columns = ["key", "state", "detail", "expected", "actual", "when"]
    if summary is None:
        return pd.DataFrame(columns=columns)
    tables: list[tuple[str, tuple[MismatchRow, ...]]] = [("mismatched", summary.mismatches)]
    if errors:
        tables.append(("error", summary.errors))
    rows = [
        [_shown(row.key), state, _shown(row.detail), _shown(row.expected), _shown(row.actual),
         pd.Timestamp(row.at, unit="s", tz="UTC").floor("s")]
        for state, table in tables
        for row in table
    ][:limit]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def health_snapshot_table(response: HealthResponse) -> pd.DataFrame:
    """Return one row per dependency of a health response, with the reason for any status but healthy."""
    rows = []
    for dep in response.dependencies.values():
        reason = dep.failed_condition or (str(dep.error) if dep.error else None) or dep.message or ""
        observed = (
            f"{dep.observed_value:g} {dep.observed_unit or ''}".strip()
            if dep.observed_value is not None
            else ""
        )
        rows.append(
            {
                "dependency": dep.name,
                "type": str(dep.dependency_type),
                "critical": dep.critical,
                "status": str(dep.status) + (" (pending change)" if dep.pending else ""),
                "latency_ms": None if dep.latency_ms is None else round(dep.latency_ms, 1),
                "observed": observed,
                "breaker": dep.breaker_state or "",
                "reason": reason,
            }
        )
    columns = ["dependency", "type", "critical", "status", "latency_ms", "observed", "breaker", "reason"]
    return pd.DataFrame(rows, columns=columns)


_STATUS_COLORS = {"healthy": "#2ca02c", "degraded": "#ff7f0e", "unhealthy": "#d62728"}


def health_status_html(response: HealthResponse) -> str:
    """Return a one-line coloured HTML headline of a response: overall status, counts, when."""
    status = str(response.status)
    color = _STATUS_COLORS.get(status, "#7f7f7f")
    counts: dict[str, int] = {}
    for dep in response.dependencies.values():
        counts[str(dep.status)] = counts.get(str(dep.status), 0) + 1
    detail = ", ".join(f"{n} {html.escape(s)}" for s, n in sorted(counts.items())) or "no checks registered"
    when = response.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    headline = f'<b>Overall: <span style="color:{color}">{html.escape(status)}</span></b>'
    facts = f"{detail} &middot; checked {when} in {response.duration_ms:.0f} ms"
    return f'<p style="font-size:1.15em">{headline} &middot; {facts}</p>'
