"""``omnimemory-kit control``: every verb journaled with who, when and why; bad input: one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.control import control_event, control_stream_id
from omnimemory_kit.migration.run_control import RunControl
from omnimemory_kit.store import RunRecord, WorkItem, open_store
from tests.cli.cli_helpers import invoke
from tests.cli.test_status_cli import closed_pipe_run


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A SQLite store holding one open run, r1."""
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    with open_store(url) as store:
        store.create_run(RunRecord(run_id="r1", name="r1"))
        store.append("r1", [Event(EventKind.RUN_STARTED, 1.0)])
    return url


def control(store_url: str, *args: str) -> Result:
    return invoke("control", "r1", *args, "--store", store_url)


def stream_len(store_url: str) -> int:
    with open_store(store_url) as store:
        try:
            return store.last_seq(control_stream_id("r1"))
        except Exception:  # no stream yet
            return 0


class TestVerbs:
    def test_every_verb_is_journaled_with_who_and_reason(self, store_url: str) -> None:
        """Each verb lands in the history, in order, with who gave it and why."""
        commands = [
            ["pause"], ["resume"], ["throttle", "--for", "15m"], ["unthrottle"],
            ["set", "concurrency=2", "batch-size=10", "max-rate=50", "item-timeout=30"],
            ["retry-failed"], ["panic"], ["cancel"],
        ]  # fmt: skip
        for words in commands:
            result = control(store_url, *words, "--reason", "peak hours")
            assert result.exit_code == 0, result.output
        result = control(store_url, "--json")
        data = json.loads(result.stdout)
        assert [c["command"] for c in data["history"]] == [
            "pause", "resume", "throttle", "unthrottle", "set", "retry-failed", "panic", "cancel"
        ]  # fmt: skip
        assert all(c["reason"] == "peak hours" and "@" in c["who"] for c in data["history"])
        assert data["history"][2]["args"] == {"for": 900.0}
        assert data["settings"] == {
            "concurrency": 2,
            "batch-size": 10,
            "max-rate": 50.0,
            "item-timeout": 30.0,
        }
        assert data["state"] == "panicked"

    def test_history_alone_prints_state_settings_and_commands(self, store_url: str) -> None:
        """`control RUN_ID` alone prints the state, the settings and each command."""
        control(store_url, "pause", "--reason", "deploy")
        control(store_url, "set", "concurrency=3")
        out = invoke("control", "r1", "--store", store_url).stdout
        assert "paused by" in out
        assert "concurrency=3" in out
        assert "pause  (deploy)" in out
        assert "set concurrency=3" in out

    def test_approve_a_waiting_gate(self, store_url: str) -> None:
        """A gate a runner waits at is approved once, by the named person."""
        with open_store(store_url) as store:
            stream = control_stream_id("r1")
            store.create_run(RunRecord(run_id=stream, name="c", source="control"))
            store.append(
                stream, [control_event(EventKind.GATE_WAITING, at=1.0, who="w", args={"gate": "cut-over"})]
            )
        assert control(store_url, "approve", "cut-over", "--by", "carol").exit_code == 0
        again = control(store_url, "approve", "cut-over", "--by", "dave")
        assert again.exit_code == 2
        assert "approved already by carol" in again.stderr


class TestBadInput:
    @pytest.mark.parametrize(
        ("words", "needle"),
        [
            (["frobnicate"], "unknown control command"),
            (["set", "concurrency=0"], "concurrency"),
            (["set", "batch-size=abc"], "batch-size"),
            (["set", "max-rate=-1"], "max-rate"),
            (["set", "speed=3"], "unknown setting"),
            (["set", "concurrency"], "KEY=VALUE"),
            (["set"], "KEY=VALUE"),
            (["throttle", "--for", "soon"], "duration"),
            (["approve", "cut-over", "--by", "carol"], "does not wait at gate"),
            (["approve", "cut-over"], "--by"),
            (["pause", "now"], "takes no arguments"),
        ],
    )
    def test_bad_input_is_one_line_exit_2_nothing_written(
        self, store_url: str, words: list[str], needle: str
    ) -> None:
        """Each bad command ends in one line naming the problem, exit 2, and no journal write."""
        before = stream_len(store_url)
        result = control(store_url, *words)
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert needle in lines[0]
        assert stream_len(store_url) == before

    def test_unknown_run(self, store_url: str) -> None:
        """An unknown run id is bad input."""
        result = invoke("control", "nope", "pause", "--store", store_url)
        assert result.exit_code == 2
        assert "nope" in result.stderr

    def test_finished_run_cannot_be_controlled(self, store_url: str) -> None:
        """A completed run refuses commands and nothing is written."""
        with open_store(store_url) as store:
            store.append("r1", [Event(EventKind.RUN_COMPLETED, 2.0)])
        result = control(store_url, "pause")
        assert result.exit_code == 2
        assert "has finished (completed)" in result.stderr
        assert stream_len(store_url) == 0


class TestLibrary:
    def test_run_control_verbs_match_the_cli(self, store_url: str) -> None:
        """The library verbs write what the CLI writes and the state follows."""
        with open_store(store_url) as store:
            rc = RunControl(store, "r1", who="ann@db1")
            rc.throttle(reason="peak")
            rc.set(batch_size=7)
            state = rc.state()
            rc.close()
        assert state.throttled
        assert state.settings.batch_size == 7
        assert [c.who for c in state.history] == ["ann@db1", "ann@db1"]
        with open_store(store_url) as store:
            assert "throttled" in repr(RunControl(store, "r1"))


