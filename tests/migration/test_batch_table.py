"""The per-batch table: worker, attempts and outcome of every batch, folded from the journal."""

from __future__ import annotations

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.tracker import MigrationProgressTracker


def journal(*events: tuple[EventKind, str | None, str | None]) -> list[Event]:
    """Events of one worker a second apart: (kind, key, batch)."""
    return [
        Event(kind, at=float(at), path=key, batch_id=batch, worker_id="h:1:w" if batch else None)
        for at, (kind, key, batch) in enumerate(events, 1)
    ]


def frame_of(events: list[Event]) -> dict[str, dict[str, object]]:
    """Replay events into a tracker and return its batch rows keyed by batch id."""
    tracker = MigrationProgressTracker("m", clock=FakeClock(start=100.0))
    tracker.apply_many(events)
    return {row["batch_id"]: row for row in tracker.batches_dataframe().to_dict(orient="records")}


K = EventKind


class TestBatchRows:
    def test_worker_attempts_and_outcome_of_each_batch(self) -> None:
        """A batch names the worker that opened it, counts retried attempts, and ends failed or succeeded."""
        rows = frame_of(
            journal(
                (K.FILE_ADDED, "a", None),
                (K.FILE_ADDED, "b", None),
                (K.FILE_ADDED, "c", None),
                (K.BATCH_OPENED, None, "b1"),
                (K.FILE_STARTED, "a", "b1"),
                (K.FILE_STARTED, "b", "b1"),
                (K.FILE_RETRIED, "a", None),
                (K.FILE_RETRIED, "a", None),
                (K.FILE_FAILED, "a", None),
                (K.FILE_SUCCEEDED, "b", None),
                (K.BATCH_CLOSED, None, "b1"),
                (K.BATCH_OPENED, None, "b2"),
                (K.FILE_STARTED, "c", "b2"),
                (K.FILE_SKIPPED, "c", None),
                (K.BATCH_CLOSED, None, "b2"),
            )
        )
        assert rows["b1"]["worker_id"] == "h:1:w"
        assert (rows["b1"]["attempts"], rows["b1"]["outcome"]) == (4, "failed")
        assert (rows["b2"]["attempts"], rows["b2"]["outcome"]) == (1, "succeeded")

    def test_interrupted_and_open_batches_say_so(self) -> None:
        """A batch whose item was interrupted reads interrupted; one still running reads open."""
        rows = frame_of(
            journal(
                (K.FILE_ADDED, "a", None),
                (K.FILE_ADDED, "b", None),
                (K.BATCH_OPENED, None, "b1"),
                (K.FILE_STARTED, "a", "b1"),
                (K.FILE_INTERRUPTED, "a", None),
                (K.BATCH_CLOSED, None, "b1"),
                (K.BATCH_OPENED, None, "b2"),
                (K.FILE_STARTED, "b", "b2"),
            )
        )
        assert rows["b1"]["outcome"] == "interrupted"
        assert rows["b2"]["outcome"] == "open"
