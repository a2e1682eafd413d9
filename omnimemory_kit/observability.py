"""Correlation context, traced operations and structured logs.

Three pieces, usable apart:

- **Correlation context**: one ``ContextVar`` per key (``correlation_id``, ``user_id``, ``operation``,
  ``trace_id`` and any extra field), bound by ``correlation_context(...)`` as a ``with`` or ``async with``
  block. A nested context inherits the outer correlation id unless given a new one, and leaving a block
  restores the outer values. Because the values live in context variables, tasks started with
  ``asyncio.create_task`` inside a block see them too (asyncio copies the context).
- **Traced operations**: ``trace_operation(name, operation_type)`` opens an OpenTelemetry span through the
  OpenTelemetry API (parented on the current span; a near-free no-op unless an SDK is configured), times it
  with a monotonic clock and, on request, CPU time and a tracemalloc peak, and logs start, end and failure
  on the ``omnimemory_kit.trace`` logger with the correlation fields.
- **Structured logs** through the standard ``logging`` module: ``CorrelationFilter`` adds the correlation
  fields to every record, ``JsonLinesFormatter`` writes one JSON object per line, ``configure_logging``
  wires both up. ``redact``, the kit's one redactor (``omnimemory_kit.redaction``, re-exported here), hides
  passwords in DSNs and URLs; both formatters apply it to what they write.

Example::

    async with correlation_context(correlation_id="req-12345", user_id="user-456") as ctx:
        async with trace_operation("validation", OperationType.INTELLIGENCE_PROCESS,
                                   trace_performance=True) as trace_id:
            ...
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import inspect
import itertools
import json as _json
import logging
import os
import random as _random
import re
import sys
import time
import tracemalloc as _tracemalloc
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import IO, Any, Final, ParamSpec, TypeVar, cast, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.redaction import REDACTED as REDACTED
from omnimemory_kit.redaction import is_secret_name as is_secret_name
from omnimemory_kit.redaction import redact as redact
from omnimemory_kit.redaction import redact_mapping as redact_mapping
from omnimemory_kit.text import printable

__all__ = [
    "CORRELATION_FIELDS",
    "REDACTED",
    "CorrelationContext",
    "CorrelationFilter",
    "CorrelationScope",
    "JsonLinesFormatter",
    "OperationType",
    "TraceOperation",
    "bind",
    "configure_logging",
    "correlation_context",
    "current_context",
    "get_correlation_id",
    "is_secret_name",
    "new_correlation_id",
    "redact",
    "redact_mapping",
    "reset",
    "trace_operation",
    "traced",
    "validate_correlation_id",
    "with_correlation",
]

P = ParamSpec("P")
R = TypeVar("R")

CORRELATION_FIELDS: Final = ("correlation_id", "user_id", "operation", "trace_id")
"""The standard context keys, in the order logs show them."""

MAX_ID_LENGTH: Final = 128
MAX_TEXT_LENGTH: Final = 256
_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9._:-]+")
_FIELD_NAME_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL_CHARS: Final = re.compile(r"[\x00-\x1f\x7f]")

_UNSET: Final = object()
"""Context variable default meaning "not bound" (distinct from a bound ``None``)."""

# Attributes every LogRecord has; an extra field with one of these names would clobber the record.
_RECORD_ATTRS: Final = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "taskName"}
)

_VARS: dict[str, ContextVar[Any]] = {
    key: ContextVar(f"omnimemory_kit_{key}", default=_UNSET) for key in CORRELATION_FIELDS
}
_CORRELATION_ID = _VARS["correlation_id"]
_TRACE_ID = _VARS["trace_id"]

_TRACE_LOGGER: Final = logging.getLogger("omnimemory_kit.trace")
_ID_PREFIX = ""
_ID_COUNTER = itertools.count(1)


def _reseed_ids() -> None:
    """Start a new id prefix and counter (at import, and in every forked child so ids stay unique)."""
    global _ID_PREFIX, _ID_COUNTER
    _ID_PREFIX = f"{_random.getrandbits(64):016x}"
    _ID_COUNTER = itertools.count(1)


_reseed_ids()
os.register_at_fork(after_in_child=_reseed_ids)
_TRACER: Final = trace.get_tracer("omnimemory_kit")


# --------------------------------------------------------------------------------------------------------
# Correlation context


@dataclass(frozen=True, slots=True)
class CorrelationContext:
    """A frozen snapshot of the correlation fields bound when a ``correlation_context`` block was entered."""

    correlation_id: str
    user_id: str | None = None
    operation: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def new_correlation_id() -> str:
    """Return a fresh correlation id (32 hex digits)."""
    return uuid.uuid4().hex


def validate_correlation_id(value: object, field: str = "correlation_id") -> str:
    """Return ``value`` if it is a usable correlation id, else raise ``ConfigError`` naming ``field``.

    A correlation id is 1 to 128 characters from ``A-Z a-z 0-9 . _ : -`` so it is safe in log lines,
    headers and file names.
    """
    if not isinstance(value, str):
        raise ConfigError(f"{field} must be a string, not {type(value).__name__}")
    if not value:
        raise ConfigError(f"{field} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ConfigError(f"{field} is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed")
    if _ID_PATTERN.fullmatch(value) is None:
        raise ConfigError(
            f"{field} {value[:40]!r} has characters outside A-Z a-z 0-9 . _ : - (spaces, slashes and "
            f"control characters are not allowed)"
        )
    return value


def _validate_text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{field} must be a string, not {type(value).__name__}")
    if len(value) > MAX_TEXT_LENGTH:
        raise ConfigError(f"{field} is {len(value)} characters long; at most {MAX_TEXT_LENGTH} are allowed")
    if _CONTROL_CHARS.search(value):
        raise ConfigError(f"{field} must not contain control characters such as newlines")
    return value


def _validate_field_name(name: str) -> None:
    if _FIELD_NAME_PATTERN.fullmatch(name) is None:
        raise ConfigError(f"context field name {name!r} must be a Python identifier")
    if name in _RECORD_ATTRS:
        raise ConfigError(f"context field name {name!r} is reserved by logging.LogRecord; choose another")


def _validate(key: str, value: Any) -> Any:
    if key in ("correlation_id", "trace_id"):
        return validate_correlation_id(value, key)
    if key in ("user_id", "operation"):
        return None if value is None else _validate_text(value, key)
    _validate_field_name(key)
    return value


def _var(key: str) -> ContextVar[Any]:
    var = _VARS.get(key)
    if var is None:
        var = _VARS.setdefault(key, ContextVar(f"omnimemory_kit_{key}", default=_UNSET))
    return var


def bind(**fields: Any) -> dict[str, Token[Any]]:
    """Bind context fields for the current context and return the tokens that undo it (see ``reset``).

    Raises:
        ConfigError: a correlation id is invalid, a text field is too long or has control characters,
            or an extra field name is not an identifier or clashes with ``logging.LogRecord``.
    """
    checked = {key: _validate(key, value) for key, value in fields.items()}
    return {key: _var(key).set(value) for key, value in checked.items()}


def reset(tokens: Mapping[str, Token[Any]]) -> None:
    """Undo a ``bind``: restore every field to the value it had before."""
    for key, token in reversed(list(tokens.items())):
        _VARS[key].reset(token)


def get_correlation_id() -> str | None:
    """Return the correlation id bound in the current context, or ``None``."""
    value = _CORRELATION_ID.get()
    return None if value is _UNSET else cast(str, value)


def current_context() -> dict[str, Any]:
    """Return every bound context field (standard fields first), as a new dict."""
    out: dict[str, Any] = {}
    for key, var in list(_VARS.items()):
        value = var.get()
        if value is not _UNSET:
            out[key] = value
    return out


class CorrelationScope:
    """A ``with`` / ``async with`` block binding correlation fields; made by ``correlation_context``.

    Entering binds the fields and returns a ``CorrelationContext`` snapshot; leaving restores the outer
    values. A scope object can be entered once at a time.
    """

    __slots__ = ("_fields", "_snapshot", "_tokens")

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields
        self._tokens: dict[str, Token[Any]] | None = None
        self._snapshot: CorrelationContext | None = None

    def __enter__(self) -> CorrelationContext:
        if self._tokens is not None:
            raise RuntimeError("this correlation_context is already entered; create a new one")
        # The fields were validated by correlation_context(); None (inherit) was dropped there.
        tokens: dict[str, Token[Any]] = {}
        if "correlation_id" not in self._fields:
            tokens["correlation_id"] = _CORRELATION_ID.set(get_correlation_id() or new_correlation_id())
        for key, value in self._fields.items():
            tokens[key] = _var(key).set(value)
        self._tokens = tokens
        extra = {
            key: value
            for key, var in list(_VARS.items())
            if key not in CORRELATION_FIELDS and (value := var.get()) is not _UNSET
        }
        user_id = _VARS["user_id"].get()
        operation = _VARS["operation"].get()
        self._snapshot = CorrelationContext(
            _CORRELATION_ID.get(),
            None if user_id is _UNSET else user_id,
            None if operation is _UNSET else operation,
            MappingProxyType(extra),
        )
        return self._snapshot

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        tokens, self._tokens = self._tokens, None
        if tokens is not None:
            reset(tokens)

    async def __aenter__(self) -> CorrelationContext:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        state = "entered" if self._tokens is not None else "idle"
        cid = self._snapshot.correlation_id if self._snapshot else self._fields.get("correlation_id")
        return f"<CorrelationScope {state} correlation_id={cid!r}>"


def correlation_context(
    correlation_id: str | None = None,
    user_id: str | None = None,
    operation: str | None = None,
    **extra: Any,
) -> CorrelationScope:
    """Return a ``with`` / ``async with`` block that binds correlation fields for the code inside it.

    A field left as ``None`` inherits the outer block's value; a missing correlation id (with no outer one)
    is generated. Extra keyword fields are bound too and appear in every log record.

    Raises:
        ConfigError: the correlation id is empty, too long or has unsafe characters (checked here, before
            anything is bound), or another field is invalid.
    """
    fields: dict[str, Any] = {}
    for key, value in (("correlation_id", correlation_id), ("user_id", user_id), ("operation", operation)):
        if value is not None:
            fields[key] = _validate(key, value)
    for key in extra:
        _validate_field_name(key)
    fields.update(extra)
    return CorrelationScope(fields)


# --------------------------------------------------------------------------------------------------------
# Traced operations


class OperationType(enum.StrEnum):
    """What kind of work a traced operation is (recorded on its span and log lines)."""

    INTELLIGENCE_PROCESS = "intelligence_process"
    MIGRATION = "migration"
    MIGRATION_BATCH = "migration_batch"
    MIGRATION_ITEM = "migration_item"
    HEALTH_CHECK = "health_check"
    HEALTH_AGGREGATION = "health_aggregation"
    DATABASE = "database"
    CACHE = "cache"
    STORE = "store"
    EXTERNAL_SERVICE = "external_service"
    HTTP_REQUEST = "http_request"
    FILE_IO = "file_io"
    VALIDATION = "validation"
    REPORT = "report"
    INTERNAL = "internal"


class TraceOperation:
    """A traced operation: a span, timings and log lines; made by ``trace_operation``.

    Use it as ``with`` or ``async with``; both yield the trace id. After the block, ``duration_s``,
    ``cpu_s`` (with ``trace_performance``) and ``peak_bytes`` (with ``tracemalloc``) hold the measurements
    and ``error`` the exception that ended it, if any.

    CPU time is the calling thread's CPU time across the block, so under asyncio it also counts other
    tasks that ran on the loop meanwhile; it is exact for code that does not yield.
    """

    __slots__ = (
        "_attributes",
        "_clock",
        "_otel_token",
        "_span",
        "_started",
        "_started_cpu",
        "_trace_token",
        "_tracemalloc_started",
        "_tracer",
        "cpu_s",
        "duration_s",
        "error",
        "name",
        "operation_type",
        "peak_bytes",
        "trace_id",
        "trace_performance",
        "use_tracemalloc",
    )

    def __init__(
        self,
        name: str,
        operation_type: OperationType,
        *,
        trace_performance: bool = False,
        tracemalloc: bool = False,
        attributes: Mapping[str, str | bool | int | float] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        tracer: Tracer | None = None,
    ) -> None:
        self.name = name
        self.operation_type = operation_type
        self.trace_performance = trace_performance
        self.use_tracemalloc = tracemalloc
        self._attributes = attributes
        self._clock = clock
        self._tracer = _TRACER if tracer is None else tracer
        self._span: Span | None = None
        self._otel_token: Token[Any] | None = None
        self._trace_token: Token[Any] | None = None
        self._started = 0.0
        self._started_cpu = 0.0
        self._tracemalloc_started = False
        self.trace_id: str | None = None
        self.duration_s: float | None = None
        self.cpu_s: float | None = None
        self.peak_bytes: int | None = None
        self.error: BaseException | None = None

    def __enter__(self) -> str:
        if self._span is not None:
            raise RuntimeError("this trace_operation is already entered; create a new one")
        span = self._tracer.start_span(self.name)
        self._span = span
        span_context = span.get_span_context()
        if span_context.is_valid:
            # Make it the current span so nested operations are parented on it. Skipped for the no-op
            # span (no SDK): its context is invalid and attaching would only cost time.
            self._otel_token = otel_context.attach(trace.set_span_in_context(span))
            self.trace_id = trace.format_trace_id(span_context.trace_id)
        else:
            # Only unique, not secret: a random per-process prefix and a counter (cheaper than 128
            # random bits per operation, and still unique across processes and hosts).
            self.trace_id = f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"
        if span.is_recording():
            span.set_attribute("omnimemory.operation_type", str(self.operation_type))
            for key, value in current_context().items():
                if key != "trace_id" and isinstance(value, str | bool | int | float):
                    span.set_attribute(f"omnimemory.{key}", value)
            if self._attributes:
                span.set_attributes(self._attributes)
        self._trace_token = _TRACE_ID.set(self.trace_id)
        if _TRACE_LOGGER.isEnabledFor(logging.DEBUG):
            _TRACE_LOGGER.debug("operation %s started", self.name, extra=self._log_fields())
        if self.use_tracemalloc:
            if not _tracemalloc.is_tracing():
                _tracemalloc.start()
                self._tracemalloc_started = True
            _tracemalloc.reset_peak()
        if self.trace_performance:
            self._started_cpu = time.thread_time()
        self._started = self._clock.monotonic()
        return self.trace_id

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.duration_s = self._clock.monotonic() - self._started
        if self.trace_performance:
            self.cpu_s = time.thread_time() - self._started_cpu
        if self.use_tracemalloc:
            self.peak_bytes = _tracemalloc.get_traced_memory()[1]
            if self._tracemalloc_started:
                _tracemalloc.stop()
                self._tracemalloc_started = False
        span = self._span
        assert span is not None
        self.error = exc
        try:
            if span.is_recording():
                span.set_attribute("omnimemory.duration_ms", self.duration_s * 1000.0)
                if self.cpu_s is not None:
                    span.set_attribute("omnimemory.cpu_ms", self.cpu_s * 1000.0)
                if self.peak_bytes is not None:
                    span.set_attribute("omnimemory.tracemalloc_peak_bytes", self.peak_bytes)
                if exc is not None:
                    span.record_exception(exc)
                    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            self._log_end(exc)
        finally:
            span.end()
            if self._trace_token is not None:
                _TRACE_ID.reset(self._trace_token)
                self._trace_token = None
            if self._otel_token is not None:
                otel_context.detach(self._otel_token)
                self._otel_token = None
            self._span = None

    async def __aenter__(self) -> str:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def _log_fields(self) -> dict[str, Any]:
        fields = current_context()
        fields["trace_name"] = self.name
        fields["operation_type"] = str(self.operation_type)
        if self.duration_s is not None:
            fields["duration_ms"] = round(self.duration_s * 1000.0, 3)
        if self.cpu_s is not None:
            fields["cpu_ms"] = round(self.cpu_s * 1000.0, 3)
        if self.peak_bytes is not None:
            fields["tracemalloc_peak_bytes"] = self.peak_bytes
        return fields

    def _log_end(self, exc: BaseException | None) -> None:
        if exc is None:
            if _TRACE_LOGGER.isEnabledFor(logging.INFO):
                _TRACE_LOGGER.info(
                    "operation %s finished in %.3f ms",
                    self.name,
                    (self.duration_s or 0.0) * 1000.0,
                    extra=self._log_fields(),
                )
        elif isinstance(exc, Exception):
            if _TRACE_LOGGER.isEnabledFor(logging.ERROR):
                fields = self._log_fields()
                fields["error_type"] = type(exc).__name__
                _TRACE_LOGGER.error(
                    "operation %s failed: %s: %s",
                    self.name,
                    type(exc).__name__,
                    redact(str(exc)),
                    extra=fields,
                    exc_info=(type(exc), exc, exc.__traceback__),
                )
        elif _TRACE_LOGGER.isEnabledFor(logging.INFO):
            fields = self._log_fields()
            fields["error_type"] = type(exc).__name__
            _TRACE_LOGGER.info("operation %s interrupted (%s)", self.name, type(exc).__name__, extra=fields)

    def __repr__(self) -> str:
        state = "running" if self._span is not None else "done" if self.duration_s is not None else "idle"
        return (
            f"<TraceOperation {self.name!r} {self.operation_type.value} {state} trace_id={self.trace_id!r}"
            + (f" duration={self.duration_s * 1000.0:.3f}ms" if self.duration_s is not None else "")
            + ">"
        )


def trace_operation(
    name: str,
    operation_type: OperationType = OperationType.INTERNAL,
    *,
    trace_performance: bool = False,
    tracemalloc: bool = False,
    attributes: Mapping[str, str | bool | int | float] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    tracer: Tracer | None = None,
) -> TraceOperation:
    """Return a ``with`` / ``async with`` block that traces an operation and yields its trace id.

    Args:
        name: the span name and the name in log lines.
        operation_type: what kind of work this is.
        trace_performance: also measure the thread's CPU time (``cpu_s``).
        tracemalloc: also measure the peak of traced Python allocations (``peak_bytes``); starts
            ``tracemalloc`` for the block if it is not running (slow: for investigations, not production).
            The peak counter is process-wide: concurrent or nested measured blocks reset each other's.
        attributes: extra span attributes.
        clock: where the duration comes from (monotonic).
        tracer: the OpenTelemetry tracer; by default ``trace.get_tracer("omnimemory_kit")``, which follows
            the globally configured provider and is a no-op without one.

    The trace id is the span's trace id (32 hex digits) when an SDK records spans, otherwise a generated
    id of the same shape. Failures set the span status to ERROR, record the exception, and are logged at
    ERROR on ``omnimemory_kit.trace``; the exception propagates.
    """
    return TraceOperation(
        name,
        operation_type,
        trace_performance=trace_performance,
        tracemalloc=tracemalloc,
        attributes=attributes,
        clock=clock,
        tracer=tracer,
    )


# --------------------------------------------------------------------------------------------------------
# Decorators


@overload
def traced(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def traced(
    name: str | None = None,
    operation_type: OperationType = OperationType.INTERNAL,
    *,
    trace_performance: bool = False,
    tracer: Tracer | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def traced(
    name: Callable[P, R] | str | None = None,
    operation_type: OperationType = OperationType.INTERNAL,
    *,
    trace_performance: bool = False,
    tracer: Tracer | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Trace every call of a sync or async function with ``trace_operation``; keep its signature.

    Use as ``@traced`` (the span is named after the function's qualified name) or
    ``@traced("name", OperationType.DATABASE, trace_performance=True)``.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        span_name = name if isinstance(name, str) else func.__qualname__
        if inspect.iscoroutinefunction(func):
            async_func = cast(Callable[P, Awaitable[Any]], func)

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                async with trace_operation(
                    span_name, operation_type, trace_performance=trace_performance, tracer=tracer
                ):
                    return await async_func(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with trace_operation(
                span_name, operation_type, trace_performance=trace_performance, tracer=tracer
            ):
                return func(*args, **kwargs)

        return wrapper

    if callable(name):
        func, name = name, None
        return decorate(func)
    return decorate


def with_correlation(
    correlation_id: str | None = None,
    user_id: str | None = None,
    operation: str | None = None,
    **extra: Any,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run every call of a sync or async function inside ``correlation_context(...)``; keep its signature.

    Without a correlation id each call inherits the caller's, or gets a fresh one. ``operation`` defaults
    to the function's qualified name.

    Raises:
        ConfigError: at decoration time, for an invalid correlation id or field.
    """
    correlation_context(correlation_id, user_id, operation, **extra)  # validate once, up front

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        op = operation if operation is not None else func.__qualname__
        if inspect.iscoroutinefunction(func):
            async_func = cast(Callable[P, Awaitable[Any]], func)

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                async with correlation_context(correlation_id, user_id, op, **extra):
                    return await async_func(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with correlation_context(correlation_id, user_id, op, **extra):
                return func(*args, **kwargs)

        return wrapper

    return decorate


# --------------------------------------------------------------------------------------------------------
# Structured logging


class CorrelationFilter(logging.Filter):
    """Add the bound correlation fields to every record (``None`` for unbound standard fields).

    Attach it to a handler (``configure_logging`` does) so records from any logger carry the fields.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Set the context fields as record attributes and let the record through."""
        for key in CORRELATION_FIELDS:
            if not hasattr(record, key):
                setattr(record, key, None)
        for key, value in current_context().items():
            setattr(record, key, value)
        return True


def _rfc3339(created: float) -> str:
    return (
        dt.datetime.fromtimestamp(created, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class JsonLinesFormatter(logging.Formatter):
    """Format each record as one JSON object on one line.

    Keys: ``time`` (RFC 3339, UTC), ``level``, ``logger``, ``message``, the correlation fields that are set,
    every extra attribute of the record, and ``exc_info`` (the formatted traceback) when there is one.
    Values JSON cannot encode are written as their ``str()``.

    Secrets are hidden on the way out (``redact``): in the message, the traceback (whose last line repeats
    the exception's message, which drivers fill with DSNs) and string extras; a secret-named extra
    (``password``, ``token``...) is blanked.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line (without the newline)."""
        payload: dict[str, Any] = {
            "time": _rfc3339(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in CORRELATION_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                payload[key] = value
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in payload and key not in CORRELATION_FIELDS:
                if is_secret_name(key):
                    value = REDACTED
                elif isinstance(value, str):
                    value = redact(value)
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            payload["exc_info"] = redact(record.exc_text)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        line = _json.dumps(payload, default=str, ensure_ascii=False)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not valid UTF-8: \udcXX escapes keep it exact
            line = _json.dumps(payload, default=str)
        return line


class _TextFormatter(logging.Formatter):
    """Human-readable lines ending with the correlation fields as ``key=value``, secrets redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-8s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        # One line per record, writable as UTF-8: a key with a newline or undecodable bytes is escaped.
        record.message = printable(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))
        pairs = [f"{key}={getattr(record, key)}" for key in CORRELATION_FIELDS if getattr(record, key, None)]
        if not pairs:
            return line
        head, sep, tail = line.partition("\n")
        return f"{head} [{' '.join(pairs)}]{sep}{tail}"


_HANDLER_MARK: Final = "_omnimemory_kit_handler"


def configure_logging(
    level: int | str = logging.INFO,
    *,
    json: bool = True,
    stream: IO[str] | None = None,
    logger: str | None = None,
) -> logging.Handler:
    """Send log records to ``stream`` (default stderr) with correlation fields, as JSON lines or text.

    Installs one handler with a ``CorrelationFilter`` on ``logger`` (default: the root logger) and sets the
    level. Calling it again replaces the handler it installed before instead of adding a second one.

    Returns:
        the installed handler.
    """
    target = logging.getLogger(logger)
    for old in list(target.handlers):
        if getattr(old, _HANDLER_MARK, False):
            target.removeHandler(old)
            old.close()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonLinesFormatter() if json else _TextFormatter())
    target.addHandler(handler)
    target.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
