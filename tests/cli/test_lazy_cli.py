"""The command line loads lazily: a quick command never imports the runner's or the reports' dependencies."""

from __future__ import annotations

import inspect
import subprocess
import sys

import click

from omnimemory_kit.cli import COMMANDS, cli

_HEAVY = ("pandas", "aiohttp", "plotly", "prometheus_client", "omnimemory_kit.migration.runner")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in {_HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


class TestLazyImports:
    """What importing the command line and the status command loads."""

    def test_importing_the_cli_loads_nothing_heavy(self) -> None:
        """``import omnimemory_kit.cli`` loads no pandas, aiohttp, Plotly, prometheus_client or runner."""
        assert _loaded_after("import omnimemory_kit.cli") == []

    def test_the_status_command_loads_nothing_heavy(self) -> None:
        """Loading ``status`` (as running it does) loads none of them either."""
        assert _loaded_after("import omnimemory_kit.cli.status") == []

    def test_the_runs_and_control_commands_load_nothing_heavy(self) -> None:
        """``runs`` and ``control`` only read or steer a run: they load no runner either."""
        assert _loaded_after("import omnimemory_kit.cli.runs, omnimemory_kit.cli.control") == []


class TestHelp:
    """The top-level help lists every command from the summaries kept in ``COMMANDS``."""

    def test_kept_summaries_match_the_commands(self) -> None:
        """Each kept summary is the first paragraph of its command's help."""
        ctx = click.Context(cli)
        for name, (_, summary) in COMMANDS.items():
            command = cli.get_command(ctx, name)
            assert command is not None
            assert command.help is not None
            assert summary == inspect.cleandoc(command.help).split("\n\n")[0].replace("\n", " "), name
