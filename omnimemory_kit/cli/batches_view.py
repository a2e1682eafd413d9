"""The batches view of a run: one row per batch with its items, outcomes, duration, worker and attempts.

``status --batches`` shows it. Rows are JSON-ready dicts (``status --json --batches``); ``format_batches``
renders them as aligned plain text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from omnimemory_kit.cli.summary_view import format_duration
from omnimemory_kit.text import printable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["batch_rows", "format_batches"]


def batch_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return one JSON-ready dict per batch of a tracker's ``batches_dataframe``, in the order opened."""
    rows = []
    record: dict[Any, Any]
    for record in frame.to_dict(orient="records"):
        opened, closed = record["opened_at"], record["closed_at"]
        rows.append(
            {
                "batch_id": record["batch_id"],
                "items": int(record["files"]),
                "succeeded": int(record["succeeded"]),
                "failed": int(record["failed"]),
                "skipped": int(record["skipped"]),
                "duration_seconds": float(record["duration_s"]),
                "worker_id": record["worker_id"],
                "attempts": int(record["attempts"]),
                "outcome": record["outcome"],
                "opened_at": opened.isoformat(),
                "closed_at": None if closed is None or closed != closed else closed.isoformat(),
            }
        )
    return rows


def format_batches(rows: Sequence[dict[str, Any]]) -> str:
    """Return the batches as an aligned plain-text table (one line per batch, under a header)."""
    if not rows:
        return "batches: none yet"
    header = ["batch", "items", "ok", "failed", "skipped", "duration", "worker", "attempts", "outcome"]
    table = [header] + [
        [
            printable(str(row["batch_id"])),
            str(row["items"]),
            str(row["succeeded"]),
            str(row["failed"]),
            str(row["skipped"]),
            format_duration(None if math.isnan(row["duration_seconds"]) else row["duration_seconds"]),
            printable(str(row["worker_id"] or "-")),
            str(row["attempts"]),
            row["outcome"],
        ]
        for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(*table, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    return "\n".join([f"batches: {len(rows)}", *("  " + line for line in lines)])
