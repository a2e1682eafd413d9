"""``ValidationLedger.apply``: folding runs of events by kind gives what folding them one at a time gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from omnimemory_kit.events import Event, EventKind, ItemRun
from omnimemory_kit.migration.validation import ValidationLedger, ValidationState

_VERDICT_STATE = {
    EventKind.ITEM_VALIDATED: ValidationState.VALIDATED,
    EventKind.ITEM_MISMATCHED: ValidationState.MISMATCHED,
    EventKind.ITEM_VALIDATION_ERROR: ValidationState.ERROR,
}
_UNDONE = {EventKind.FILE_FAILED, EventKind.FILE_SKIPPED, EventKind.FILE_STARTED, EventKind.FILE_REQUEUED}


def reference(events: list[Event]) -> tuple[dict[str, int], dict[str, ValidationState], dict[str, int]]:
    """The rule, one event at a time: (succeeded key -> size, latest verdict's state, size as first added
    with a size)."""
    sizes: dict[str, int] = {}
    succeeded: dict[str, int] = {}
    verdicts: dict[str, ValidationState] = {}
    for event in events:
        key = event.path
        if key is None:
            continue
        if event.kind is EventKind.FILE_ADDED:
            if event.size:  # an addition without a size (0 or unknown) leaves no mark
                sizes.setdefault(key, event.size)
        elif event.kind is EventKind.FILE_SUCCEEDED:
            succeeded.setdefault(key, sizes.get(key, 0))
        elif event.kind in _UNDONE:
            verdicts.pop(key, None)
            succeeded.pop(key, None)
        elif event.kind in _VERDICT_STATE:
            verdicts[key] = _VERDICT_STATE[event.kind]
    return succeeded, verdicts, sizes


KINDS = [
    EventKind.FILE_ADDED,
    EventKind.FILE_STARTED,
    EventKind.FILE_SUCCEEDED,
    EventKind.FILE_FAILED,
    EventKind.FILE_SKIPPED,
    EventKind.FILE_RETRIED,
    EventKind.FILE_REQUEUED,
    EventKind.ITEM_VALIDATED,
    EventKind.ITEM_MISMATCHED,
    EventKind.ITEM_VALIDATION_ERROR,
    EventKind.BATCH_CLOSED,
]

# Runs of one kind over a few keys (repeats within a run included), as the runner's folds deliver them.
runs = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.lists(st.sampled_from(["a", "b", "c", "d", None]), min_size=1, max_size=6),
        st.integers(min_value=0, max_value=5),
    ),
    max_size=25,
)


def flatten(spec: list[tuple[EventKind, list[str | None], int]]) -> list[Event]:
    return [
        Event(kind, at=float(i), path=key, size=size if kind is EventKind.FILE_ADDED else None)
        for i, (kind, keys, size) in enumerate(spec)
        for key in keys
    ]


class TestFoldByRuns:
    @settings(max_examples=300, deadline=None)
    @given(spec=runs, cut=st.integers(min_value=0, max_value=200))
    def test_runs_fold_as_single_events_do(
        self, spec: list[tuple[EventKind, list[str | None], int]], cut: int
    ) -> None:
        """Whatever the runs and however they are split between calls, the ledger ends as the one-event-at-
        a-time rule says: succeeded items with their sizes, each one's state, and tallies that match."""
        events = flatten(spec)
        ledger = ValidationLedger()
        ledger.apply(events[:cut])
        ledger.apply(iter(events[cut:]))  # any iterable
        succeeded, verdicts, sizes = reference(events)
        assert ledger.succeeded == succeeded
        assert ledger.sizes == sizes
        assert {key: ledger.state(key) for key in verdicts} == verdicts
        expected = dict.fromkeys(ValidationState, 0)
        for key in succeeded:
            expected[verdicts.get(key, ValidationState.PENDING)] += 1
        assert ledger.tally == expected
        owed = [key for key in succeeded if key not in verdicts]
        assert sorted(ledger.owed()) == sorted(owed)
        assert ledger.owed(["a", "b", "c", "d", "e"]) == [key for key in "abcde" if key in owed]
        assert ledger.any_verdict(["a", "b", "c", "d"]) == bool(verdicts)
        assert {key: ledger.size_of(key) for key in succeeded} == succeeded
        summary = ledger.summary()
        for table, state in (
            (summary.mismatches, ValidationState.MISMATCHED),
            (summary.errors, ValidationState.ERROR),
        ):
            assert sorted(row.key for row in table) == sorted(
                k for k in succeeded if verdicts.get(k) is state
            )
        counts = ledger.counts()
        assert (counts.items, counts.pending, counts.validated) == (
            len(succeeded),
            expected[ValidationState.PENDING],
            expected[ValidationState.VALIDATED],
        )

    def test_a_start_after_a_verdict_makes_the_item_pending_again(self) -> None:
        """A re-run item loses its verdict: succeeded again, it waits for a new check."""
        ledger = ValidationLedger()
        ledger.apply([Event(EventKind.FILE_ADDED, 1.0, path="k", size=7)])
        ledger.apply([Event(EventKind.FILE_SUCCEEDED, 2.0, path="k")])
        ledger.apply([Event(EventKind.ITEM_MISMATCHED, 3.0, path="k", reason="{}")])
        assert ledger.counts().mismatched == 1
        ledger.apply(
            [Event(EventKind.FILE_STARTED, 4.0, path="k"), Event(EventKind.FILE_SUCCEEDED, 5.0, path="k")]
        )
        assert ledger.state("k") is ValidationState.PENDING
        assert (ledger.counts().pending, ledger.counts().mismatched, ledger.succeeded) == (1, 0, {"k": 7})


class TestItemRuns:
    @settings(max_examples=200, deadline=None)
    @given(
        spec=runs,
        keys=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=6),
        kind=st.sampled_from([EventKind.FILE_ADDED, EventKind.FILE_STARTED, EventKind.ITEM_VALIDATED]),
        size=st.integers(-2, 5),
    )
    def test_a_run_given_by_keys_folds_as_its_events(
        self, spec: list[tuple[EventKind, list[str | None], int]], keys: list[str], kind: EventKind, size: int
    ) -> None:
        """A chunk's additions, a claim's starts or a batch's valid verdicts (each at its own time) folded
        by keys leave the ledger as their events do."""
        sizes = [size] * len(keys) if kind is EventKind.FILE_ADDED else None
        ats = [9.0 + i for i in range(len(keys))] if kind is EventKind.ITEM_VALIDATED else None
        run = ItemRun(kind, 9.0, keys, sizes, ats=ats)
        by_keys, by_events = ValidationLedger(), ValidationLedger()
        for ledger in (by_keys, by_events):
            ledger.apply(flatten(spec))
        by_keys.apply_item_run(run)
        by_events.apply(run.events())
        assert (by_keys.succeeded, by_keys.verdicts, by_keys.sizes, by_keys.tally) == (
            by_events.succeeded, by_events.verdicts, by_events.sizes, by_events.tally,
        )  # fmt: skip
