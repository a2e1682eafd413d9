"""Small DataFrames shaped like the tracker's and the health history's, for figure and table tests."""

from __future__ import annotations

import pandas as pd

T0 = 1_800_000_000.0
EVIL = "<script>alert(1)</script>"


def files_frame() -> pd.DataFrame:
    """Return six items: three succeeded (one after a retry), two failed, one skipped, one evil name."""
    rows = [
        ("a.py", 100, "succeeded", 1, "b1", T0, T0 + 1.0, 1.0, None, None),
        ("b.py", 200, "succeeded", 2, "b1", T0, T0 + 3.5, 3.5, "TimeoutError", "slow target"),
        (f"dir/{EVIL}.py", 300, "failed", 3, "b1", T0, T0 + 9.0, 9.0, "ValueError", EVIL),
        ("d.py", 400, "failed", 3, "b2", T0 + 10, T0 + 12.0, 2.0, "ValueError", "bad header"),
        ("e.py", 500, "skipped", 1, "b2", T0 + 10, T0 + 10.5, 0.5, None, None),
        ("f.py", 600, "succeeded", 1, "b2", T0 + 10, T0 + 11.0, 1.0, None, None),
        ("g.py", 700, "pending", 0, None, None, None, None, None, None),
    ]
    columns = [
        "path",
        "size",
        "status",
        "attempts",
        "batch_id",
        "started_at",
        "finished_at",
        "duration_s",
        "error_type",
        "error_message",
    ]
    return pd.DataFrame(rows, columns=columns)


def progress_frame(points: int = 20) -> pd.DataFrame:
    """Return a progress series of ``points`` samples for a run of 100 items."""
    rows = []
    for i in range(points):
        done = i * 100 // max(points - 1, 1)
        eta = None if i < 2 else float(points - i) * 10.0
        rows.append(
            {
                "at": T0 + i * 10.0,
                "elapsed_s": i * 10.0,
                "total": 100,
                "succeeded": done * 8 // 10,
                "failed": done // 10,
                "skipped": done - done * 8 // 10 - done // 10,
                "in_progress": 0 if done == 100 else 5,
                "pending": 100 - done,
                "files_per_s_recent": None if i < 2 else 1.0 + (i % 3) * 0.1,
                "files_per_s_overall": None if i < 2 else 1.0,
                "bytes_per_s_recent": None if i < 2 else 1000.0,
                "eta_s": eta,
                "eta_low_s": None if eta is None else eta * 0.8,
                "eta_high_s": None if eta is None else eta * 1.3,
            }
        )
    return pd.DataFrame(rows)


def batches_frame(count: int = 4) -> pd.DataFrame:
    """Return ``count`` closed batches of ten items each."""
    rows = []
    for i in range(count):
        failed = i % 3
        rows.append(
            {
                "batch_id": f"batch-{i:04d}",
                "opened_at": T0 + i * 5.0,
                "closed_at": T0 + i * 5.0 + 4.0,
                "duration_s": 4.0 + i,
                "files": 10,
                "succeeded": 10 - failed,
                "failed": failed,
                "skipped": 0,
                "success_rate": (10 - failed) / 10,
            }
        )
    return pd.DataFrame(rows)


def health_frame() -> pd.DataFrame:
    """Return six snapshots of three checks: postgres flaps, redis stays up, cpu is a percentage."""
    rows = []
    pg = ["healthy", "unhealthy", "healthy", "unhealthy", "healthy", "healthy"]
    for i, status in enumerate(pg):
        at = T0 + i * 60.0
        overall = "unhealthy" if status == "unhealthy" else "healthy"
        rows.append(
            (
                at,
                "postgresql",
                status,
                True,
                2.0 + i,
                None if status == "healthy" else EVIL,
                None,
                None,
                "closed",
                overall,
            )
        )
        rows.append((at, "redis", "healthy", False, 1.0, None, None, None, None, overall))
        rows.append((at, "cpu", "healthy", False, 0.1, None, 20.0 + i, "percent", None, overall))
    columns = [
        "taken_at",
        "name",
        "status",
        "critical",
        "latency_ms",
        "error",
        "observed_value",
        "observed_unit",
        "breaker_state",
        "overall_status",
    ]
    return pd.DataFrame(rows, columns=columns)
