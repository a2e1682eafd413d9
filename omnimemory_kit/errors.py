"""Every exception the kit raises, under one root.

The hierarchy::

    KitError                          root of everything the kit raises on purpose
    ├── ConfigError (ValueError)      bad input from a user: argument, parameter, config file, URL
    │   ├── NotebookParameterError    a notebook parameter failed validation
    │   └── HealthConfigError         a health config file or check registration is wrong
    ├── StoreError                    the durable store could not do what was asked
    │   ├── StoreUnavailableError     cannot reach / open / write the store now (transient: the runner
    │   │                             rides it out): server down, pool timeout, locked, disk full
    │   ├── StoreCorruptError         the file or database is not a kit store, or is damaged (permanent)
    │   │   └── UnknownEventKindError a journal event of a kind this version does not know
    │   ├── SchemaVersionError        the store was written by a newer schema version
    │   └── RunNotFoundError          no run with that id in the store
    ├── MigrationError                misuse of a migration or its tracker
    │   ├── UnknownFileError          a file the tracker has never seen
    │   ├── UnknownBatchError         a batch the tracker has never seen
    │   ├── InvalidTransitionError    a file or run state change that is not allowed
    │   ├── RunMismatchError          a run id reused with a different source or function
    │   ├── RunIncompleteError        a run driven to its end left items unfinished or failed
    │   ├── ThrottleAbortError        health rules aborted the run (second failed look, throttled too long)
    │   ├── ValidationBusyError       another validation pass of the run holds its lease
    │   └── LeaseLostError            a worker reported on work whose lease it no longer holds
    ├── CircuitBreakerError           the breaker is open (or half-open and full); carries name, retry_after
    ├── RetryError                    retries exhausted; carries the last attempt's exception
    ├── AcquireTimeoutError (TimeoutError)
    │                                 a lock, semaphore or pool was not acquired in time
    ├── PoolError                     connection pool misuse or state
    │   ├── PoolClosedError           the pool is closed
    │   └── PoolExhaustedError        too many tasks already waiting (max_waiting)
    ├── RegistryError (KeyError)      unknown name, or a name reused with a different configuration
    ├── HealthCheckError              a health check failed in a way worth raising (rare: checks report)
    └── ReportError                   executing or rendering a report failed

Exceptions carry the facts as attributes and build their own message, so callers never format them.
Foreign errors are translated at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

import datetime as _dt

__all__ = [
    "AcquireTimeoutError",
    "CircuitBreakerError",
    "ConfigError",
    "HealthCheckError",
    "HealthConfigError",
    "InvalidTransitionError",
    "KitError",
    "LeaseLostError",
    "MigrationError",
    "NotebookParameterError",
    "PoolClosedError",
    "PoolError",
    "PoolExhaustedError",
    "RegistryError",
    "ReportError",
    "RetryError",
    "RunIncompleteError",
    "RunMismatchError",
    "RunNotFoundError",
    "SchemaVersionError",
    "StoreCorruptError",
    "StoreError",
    "StoreUnavailableError",
    "ThrottleAbortError",
    "UnknownBatchError",
    "UnknownEventKindError",
    "UnknownFileError",
    "ValidationBusyError",
]


class KitError(Exception):
    """Root of every exception the kit raises on purpose."""


class ConfigError(KitError, ValueError):
    """Bad input from a user: an argument, a parameter, a config file or a URL."""


class NotebookParameterError(ConfigError):
    """A notebook parameter failed validation.

    Attributes:
        notebook: the notebook whose parameter is wrong.
        parameter: the parameter's name.
        problem: what is wrong with it.
    """

    def __init__(self, notebook: str, parameter: str, problem: str) -> None:
        self.notebook = notebook
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"notebook {notebook!r}: parameter {parameter!r}: {problem}")


class HealthConfigError(ConfigError):
    """A health config file or a check registration is wrong."""


class StoreError(KitError):
    """The durable store could not do what was asked."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached, opened or written right now; it may come back.

    Transient by nature: a server that is down or restarting, a connection pool with no connection to
    give, a SQLite file locked by another writer, a full disk. Backends translate such driver errors into
    this class at their boundary; a running migration rides it out (``MigrationRunner(outage_timeout=)``)
    instead of failing. Damage (a store that is not one, or is broken) is ``StoreCorruptError`` instead.
    """


class StoreCorruptError(StoreError):
    """The file or database is not a kit store, or it is damaged."""


class UnknownEventKindError(StoreCorruptError):
    """A run's journal holds an event of a kind this version does not know (newer writer, or tampering)."""

    def __init__(self, kind: object, run_id: str, seq: int, where: str = "store") -> None:
        self.kind = kind
        self.run_id = run_id
        self.seq = seq
        self.where = where
        super().__init__(
            f"{where}: run {run_id!r} has an event of unknown kind {kind!r} at seq {seq} (written by a "
            f"newer omnimemory-kit, or the journal is damaged); nothing was changed, upgrade omnimemory-kit "
            f"or restore the journal"
        )


class SchemaVersionError(StoreError):
    """The store was written by a newer schema version than this kit understands."""

    def __init__(self, found: int, supported: int, where: str = "store") -> None:
        self.found = found
        self.supported = supported
        self.where = where
        super().__init__(
            f"{where} has schema version {found}, newer than the {supported} this version of "
            f"omnimemory-kit understands; upgrade omnimemory-kit to open it"
        )


class RunNotFoundError(StoreError):
    """No run with that id exists in the store."""

    def __init__(self, run_id: str, where: str = "store") -> None:
        self.run_id = run_id
        self.where = where
        super().__init__(f"no run {run_id!r} in {where}")


