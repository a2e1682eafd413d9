"""What the CLI tests share: running the command line in-process and reading its one-line errors."""

from __future__ import annotations

from click.testing import CliRunner, Result

from omnimemory_kit.cli import cli

__all__ = ["error_line", "invoke"]


def invoke(*args: str) -> Result:
    """Run the CLI in-process."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def error_line(result: Result) -> str:
    """Return stderr, asserting it is one line."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
