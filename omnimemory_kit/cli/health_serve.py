"""``omnimemory-kit health serve``: run the checks on their intervals and answer over HTTP until SIGTERM.

Exit status: 0 after a clean shutdown (SIGTERM or Ctrl-C), 2 bad config or arguments (including an address
that cannot be listened on, such as a port in use), 3 the history store could not be opened.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import click
from rich.console import Console

from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE
from omnimemory_kit.errors import ConfigError, StoreError
from omnimemory_kit.health.config import HealthConfigFile, load_health_config
from omnimemory_kit.health.monitor import HealthMonitor
from omnimemory_kit.health.serve import DEFAULT_HOST, DEFAULT_PORT, HealthServer
from omnimemory_kit.observability import configure_logging, redact

__all__ = ["serve_command"]


async def _serve(config: HealthConfigFile, store_url: str | None, host: str, port: int) -> None:
    store: Any = None
    history = None
    if store_url is not None:
        from omnimemory_kit.store.opening import open_store

        store = await asyncio.to_thread(open_store, store_url)
        history = config.history_for(store)
    try:
        alerter = config.alerter(store=store)
        async with config.open_manager(sample_resources=False, store=store) as manager:
            monitor = HealthMonitor(manager, config.intervals(), history=history)
            if alerter is not None:
                monitor.add_listener(alerter.observe)
            server = HealthServer(monitor, host=host, port=port, push_tokens=config.push_tokens())

            def announce() -> None:
                print(f"serving health on http://{server.host}:{server.port}", flush=True)

            try:
                await server.serve_forever(on_ready=announce)
            finally:
                if alerter is not None:
                    await alerter.aclose()
    finally:
        if store is not None:
            await asyncio.to_thread(store.close)


@click.command("serve")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="The TOML file declaring the checks (each with its own `interval`).",
)
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="The address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="The TCP port (0: any free port, printed at start).",
)
@click.option("--store", "store_url", default=None, help="Record results in this store (overrides the file).")
@click.option("-v", "--verbose", count=True, help="Log more on stderr (-v: info, -vv: debug).")
@click.option("--log-json", is_flag=True, help="Write log lines on stderr as JSON objects.")
@click.pass_context
def serve_command(
    ctx: click.Context,
    config_path: str,
    host: str,
    port: int,
    store_url: str | None,
    verbose: int,
    log_json: bool,
) -> None:
    """Run each check on its interval and serve /metrics, /health, /livez and /readyz until SIGTERM.

    Exit status: 0 after a clean shutdown, 2 bad config or an address that cannot be listened on,
    3 store unavailable.
    """
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        config = load_health_config(config_path)
    except ConfigError as exc:
        err.print(f"error: {exc}", markup=False)
        ctx.exit(EXIT_BAD_INPUT)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = configure_logging(level, json=log_json, stream=sys.stderr, logger="omnimemory_kit")
    ctx.call_on_close(lambda: logging.getLogger("omnimemory_kit").removeHandler(handler))
    store = store_url if store_url is not None else config.store
    try:
        asyncio.run(_serve(config, store, host, port))
    except ConfigError as exc:
        err.print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_BAD_INPUT)
    except StoreError as exc:
        err.print(f"error: {redact(str(exc))}", markup=False)
        ctx.exit(EXIT_UNAVAILABLE)
    ctx.exit(EXIT_OK)
