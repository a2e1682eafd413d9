"""The ``omnimemory-kit`` command line."""

from __future__ import annotations

import click

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="omnimemory-kit")
def cli() -> None:
    """Run, resume and report on migrations; check the health of their dependencies."""


def main() -> None:
    """Entry point of the console script."""
    cli()
