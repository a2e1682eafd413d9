"""The control reducer: commands folded into a control state, as a pure function of events and time."""

from __future__ import annotations

import pytest

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.control import (
    ControlState,
    control_event,
    control_stream_id,
    finalize_key,
    fold,
    is_control_stream,
    parse_duration,
    parse_setting,
    reduce,
)


def command(kind: EventKind, at: float, who: str = "ann@db1", **args: object) -> Event:
    return control_event(kind, at=at, who=who, reason="peak hours", args=args)


class TestPauseAndResume:
    def test_pause_records_who_and_since(self) -> None:
        """A pause stops claims and says who paused the run and since when."""
        state = reduce(ControlState(), command(EventKind.CONTROL_PAUSE, 100.0))
        assert not state.claims_allowed(101.0)
        assert state.phase(101.0) == "paused"
        assert state.describe(101.0) == "paused by ann@db1 since 1970-01-01 00:01:40 UTC"

    def test_second_pause_keeps_the_first_pauser(self) -> None:
        """A pause of a paused run keeps who paused it first and since when."""
        state = fold(
            [command(EventKind.CONTROL_PAUSE, 1.0), command(EventKind.CONTROL_PAUSE, 5.0, who="bo@x")]
        )
        assert (state.paused_by, state.paused_since) == ("ann@db1", 1.0)

    def test_resume_allows_claims_again(self) -> None:
        """A resume after a pause lets the runner claim again."""
        state = fold([command(EventKind.CONTROL_PAUSE, 1.0), command(EventKind.CONTROL_RESUME, 2.0)])
        assert state.claims_allowed(3.0)
        assert state.phase(3.0) == "running"


class TestThrottle:
    def test_throttle_for_ends_by_itself(self) -> None:
        """A throttle with a duration holds claims until it runs out, on the clock passed in."""
        clock = FakeClock(start=1000.0)
        state = reduce(ControlState(), command(EventKind.CONTROL_THROTTLE, clock.time(), **{"for": 60.0}))
        assert state.phase(clock.time()) == "throttled"
        clock.advance(59.0)
        assert not state.claims_allowed(clock.time())
        clock.advance(1.0)
        assert state.claims_allowed(clock.time())

    def test_throttle_without_duration_holds_until_unthrottle(self) -> None:
        """A throttle without a duration holds until an unthrottle."""
        state = reduce(ControlState(), command(EventKind.CONTROL_THROTTLE, 0.0))
        assert state.is_throttled(1e9)
        assert state.describe(5.0) == "throttled until unthrottled"
        state = reduce(state, command(EventKind.CONTROL_UNTHROTTLE, 6.0))
        assert state.claims_allowed(7.0)


class TestSettings:
    def test_set_changes_only_named_settings(self) -> None:
        """A set changes the settings it names and leaves the others as they were."""
        state = fold(
            [
                command(EventKind.CONTROL_SET, 1.0, concurrency=4, **{"batch-size": 20}),
                command(EventKind.CONTROL_SET, 2.0, **{"max-rate": 50.0}),
            ]
        )
        assert state.settings.concurrency == 4
        assert state.settings.batch_size == 20
        assert state.settings.max_rate == 50.0
        assert state.settings.item_timeout is None

    def test_max_rate_zero_lifts_the_limit(self) -> None:
        """max-rate=0 removes a run-wide rate limit."""
        state = fold(
            [
                command(EventKind.CONTROL_SET, 1.0, **{"max-rate": 5.0}),
                command(EventKind.CONTROL_SET, 2.0, **{"max-rate": 0.0}),
            ]
        )
        assert state.settings.max_rate is None

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("concurrency", "0"),
            ("batch-size", "abc"),
            ("max-rate", "-1"),
            ("item-timeout", "nan"),
            ("speed", "1"),
        ],
    )
    def test_bad_values_are_refused(self, key: str, value: str) -> None:
        """Each bad setting is refused with a message naming the key."""
        with pytest.raises(ConfigError, match=key):
            parse_setting(key, value)

    def test_good_values_are_typed(self) -> None:
        """Good values come back as the numbers the runner uses."""
        assert parse_setting("concurrency", "3") == 3
        assert parse_setting("max-rate", "12.5") == 12.5
        assert parse_setting("max-rate", "none") == 0.0


