"""``status --batches`` lists the latest batches, reading the journal only from the first of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from omnimemory_kit.cli import cli
from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.migration.run_state import RunState
from omnimemory_kit.store import RunRecord, open_store
from omnimemory_kit.store.base import Lease, WorkItem
from tests.store.old_schema import downgrade_to_version_5

ROOT = Path(__file__).resolve().parents[2]


def _run_of_batches(path: Path, batches: int) -> None:
    """Write a completed run of ``batches`` batches of 3 items (one failure in the second)."""
    clock = FakeClock(wall_start=1_800_000_000.0)
    with open_store(path, clock=clock) as store:
        store.create_run(RunRecord(run_id="r1", name="batches", created_at=clock.time()))
        store.add_items("r1", [WorkItem(f"k{i:02d}", 1) for i in range(3 * batches)], at=clock.time())
        store.append("r1", [Event(EventKind.RUN_STARTED, clock.time())])
        while (lease := store.claim("r1", "h:1:w", 3, 60.0)) is not None:
            clock.advance(2)
            outcomes = [
                Event(EventKind.FILE_FAILED, clock.time(), item.key, error_type="ValueError")
                if item.key == "k04"
                else Event(EventKind.FILE_SUCCEEDED, clock.time(), item.key)
                for item in lease.items
            ]
            store.report(lease, outcomes)
            store.release(lease, [Event(EventKind.BATCH_CLOSED, clock.time(), batch_id=lease.batch_id)])
        store.append("r1", [Event(EventKind.RUN_COMPLETED, clock.time())])


def _interleaved_run(path: Path) -> list[str]:
    """Write a completed run of 6 batches of 3 items by two workers, each batch opened before the one
    before it closed (every fourth item fails); return the batch ids in the order opened."""
    clock = FakeClock(wall_start=1_800_000_000.0)
    opened: list[str] = []
    with open_store(path, clock=clock) as store:
        store.create_run(RunRecord(run_id="r1", name="interleaved", created_at=clock.time()))
        store.add_items("r1", [WorkItem(f"k{i:02d}", 1) for i in range(18)], at=clock.time())
        store.append("r1", [Event(EventKind.RUN_STARTED, clock.time())])

        def claim(worker: str) -> Lease:
            lease = store.claim("r1", worker, 3, 60.0)
            assert lease is not None
            opened.append(lease.batch_id)
            return lease

        def finish(lease: Lease) -> None:
            clock.advance(2)
            outcomes = [
                Event(EventKind.FILE_FAILED, clock.time(), item.key, error_type="ValueError")
                if int(item.key[1:]) % 4 == 1
                else Event(EventKind.FILE_SUCCEEDED, clock.time(), item.key)
                for item in lease.items
            ]
            store.report(lease, outcomes)
            store.release(lease, [Event(EventKind.BATCH_CLOSED, clock.time(), batch_id=lease.batch_id)])

        running = [claim("h:1:a"), claim("h:2:b")]
        while running:
            done = running.pop(0)
            finish(done)
            if len(opened) < 6:
                running.append(claim(done.worker_id))
        store.append("r1", [Event(EventKind.RUN_COMPLETED, clock.time())])
    return opened


def _status(path: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["status", "r1", "--store", str(path), "--json", "--batches", *extra])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


class TestLatestBatches:
    """The batch table is bounded by ``--batches-limit`` and its rows are those of the whole listing."""

    def test_the_limit_keeps_the_latest_rows_unchanged(self, tmp_path: Path) -> None:
        """With a limit of 2 of 4 batches, the two rows are the last two of the full listing."""
        path = tmp_path / "s.db"
        _run_of_batches(path, 4)
        every = _status(path)
        latest = _status(path, "--batches-limit", "2")
        assert every["batch_count"] == latest["batch_count"] == 4
        rows = every["batches"]
        assert isinstance(rows, list)
        assert len(rows) == 4
        assert latest["batches"] == rows[-2:]
        assert [row["failed"] for row in rows] == [0, 1, 0, 0]

    def test_text_says_what_it_left_out(self, tmp_path: Path) -> None:
        """The text table says how many batches the run has beyond those listed."""
        path = tmp_path / "s.db"
        _run_of_batches(path, 3)
        out = CliRunner().invoke(
            cli, ["status", "r1", "--store", str(path), "--batches", "--batches-limit", "1"]
        )
        assert out.exit_code == 0, out.output
        assert "batches: 1" in out.output
        assert "(the latest 1 of 3 batches; --batches-limit N lists more)" in out.output

    def test_the_journal_is_folded_a_chunk_at_a_time(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The batches' events are folded in one call per chunk read, not one call per event."""
        path = tmp_path / "s.db"
        _run_of_batches(path, 4)
        expected = _status(path)["batches"]
        folds: list[int] = []
        apply = RunState.apply

        def counting(state: RunState, events: Iterable[Event]) -> int:
            applied = apply(state, events)
            folds.append(applied)
            return applied

        monkeypatch.setattr(RunState, "apply", counting)
        result = CliRunner().invoke(cli, ["status", "r1", "--store", str(path), "--json"])
        assert result.exit_code == 0, result.output
        without_batches = len(folds)  # what the rest of ``status`` folds
        assert _status(path)["batches"] == expected
        assert len(folds) == 2 * without_batches + 1
        assert max(folds) > 12  # every event from the first batch on, in one fold

    def test_batches_open_beside_older_ones_list_their_own_counts(self, tmp_path: Path) -> None:
        """Batches opened while older ones still ran: under every limit, each listed row counts what its
        batch holds in the store (its items and their outcomes), and the rows are the full listing's last."""
        path = tmp_path / "s.db"
        opened = _interleaved_run(path)
        with open_store(path) as store:
            truth = {batch: Counter(store.batch_items("r1", batch).values()) for batch in opened}  # type: ignore[union-attr]
        every = _status(path, "--batches-limit", "6")["batches"]
        assert isinstance(every, list)
        assert [row["batch_id"] for row in every] == opened
        for limit in range(1, 6):
            latest = _status(path, "--batches-limit", str(limit))
            assert latest["batch_count"] == 6
            rows = latest["batches"]
            assert isinstance(rows, list)
            assert rows == every[-limit:]
            for row in rows:
                held = truth[row["batch_id"]]
                assert row["items"] == sum(held.values()) == 3
                assert (row["succeeded"], row["failed"]) == (
                    held[FileStatus.SUCCEEDED],
                    held[FileStatus.FAILED],
                )
        assert sum(row["failed"] for row in every) == 5  # k01, k05, k09, k13, k17

    def test_only_the_listed_batches_are_folded(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With a limit of 1, the fold takes in the last batch's items and events alone, not the older
        batch still running beside it nor any other item of the run."""
        path = tmp_path / "s.db"
        opened = _interleaved_run(path)
        with open_store(path) as store:
            last = set(store.batch_items("r1", opened[-1]) or ())
        added: list[str] = []
        applied: list[Event] = []
        add_file, apply = RunState.add_file, RunState.apply

        def adding(state: RunState, key: str, *args: Any, **kwargs: Any) -> Any:
            added.append(key)
            return add_file(state, key, *args, **kwargs)

        def applying(state: RunState, events: Iterable[Event]) -> int:
            events = list(events)
            applied.extend(events)
            return apply(state, events)

        monkeypatch.setattr(RunState, "add_file", adding)
        monkeypatch.setattr(RunState, "apply", applying)
        rows = _status(path, "--batches-limit", "1")["batches"]
        assert isinstance(rows, list)
        assert [row["batch_id"] for row in rows] == [opened[-1]]
        assert set(added) == last
        assert {e.batch_id for e in applied if e.batch_id is not None} == {opened[-1]}
        assert {e.path for e in applied if e.path is not None} == last


class TestJsonBytes:
    """``status --json`` shows the bytes the store keeps, the same as an older store's pass gives."""

    def test_kept_bytes_and_a_pass_over_an_older_store_print_the_same_json(self, tmp_path: Path) -> None:
        """The JSON of a store keeping bytes and of the same store without them (a version 5 store, which
        ``status`` opens read-only and weighs in one pass) has the same keys and the same bytes."""
        path = tmp_path / "s.db"
        _run_of_batches(path, 3)
        with open_store(path) as store:  # sizes of their own, one without a size, one left pending
            store.add_items("r1", [WorkItem("big", 1000), WorkItem("none", 0)], at=1_800_000_100.0)
        kept = _status(path)
        downgrade_to_version_5(path)
        passed = _status(path)
        assert kept.keys() == passed.keys()
        names = ("total_bytes", "processed_bytes", "succeeded_bytes", "remaining_bytes")
        assert [kept[name] for name in names] == [passed[name] for name in names] == [1009, 9, 8, 1000]


class TestControlLine:
    """Only a run not finished has a control line: a finished one has nothing left to pause or throttle."""

    def test_a_finished_run_prints_no_control_state(self, tmp_path: Path) -> None:
        """Paused, then completed: no control line and no control state in the JSON; the history stays."""
        path = tmp_path / "s.db"
        with open_store(path) as store:
            store.create_run(RunRecord(run_id="r1", name="done", created_at=1_800_000_000.0))
            store.append("r1", [Event(EventKind.RUN_STARTED, 1_800_000_000.0)])
            control = RunControl(store, "r1")
            control.pause(reason="deploy")
            control.close()
            store.append("r1", [Event(EventKind.RUN_COMPLETED, 1_800_000_010.0)])
        text = CliRunner().invoke(cli, ["status", "r1", "--store", str(path)])
        assert text.exit_code == 0, text.output
        assert "  control  " not in text.output
        assert "pause" in text.output  # the history below the summary
        data = _status(path)
        assert data["control_state"] is None
        assert data["control"]["state"] is None  # type: ignore[index]
        assert [c["command"] for c in data["control"]["history"]] == ["pause"]  # type: ignore[index]

    def test_a_running_run_keeps_its_control_line(self, tmp_path: Path) -> None:
        """A run still running shows who paused it, in the text and the JSON."""
        path = tmp_path / "s.db"
        with open_store(path) as store:
            store.create_run(RunRecord(run_id="r1", name="open", created_at=1_800_000_000.0))
            store.append("r1", [Event(EventKind.RUN_STARTED, 1_800_000_000.0)])
            control = RunControl(store, "r1")
            control.pause(reason="deploy")
            control.close()
        text = CliRunner().invoke(cli, ["status", "r1", "--store", str(path)])
        assert "  control  paused by " in text.output
        assert str(_status(path)["control_state"]).startswith("paused by ")


def closed_pipe_run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line in its own process, its stdout a pipe whose reader has already left."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "omnimemory_kit", *args],
            cwd=ROOT,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


class TestReaderLeaves:
    """``status ... | head -1``: a reader that leaves early ends the command quietly, with status 0."""

    @pytest.mark.parametrize("extra", [(), ("--json",)])
    def test_a_closed_pipe_exits_0_quietly(self, tmp_path: Path, extra: tuple[str, ...]) -> None:
        """Text or JSON to a pipe nobody reads: exit 0, nothing on stderr."""
        path = tmp_path / "s.db"
        _run_of_batches(path, 3)
        done = closed_pipe_run("status", "r1", "--store", str(path), "--batches", *extra)
        assert (done.returncode, done.stderr) == (0, "")