class TestStatus:
    def test_status_shows_the_control_state_and_settings_in_force(self, tmp_path: Path) -> None:
        """`status` and `status --json` give the control state and the settings, set or as created."""
        url = f"sqlite:///{tmp_path / 'journal.db'}"
        with open_store(url) as store:
            params = {"concurrency": 4, "batch_size": 25, "item_timeout": None}
            store.create_run(RunRecord(run_id="r1", name="r1", params=params))
            store.append("r1", [Event(EventKind.RUN_STARTED, 1.0)])
        assert control(url, "set", "max-rate=50", "concurrency=2").exit_code == 0
        assert control(url, "pause", "--reason", "deploy").exit_code == 0
        data = json.loads(invoke("status", "r1", "--store", url, "--json").stdout)
        assert data["control_state"].startswith("paused by ")
        assert data["settings"] == {
            "concurrency": 2,
            "batch_size": 25,
            "max_rate": 50.0,
            "item_timeout": None,
        }
        out = invoke("status", "r1", "--store", url).stdout
        assert "  control  paused by " in out
        assert "  settings concurrency 2, batch size 25, max-rate 50/s, item timeout none" in out
        assert "set concurrency=2 max-rate=50" in out or "set max-rate=50 concurrency=2" in out
        assert out.count("paused by ") == 1  # the state once, in the summary; the history below it


class TestReaderLeaves:
    def test_a_closed_pipe_exits_0_quietly(self, store_url: str) -> None:
        """The state printed to a pipe nobody reads (``control r1 | head -1``): exit 0, nothing on stderr."""
        for extra in ((), ("--json",)):
            done = closed_pipe_run("control", "r1", "--store", store_url, *extra)
            assert (done.returncode, done.stderr) == (0, "")


class TestRerun:
    """`control RUN rerun failed|batch:ID|keys:FILE`: finished items requeued at once, journaled."""

    @pytest.fixture
    def ran(self, store_url: str) -> str:
        """r1: one closed batch (a succeeded, b failed), one item never claimed (c); return the batch."""
        worker = "host-a:101:aaaa"
        with open_store(store_url) as store:
            store.add_items("r1", [WorkItem("a", 1), WorkItem("b", 1), WorkItem("c", 1)], at=1.0)
            lease = store.claim("r1", worker, 2, 30)
            assert lease is not None
            assert [i.key for i in lease.items] == ["a", "b"]
            store.report(
                lease,
                [
                    Event(EventKind.FILE_SUCCEEDED, at=2.0, path="a", worker_id=worker),
                    Event(EventKind.FILE_FAILED, at=2.0, path="b", worker_id=worker, error_type="E"),
                ],
            )
            closed = Event(EventKind.BATCH_CLOSED, at=3.0, batch_id=lease.batch_id, worker_id=worker)
            store.release(lease, [closed])
            return lease.batch_id

    def counts(self, store_url: str) -> dict[str, int]:
        with open_store(store_url) as store:
            return {str(k.value): v for k, v in store.item_counts("r1").items() if v}

    def test_a_whole_batch_goes_back_to_pending_and_is_journaled(self, store_url: str, ran: str) -> None:
        """Both finished items of the batch (the succeeded one too) are pending again; history says so."""
        assert self.counts(store_url) == {"succeeded": 1, "failed": 1, "pending": 1}
        result = control(store_url, "rerun", f"batch:{ran}", "--reason", "target was wrong")
        assert result.exit_code == 0, result.output
        assert self.counts(store_url) == {"pending": 3}
        data = json.loads(control(store_url, "--json").stdout)
        command = data["history"][-1]
        assert command["command"] == "rerun"
        assert command["args"] == {"what": f"batch:{ran}", "requeued": 2, "unfinished": 0}
        assert command["reason"] == "target was wrong"
        assert "(2 requeued)" in invoke("control", "r1", "--store", store_url).stdout

    def test_failed_and_keys(self, store_url: str, ran: str, tmp_path: Path) -> None:
        """`failed` requeues the failed item; `keys:FILE` the listed finished ones (not c: unfinished)."""
        assert control(store_url, "rerun", "failed").exit_code == 0
        assert self.counts(store_url) == {"succeeded": 1, "pending": 2}
        listed = tmp_path / "keys.txt"
        listed.write_text("a\nc\n")
        assert control(store_url, "rerun", f"keys:{listed}").exit_code == 0
        assert self.counts(store_url) == {"pending": 3}
        with open_store(store_url) as store:
            history = RunControl(store, "r1").history()
        assert [c.args["requeued"] for c in history] == [1, 1]
        assert history[-1].args["unfinished"] == 1

    @pytest.mark.parametrize(
        ("words", "needle"),
        [
            (["rerun"], "rerun takes one of"),
            (["rerun", "batch:nope"], "has no batch 'nope'"),
            (["rerun", "everything"], "is not one of"),
            (["rerun", "keys:/no/such/file"], "cannot be read"),
        ],
    )
    def test_bad_input_writes_nothing(self, store_url: str, ran: str, words: list[str], needle: str) -> None:
        """A bad selection: one line, exit 2, no item requeued, nothing journaled."""
        before = stream_len(store_url)
        result = control(store_url, *words)
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert needle in result.stderr
        assert stream_len(store_url) == before
        assert self.counts(store_url) == {"succeeded": 1, "failed": 1, "pending": 1}
