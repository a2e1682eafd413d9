"""The ``omnimemory-kit`` command line: one module per command group, registered here.

Exit codes (every command):
    0  success (``health``: healthy)
    1  the work itself failed (a migration finished with failed items, a report notebook raised,
       ``health``: unhealthy)
    2  bad input: a wrong argument, parameter, config file or store URL (one clear message on stderr)
    3  the store or a service could not be reached or opened
    4  ``health`` only: degraded
    130 interrupted (Ctrl-C); everything acknowledged so far is kept
"""

from __future__ import annotations

import click

__all__ = ["cli", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
EXIT_DEGRADED = 4
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="omnimemory-kit")
def cli() -> None:
    """Run, resume and report on migrations; check the health of their dependencies."""


def _register() -> None:
    from omnimemory_kit.cli.health import health
    from omnimemory_kit.cli.migrate import migration_commands
    from omnimemory_kit.cli.report import report_command
    from omnimemory_kit.cli.worker import worker_command

    cli.add_command(health)
    for command in migration_commands():
        cli.add_command(command)
    cli.add_command(worker_command)
    cli.add_command(report_command)


_register()


def main() -> None:
    """Entry point of the console script."""
    cli()