class TestGatesAndEnds:
    def test_gate_waits_until_approved(self) -> None:
        """A waiting gate shows as awaiting approval until someone approves it."""
        state = reduce(
            ControlState(), control_event(EventKind.GATE_WAITING, at=1.0, who="w1", args={"gate": "cut-over"})
        )
        assert state.phase(2.0) == "awaiting approval"
        assert state.describe(2.0) == "awaiting approval: cut-over"
        state = reduce(state, command(EventKind.CONTROL_APPROVE, 3.0, gate="cut-over", by="carol"))
        assert state.approvals == {"cut-over": "carol"}
        assert state.awaiting() is None

    def test_finalize_success_is_recorded(self) -> None:
        """A finalize item that succeeds marks its gate finalized."""
        state = reduce(
            ControlState(), Event(EventKind.FILE_SUCCEEDED, 1.0, path=finalize_key("cut-over"), seq=9)
        )
        assert state.finalized == ("cut-over",)
        assert state.seq == 9

    def test_cancel_and_panic_stop_claims(self) -> None:
        """Cancel and panic both stop claims for good."""
        assert reduce(ControlState(), command(EventKind.CONTROL_CANCEL, 1.0)).phase(2.0) == "cancelled"
        panicked = reduce(ControlState(), command(EventKind.CONTROL_PANIC, 1.0))
        assert panicked.phase(2.0) == "panicked"
        assert not panicked.claims_allowed(2.0)

    def test_retry_failed_counts_requests(self) -> None:
        """Each retry-failed command is counted, so a runner carries each out once."""
        state = fold(
            [command(EventKind.CONTROL_RETRY_FAILED, 1.0), command(EventKind.CONTROL_RETRY_FAILED, 2.0)]
        )
        assert state.retry_requests == 2


class TestHistory:
    def test_history_keeps_who_when_why_and_args(self) -> None:
        """Every command lands in the history with who, when, why and its arguments, in order."""
        events = [command(EventKind.CONTROL_PAUSE, 1.0), command(EventKind.CONTROL_SET, 2.0, concurrency=2)]
        history = fold(events).history
        assert [c.describe() for c in history] == ["pause", "set concurrency=2"]
        assert history[1].to_dict() == {
            "seq": 0,
            "at": 2.0,
            "command": "set",
            "args": {"concurrency": 2},
            "who": "ann@db1",
            "reason": "peak hours",
        }

    def test_non_control_events_stay_out_of_history(self) -> None:
        """Bookkeeping events of the control stream advance seq but are not commands."""
        state = reduce(ControlState(), Event(EventKind.BATCH_OPENED, 1.0, batch_id="b", seq=3))
        assert state.history == ()
        assert state.seq == 3


class TestNames:
    def test_control_stream_names(self) -> None:
        """A run's control stream has its own recognisable id."""
        assert is_control_stream(control_stream_id("run-1"))
        assert not is_control_stream("run-1")

    @pytest.mark.parametrize(
        ("text", "seconds"), [("90", 90.0), ("30s", 30.0), ("15m", 900.0), ("1.5h", 5400.0)]
    )
    def test_durations(self, text: str, seconds: float) -> None:
        """Durations read as seconds, minutes or hours."""
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize("text", ["", "abc", "-5m", "0"])
    def test_bad_durations(self, text: str) -> None:
        """A duration that is not positive is refused."""
        with pytest.raises(ConfigError):
            parse_duration(text)


class TestSettingsInForce:
    def test_set_settings_win_over_the_runners_own(self) -> None:
        """A `set` value is in force; an unset one is the runner's (or the run's as created)."""
        from omnimemory_kit.migration.control import summary_fields

        state = fold([command(EventKind.CONTROL_SET, 1.0, **{"batch-size": 7, "max-rate": 5.0})])
        settings = state.settings.in_force(concurrency=4, batch_size=100, item_timeout=None)
        assert (settings.concurrency, settings.batch_size, settings.max_rate, settings.item_timeout) == (
            4, 7, 5.0, None
        )  # fmt: skip
        fields = summary_fields(state, {"concurrency": 3, "batch_size": 9, "item_timeout": "x"}, 2.0)
        assert fields["control_state"] == "running"
        assert fields["settings"].model_dump() == {
            "concurrency": 3, "batch_size": 7, "max_rate": 5.0, "item_timeout": None
        }  # fmt: skip


class TestFoldedOnce:
    def test_an_event_folded_twice_counts_once(self) -> None:
        """Events at or below the state's seq are skipped: a command is in the history once."""
        from omnimemory_kit.events import Event as E

        pause = command(EventKind.CONTROL_PAUSE, 1.0)
        stored = E(
            pause.kind, pause.at, path=pause.path, reason=pause.reason, worker_id=pause.worker_id, seq=4
        )
        started = E(EventKind.FILE_STARTED, 2.0, path="finalize:cut-over", seq=5)
        state = fold([stored, started])
        again = fold([stored, started], state)
        assert len(again.history) == 1
        assert again.attempts == {"finalize:cut-over": 1}