class MigrationError(KitError):
    """Misuse of a migration or of its tracker."""


class RunIncompleteError(MigrationError):
    """A run driven to its end (a headless notebook, a scheduled report) left work undone or failed.

    Attributes:
        run_id: the run.
        processed: items this execution finished.
        unfinished: items still pending or in progress.
        failed: items that ended failed (in this execution or before).
    """

    def __init__(self, run_id: str, *, processed: int, unfinished: int, failed: int) -> None:
        self.run_id = run_id
        self.processed = processed
        self.unfinished = unfinished
        self.failed = failed
        problems = [f"{n:,} {what}" for n, what in ((unfinished, "unfinished"), (failed, "failed")) if n]
        super().__init__(
            f"run {run_id!r} is not done: {' and '.join(problems) or 'nothing wrong'} item(s) "
            f"({processed:,} processed by this execution)"
        )


class UnknownFileError(MigrationError, KeyError):
    """A file the tracker has never seen."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(path)

    def __str__(self) -> str:
        return f"unknown file {self.path!r}: add it with add_file() first"


class UnknownBatchError(MigrationError, KeyError):
    """A batch the tracker has never seen."""

    def __init__(self, batch_id: str) -> None:
        self.batch_id = batch_id
        super().__init__(batch_id)

    def __str__(self) -> str:
        return f"unknown batch {self.batch_id!r}: open it with open_batch() or start a file in it first"


class InvalidTransitionError(MigrationError):
    """A file or run state change that is not allowed from the current state."""

    def __init__(self, subject: str, current: str, action: str) -> None:
        self.subject = subject
        self.current = current
        self.action = action
        super().__init__(f"cannot {action} {subject}: it is {current}")


class RunMismatchError(MigrationError):
    """A run id reused with a different source or migration function."""

    def __init__(self, run_id: str, field: str, recorded: str, given: str) -> None:
        self.run_id = run_id
        self.field = field
        self.recorded = recorded
        self.given = given
        super().__init__(
            f"run {run_id!r} was created with {field} {recorded!r}, not {given!r}; "
            f"use a new run id or the original {field}"
        )


class ThrottleAbortError(MigrationError):
    """Health rules aborted a run: an abort rule fired twice in a row, or it was throttled too long.

    Attributes:
        run_id: the run.
        reason: what the rules saw, e.g. ``"throttled too long: redis unhealthy: ..."``.
    """

    def __init__(self, run_id: str, reason: str) -> None:
        self.run_id = run_id
        self.reason = reason
        super().__init__(f"run {run_id!r} aborted on health: {reason}")


class LeaseLostError(MigrationError):
    """A worker reported on work whose lease it no longer holds (expired and reclaimed)."""

    def __init__(self, worker_id: str, lease_id: str | int) -> None:
        self.worker_id = worker_id
        self.lease_id = lease_id
        super().__init__(f"worker {worker_id!r} no longer holds lease {lease_id!r}; its report was rejected")


class ValidationBusyError(MigrationError):
    """Another validation pass of the run holds the run's pass lease (one pass of a run at a time), or the
    run's pipelined checks hold chunks of its validation queue (``by`` says which).

    Attributes:
        run_id: the run.
        holder: the worker id (``host:pid:token``) of the pass holding the lease.
        expires_at: when its lease runs out unless renewed (store clock, epoch seconds); a pass that died
            stops renewing it, so the run is free again by then (at once on the holder's host).
    """

    def __init__(self, run_id: str, holder: str, expires_at: float, *, by: str = "another pass") -> None:
        self.run_id = run_id
        self.holder = holder
        self.expires_at = expires_at
        until = _dt.datetime.fromtimestamp(expires_at, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"run {run_id!r} is being validated by {by} ({holder}, lease until {until}); wait for "
            f"it to end, or for its lease to run out if it died"
        )


class CircuitBreakerError(KitError):
    """The breaker refused a call: it is open, or half-open with all trial slots taken.

    Attributes:
        name: the breaker's name.
        retry_after: seconds until the breaker will admit a trial call (0 when half-open and full).
        state: the breaker state when the call was refused.
    """

    def __init__(self, name: str, retry_after: float, state: str = "open") -> None:
        self.name = name
        self.retry_after = max(0.0, retry_after)
        self.state = state
        super().__init__(
            f"circuit breaker {name!r} is {state}; calls refused, retry in {self.retry_after:.2f}s"
        )


class RetryError(KitError):
    """Every attempt failed; ``last_exception`` is the final attempt's error.

    Attributes:
        attempts: how many attempts were made.
        last_exception: the exception raised by the last attempt.
    """

    def __init__(self, attempts: int, last_exception: BaseException) -> None:
        self.attempts = attempts
        self.last_exception = last_exception
        super().__init__(
            f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}: "
            f"{type(last_exception).__name__}: {last_exception}"
        )


class AcquireTimeoutError(KitError, TimeoutError):
    """A lock, semaphore or pool could not be acquired within its timeout."""

    def __init__(self, what: str, timeout: float) -> None:
        self.what = what
        self.timeout = timeout
        super().__init__(f"could not acquire {what} within {timeout:g}s")


class PoolError(KitError):
    """Connection pool misuse or state."""


class PoolClosedError(PoolError):
    """The pool is closed."""


class PoolExhaustedError(PoolError):
    """Too many tasks are already waiting for a connection (``max_waiting``)."""


class RegistryError(KitError, KeyError):
    """Unknown name in a registry, or a name reused with a different configuration."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class HealthCheckError(KitError):
    """A health check failed in a way worth raising (checks usually report instead)."""


class ReportError(KitError):
    """Executing or rendering a report failed."""
