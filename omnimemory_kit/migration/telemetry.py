"""Spans for a migration run, through the OpenTelemetry API: a no-op unless the user configured an SDK.

The runner feeds ``RunTelemetry`` at its seams and this module turns that into a span tree:

    migration.run      one per run execution in a process (``run()`` / ``step()``), current while it runs,
                       so the run's log lines carry its trace and span ids; linked (and, when nothing else
                       is current, parented) to the trace context recorded when the run was created
      migration.batch  claim to close: batch id, lease id, item count, outcome counts at the close
        migration.item only when asked (``trace_items``: True, or a sampling ratio), one per item

Retries, timeouts, breaker state changes and control decisions (pause, resume, cancel) are span events.
The run id, the worker id and the correlation id are attributes of every span.

Item sampling is decided by a hash of the item key, so a ratio keeps the same items on every worker and
every resume, and costs no random draw. Without an SDK every span is the API's non-recording span: the
runner checks ``recording`` once and skips the per-item path entirely.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanContext, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import Event, EventKind
from omnimemory_kit.migration.sources import MigrationItem
from omnimemory_kit.observability import get_correlation_id
from omnimemory_kit.store.base import Lease

__all__ = [
    "TRACE_CONTEXT_PARAM",
    "BatchTrace",
    "RunTelemetry",
    "current_trace_context",
    "item_ratio",
    "sdk_configured",
]

TRACE_CONTEXT_PARAM: Final = "trace_context"
"""The key in a run's ``params`` holding the W3C trace context (``traceparent``) it was created in."""

_PROPAGATOR: Final = TraceContextTextMapPropagator()
_HASH_SPACE: Final = 2**32
_OUTCOMES: Final = {
    EventKind.FILE_SUCCEEDED: "succeeded",
    EventKind.FILE_FAILED: "failed",
    EventKind.FILE_SKIPPED: "skipped",
}

logger = logging.getLogger("omnimemory_kit.migration")


def item_ratio(trace_items: bool | float, field: str = "trace_items") -> float:
    """Return the share of items to trace (0.0 to 1.0) for ``trace_items`` (a flag or a ratio).

    Raises:
        ConfigError: the ratio is not a number from 0 to 1 (the message names ``field``).
    """
    if isinstance(trace_items, bool):
        return 1.0 if trace_items else 0.0
    if not isinstance(trace_items, int | float) or not 0.0 <= trace_items <= 1.0:
        raise ConfigError(
            f"{field} must be a sampling ratio from 0 to 1 (or True/False), not {trace_items!r}"
        )
    return float(trace_items)


def sdk_configured() -> bool:
    """Return whether an OpenTelemetry SDK tracer provider is installed globally (spans are recorded)."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def current_trace_context() -> dict[str, str]:
    """Return the current span's W3C trace context (``traceparent``, ``tracestate``), or {} without one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def _recorded_span_context(carrier: object) -> SpanContext | None:
    if not isinstance(carrier, Mapping) or not all(isinstance(v, str) for v in carrier.values()):
        return None
    span_context = trace.get_current_span(_PROPAGATOR.extract(dict(carrier))).get_span_context()
    return span_context if span_context.is_valid else None


class BatchTrace:
    """One batch's span and its outcome counts, from claim to close."""

    __slots__ = ("context", "counts", "span")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.context = trace.set_span_in_context(span)
        self.counts = dict.fromkeys(_OUTCOMES.values(), 0)

    def task_context(self) -> contextvars.Context:
        """Return a copy of the current context with this batch's span current, for its item tasks.

        Their log lines then carry the batch's span id (tasks run in the context they are given).
        """
        token = otel_context.attach(self.context)
        try:
            return contextvars.copy_context()
        finally:
            otel_context.detach(token)


