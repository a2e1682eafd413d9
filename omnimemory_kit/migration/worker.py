"""Join an existing run as one more worker: no re-enumeration, the source and function come from the record.

A coordinator creates a run once (``prepare_run``, or ``omnimemory-kit migrate --create-only``); any number
of workers on any number of machines then ``join_run`` it against the same store and claim batches under
leases until nothing is left. A joining worker never lists the source again: it rebuilds a *resolve-only*
source from the identity recorded with the run (``RecordedSource``), which turns each claimed key back into
the item the migration function receives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Tracer

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError, RunMismatchError
from omnimemory_kit.events import MigrationPriority
from omnimemory_kit.migration.loader import function_identity, load_function
from omnimemory_kit.migration.options import default_batch_size, positive_int
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.sources import (
    DirectorySource,
    ManifestSource,
    MigrationItem,
    WorkSource,
    migration_item,
    source_blocks,
)
from omnimemory_kit.migration.telemetry import TRACE_CONTEXT_PARAM, current_trace_context
from omnimemory_kit.observability import get_correlation_id
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store.base import JournalStore, RunRecord, WorkItem
from omnimemory_kit.store.ledger import current_operator, current_origin

__all__ = ["RecordedSource", "join_run", "prepare_run"]

logger = logging.getLogger(__name__)


class RecordedSource:
    """A source rebuilt from a run's recorded identity: it resolves keys and never enumerates.

    ``identity`` equals the recorded one (so the runner accepts it for the run), iterating yields nothing
    (the items are in the store already), and ``resolve`` turns a claimed key into a ``MigrationItem``:

    - ``directory:<root>:<pattern>``: the file under ``root`` (the directory must exist on this machine,
      at the same absolute path);
    - ``manifest:<path>``: the file the manifest names for the key (the manifest is read once, on the
      first ``resolve``; a CSV manifest without a ``path`` column is never read: it names no file);
    - anything else (``iterable:<name>``, a custom source): ``MigrationItem(key, size)`` without a path.

    Raises:
        ConfigError: the recorded directory or manifest cannot be found or read on this machine.
    """

    def __init__(self, identity: str) -> None:
        self._identity = identity
        self._delegate: DirectorySource | ManifestSource | None = None
        self._manifest_read = False
        kind, _, rest = identity.partition(":")
        try:
            if kind == "directory":
                root, _, pattern = rest.rpartition(":")
                self._delegate = DirectorySource(root, pattern)
            elif kind == "manifest":
                self._delegate = ManifestSource(rest)
                # keys and sizes are in the store: a manifest naming no paths has nothing more to give
                self._manifest_read = not self._delegate.names_paths
        except ConfigError as exc:
            raise ConfigError(
                f"the run's source {identity!r} is not available on this machine ({exc}); "
                f"workers need the same files at the same absolute path"
            ) from exc

    @property
    def identity(self) -> str:
        """Return the recorded identity, unchanged."""
        return self._identity

    def __iter__(self) -> Iterator[MigrationItem]:
        """Yield nothing: a joining worker works only what the store already holds."""
        return iter(())

    def resolve(self, item: WorkItem) -> MigrationItem:
        """Return what the migration function receives for a claimed item."""
        delegate = self._delegate
        if delegate is None:
            return migration_item(item.key, item.size)
        if isinstance(delegate, ManifestSource) and not self._manifest_read:
            for _ in delegate:  # fills the manifest's key -> path map
                pass
            self._manifest_read = True
        return delegate.resolve(item)

    def __repr__(self) -> str:
        return f"<RecordedSource {self._identity!r}>"


def _function_for(
    record: RunRecord, migrate_fn: Callable[[MigrationItem], Any] | None, function_id: str | None
) -> Callable[..., Any]:
    if migrate_fn is not None:
        given = function_id or function_identity(migrate_fn)
        if record.function and given != record.function:
            raise RunMismatchError(record.run_id, "function", record.function, given)
        return migrate_fn
    recorded = record.function
    module, _, qualname = recorded.rpartition(":")
    if not module or not qualname or module == "__main__" or "<" in qualname:
        raise ConfigError(
            f"run {record.run_id!r} was created with function {recorded!r}, which cannot be imported by "
            f"name; pass the function with --function (module:function or path/to/file.py:function)"
        )
    try:
        return load_function(recorded)
    except ConfigError as exc:
        raise ConfigError(
            f"run {record.run_id!r}: its function {recorded!r} cannot be loaded on this machine ({exc}); "
            f"install it here or pass it with --function"
        ) from exc


def join_run(
    store: JournalStore,
    run_id: str,
    migrate_fn: Callable[[MigrationItem], Any] | None = None,
    *,
    function_id: str | None = None,
    concurrency: int = 8,
    batch_size: int | None = None,
    lease_seconds: float = 60.0,
    worker_id: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
    **runner_options: Any,
) -> MigrationRunner:
    """Return a runner that works an existing run as one more worker, without enumerating its source.

    Args:
        store: the run's store (PostgreSQL for many machines, a SQLite file for processes on one).
        run_id: the run to join; it must exist.
        migrate_fn: the migration function; by default loaded from the identity recorded with the run.
        function_id: ``migrate_fn``'s identity when it is not its ``module:qualname`` (as given to the
            runner that created the run).
        concurrency: items in flight at once in this worker.
        batch_size: items per claimed batch (default: the batch size recorded with the run, else the
            runner's own default for ``concurrency``, ``default_batch_size``).
        lease_seconds: how long a claimed batch is held between heartbeats; a dead worker's items go back
            to the others at most this long after it died.
        worker_id: this worker's id in the store (default ``host:pid:token``).
        clock: the clock for timeouts, backoff and heartbeats.
        runner_options: passed on to ``MigrationRunner`` (``item_timeout``, ``retry``, ``breaker``, ...);
            a run recorded with a validate function is checked with it unless ``validate`` is given.

    Raises:
        RunNotFoundError: the store has no run ``run_id``.
        ConfigError: the recorded function cannot be loaded here (pass ``migrate_fn``), or the recorded
            directory or manifest is missing on this machine.
        RunMismatchError: ``migrate_fn`` (or ``function_id``) is not the function the run was created with.
    """
    record = store.get_run(run_id)
    # It reads only its own events from here on: a journal written by a newer version is refused now.
    store.check_event_kinds(run_id)
    fn = _function_for(record, migrate_fn, function_id)
    params = record.params
    if batch_size is None:
        recorded = params.get("batch_size")
        # Without a recorded size, as the runner sizes its own batches: at concurrency 32, one PostgreSQL
        # worker ran 1.5-1.6x the no-op items/s in batches of 512 as in batches of 100 (BENCHMARKS.md).
        usable = isinstance(recorded, int) and not isinstance(recorded, bool) and recorded >= 1
        batch_size = recorded if usable else default_batch_size(concurrency)
    # Unless told otherwise, a worker retries and times out items as the run was set up to.
    timeout = params.get("item_timeout")
    if "item_timeout" not in runner_options and isinstance(timeout, int | float) and timeout > 0:
        runner_options["item_timeout"] = float(timeout)
    attempts = params.get("max_attempts")
    if "retry" not in runner_options and isinstance(attempts, int) and attempts >= 1:
        runner_options["retry"] = RetryPolicy(max_attempts=attempts, base_delay=0.5, max_delay=30.0)
    check = params.get("validate")
    if "validate" not in runner_options and isinstance(check, str) and check:
        # a validated run is checked by every worker (its queue is drained before it completes)
        try:
            runner_options["validate"] = load_function(check)
        except ConfigError as exc:
            raise ConfigError(
                f"run {run_id!r}: its validate function {check!r} cannot be loaded here ({exc}); install "
                f"it here or pass validate="
            ) from exc
    recorded_trace = params.get(TRACE_CONTEXT_PARAM)
    if "trace_context" not in runner_options and isinstance(recorded_trace, dict):
        runner_options["trace_context"] = recorded_trace  # this worker's run span links to the creator's
    runner_options.setdefault("own_events_only", True)  # the run's figures come from the store's counters
    return MigrationRunner(
        store,
        run_id,
        RecordedSource(record.source),
        fn,
        name=record.name,
        priority=record.priority,
        function_id=record.function or None,
        batch_size=batch_size,
        concurrency=concurrency,
        lease_seconds=lease_seconds,
        worker_id=worker_id,
        clock=clock,
        **runner_options,
    )


def prepare_run(
    store: JournalStore,
    run_id: str,
    source: WorkSource,
    migrate_fn: Callable[[MigrationItem], Any] | str,
    *,
    name: str | None = None,
    priority: MigrationPriority | str = MigrationPriority.NORMAL,
    batch_size: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
    params: dict[str, Any] | None = None,
    tracer: Tracer | None = None,
) -> RunRecord:
    """Create a run and add every item of ``source`` to it, without working any: workers join it later.

    Idempotent like a resumed run: preparing an existing run adds only the items it does not have yet.
    The source is read once, and the run is created with its items in one transaction
    (``JournalStore.create_run_with_blocks``): a bad row, a kill or a store outage while it is read leaves
    no new run behind, and an existing run as it was.

    Args:
        store: where the run lives.
        run_id: the run to create (or top up).
        source: the items to migrate.
        migrate_fn: the function (or its identity, ``module:function``) the workers will run.
        name: the run's display name (default: the run id).
        priority: recorded with the run.
        batch_size: recorded as the batch size workers use unless they pick their own; None (the
            default) records none, and each worker sizes its batches for its own concurrency
            (``default_batch_size``), as a runner does.
        clock: stamps the run's creation and the FILE_ADDED events.
        params: more informational settings to record with the run.
        tracer: where the ``migration.prepare`` span goes (default: the global provider's tracer); its
            trace context is recorded with the run, and workers' run spans link to it.

    Raises:
        RunMismatchError: the run exists with another source or function.
        ConfigError: an argument is invalid, or the source has a bad row (no item is added, and a new
            run is not created).
    """
    if batch_size is not None:
        positive_int("batch_size", batch_size)
    try:
        priority_value = MigrationPriority(priority).value
    except ValueError:
        choices = ", ".join(p.value for p in MigrationPriority)
        raise ConfigError(f"priority must be one of {choices}, not {priority!r}") from None
    function = migrate_fn if isinstance(migrate_fn, str) else function_identity(migrate_fn)
    # The creation is a span of its own (under the caller's, if any) so workers always have one to link to.
    tracer = tracer if tracer is not None else trace.get_tracer("omnimemory_kit.migration")
    with tracer.start_as_current_span("migration.prepare", attributes={"omnimemory.run_id": run_id}):
        return _prepare(store, run_id, source, function, name, priority_value, batch_size, clock, params)


def _prepare(
    store: JournalStore,
    run_id: str,
    source: WorkSource,
    function: str,
    name: str | None,
    priority_value: str,
    batch_size: int | None,
    clock: Clock,
    params: dict[str, Any] | None,
) -> RunRecord:
    # The run and its items are one transaction: the source is read once, and a bad row (or a kill, or an
    # outage) while it is read leaves no new run behind and an existing one as it was.
    record, added = store.create_run_with_blocks(
        RunRecord(
            run_id=run_id,
            name=name or run_id,
            priority=priority_value,
            source=source.identity,
            function=function,
            created_at=clock.time(),
            params={
                **({} if batch_size is None else {"batch_size": batch_size}),
                **_trace_param(),
                **(params or {}),
            },
            operator=current_operator(),
            origin=current_origin(),
            correlation_id=get_correlation_id() or "",
        ),
        source_blocks(source),
        at=clock.time(),
    )
    logger.info("run %r: prepared with %d new item(s) for workers to join", run_id, added)
    return record


def _trace_param() -> dict[str, Any]:
    """Return the current trace context as a run param, so the workers' run spans link to it."""
    created_in = current_trace_context()
    return {TRACE_CONTEXT_PARAM: created_in} if created_in else {}
