"""``health uptime`` and ``health incidents``: the recorded health history read back per check.

Exit status: 0 the table was printed, 2 bad config or arguments, 3 the store could not be opened.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE
from omnimemory_kit.cli.json_output import dumps
from omnimemory_kit.errors import ConfigError, StoreError
from omnimemory_kit.health.config import HealthConfigFile, load_health_config
from omnimemory_kit.health.incidents import Incident, incidents_from_history
from omnimemory_kit.health.slo import SloStatus, slo_table
from omnimemory_kit.health.uptime import WINDOWS, WindowUptime, uptime_table
from omnimemory_kit.observability import redact

__all__ = ["incidents_command", "uptime_command"]


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
    slos = config.slos() if config is not None else {}
    now = time.time()
    try:
        with store:
            rows = uptime_table(store, now, windows=windows or tuple(WINDOWS), names=names)
            standings = slo_table(store, slos, now)
    except StoreError as exc:
        Console(stderr=True).print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_UNAVAILABLE)
    if as_json:
        document = {
            "uptime": [_window_json(row) for row in rows],
            "slo": [_slo_json(standing) for standing in standings],
        }
        click.echo(dumps(document))
    else:
        console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 140)
        console.print(_uptime_table(rows))
        if standings:
            console.print(_slo_rich_table(standings))
    ctx.exit(EXIT_OK)


def _slo_json(standing: SloStatus) -> dict[str, Any]:
    return {
        "name": standing.name,
        "slo": standing.slo,
        "uptime_30d": standing.uptime,
        "budget_remaining": standing.budget_remaining,
        "burn_rates": dict(standing.burn_rates),
        "fast_burn": standing.fast_burn,
        "slow_burn": standing.slow_burn,
    }


def _slo_rich_table(standings: list[SloStatus]) -> Table:
    table = Table(title="SLOs (30 days; burn rate 1 = budget spent exactly in 30 days)")
    for column in ("check", "slo", "uptime 30d", "budget left", "burn 5m", "burn 1h", "burn 6h", "alert"):
        table.add_column(column, no_wrap=True, justify="left" if column in ("check", "alert") else "right")
    for standing in standings:
        burn = standing.burn_rates
        alert = "fast burn" if standing.fast_burn else "slow burn" if standing.slow_burn else ""
        table.add_row(
            standing.name,
            f"{standing.slo:g}%",
            _percent(standing.uptime),
            _percent(standing.budget_remaining),
            *("" if burn[label] is None else f"{burn[label]:.2f}" for label in ("5m", "1h", "6h")),
            alert,
        )
    return table


_SPANS = {"m": 60, "h": 3600, "d": 86400}


def _parse_span(text: str) -> float:
    """Return seconds for a span like 30m, 12h or 7d."""
    unit = text[-1:]
    number = text[:-1]
    if unit not in _SPANS or not number.isdigit() or int(number) == 0:
        raise click.BadParameter(f"{text!r} is not a span like 30m, 12h or 7d")
    return int(number) * float(_SPANS[unit])


def _incident_json(incident: Incident) -> dict[str, Any]:
    duration = incident.duration
    return {
        "name": incident.name,
        "start": incident.start.isoformat(),
        "end": incident.end.isoformat() if incident.end is not None else None,
        "duration_s": duration.total_seconds() if duration is not None else None,
        "worst_status": incident.worst_status,
        "first_error": incident.first_error,
        "samples": incident.samples,
    }


@click.command("incidents")
@_store_options
@click.option("--since", "since", default="7d", show_default=True, help="How far back: 30m, 12h, 7d, ...")
@click.option("--check", "name", default=None, help="Only this check (no overall incidents).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def incidents_command(
    ctx: click.Context,
    config_path: str | None,
    store_url: str | None,
    since: str,
    name: str | None,
    as_json: bool,
) -> None:
    """List incidents: contiguous non-healthy intervals per check and overall, oldest first.

    Each shows its start, end (blank while open), duration, worst status and first error; samples in the
    config's maintenance windows are skipped. Exit status: 0 printed, 2 bad config, 3 store unavailable.
    """
    try:
        seconds = _parse_span(since)
    except click.BadParameter as exc:
        Console(stderr=True).print(f"error: --since: {exc.message}", markup=False)
        ctx.exit(EXIT_BAD_INPUT)
    config, store = _open(ctx, config_path, store_url)
    schedule = config.maintenance_schedule() if config is not None and config.maintenance else None
    try:
        with store:
            found = incidents_from_history(
                store, since=time.time() - seconds, name=name, in_maintenance=schedule
            )
    except StoreError as exc:
        Console(stderr=True).print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_UNAVAILABLE)
    if as_json:
        click.echo(dumps([_incident_json(incident) for incident in found]))
        ctx.exit(EXIT_OK)
    table = Table(title=f"Incidents in the last {since}")
    for column in ("check", "start", "end", "duration", "worst", "first error"):
        table.add_column(column, no_wrap=column != "first error")
    for incident in found:
        duration = incident.duration
        table.add_row(
            incident.name,
            incident.start.strftime("%Y-%m-%d %H:%M:%S"),
            incident.end.strftime("%Y-%m-%d %H:%M:%S") if incident.end is not None else "(open)",
            str(duration).split(".")[0] if duration is not None else "",
            incident.worst_status,
            redact(incident.first_error or ""),
        )
    Console(file=sys.stdout, width=None if sys.stdout.isatty() else 140).print(table)
    ctx.exit(EXIT_OK)