class RunTelemetry:
    """Spans for one runner: the run execution, its batches and (when asked) its items.

    Args:
        run_id: stamped on every span.
        worker_id: stamped on every span.
        tracer: where spans go (default: the global provider's tracer, a no-op without an SDK).
        trace_items: True for a span per item, a ratio (0 to 1) for a share of them, False for none.
    """

    def __init__(
        self, run_id: str, worker_id: str, *, tracer: Tracer | None = None, trace_items: bool | float = False
    ) -> None:
        self.run_id = run_id
        self.worker_id = worker_id
        self.item_ratio = item_ratio(trace_items)
        self._tracer = tracer if tracer is not None else trace.get_tracer("omnimemory_kit.migration")
        self._threshold = int(self.item_ratio * _HASH_SPACE)
        self._run_span: Span = trace.INVALID_SPAN
        self._attributes: dict[str, str] = {}
        self.recording = False
        if self.item_ratio and tracer is None and not sdk_configured():
            logger.warning(
                "run %r: item spans were asked for but no OpenTelemetry SDK is configured; none are recorded",
                run_id,
            )

    @contextlib.contextmanager
    def run_span(self, created_in: object = None) -> Iterator[None]:
        """Make the run execution's span current for the block; end it (with an error status) after.

        Args:
            created_in: the trace context recorded with the run (``params["trace_context"]``); the span
                links to it, and is its child when no other span is current.
        """
        correlation_id = get_correlation_id()
        self._attributes = {"omnimemory.run_id": self.run_id, "omnimemory.worker_id": self.worker_id}
        if correlation_id is not None:
            self._attributes["omnimemory.correlation_id"] = correlation_id
        origin = _recorded_span_context(created_in)
        links = [Link(origin, {"omnimemory.link": "run_created"})] if origin is not None else []
        parent = None
        if origin is not None and not trace.get_current_span().get_span_context().is_valid:
            parent = trace.set_span_in_context(trace.NonRecordingSpan(origin))
        span = self._tracer.start_span(
            "migration.run", context=parent, attributes=self._attributes, links=links
        )
        self.recording = span.is_recording()
        self._run_span = span
        token = otel_context.attach(trace.set_span_in_context(span)) if self.recording else None
        try:
            yield
        except BaseException as exc:
            if self.recording:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            if token is not None:
                otel_context.detach(token)
            span.end()
            self.recording = False
            self._run_span = trace.INVALID_SPAN

    def run_event(self, name: str, **attributes: str) -> None:
        """Add an event (a control decision, a breaker change) to the run span."""
        if self.recording:
            self._run_span.add_event(name, attributes)

    def batch_opened(self, lease: Lease) -> BatchTrace | None:
        """Start a claimed batch's span (None when nothing is recorded)."""
        if not self.recording:
            return None
        attributes: dict[str, Any] = {
            **self._attributes,
            "omnimemory.batch_id": lease.batch_id,
            "omnimemory.lease_id": lease.lease_id,
            "omnimemory.batch.items": len(lease.items),
        }
        span = self._tracer.start_span(
            "migration.batch", context=trace.set_span_in_context(self._run_span), attributes=attributes
        )
        return BatchTrace(span)

    def batch_closed(self, batch: BatchTrace | None, *, lost: bool) -> None:
        """End a batch's span with its outcome counts (an error status when its lease was lost)."""
        if batch is None:
            return
        span = batch.span
        span.set_attributes({f"omnimemory.batch.{name}": count for name, count in batch.counts.items()})
        if lost:
            span.add_event("lease.lost")
            span.set_status(Status(StatusCode.ERROR, "lease lost: unreported items run again elsewhere"))
        span.end()

    def traces_item(self, key: str) -> bool:
        """Return whether ``key`` gets an item span (the same answer on every worker and every resume)."""
        return self._threshold > 0 and zlib.crc32(key.encode()) < self._threshold

    @contextlib.contextmanager
    def item_span(self, batch: BatchTrace, key: str) -> Iterator[Span]:
        """Make an item's span current for the block (its outcome is set by ``outcome``)."""
        span = self._tracer.start_span(
            "migration.item",
            context=batch.context,
            attributes={**self._attributes, "omnimemory.item.key": key},
        )
        with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
            yield span

    def retried(self, batch: BatchTrace | None, event: Event) -> None:
        """Record a failed attempt that will be retried (a ``timeout`` event too when it timed out)."""
        if batch is None:
            return
        attributes = {
            "omnimemory.item.key": event.path or "",
            "error.type": event.error_type or "",
            "omnimemory.error_message": event.error_message or "",
        }
        current = trace.get_current_span()
        spans = [batch.span] if current is batch.span or not current.is_recording() else [batch.span, current]
        for span in spans:
            if event.error_type == "TimeoutError":
                span.add_event("timeout", attributes)
            span.add_event("retry", attributes)

    def outcome(self, batch: BatchTrace | None, event: Event, span: Span | None = None) -> None:
        """Count an item's outcome on its batch (and set it on the item's span, when it has one)."""
        if batch is None:
            return
        name = _OUTCOMES.get(event.kind)
        if name is not None:
            batch.counts[name] += 1
        if span is None and event.kind is EventKind.FILE_SUCCEEDED:
            return  # the common case, kept short
        if span is not None and name is not None:
            span.set_attribute("omnimemory.item.outcome", name)
            if event.kind is EventKind.FILE_FAILED:
                if event.error_type == "TimeoutError":
                    span.add_event("timeout", {"omnimemory.error_message": event.error_message or ""})
                span.set_status(Status(StatusCode.ERROR, f"{event.error_type}: {event.error_message}"))
        if event.kind is EventKind.FILE_FAILED and event.error_type == "TimeoutError":
            batch.span.add_event("timeout", {"omnimemory.item.key": event.path or ""})

    def retry_recorder(
        self, batch: BatchTrace, retried: Callable[[Event], object]
    ) -> Callable[[Event], None]:
        """Return a ``retried`` callback that also records the retry on the batch (built once per batch)."""

        def on_retry(event: Event) -> None:
            self.retried(batch, event)
            retried(event)

        return on_retry

    async def traced_outcome(
        self,
        batch: BatchTrace,
        item: MigrationItem,
        outcome: Callable[[MigrationItem, Callable[[Event], object]], Awaitable[Event]],
        on_retry: Callable[[Event], object],
    ) -> Event:
        """Run ``outcome(item, on_retry)`` in an item span and count its outcome on the batch.

        For the items ``traces_item`` picks; ``on_retry`` comes from ``retry_recorder``. The others need
        only ``outcome(batch, event)`` after their attempts.
        """
        with self.item_span(batch, item.key) as span:
            event = await outcome(item, on_retry)
            self.outcome(batch, event, span)
            return event

    def __repr__(self) -> str:
        state = "recording" if self.recording else "idle"
        return f"<RunTelemetry {self.run_id!r} {state} item_ratio={self.item_ratio:g}>"
