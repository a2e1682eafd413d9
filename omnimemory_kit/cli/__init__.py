"""The ``omnimemory-kit`` command line: one module per command group, imported when its command runs.

Every command exits with the codes in ``omnimemory_kit.cli.exit_codes`` (0 success, 1 the work failed,
2 bad input, 3 store or service unavailable, 4 degraded health, 130 interrupted). What two commands share
lives in a helper module (``omnimemory_kit.cli.running``, ``omnimemory_kit.cli.heartbeat``); no command
module imports another.

Commands load lazily (``LazyGroup``): ``omnimemory-kit status`` imports the status module and what it uses,
never the runner, pandas, aiohttp or Plotly, so a quick look at a run starts in a fraction of a second. The
top-level ``--help`` lists every command from the one-line summaries kept here (a test checks they match).

A usage error (an unknown option or command, a missing argument, a bad choice) is one line on stderr,
``error: ...``, and exit 2, as every other bad input is, not click's usage block; ``--help`` still shows it.
"""

from __future__ import annotations

import collections.abc
import contextlib
import importlib
import typing

import click

__all__ = ["COMMANDS", "LazyGroup", "UsageLine", "cli", "main"]

COMMANDS: typing.Final[dict[str, tuple[str, str]]] = {
    "control": (
        "omnimemory_kit.cli.control:control_command",
        "Steer RUN_ID while it runs; without COMMAND, print its control state and command history.",
    ),
    "demo": (
        "omnimemory_kit.cli.migrate:demo_command",
        "Generate 274 legacy tool files, migrate them with the bundled example migration, and report.",
    ),
    "health": (
        "omnimemory_kit.cli.health_commands:health_group",
        "Check the dependencies declared in a TOML file and exit by the overall status.",
    ),
    "migrate": (
        "omnimemory_kit.cli.migrate:migrate_command",
        "Migrate every item of SOURCE (a directory, a .csv or a .jsonl manifest) with a function.",
    ),
    "report": (
        "omnimemory_kit.cli.report:report_command",
        "Execute NOTEBOOK (migration, migration_report, health, or a path) into an HTML report.",
    ),
    "runs": (
        "omnimemory_kit.cli.runs:runs_command",
        "List the runs of a store, oldest first: who started each, with what, from where, and its reports.",
    ),
    "status": (
        "omnimemory_kit.cli.status:status_command",
        "Print where RUN_ID stands (with its workers and leases), from the counters the store keeps.",
    ),
    "validate": (
        "omnimemory_kit.cli.validate:validate_command",
        "Check RUN_ID's succeeded items with a function; journal validated, mismatched or error for each.",
    ),
    "worker": (
        "omnimemory_kit.cli.worker:worker_command",
        "Join an existing run and work it until no item is left (other workers may share it).",
    ),
}
"""Each command: where it lives (``module:attribute``) and the first paragraph of its help, which the
top-level help shortens as click does."""


class UsageLine(click.ClickException):
    """A usage error shown as one line, ``error: ...``, with exit 2."""

    exit_code = 2

    def show(self, file: typing.IO[typing.Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


@contextlib.contextmanager
def _one_line_usage() -> collections.abc.Iterator[None]:
    """Turn a click usage error raised inside the block into a ``UsageLine`` naming the command."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # a group called bare shows its help
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else None
        message = " ".join(exc.format_message().splitlines())
        if where:
            message = f"{message.rstrip('.')} (see '{where} --help')"
        raise UsageLine(message) from exc


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy-loading pattern).

    Usage errors of the group and of every command under it end in one ``error:`` line (``UsageLine``).
    """

    def __init__(self, *args: typing.Any, lazy: dict[str, tuple[str, str]], **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: typing.Any,
    ) -> click.Context:
        with _one_line_usage():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> typing.Any:
        with _one_line_usage():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module}:{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands from their kept summaries, importing none of them."""
        names = [name for name in self.list_commands(ctx) if name in self.lazy]
        if names:
            limit = formatter.width - 6 - max(len(name) for name in names)
            rows = [
                (name, click.Command(name, help=self.lazy[name][1]).get_short_help_str(limit))
                for name in names
            ]
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="omnimemory-kit")
def cli() -> None:
    """Run, resume and report on migrations; check the health of their dependencies."""


def main() -> None:
    """Entry point of the console script."""
    cli()
