"""``omnimemory-kit health``: run the checks a TOML file declares, print them, exit by the overall status.

Exit status: 0 healthy, 4 degraded, 1 unhealthy, 2 bad config or arguments, 3 the history store could not
be opened, 130 interrupted (Ctrl-C). With ``--watch`` the status is the last round's; Ctrl-C ends a watch
with 130 after the snapshots recorded so far are safely in the store.

Tests inject a clock for ``--watch`` pacing through the click context object (``obj={"clock": ...}``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from omnimemory_kit.cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_DEGRADED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
)
from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError, StoreError
from omnimemory_kit.health.config import HealthConfigFile, load_health_config
from omnimemory_kit.health.models import DependencyHealth, HealthResponse, HealthStatus
from omnimemory_kit.observability import configure_logging, redact

__all__ = ["exit_code_for", "health", "render_table"]

_STYLES = {
    HealthStatus.HEALTHY: "green",
    HealthStatus.DEGRADED: "yellow",
    HealthStatus.UNHEALTHY: "bold red",
    HealthStatus.UNKNOWN: "magenta",
}


def exit_code_for(status: HealthStatus) -> int:
    """Return the exit status for an overall health status (unknown counts as degraded)."""
    if status is HealthStatus.HEALTHY:
        return EXIT_OK
    if status is HealthStatus.UNHEALTHY:
        return EXIT_FAILED
    return EXIT_DEGRADED


def _reason(dep: DependencyHealth) -> str:
    parts = []
    if dep.error is not None:
        parts.append(str(dep.error))
    if dep.failed_condition:
        parts.append(f"condition failed: {dep.failed_condition}")
    if dep.message and not (dep.error is not None and dep.message in str(dep.error)):
        parts.append(dep.message)
    if dep.pending:
        parts.append(f"pending: observed {dep.observed_status}")
    return redact("; ".join(parts))


def _observed(dep: DependencyHealth) -> str:
    if dep.observed_value is None:
        return ""
    unit = f" {dep.observed_unit}" if dep.observed_unit else ""
    return f"{dep.observed_value:g}{unit}"


def render_table(response: HealthResponse) -> Table:
    """Return a rich table of a response: one row per dependency, the overall status as the caption."""
    table = Table(
        title="Health",
        caption=f"overall: {response.status} ({response.duration_ms:.0f} ms)",
        caption_style=_STYLES.get(response.status, ""),
    )
    for column in ("check", "type", "critical", "status", "latency ms", "observed", "reason"):
        table.add_column(column, no_wrap=column in ("check", "status"))
    for dep in response.dependencies.values():
        table.add_row(
            dep.name,
            str(dep.dependency_type),
            "yes" if dep.critical else "no",
            Text(str(dep.status) + (" (pending)" if dep.pending else ""), style=_STYLES.get(dep.status, "")),
            "" if dep.latency_ms is None else f"{dep.latency_ms:.1f}",
            _observed(dep),
            _reason(dep),
        )
    return table


def _resources_line(response: HealthResponse) -> str | None:
    res = response.resources
    if res is None:
        return None
    parts = []
    if res.cpu_percent is not None:
        parts.append(f"cpu {res.cpu_percent:.0f}%")
    if res.memory_percent is not None:
        parts.append(f"memory {res.memory_percent:.0f}%")
    if res.disk_percent is not None:
        parts.append(f"disk {res.disk_percent:.0f}% used")
    if res.load_average is not None:
        parts.append("load " + " ".join(f"{x:.2f}" for x in res.load_average))
    return "host: " + ", ".join(parts) if parts else None


def _print(console: Console, response: HealthResponse, *, as_json: bool, watching: bool) -> None:
    if as_json:
        # One document per line while watching (JSON lines), pretty once otherwise.
        console.out(response.to_json(indent=None if watching else 2), highlight=False)
        return
    console.print(render_table(response))
    line = _resources_line(response)
    if line:
        console.print(line, highlight=False)
    for note in response.notes:
        console.print(f"note: {redact(note)}", highlight=False)


async def _run(
    config: HealthConfigFile,
    store_url: str | None,
    *,
    as_json: bool,
    watch: bool,
    interval: float,
    count: int | None,
    clock: Clock,
    console: Console,
) -> int:
    store: Any = None
    history = None
    if store_url is not None:
        from omnimemory_kit.store.opening import open_store

        store = await asyncio.to_thread(open_store, store_url)
        history = config.history_for(store)
    try:
        async with config.open_manager(history=history) as manager:
            rounds = 0
            started = clock.monotonic()
            while True:
                response = await manager.get_comprehensive_health()
                rounds += 1
                _print(console, response, as_json=as_json, watching=watch)
                if not watch or (count is not None and rounds >= count):
                    return exit_code_for(response.status)
                # Pace on a fixed grid (no drift); a slow round skips the ticks it overran.
                next_tick = started + interval * (int((clock.monotonic() - started) / interval) + 1)
                await clock.sleep(max(0.0, next_tick - clock.monotonic()))
    finally:
        if store is not None:
            await asyncio.to_thread(store.close)


@click.group("health", invoke_without_command=True)
@click.option(
    "--config",
    "config_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=str),
    help="The TOML file declaring the checks.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the IETF health+json document instead of a table."
)
@click.option("--watch", is_flag=True, help="Check again every --interval seconds, recording each snapshot.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds between rounds with --watch.",
)
@click.option(
    "--store", "store_url", default=None, help="Record snapshots in this store (overrides the file)."
)
@click.option(
    "--count", type=click.IntRange(min=1), default=None, hidden=True, help="Stop --watch after N rounds."
)
@click.option("-v", "--verbose", count=True, help="Log more on stderr (-v: info, -vv: debug).")
@click.option("--log-json", is_flag=True, help="Write log lines on stderr as JSON objects.")
@click.pass_context
def health(
    ctx: click.Context,
    config_path: str | None,
    as_json: bool,
    watch: bool,
    interval: float,
    store_url: str | None,
    count: int | None,
    verbose: int,
    log_json: bool,
) -> None:
    """Check the dependencies declared in a TOML file and exit by the overall status.

    Exit status: 0 healthy, 4 degraded, 1 unhealthy, 2 bad config, 3 store unavailable, 130 interrupted.
    Each round is recorded in the store (--store, or `store` in the file) when one is given; --watch
    needs one. `health serve` serves the checks over HTTP (see its --help).
    """
    if ctx.invoked_subcommand is not None:
        return
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if not math.isfinite(interval):
        err.print(f"error: --interval must be a finite number of seconds, not {interval}", markup=False)
        ctx.exit(EXIT_BAD_INPUT)
    if config_path is None:
        err.print("error: give --config FILE (the TOML file declaring the checks)")
        ctx.exit(EXIT_BAD_INPUT)
        return
    try:
        config = load_health_config(config_path)
    except ConfigError as exc:
        err.print(f"error: {exc}", markup=False)
        ctx.exit(EXIT_BAD_INPUT)
    store = store_url if store_url is not None else config.store
    if watch and store is None:
        err.print("error: --watch records every round: give --store URL or set `store` in the config")
        ctx.exit(EXIT_BAD_INPUT)
    clock: Clock = ctx.obj.get("clock", SYSTEM_CLOCK) if isinstance(ctx.obj, dict) else SYSTEM_CLOCK
    console = Console(file=sys.stdout, soft_wrap=as_json, width=None if sys.stdout.isatty() else 140)
    # The table already tells the statuses: by default only errors are logged.
    level = (logging.ERROR, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    kit_logger = logging.getLogger("omnimemory_kit")
    previous_level = kit_logger.level
    handler = configure_logging(level, json=log_json, stream=sys.stderr, logger="omnimemory_kit")

    def restore_logging() -> None:
        # In-process callers (tests, notebooks) keep their own logging once the command is done.
        kit_logger.removeHandler(handler)
        kit_logger.setLevel(previous_level)

    ctx.call_on_close(restore_logging)
    try:
        code = asyncio.run(
            _run(
                config,
                store,
                as_json=as_json,
                watch=watch,
                interval=interval,
                count=count,
                clock=clock,
                console=console,
            )
        )
    except KeyboardInterrupt:
        err.print("interrupted; snapshots recorded so far are kept")
        ctx.exit(EXIT_INTERRUPTED)
    except ConfigError as exc:
        err.print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_BAD_INPUT)
    except StoreError as exc:
        err.print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_UNAVAILABLE)
    ctx.exit(code)
