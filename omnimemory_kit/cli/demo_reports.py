"""The demo's reports: the migration report and a health report of this machine, written after the demo.

Only ``omnimemory-kit demo`` uses this; ``omnimemory_kit.reports`` (Jupyter, Plotly, pandas) is imported
inside ``run_demo_reports`` so the other commands start fast.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import click

__all__ = ["machine_services", "run_demo_reports"]


def _listening(host: str, port: int, timeout: float = 0.3) -> bool:
    """Return whether something accepts TCP connections at host:port (a quick local probe)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def machine_services() -> dict[str, str | None]:
    """Return the PostgreSQL DSN and Redis URL the demo's health report checks on this machine.

    ``OMNIMEMORY_PG_DSN`` / ``OMNIMEMORY_REDIS_URL`` win; otherwise a server listening on the default
    local port is checked with the default URL, and one that is not running is left out (a fresh
    machine gets host and store checks only).
    """
    dsn = os.environ.get("OMNIMEMORY_PG_DSN") or (
        "postgresql://postgres@127.0.0.1:5432/postgres" if _listening("127.0.0.1", 5432) else None
    )
    redis_url = os.environ.get("OMNIMEMORY_REDIS_URL") or (
        "redis://127.0.0.1:6379/0" if _listening("127.0.0.1", 6379) else None
    )
    return {"postgres_dsn": dsn, "redis_url": redis_url}


def run_demo_reports(store_url: str, run_id: str, out_dir: Path = Path("reports")) -> tuple[Path, bool]:
    """Write the demo's migration report and a health report; return the index path and whether both ran."""
    from omnimemory_kit.reports import run_report

    results = [
        run_report(
            "migration_report", {"store_url": store_url, "run_id": run_id}, out_dir=out_dir, no_input=True
        ),
        run_report("health", {"store_url": store_url, **machine_services()}, out_dir=out_dir, no_input=True),
    ]
    for result in results:
        note = "" if result.ok else f" (failed: {result.error})"
        click.echo(f"  report   {result.html}{note}")
    return Path(out_dir) / "index.html", all(r.ok for r in results)
