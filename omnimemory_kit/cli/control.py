"""``omnimemory-kit control RUN_ID [COMMAND [ARGS]]``: steer a running migration from another terminal.

Commands: ``pause``, ``resume``, ``throttle [--for DURATION]``, ``unthrottle``, ``set KEY=VALUE …``
(``concurrency``, ``batch-size``, ``max-rate`` in items/s, ``item-timeout`` in seconds), ``retry-failed``,
``rerun failed|batch:ID|keys:FILE``,
``cancel``, ``approve GATE --by NAME`` and ``panic``. Without a command it prints the run's control state,
settings and command history (``--json`` for machines).

Bad input (an unknown run or command, a run id holding ``~``, a bad value, a gate not waiting or approved
already, a finished run) ends in one line on stderr and exit 2, with nothing written.
"""

from __future__ import annotations

import time

import click

from omnimemory_kit.cli.control_view import format_control
from omnimemory_kit.cli.early_reader import reader_may_leave
from omnimemory_kit.cli.json_output import dumps
from omnimemory_kit.cli.run_check import check_run_id
from omnimemory_kit.cli.summary_view import errors_to_exit
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.control import ControlCommand, parse_duration
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.store import open_store
from omnimemory_kit.store.url import DEFAULT_STORE_URL

__all__ = ["COMMANDS", "control_command"]

COMMANDS = (
    "pause",
    "resume",
    "throttle",
    "unthrottle",
    "set",
    "retry-failed",
    "rerun",
    "cancel",
    "approve",
    "panic",
)


@click.command(
    "control", context_settings={"ignore_unknown_options": False, "help_option_names": ["-h", "--help"]}
)
@click.argument("run_id")
@click.argument("command", required=False)
@click.argument("args", nargs=-1)
@click.option("--store", "store_url", default=DEFAULT_STORE_URL, show_default=True, help="Store URL.")
@click.option("--reason", default=None, help="Why (journaled with the command).")
@click.option("--for", "for_text", default=None, help="throttle: how long (30s, 15m, 2h).")
@click.option("--by", "by", default=None, help="approve: who approves.")
@click.option("--json", "as_json", is_flag=True, help="Print the state and history as JSON.")
def control_command(
    run_id: str,
    command: str | None,
    args: tuple[str, ...],
    store_url: str,
    reason: str | None,
    for_text: str | None,
    by: str | None,
    as_json: bool,
) -> None:
    """Steer RUN_ID while it runs; without COMMAND, print its control state and command history."""
    with errors_to_exit():
        check_run_id(run_id)
        if command is not None and command not in COMMANDS:
            raise ConfigError(f"unknown control command {command!r} (commands: {', '.join(COMMANDS)})")
        _check_args(command, args, for_text, by)
        store = open_store(store_url, create=False)
        try:
            control = RunControl(store, run_id)
            try:
                if command is not None:
                    given = _give(control, command, args, reason, for_text, by)
                    if not as_json:
                        click.echo(f"{run_id}: {given.describe()} (by {given.who})")
                state = control.state()
            finally:
                control.close()
        finally:
            store.close()
    now = time.time()
    with reader_may_leave():  # what was asked is done: a reader leaving early changes nothing
        if as_json:
            click.echo(dumps({"run_id": run_id, **state.to_dict(now)}))
        elif command is None:
            click.echo(format_control(state, now))


def _check_args(command: str | None, args: tuple[str, ...], for_text: str | None, by: str | None) -> None:
    if command is None and args:
        raise ConfigError(f"unexpected argument {args[0]!r}: give a command first ({', '.join(COMMANDS)})")
    if for_text is not None and command != "throttle":
        raise ConfigError("--for goes with throttle only")
    if by is not None and command != "approve":
        raise ConfigError("--by goes with approve only")
    takes_args = {"set": "KEY=VALUE …", "approve": "GATE", "rerun": "failed|batch:ID|keys:FILE"}
    if command is not None and command not in takes_args and args:
        raise ConfigError(f"{command} takes no arguments, got {' '.join(args)!r}")
    if command == "set" and not args:
        raise ConfigError(
            "set needs at least one KEY=VALUE (concurrency, batch-size, max-rate, item-timeout)"
        )
    if command == "rerun" and len(args) != 1:
        raise ConfigError("rerun takes one of: failed, batch:ID, keys:FILE")
    if command == "approve" and len(args) != 1:
        raise ConfigError("approve takes one GATE and --by NAME")
    if command == "approve" and not by:
        raise ConfigError("approve needs --by NAME (who approves)")


def _give(
    control: RunControl,
    command: str,
    args: tuple[str, ...],
    reason: str | None,
    for_text: str | None,
    by: str | None,
) -> ControlCommand:
    if command == "set":
        pairs: dict[str, str] = {}
        for arg in args:
            key, sep, value = arg.partition("=")
            if not sep or not key:
                raise ConfigError(f"set takes KEY=VALUE, not {arg!r}")
            pairs[key] = value
        return control.set(pairs, reason=reason)
    if command == "throttle":
        seconds = parse_duration(for_text) if for_text is not None else None
        return control.throttle(for_seconds=seconds, reason=reason)
    if command == "rerun":
        return control.rerun(args[0], reason=reason)
    if command == "approve":
        assert by is not None
        return control.approve(args[0], by=by, reason=reason)
    verbs = {
        "pause": control.pause,
        "resume": control.resume,
        "unthrottle": control.unthrottle,
        "retry-failed": control.retry_failed,
        "cancel": control.cancel,
        "panic": control.panic,
    }
    return verbs[command](reason=reason)
