"""The ``omnimemory-kit`` command line: one module per command group, imported when its command runs.

Every command exits with the codes in ``omnimemory_kit.cli.exit_codes`` (0 success, 1 the work failed,
2 bad input, 3 store or service unavailable, 4 degraded health, 130 interrupted). What two commands share
lives in a helper module (``omnimemory_kit.cli.running``, ``omnimemory_kit.cli.heartbeat``); no command
module imports another.

Commands load lazily (``LazyGroup``): ``omnimemory-kit status`` imports the status module and what it uses,
never the runner, pandas, aiohttp or Plotly, so a quick look at a run starts in a fraction of a second. The
top-level ``--help`` lists every command from the one-line summaries kept here (a test checks they match).
"""

from __future__ import annotations

import importlib
import typing

import click

__all__ = ["COMMANDS", "LazyGroup", "cli", "main"]

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


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy-loading pattern)."""

    def __init__(self, *args: typing.Any, lazy: dict[str, tuple[str, str]], **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

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
