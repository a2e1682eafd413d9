"""``migrate --rerun``: requeue a run's failed items, one whole batch or listed keys, and work them."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from omnimemory_kit.cli import cli
from omnimemory_kit.events import Event, EventKind, FileStatus
from omnimemory_kit.store import open_store

FUNCTIONS = """
import os

def flaky(item):
    if "bad" in item.key and not os.environ.get("FIXED"):
        raise ValueError("bad input " + item.key)
"""


@pytest.fixture
def failed_run(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A finished run of 9 items in 3 batches of 3, one item of each batch failed: (source, fns, store)."""
    root = tmp_path / "tree"
    root.mkdir()
    for i in range(9):
        (root / (f"t{i}_bad.py" if i % 3 == 1 else f"t{i}_ok.py")).write_text("x\n", encoding="utf-8")
    fns = tmp_path / "fns.py"
    fns.write_text(FUNCTIONS, encoding="utf-8")
    store = tmp_path / "s.db"
    assert migrate(root, fns, store).exit_code == 1
    return root, fns, store


def migrate(root: Path, fns: Path, store: Path, *extra: str) -> Result:
    """Run ``migrate`` on run r1 in batches of 3 without retries."""
    args = ["migrate", str(root), "--function", f"{fns}:flaky", "--store", str(store), "--run-id", "r1",
            "--batch-size", "3", "--retries", "0", "--concurrency", "1", *extra]  # fmt: skip
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def statuses(store: Path) -> dict[str, str]:
    """Return each item's status as the store's journal leaves it."""
    result = CliRunner().invoke(cli, ["status", "r1", "--store", str(store), "--json"])
    assert result.exit_code == 0
    with open_store(store, read_only=True) as opened:
        last: dict[str, str] = {}
        for event in opened.read_events("r1"):
            if event.path is not None and event.kind in (EventKind.FILE_SUCCEEDED, EventKind.FILE_FAILED):
                last[event.path] = event.kind.value
    return last


def batch_of_failed(store: Path) -> tuple[str, str]:
    """Return one failed item's key and the batch it failed in."""
    result = CliRunner().invoke(cli, ["status", "r1", "--store", str(store), "--json", "--batches"])
    batch = next(b for b in json.loads(result.output)["batches"] if b["failed"])
    with open_store(store, read_only=True) as opened:
        key = next(
            e.path for e in opened.read_events("r1")
            if e.kind is EventKind.FILE_STARTED and e.batch_id == batch["batch_id"] and "bad" in str(e.path)
        )  # fmt: skip
    return str(key), batch["batch_id"]


