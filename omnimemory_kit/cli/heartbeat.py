"""What ``report``, ``migrate`` and ``worker`` share for push heartbeats: ``--heartbeat NAME`` and its store.

``report`` records one heartbeat after the report succeeds. ``migrate`` and ``worker`` record one when the
run starts, one every ``--heartbeat-every`` seconds while it runs (15 by default: half a push check's
default ``interval``; set it to about half of yours), and a last one carrying the outcome when it completes
without failed items. A run that fails, is stopped or panics sends no last heartbeat, and one that is killed
simply stops sending: the push check (which models arrival, not a status) turns unhealthy once its
``interval`` (+ ``grace``) passes without one. A heartbeat that cannot be written is reported on stderr and
never stops the run. The commands import this module, never each other.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE
from omnimemory_kit.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from omnimemory_kit.migration.runner import MigrationRunner
    from omnimemory_kit.migration.summary import MigrationProgressSummary
    from omnimemory_kit.store.base import Store

__all__ = [
    "HeartbeatSetup",
    "check_heartbeat_store",
    "heartbeat_options",
    "heartbeat_setup",
    "open_heartbeat_store",
    "send_heartbeat_once",
    "with_heartbeats",
]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_EVERY = 15.0
"""Seconds between two heartbeats of a running migration (``HeartbeatSender``'s default)."""


def heartbeat_options(*, periodic: bool, default_store: str | None = None) -> Callable[[F], F]:
    """Add ``--heartbeat NAME`` and ``--heartbeat-store URL`` (and, when ``periodic``, ``--heartbeat-every``).

    Args:
        periodic: the command runs long and sends heartbeats while it runs (``migrate``, ``worker``).
        default_store: the ``--heartbeat-store`` default; None means the command's own ``--store``.
    """
    store_help = "The store `health serve` reads heartbeats from (it must exist)" + (
        "." if default_store is not None else "; default: the run's --store."
    )
    options = [
        click.option(
            "--heartbeat",
            default=None,
            metavar="NAME",
            help=(
                "Heartbeats of push check NAME while the run goes on, and one more when it succeeds."
                if periodic
                else "After success, a heartbeat of push check NAME."
            ),
        ),
        click.option(
            "--heartbeat-store",
            default=default_store,
            show_default=default_store is not None,
            metavar="URL",
            help=store_help,
        ),
    ]
    if periodic:
        options.append(
            click.option(
                "--heartbeat-every",
                type=float,
                default=None,
                metavar="SECONDS",
                help=f"Seconds between two heartbeats (default {DEFAULT_EVERY:g}; about half the push "
                "check's interval).",
            )
        )

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def open_heartbeat_store(name: str, url: str) -> Store:
    """Open the heartbeat store (never creating it); exit 2 for a bad name or URL, 3 when unavailable."""
    from omnimemory_kit.observability import redact
    from omnimemory_kit.store.opening import open_store

    if not name.strip():
        click.echo("error: --heartbeat needs the push check's name", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        return open_store(url, create=False)
    except ConfigError as exc:
        click.echo(f"error: --heartbeat-store: {redact(str(exc))}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except StoreError as exc:
        click.echo(f"error: --heartbeat-store: {redact(str(exc))}", err=True)
        sys.exit(EXIT_UNAVAILABLE)


def check_heartbeat_store(name: str, url: str) -> None:
    """Refuse a heartbeat store that cannot be opened now, before any work starts (exit 2 or 3)."""
    open_heartbeat_store(name, url).close()


def send_heartbeat_once(name: str, url: str, message: str) -> None:
    """Record one heartbeat and say so; exit 3 when it cannot be recorded (what ``report`` does)."""
    from omnimemory_kit.health.checks.push import send_heartbeat
    from omnimemory_kit.observability import redact

    store = open_heartbeat_store(name, url)
    try:
        send_heartbeat(store, name, message=message)
    except StoreError as exc:
        click.echo(f"error: the heartbeat {name!r} was not recorded: {redact(str(exc))}", err=True)
        sys.exit(EXIT_UNAVAILABLE)
    finally:
        store.close()
    click.echo(f"heartbeat: {name}")


@dataclass(frozen=True, slots=True)
class HeartbeatSetup:
    """The heartbeats a run was asked to send: the push check, the store URL and the period."""

    name: str
    url: str
    every: float


def heartbeat_setup(
    name: str | None,
    url: str | None,
    every: float | None,
    *,
    run_store: str,
    excluded: tuple[tuple[str, bool], ...] = (),
) -> HeartbeatSetup | None:
    """Check the heartbeat options of ``migrate`` or ``worker``; return what to send, or None.

    Call it just before the run's store is opened: a heartbeat store other than the run's is opened (never
    created) and closed again, so a bad one is refused before anything is written; the run's own store is
    checked when the command opens it.

    Args:
        name, url, every: ``--heartbeat``, ``--heartbeat-store`` and ``--heartbeat-every``.
        run_store: the run's ``--store`` (the heartbeat store's default).
        excluded: (option, given) pairs of options a heartbeat makes no sense with.

    Raises:
        ConfigError: a store or period without ``--heartbeat``, an empty name, a period that is not a
            positive number of seconds, an in-memory store, or an excluded option given (exit 2).
    """
    if name is None:
        for option, value in (("--heartbeat-store", url), ("--heartbeat-every", every)):
            if value is not None:
                raise ConfigError(f"{option} needs --heartbeat (the push check's name)")
        return None
    if not name.strip():
        raise ConfigError("--heartbeat needs the push check's name")
    for option, given in excluded:
        if given:
            raise ConfigError(f"--heartbeat watches a run being worked: it excludes {option}")
    if every is not None and not (math.isfinite(every) and every > 0):
        raise ConfigError(f"--heartbeat-every must be a positive number of seconds, not {every}")
    target = url if url is not None else run_store
    if _in_memory(target):
        raise ConfigError(
            "--heartbeat needs a store `health serve` can read: an in-memory store is seen by no other "
            "process (give --heartbeat-store URL)"
        )
    if target != run_store:
        check_heartbeat_store(name, target)
    return HeartbeatSetup(name.strip(), target, DEFAULT_EVERY if every is None else every)


def _in_memory(url: str) -> bool:
    from omnimemory_kit.store.url import is_postgres_url, parse_sqlite_url

    if is_postgres_url(url):
        return False
    try:
        return parse_sqlite_url(url).in_memory
    except ValueError:
        return False  # a malformed URL: opening it says what is wrong


def with_heartbeats(
    setup: HeartbeatSetup | None,
    make: Callable[[], Coroutine[Any, Any, MigrationProgressSummary]],
    runner: MigrationRunner,
    command: str,
) -> Callable[[], Coroutine[Any, Any, MigrationProgressSummary]]:
    """Return ``make`` with heartbeats sent beside the run it starts (``make`` itself without a setup).

    The last heartbeat, carrying the outcome, is sent only when the run ends with exit code 0.
    """
    if setup is None:
        return make
    from omnimemory_kit.cli.running import outcome_code
    from omnimemory_kit.health.heartbeats import HeartbeatSender

    def progress() -> str:
        summary = runner.summary()
        return (
            f"{command} {runner.run_id} running: {summary.finished_files}/{summary.total_files} done, "
            f"{summary.failed_files} failed"
        )

    def report(text: str) -> None:
        click.echo(f"warning: {text}", err=True)

    async def go() -> MigrationProgressSummary:
        sender = HeartbeatSender(setup.url, setup.name, every=setup.every, message=progress, report=report)
        await sender.start()
        final: str | None = None
        try:
            summary = await make()
            if outcome_code(summary, runner) == EXIT_OK:
                final = (
                    f"{command} {runner.run_id} {summary.status.value}: {summary.succeeded_files} "
                    f"succeeded, {summary.skipped_files} skipped"
                )
            else:
                click.echo(
                    f"heartbeat {setup.name!r}: no last heartbeat, the run did not succeed (the push "
                    "check turns unhealthy once its interval passes)",
                    err=True,
                )
            return summary
        finally:
            await sender.aclose(final=final)

    return go
