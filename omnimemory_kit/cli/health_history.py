"""``omnimemory-kit health uptime``: read the recorded health history back: uptime and latency per check.

Exit status: 0 the table was printed, 2 bad config or arguments, 3 the store could not be opened.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE
from omnimemory_kit.errors import ConfigError, StoreError
from omnimemory_kit.health.config import HealthConfigFile, load_health_config
from omnimemory_kit.health.uptime import WINDOWS, WindowUptime, uptime_table
from omnimemory_kit.observability import redact
from omnimemory_kit.store.base import HealthHistoryStore

__all__ = ["uptime_command"]


def _open(
    ctx: click.Context, config_path: str | None, store_url: str | None
) -> tuple[HealthConfigFile | None, Any]:
    """Load the config (when given) and open its store without creating one; exit 2 or 3 on failure."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    config = None
    try:
        if config_path is not None:
            config = load_health_config(config_path)
        url = store_url if store_url is not None else (config.store if config is not None else None)
        if url is None:
            raise ConfigError("give --store URL, or --config FILE with a `store`")
        from omnimemory_kit.store.opening import open_store

        return config, open_store(url, create=False)
    except ConfigError as exc:
        err.print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_BAD_INPUT)
    except StoreError as exc:
        err.print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_UNAVAILABLE)
    raise AssertionError("unreachable")  # ctx.exit raises


def _percent(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio * 100:.3f}%"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _uptime_table(rows: list[WindowUptime]) -> Table:
    table = Table(title="Uptime (maintenance excluded)")
    for column in ("check", "window", "samples", "uptime", "p50 ms", "p95 ms", "p99 ms", "maintenance"):
        table.add_column(column, no_wrap=True, justify="left" if column in ("check", "window") else "right")
    for row in rows:
        table.add_row(
            row.name,
            row.window,
            str(row.samples),
            _percent(row.uptime),
            _ms(row.p50_ms),
            _ms(row.p95_ms),
            _ms(row.p99_ms),
            str(row.maintenance) if row.maintenance else "",
        )
    return table


def _window_json(row: WindowUptime) -> dict[str, Any]:
    return {
        "name": row.name,
        "window": row.window,
        "start": row.start.isoformat(),
        "samples": row.samples,
        "up": row.up,
        "maintenance": row.maintenance,
        "uptime": row.uptime,
        "mean_ms": row.mean_ms,
        "p50_ms": row.p50_ms,
        "p95_ms": row.p95_ms,
        "p99_ms": row.p99_ms,
    }


def _store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--store", "store_url", default=None, help="The store holding the history (overrides the file)."
    )(func)
    func = click.option(
        "--config",
        "config_path",
        default=None,
        type=click.Path(dir_okay=False, path_type=str),
        help="The health config (its store, checks and SLOs).",
    )(func)
    return func


@click.command("uptime")
@_store_options
@click.option(
    "--window",
    "windows",
    multiple=True,
    type=click.Choice(list(WINDOWS)),
    help="Only these windows (repeatable; all by default).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def uptime_command(
    ctx: click.Context,
    config_path: str | None,
    store_url: str | None,
    windows: tuple[str, ...],
    as_json: bool,
) -> None:
    """Print each check's uptime and latency p50/p95/p99 over 1h, 24h, 7d, 30d and 365d.

    Read from the minute, hour and day rollups of the recorded history; samples taken in maintenance
    windows are left out. Exit status: 0 printed, 2 bad config, 3 store unavailable.
    """
    config, store = _open(ctx, config_path, store_url)
    names = [spec.name for spec in config.checks] if config is not None else []
    try:
        with store:
            rows = _read_uptime(store, names, windows or tuple(WINDOWS))
    except StoreError as exc:
        Console(stderr=True).print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_UNAVAILABLE)
    if as_json:
        click.echo(json.dumps([_window_json(row) for row in rows], indent=2))
    else:
        Console(file=sys.stdout, width=None if sys.stdout.isatty() else 140).print(_uptime_table(rows))
    ctx.exit(EXIT_OK)


def _read_uptime(store: HealthHistoryStore, names: list[str], windows: tuple[str, ...]) -> list[WindowUptime]:
    return uptime_table(store, time.time(), windows=windows, names=names)