class TestRerun:
    def test_one_batch_reruns_all_its_items_counted_once(
        self, failed_run: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--rerun batch:ID re-runs every item of that batch (succeeded ones too), each counted once; the
        other batches' failed items stay failed."""
        root, fns, store = failed_run
        key, batch = batch_of_failed(store)
        with open_store(store, read_only=True) as opened:
            members = sorted(
                str(e.path) for e in opened.read_events("r1")
                if e.kind is EventKind.FILE_STARTED and e.batch_id == batch
            )  # fmt: skip
        monkeypatch.setenv("FIXED", "1")
        result = migrate(root, fns, store, "--rerun", f"batch:{batch}")
        assert f"re-running 3 item(s) of batch {batch!r}" in result.stderr
        after = statuses(store)
        assert after[key] == "file_succeeded"
        assert sorted(k for k, v in after.items() if v == "file_failed") == sorted(
            k for k in after if "bad" in k and k != key
        )
        with open_store(store, read_only=True) as opened:
            events = list(opened.read_events("r1"))
            assert opened.item_counts("r1")[FileStatus.FAILED] == 2
            assert opened.item_counts("r1")[FileStatus.SUCCEEDED] == 7
        requeued = sorted(str(e.path) for e in events if e.kind is EventKind.FILE_REQUEUED)
        assert requeued == members
        starts = [e.path for e in events if e.kind is EventKind.FILE_STARTED]
        assert {m: starts.count(m) for m in members} == dict.fromkeys(members, 2)

    def test_failed_reruns_every_failed_item(
        self, failed_run: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--rerun failed requeues and works every failed item, and the run ends with none failed."""
        root, fns, store = failed_run
        monkeypatch.setenv("FIXED", "1")
        result = migrate(root, fns, store, "--rerun", "failed")
        assert result.exit_code == 0
        assert "re-running 3 failed item(s)" in result.stderr

    def test_listed_keys_rerun_only_those(
        self, failed_run: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """--rerun keys:FILE re-runs the finished items it lists (succeeded ones too) and no other."""
        root, fns, store = failed_run
        (tmp_path / "keys.txt").write_text("t1_bad.py\n\nt0_ok.py\n", encoding="utf-8")
        monkeypatch.setenv("FIXED", "1")
        result = migrate(root, fns, store, "--rerun", f"keys:{tmp_path / 'keys.txt'}")
        assert "re-running 2 item(s) of 2 listed key(s)" in result.stderr
        with open_store(store, read_only=True) as opened:
            starts = [e.path for e in opened.read_events("r1") if e.kind is EventKind.FILE_STARTED]
            assert opened.item_counts("r1")[FileStatus.SUCCEEDED] == 7
        assert (starts.count("t0_ok.py"), starts.count("t1_bad.py"), starts.count("t2_ok.py")) == (2, 2, 1)
        after = statuses(store)
        assert after["t1_bad.py"] == "file_succeeded"
        assert after["t4_bad.py"] == after["t7_bad.py"] == "file_failed"


class TestBadInput:
    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("batch:nope", "has no batch 'nope'"),
            ("batch:", "needs a batch id"),
            ("everything", "is not one of: failed, batch:ID, keys:FILE"),
            ("keys:/nonexistent/keys.txt", "cannot be read"),
        ],
    )
    def test_bad_selection_exits_2_and_changes_nothing(
        self, failed_run: tuple[Path, Path, Path], spec: str, message: str
    ) -> None:
        """A batch the run lacks, a bad selection or an unreadable keys file exits 2; nothing is written."""
        root, fns, store = failed_run
        with open_store(store, read_only=True) as opened:
            before = opened.last_seq("r1")
        result = migrate(root, fns, store, "--rerun", spec)
        assert result.exit_code == 2
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        with open_store(store, read_only=True) as opened:
            assert opened.last_seq("r1") == before

    def test_an_unknown_key_exits_2(self, failed_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
        """A keys file naming an item the run lacks exits 2 naming it."""
        root, fns, store = failed_run
        (tmp_path / "keys.txt").write_text("t1_bad.py\nghost.py\n", encoding="utf-8")
        result = migrate(root, fns, store, "--rerun", f"keys:{tmp_path / 'keys.txt'}")
        assert result.exit_code == 2
        assert "has no item 'ghost.py'" in result.stderr


class TestWhileWorkersContinue:
    def test_a_batch_reruns_while_two_workers_hold_theirs(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Re-running a whole batch while two live workers hold theirs leaves their batches alone, and
        every item ends counted once (the batch's earlier successes are not counted twice)."""
        root = tmp_path / "tree"
        root.mkdir()
        for i in range(9):
            (root / (f"t{i}_bad.py" if i == 1 else f"t{i}_ok.py")).write_text("x\n", encoding="utf-8")
        fns = tmp_path / "fns.py"
        fns.write_text(FUNCTIONS, encoding="utf-8")
        store_path = tmp_path / "s.db"
        assert migrate(root, fns, store_path, "--create-only").exit_code == 0
        with open_store(store_path) as store:
            first = store.claim("r1", "otherhost:1:first", 3, 3600.0)
            assert first is not None
            outcomes = [
                Event(
                    EventKind.FILE_FAILED if "bad" in i.key else EventKind.FILE_SUCCEEDED, at=1.0, path=i.key
                )
                for i in first.items
            ]
            store.report(first, outcomes)
            store.release(first, [Event(EventKind.BATCH_CLOSED, at=1.0, batch_id=first.batch_id)])
            workers = [store.claim("r1", f"otherhost:{n}:busy", 3, 3600.0) for n in (2, 3)]
        monkeypatch.setenv("FIXED", "1")
        seen: dict[str, int] = {}
        finished = threading.Event()

        def workers_carry_on() -> None:
            # The two workers finish their batches once the re-run item is done, while migrate still runs
            # (it works the run to its end, so it waits for them).
            with open_store(store_path) as store:
                while not finished.wait(0.01):
                    if store.item_counts("r1")[FileStatus.SUCCEEDED] == 3:
                        seen["in_progress"] = store.item_counts("r1")[FileStatus.IN_PROGRESS]
                        for lease in workers:  # their leases live and their reports count
                            assert lease is not None
                            done = [Event(EventKind.FILE_SUCCEEDED, at=2.0, path=i.key) for i in lease.items]
                            store.report(lease, done)
                            store.release(
                                lease, [Event(EventKind.BATCH_CLOSED, at=2.0, batch_id=lease.batch_id)]
                            )
                        return

        helper = threading.Thread(target=workers_carry_on)
        helper.start()
        try:
            result = migrate(root, fns, store_path, "--rerun", f"batch:{first.batch_id}")
        finally:
            finished.set()
            helper.join()
        assert f"re-running 3 item(s) of batch {first.batch_id!r}" in result.stderr
        assert seen == {"in_progress": 6}  # the re-run touched neither worker's batch
        with open_store(store_path) as store:
            counts = store.item_counts("r1")
        assert counts[FileStatus.SUCCEEDED] == 9
        assert statuses(store_path)["t1_bad.py"] == "file_succeeded"
        summary = json.loads(
            CliRunner().invoke(cli, ["status", "r1", "--store", str(store_path), "--json"]).output
        )
        assert (summary["succeeded_files"], summary["total_files"], summary["requeued_count"]) == (9, 9, 3)
