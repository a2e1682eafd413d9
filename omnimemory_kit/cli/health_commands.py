"""``omnimemory-kit health`` and its subcommands (``serve``, ``uptime``, ``incidents``), built on use."""

from __future__ import annotations

import click

from omnimemory_kit.cli.health import health
from omnimemory_kit.cli.health_history import incidents_command, uptime_command
from omnimemory_kit.cli.health_serve import serve_command

__all__ = ["health_group"]

health.add_command(serve_command)
health.add_command(uptime_command)
health.add_command(incidents_command)
health_group: click.Group = health
"""The ``health`` group with every subcommand."""
