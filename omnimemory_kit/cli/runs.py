"""``omnimemory-kit runs``: the run ledger, listed and searched.

``--where params_hash=PREFIX`` takes the first 8 or more hex digits of the hash (the listing shows 16);
``--where KEY=`` and ``--where KEY=null`` also match runs where KEY is missing or null. Exit codes follow
``omnimemory_kit.cli.exit_codes``: 0 listed (also when nothing matched), 2 bad input (a condition that is
not ``KEY=VALUE``, a key that is neither a ledger field nor a parameter, a hash prefix under 8 digits),
3 store unavailable. A reader that leaves early (``| head``) ends the listing with status 0.
"""

from __future__ import annotations

import datetime as dt

import click

from omnimemory_kit.cli.early_reader import reader_may_leave
from omnimemory_kit.cli.json_output import dumps
from omnimemory_kit.cli.summary_view import errors_to_exit
from omnimemory_kit.store import open_store
from omnimemory_kit.store.ledger import LedgerEntry, ledger, parse_conditions, search
from omnimemory_kit.store.url import DEFAULT_STORE_URL
from omnimemory_kit.text import printable

__all__ = ["runs_command"]


def _when(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_entry(entry: LedgerEntry) -> str:
    """Return a run's ledger entry as a few indented lines."""
    lines = [
        f"{printable(entry.run_id)}  {_when(entry.created_at)}  by {printable(entry.operator or '-')}",
        f"  function     {printable(entry.function or '-')}",
        f"  source       {printable(entry.source or '-')}",
        f"  origin       {printable(entry.origin or '-')}",
        f"  params       {dumps(dict(entry.params), indent=None, sort_keys=True)}",
        f"  params hash  {entry.params_hash[:16]}",
        f"  correlation  {printable(entry.correlation_id or '-')}",
        f"  previous     {printable(entry.previous_run or '-')}   next {printable(entry.next_run or '-')}",
    ]
    lines += [f"  report       {printable(r.path)} ({_when(r.made_at)})" for r in entry.reports]
    return "\n".join(lines)


@click.command("runs")
@click.option(
    "--store", "store_url", default=DEFAULT_STORE_URL, show_default=True, help="Journal store URL or path."
)
@click.option(
    "--where",
    "conditions",
    multiple=True,
    metavar="KEY=VALUE",
    help=(
        "Only runs whose ledger field or parameter KEY equals VALUE (repeat: all must hold); "
        "params_hash=PREFIX takes 8 or more hex digits; KEY= or KEY=null: KEY missing or null."
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print the entries as a JSON list.")
def runs_command(store_url: str, conditions: tuple[str, ...], as_json: bool) -> None:
    """List the runs of a store, oldest first: who started each, with what, from where, and its reports.

    Runs of the same migration (same source and function) name their previous and next run.
    """
    with errors_to_exit():
        parsed = parse_conditions(conditions)
        store = open_store(store_url, read_only=True)  # never writes
        try:
            entries = search(ledger(store), parsed)
        finally:
            store.close()
    with reader_may_leave():
        if as_json:
            click.echo(dumps([e.as_dict() for e in entries]))
        elif not entries:
            click.echo("no runs" + (" match" if parsed else " yet"))
        else:
            for entry in entries:  # a run at a time: a reader that leaves early stops the listing
                click.echo(format_entry(entry))
