"""The run ledger on every backend: facts recorded with a run, reports linked to it, runs chained, search."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError, RunNotFoundError
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import IterableSource, MigrationItem
from omnimemory_kit.observability import correlation_context
from omnimemory_kit.store import SCHEMA_VERSION, open_store
from omnimemory_kit.store.base import ReportLink, RunRecord
from omnimemory_kit.store.ledger import (
    ORIGIN_ENV,
    current_origin,
    ledger,
    params_hash,
    parse_conditions,
    search,
)
from tests.store.conftest import StoreFactory
from tests.store.old_schema import downgrade_to_version_1


def run(
    run_id: str, *, at: float, function: str = "m:f", source: str = "dir:/a", **params: object
) -> RunRecord:
    """A run record with ledger facts."""
    return RunRecord(
        run_id=run_id,
        name=run_id,
        source=source,
        function=function,
        created_at=at,
        params=params,
        operator="ana@box",
        origin="omnimemory-kit migrate /a --function m:f",
        correlation_id=f"corr-{run_id}",
    )


class TestRecordedFacts:
    def test_operator_origin_and_correlation_id_round_trip(self, store_factory: StoreFactory) -> None:
        """The ledger facts a run was created with come back from a fresh store object."""
        store_factory().create_run(run("r1", at=10.0, batch_size=5))
        got = store_factory().get_run("r1")
        assert (got.operator, got.origin, got.correlation_id) == (
            "ana@box",
            "omnimemory-kit migrate /a --function m:f",
            "corr-r1",
        )

    def test_reopening_a_run_keeps_its_first_facts(self, store_factory: StoreFactory) -> None:
        """A resumed run keeps the operator and origin it was first created with."""
        store = store_factory()
        store.create_run(run("r1", at=10.0))
        again = RunRecord("r1", "r1", source="dir:/a", function="m:f", operator="bob@other", origin="x")
        assert store.create_run(again).operator == "ana@box"

    async def test_runner_records_who_from_where_under_which_correlation_id(
        self, store_factory: StoreFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A runner's run carries this process's user@host, its origin and the run's correlation id."""
        monkeypatch.setenv(ORIGIN_ENV, "notebook migration.ipynb")
        store = store_factory()
        items = IterableSource([MigrationItem("a", 1)], name="one")
        runner = MigrationRunner(store, "r1", items, lambda item: None, clock=clock)
        with correlation_context(correlation_id="corr-42"):
            await runner.run()
        record = store.get_run("r1")
        assert record.operator.endswith("@" + socket.gethostname())
        assert record.origin == "notebook migration.ipynb"
        assert record.correlation_id == "corr-42"


class TestReports:
    def test_reports_are_kept_once_oldest_first(self, store_factory: StoreFactory) -> None:
        """A report recorded twice is listed once, and reports come back in the order they were made."""
        store = store_factory()
        store.create_run(run("r1", at=10.0))
        store.add_report("r1", ReportLink("reports/m/2.html", 20.0))
        store.add_report("r1", ReportLink("reports/m/1.html", 15.0))
        store.add_report("r1", ReportLink("reports/m/2.html", 20.0))
        assert [r.path for r in store_factory().run_reports("r1")] == ["reports/m/1.html", "reports/m/2.html"]

    def test_a_report_for_an_unknown_run_is_refused(self, store_factory: StoreFactory) -> None:
        """Linking a report to a run that does not exist raises RunNotFoundError and records nothing."""
        store = store_factory()
        with pytest.raises(RunNotFoundError):
            store.add_report("ghost", ReportLink("x.html", 1.0))


class TestChaining:
    def test_runs_of_one_migration_name_their_neighbours(self, store_factory: StoreFactory) -> None:
        """Runs with the same source and function chain in creation order; another migration stays apart."""
        store = store_factory()
        store.create_run(run("mon", at=1.0))
        store.create_run(run("other", at=2.0, function="m:g"))
        store.create_run(run("tue", at=3.0))
        store.create_run(run("wed", at=4.0))
        entries = {e.run_id: e for e in ledger(store)}
        assert (entries["mon"].previous_run, entries["mon"].next_run) == (None, "tue")
        assert (entries["tue"].previous_run, entries["tue"].next_run) == ("mon", "wed")
        assert (entries["wed"].previous_run, entries["wed"].next_run) == ("tue", None)
        assert (entries["other"].previous_run, entries["other"].next_run) == (None, None)


class TestSearch:
    def test_search_by_parameter_and_by_field(self, store_factory: StoreFactory) -> None:
        """--where matches a parameter's value (as text) or a ledger field; every condition must hold."""
        store = store_factory()
        store.create_run(run("a", at=1.0, batch_size=5, mode="fast"))
        store.create_run(run("b", at=2.0, batch_size=50, mode="fast"))
        store.create_run(run("c", at=3.0, batch_size=5, mode="slow"))
        entries = ledger(store)
        assert [e.run_id for e in search(entries, parse_conditions(["batch_size=5"]))] == ["a", "c"]
        both = parse_conditions(["batch_size=5", "params.mode=slow"])
        assert [e.run_id for e in search(entries, both)] == ["c"]
        assert [e.run_id for e in search(entries, parse_conditions(["previous_run=a"]))] == ["b"]

    def test_equal_parameters_hash_equal_whatever_their_order(self) -> None:
        """The parameters' hash depends on their values, not on the order they were given in."""
        assert params_hash({"a": 1, "b": [2]}) == params_hash({"b": [2], "a": 1}) != params_hash({"a": 2})

    @pytest.mark.parametrize("condition", ["batch_size", "=5", " =5"])
    def test_a_condition_without_key_and_value_is_refused(self, condition: str) -> None:
        """A condition that is not KEY=VALUE is refused naming it."""
        with pytest.raises(ConfigError, match="is not KEY=VALUE"):
            parse_conditions([condition])

    def test_a_misspelt_key_is_refused_listing_the_known_ones(self, store_factory: StoreFactory) -> None:
        """A key that is neither a field nor any run's parameter is refused instead of matching nothing."""
        store = store_factory()
        store.create_run(run("a", at=1.0, batch_size=5))
        with pytest.raises(ConfigError, match=r"'batchsize' is not a ledger field.*batch_size"):
            search(ledger(store), parse_conditions(["batchsize=5"]))


class TestOrigin:
    def test_a_password_on_the_command_line_is_redacted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The recorded command line never holds a store password."""
        monkeypatch.delenv(ORIGIN_ENV, raising=False)
        monkeypatch.setattr(
            "sys.argv", ["/usr/bin/omnimemory-kit", "migrate", "--store", "postgresql://u:s3cret@h/db"]
        )
        origin = current_origin()
        assert origin.startswith("omnimemory-kit migrate --store")
        assert "s3cret" not in origin


class TestOlderSQLiteStore:
    def test_a_store_from_before_the_ledger_is_read_then_upgraded(self, tmp_path: Path) -> None:
        """A schema-1 file reads read-only with empty ledger facts, and opening it to write upgrades it."""
        path = tmp_path / "old.db"
        with open_store(path) as store:
            store.create_run(run("r1", at=1.0))
        downgrade_to_version_1(path)
        with open_store(path, read_only=True) as old:
            assert old.get_run("r1").operator == ""
            assert old.run_reports("r1") == []
        with open_store(path) as upgraded:
            upgraded.add_report("r1", ReportLink("r.html", 2.0))
            assert [r.path for r in upgraded.run_reports("r1")] == ["r.html"]
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
                str(SCHEMA_VERSION),
            )
