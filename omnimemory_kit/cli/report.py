"""``omnimemory-kit report``: execute a notebook into an HTML report, or collect every report run so far.

    omnimemory-kit report migration_report -p run_id demo -p slowest 10 [--out reports/] [--no-input]
        [--self-contained] [--keep N] [--max-age DAYS]
    omnimemory-kit report --collect [--out reports/] [--json | --csv] [--keep N] [--max-age DAYS]

A report links the plotly.js shared by every report (``OUT/_static/``); ``--self-contained`` inlines it
instead (one file to mail). ``--keep N`` keeps the N newest reports of the notebook (with ``--collect``:
of every notebook), ``--max-age DAYS`` deletes reports older than that; the index is refreshed.

Exit codes: 0 the notebook ran to its end; 1 it raised (its HTML still shows the error); 2 bad input
(an unknown notebook, an unknown or invalid parameter or option, a store file or a run that does not exist:
nothing is executed or deleted); 3 the store cannot be reached, or the heartbeat's store cannot be opened
(checked before the notebook runs) or written.

``--heartbeat NAME`` records a heartbeat of push check NAME in ``--heartbeat-store`` after the report
succeeds, so a scheduled report that stops running (or keeps failing) turns that check unhealthy.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from omnimemory_kit.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE
from omnimemory_kit.cli.heartbeat import check_heartbeat_store, heartbeat_options, send_heartbeat_once
from omnimemory_kit.errors import (
    ConfigError,
    KitError,
    RunNotFoundError,
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
)
from omnimemory_kit.store.url import DEFAULT_STORE_URL
from omnimemory_kit.text import printable

# omnimemory_kit.reports (Jupyter, Plotly, pandas) is imported inside the commands that need it, so the
# other commands of the CLI start fast.

__all__ = ["report_command"]


def _parse_pairs(notebook: str, pairs: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """Validate ``-p`` pairs with the notebook's model; other notebooks get literal-looking values."""
    from omnimemory_kit.notebook.params import parameter_model, parse_cli_parameters

    model = parameter_model(notebook)
    if model is not None:
        return parse_cli_parameters(model, pairs)
    values: dict[str, object] = {}
    for name, text in pairs:
        try:
            values[name] = json.loads(text)
        except ValueError:
            values[name] = text
    return values


def _check_report_target(notebook: str, parameters: dict[str, object]) -> None:
    """Refuse a migration report on a store file or a run that does not exist, before a kernel starts.

    Raises:
        ConfigError: the store file does not exist, or the run is a part of another (``~validation``...).
        RunNotFoundError: the run is not in the store.
    """
    from omnimemory_kit.notebook.params import MigrationReportParams
    from omnimemory_kit.store import open_store
    from omnimemory_kit.store.base import check_run_id
    from omnimemory_kit.store.companions import refuse_companion
    from omnimemory_kit.store.url import parse_sqlite_url

    if notebook != MigrationReportParams.notebook:
        return
    params = MigrationReportParams.validate_parameters(parameters)
    if params.run_id is not None:
        check_run_id(params.run_id)
    url = params.store_url
    if not url.lower().startswith(("postgresql://", "postgres://")):
        location = parse_sqlite_url(url)
        if location.in_memory:
            raise ConfigError(f"store_url {url!r}: an in-memory store holds no run to report on")
        if not Path(location.path).exists():
            raise ConfigError(f"store_url {url!r}: no store at {location.path!r} (the file does not exist)")
    with open_store(url, read_only=True) as store:
        if params.run_id is not None:
            refuse_companion(params.run_id, store.get_run(params.run_id).source)


def _exit_for(exc: KitError) -> int:
    if isinstance(exc, ConfigError | RunNotFoundError | StoreCorruptError | SchemaVersionError):
        return EXIT_BAD_INPUT
    if isinstance(exc, StoreError):
        return EXIT_UNAVAILABLE
    return EXIT_FAILED


def _retention(keep: str | None, max_age: str | None) -> tuple[int | None, float | None]:
    """Return ``--keep`` and ``--max-age`` as numbers, or exit 2 with one line naming the bad one."""
    count = days = None
    if keep is not None:
        try:
            count = int(keep)
        except ValueError:
            count = 0
        if count < 1:
            click.echo(f"error: --keep must be a whole number of reports, at least 1, not {keep!r}", err=True)
            sys.exit(EXIT_BAD_INPUT)
    if max_age is not None:
        try:
            days = float(max_age)
        except ValueError:
            days = float("nan")
        if not math.isfinite(days) or days <= 0:
            click.echo(f"error: --max-age must be a positive number of days, not {max_age!r}", err=True)
            sys.exit(EXIT_BAD_INPUT)
    return count, days


