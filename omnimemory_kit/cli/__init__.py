"""The ``omnimemory-kit`` command line: one module per command group, registered here.

Every command exits with the codes in ``omnimemory_kit.cli.exit_codes`` (0 success, 1 the work failed,
2 bad input, 3 store or service unavailable, 4 degraded health, 130 interrupted). What two commands share
lives in a helper module (``omnimemory_kit.cli.running``, ``omnimemory_kit.cli.heartbeat``); no command
module imports another.
"""

from __future__ import annotations

import click

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="omnimemory-kit")
def cli() -> None:
    """Run, resume and report on migrations; check the health of their dependencies."""


def _register() -> None:
    from omnimemory_kit.cli.control import control_command
    from omnimemory_kit.cli.health import health
    from omnimemory_kit.cli.health_history import incidents_command, uptime_command
    from omnimemory_kit.cli.health_serve import serve_command
    from omnimemory_kit.cli.migrate import migration_commands
    from omnimemory_kit.cli.report import report_command
    from omnimemory_kit.cli.runs import runs_command
    from omnimemory_kit.cli.validate import validate_command
    from omnimemory_kit.cli.worker import worker_command

    health.add_command(serve_command)
    health.add_command(uptime_command)
    health.add_command(incidents_command)
    cli.add_command(health)
    cli.add_command(control_command)
    for command in migration_commands():
        cli.add_command(command)
    cli.add_command(worker_command)
    cli.add_command(report_command)
    cli.add_command(runs_command)
    cli.add_command(validate_command)


_register()


def main() -> None:
    """Entry point of the console script."""
    cli()