def _collect(out_dir: Path, as_json: bool, as_csv: bool, keep: int | None, max_age: float | None) -> None:
    from omnimemory_kit.reports import collect_reports, prune_reports, write_index

    if keep is not None or max_age is not None:
        deleted = prune_reports(out_dir, keep=keep, max_age_days=max_age)
        reports = len([p for p in deleted if p.suffix == ".ipynb"])
        click.echo(f"pruned {reports} report(s) from {out_dir}", err=True)
    frame = collect_reports(out_dir)
    if as_json:
        click.echo(frame.to_json(orient="records", date_format="iso", indent=2))
    elif as_csv:
        flat = frame.drop(columns=["parameters", "records"], errors="ignore")
        click.echo(flat.to_csv(index=False), nl=False)
    elif frame.empty:
        click.echo(f"no reports in {out_dir}")
    else:
        shown = frame[["started_at", "notebook", "status", "duration_s", "user", "host", "html"]]
        click.echo(shown.to_string(index=False))
    index = write_index(out_dir)
    click.echo(f"index: {index}", err=True)


@click.command("report")
@click.argument("notebook", required=False)
@click.option(
    "-p",
    "--parameter",
    "pairs",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="A notebook parameter (repeatable); 'none' means None where allowed.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Reports directory (reports go to OUT/<notebook>/<UTC time>.html).",
)
@click.option("--no-input", is_flag=True, help="Hide code cells in the HTML (outputs only).")
@click.option("--timeout", type=float, default=None, help="Seconds any one cell may run (default: no limit).")
@click.option(
    "--self-contained",
    is_flag=True,
    help="Inline plotly.js (one ~5 MB file to mail) instead of linking OUT/_static/plotly-<version>.min.js.",
)
@click.option(
    "--keep", metavar="N", default=None, help="Afterwards keep only the N newest reports of the notebook."
)
@click.option(
    "--max-age",
    metavar="DAYS",
    default=None,
    help="Afterwards delete reports older than DAYS (of any notebook).",
)
@click.option("--collect", is_flag=True, help="List every report in OUT instead of running one.")
@click.option("--json", "as_json", is_flag=True, help="With --collect: print JSON records.")
@click.option("--csv", "as_csv", is_flag=True, help="With --collect: print CSV.")
@heartbeat_options(periodic=False, default_store=DEFAULT_STORE_URL)
def report_command(
    notebook: str | None,
    pairs: tuple[tuple[str, str], ...],
    out_dir: Path,
    no_input: bool,
    timeout: float | None,
    self_contained: bool,
    keep: str | None,
    max_age: str | None,
    collect: bool,
    as_json: bool,
    as_csv: bool,
    heartbeat: str | None,
    heartbeat_store: str,
) -> None:
    """Execute NOTEBOOK (migration, migration_report, health, or a path) into an HTML report.

    Parameters are validated before a kernel starts. The page renders offline (plotly.js shared in
    OUT/_static/, or inlined with --self-contained), and reports/index.html lists every report with its
    parameters, status, duration, user and host.
    """
    if out_dir.exists() and not out_dir.is_dir():
        click.echo(f"error: --out '{printable(str(out_dir))}' is not a folder", err=True)
        sys.exit(EXIT_BAD_INPUT)
    keep_count, max_age_days = _retention(keep, max_age)
    if collect:
        if notebook or pairs:
            click.echo("error: --collect takes no NOTEBOOK and no -p", err=True)
            sys.exit(EXIT_BAD_INPUT)
        if as_json and as_csv:
            click.echo("error: choose one of --json and --csv", err=True)
            sys.exit(EXIT_BAD_INPUT)
        _collect(out_dir, as_json, as_csv, keep_count, max_age_days)
        sys.exit(EXIT_OK)
    if not notebook:
        click.echo(
            "error: name a NOTEBOOK to run (migration, migration_report, health) or use --collect", err=True
        )
        sys.exit(EXIT_BAD_INPUT)
    if timeout is not None and not timeout > 0:
        click.echo(f"error: --timeout must be a positive number of seconds, not {timeout}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if heartbeat is not None:
        check_heartbeat_store(heartbeat, heartbeat_store)  # refuse now, before the notebook runs
    from omnimemory_kit.reports import find_notebook, run_report

    try:
        source = find_notebook(notebook)
        parameters = _parse_pairs(source.stem, pairs)
        _check_report_target(source.stem, parameters)
        result = run_report(
            source,
            parameters,
            out_dir=out_dir,
            no_input=no_input,
            timeout=timeout,
            self_contained=self_contained,
            keep=keep_count,
            max_age_days=max_age_days,
        )
    except KitError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(_exit_for(exc))
    if result.ok:
        click.echo(f"report: {result.html}")
        click.echo(f"index:  {Path(out_dir) / 'index.html'}")
        if heartbeat is not None:
            send_heartbeat_once(heartbeat, heartbeat_store, f"report {result.notebook} ok")
        sys.exit(EXIT_OK)
    click.echo(f"error: notebook {result.notebook!r} failed: {result.error}", err=True)
    click.echo(f"report (showing the error): {result.html}")
    sys.exit(EXIT_FAILED)
