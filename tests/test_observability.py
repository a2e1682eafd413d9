"""Correlation context, traced operations, structured logs and decorators (redaction: test_redaction.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, Tracer

from omnimemory_kit.clock import FakeClock
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.observability import (
    CorrelationFilter,
    JsonLinesFormatter,
    OperationType,
    bind,
    configure_logging,
    correlation_context,
    current_context,
    get_correlation_id,
    reset,
    trace_operation,
    traced,
    with_correlation,
)

HEX32 = re.compile(r"[0-9a-f]{32}")


# The global OpenTelemetry provider can be set only once per process, so these tests never set it: each
# test gets its own SDK provider and passes its tracer explicitly (``tracer=``). Parenting goes through the
# OpenTelemetry context, which is global API, so it is exercised exactly as in production.
@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """An in-memory span exporter, fresh per test."""
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> Iterator[Tracer]:
    """An SDK tracer exporting to ``exporter``, not installed globally."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test")
    provider.shutdown()


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """JSON log lines of the ``omnimemory_kit`` logger at DEBUG, captured in a string buffer."""
    stream = io.StringIO()
    logger = logging.getLogger("omnimemory_kit")
    old_level = logger.level
    handler = configure_logging(logging.DEBUG, json=True, stream=stream, logger="omnimemory_kit")
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    """Parse every JSON line written so far."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    """Index the finished spans by name."""
    return {span.name: span for span in exporter.get_finished_spans()}


class TestCorrelationContext:
    async def test_async_block_binds_and_restores(self) -> None:
        """Fields are bound inside an ``async with`` block and gone after it."""
        async with correlation_context(
            correlation_id="req-12345", user_id="user-456", operation="data_processing"
        ) as ctx:
            assert ctx.correlation_id == "req-12345"
            assert current_context() == {
                "correlation_id": "req-12345",
                "user_id": "user-456",
                "operation": "data_processing",
            }
        assert get_correlation_id() is None
        assert current_context() == {}

    def test_sync_block_works(self) -> None:
        """The same block works as a plain ``with`` in sync code."""
        with correlation_context("sync-1", operation="script") as ctx:
            assert get_correlation_id() == "sync-1"
            assert ctx.operation == "script"
        assert get_correlation_id() is None

    def test_nested_block_inherits_the_outer_id(self) -> None:
        """A nested block without an id keeps the outer correlation id and user, and overrides operation."""
        with correlation_context("outer", user_id="u1", operation="a"):
            with correlation_context(operation="b") as inner:
                assert inner.correlation_id == "outer"
                assert inner.user_id == "u1"
                assert inner.operation == "b"
            assert current_context()["operation"] == "a"

    def test_nested_block_with_a_new_id_restores_the_outer_on_exit(self) -> None:
        """A nested block given a new id uses it, and leaving it brings the outer id back."""
        with correlation_context("outer"):
            with correlation_context("inner"):
                assert get_correlation_id() == "inner"
            assert get_correlation_id() == "outer"

    def test_restores_after_an_exception(self) -> None:
        """An exception leaving the block still restores the outer values."""
        with correlation_context("outer"):
            with pytest.raises(KeyError), correlation_context("inner"):
                raise KeyError("boom")
            assert get_correlation_id() == "outer"

    def test_generates_an_id_when_none_is_given(self) -> None:
        """Without any id, inner or outer, a fresh 32-hex-digit id is generated, different each time."""
        with correlation_context() as first:
            assert HEX32.fullmatch(first.correlation_id)
        with correlation_context() as second:
            assert second.correlation_id != first.correlation_id

    async def test_propagates_into_created_tasks(self) -> None:
        """A task created inside the block sees its fields, and what the task binds stays in the task."""

        async def child() -> tuple[str | None, str | None]:
            seen = get_correlation_id()
            async with correlation_context("child-only"):
                inner = get_correlation_id()
            bind(user_id="set-in-child")
            return seen, inner

        async with correlation_context("parent-id", user_id="parent-user"):
            seen, inner = await asyncio.create_task(child())
            assert current_context()["user_id"] == "parent-user"
        assert (seen, inner) == ("parent-id", "child-only")

    async def test_concurrent_tasks_are_isolated(self) -> None:
        """Tasks running at once each keep their own correlation id across awaits."""
        gate = asyncio.Event()

        async def worker(cid: str) -> str | None:
            async with correlation_context(cid):
                await gate.wait()
                return get_correlation_id()

        tasks = [asyncio.create_task(worker(f"w{i}")) for i in range(5)]
        await asyncio.sleep(0)
        gate.set()
        assert await asyncio.gather(*tasks) == [f"w{i}" for i in range(5)]

    def test_snapshot_is_frozen_and_carries_extra_fields(self) -> None:
        """The yielded snapshot holds extra fields and refuses assignment."""
        with correlation_context("x", tenant="acme") as ctx:
            assert ctx.extra == {"tenant": "acme"}
            assert current_context()["tenant"] == "acme"
            with pytest.raises(dataclasses.FrozenInstanceError):
                ctx.correlation_id = "y"  # type: ignore[misc]
        assert "tenant" not in current_context()

    def test_bind_returns_tokens_that_reset_undoes(self) -> None:
        """``bind`` sets fields and ``reset`` with its tokens restores the earlier values."""
        with correlation_context("outer"):
            tokens = bind(correlation_id="bound", run_id="r1")
            assert current_context()["run_id"] == "r1"
            reset(tokens)
            assert get_correlation_id() == "outer"
            assert "run_id" not in current_context()

    def test_repr_shows_state(self) -> None:
        """The scope's repr says whether it is entered and which correlation id it binds."""
        scope = correlation_context("req-7")
        assert repr(scope) == "<CorrelationScope idle correlation_id='req-7'>"
        with scope:
            assert repr(scope) == "<CorrelationScope entered correlation_id='req-7'>"

    def test_a_scope_cannot_be_entered_twice(self) -> None:
        """Re-entering the same scope object is refused instead of corrupting the tokens."""
        scope = correlation_context("once")
        with scope, pytest.raises(RuntimeError, match="already entered"):
            scope.__enter__()


class TestValidation:
    @pytest.mark.parametrize(
        "bad", ["", "x" * 129, "has space", "new\nline", "path/like", "ünïcode", "semi;colon"]
    )
    def test_invalid_correlation_id_names_the_field(self, bad: str) -> None:
        """An empty, too long or unsafe correlation id is a ConfigError naming correlation_id."""
        with pytest.raises(ConfigError, match="correlation_id"):
            correlation_context(bad)
        assert get_correlation_id() is None

    def test_non_string_id_is_refused(self) -> None:
        """A correlation id that is not a string is refused with its type."""
        with pytest.raises(ConfigError, match="correlation_id must be a string, not int"):
            correlation_context(12345)  # type: ignore[arg-type]

    def test_accepts_the_full_safe_charset(self) -> None:
        """Letters, digits, dot, underscore, colon and dash are all accepted, up to 128 characters."""
        with correlation_context("Req_1.2:3-x") as ctx:
            assert ctx.correlation_id == "Req_1.2:3-x"
        with correlation_context("a" * 128):
            pass

    def test_control_characters_in_user_id_are_refused(self) -> None:
        """A user id with a newline (log injection) is a ConfigError naming user_id."""
        with pytest.raises(ConfigError, match="user_id"):
            correlation_context("ok", user_id="alice\nlevel=ERROR")

    def test_reserved_extra_field_name_is_refused(self) -> None:
        """An extra field named like a LogRecord attribute is refused, naming it."""
        with pytest.raises(ConfigError, match="'msg'"):
            correlation_context("ok", msg="clobbers the log message")

    def test_bind_validates_too(self) -> None:
        """``bind`` refuses an invalid correlation id and binds nothing."""
        with pytest.raises(ConfigError, match="correlation_id"):
            bind(run_id="r", correlation_id="bad id")
        assert current_context() == {}


class TestTraceOperation:
    async def test_nested_spans_are_parented(self, tracer: Tracer, exporter: InMemorySpanExporter) -> None:
        """A nested operation's span is a child of the outer one, and the yielded id is the trace id."""
        async with (
            trace_operation("outer", OperationType.MIGRATION, tracer=tracer) as outer_id,
            trace_operation("inner", OperationType.MIGRATION_ITEM, tracer=tracer) as inner_id,
        ):
            pass
        spans = by_name(exporter)
        outer_ctx = spans["outer"].context
        assert outer_ctx is not None
        assert spans["inner"].parent is not None
        assert spans["inner"].parent.span_id == outer_ctx.span_id
        assert spans["outer"].parent is None
        assert outer_id == inner_id == f"{outer_ctx.trace_id:032x}"

    def test_parented_on_an_existing_span(self, tracer: Tracer, exporter: InMemorySpanExporter) -> None:
        """An operation inside a span the application opened becomes its child."""
        with tracer.start_as_current_span("request"), trace_operation("step", tracer=tracer):
            pass
        spans = by_name(exporter)
        request_ctx = spans["request"].context
        assert request_ctx is not None
        assert spans["step"].parent is not None
        assert spans["step"].parent.span_id == request_ctx.span_id

    async def test_siblings_after_a_child_are_parented_on_the_outer(
        self, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """Leaving a child restores the outer span as current, so the next sibling hangs off the outer."""
        async with trace_operation("outer", tracer=tracer):
            async with trace_operation("first", tracer=tracer):
                pass
            async with trace_operation("second", tracer=tracer):
                pass
        spans = by_name(exporter)
        outer_ctx = spans["outer"].context
        assert outer_ctx is not None
        assert spans["second"].parent is not None
        assert spans["second"].parent.span_id == outer_ctx.span_id

    async def test_failure_marks_the_span_and_propagates(
        self, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """An exception sets status ERROR, records the exception on the span, and still propagates."""
        with pytest.raises(ValueError, match="bad row"):
            async with trace_operation("validate", OperationType.VALIDATION, tracer=tracer):
                raise ValueError("bad row")
        span = by_name(exporter)["validate"]
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == "ValueError: bad row"
        assert [event.name for event in span.events] == ["exception"]

    async def test_span_attributes_carry_the_correlation_fields(
        self, tracer: Tracer, exporter: InMemorySpanExporter
    ) -> None:
        """The span records the operation type, the correlation fields, timings and given attributes."""
        async with (
            correlation_context("req-1", user_id="u"),
            trace_operation(
                "op", OperationType.DATABASE, trace_performance=True, attributes={"rows": 3}, tracer=tracer
            ),
        ):
            pass
        attrs = dict(by_name(exporter)["op"].attributes or {})
        assert attrs["omnimemory.operation_type"] == "database"
        assert attrs["omnimemory.correlation_id"] == "req-1"
        assert attrs["omnimemory.user_id"] == "u"
        assert attrs["rows"] == 3
        assert "omnimemory.duration_ms" in attrs
        assert "omnimemory.cpu_ms" in attrs

    async def test_without_an_sdk_yields_generated_ids(self) -> None:
        """With no SDK configured the default tracer is a no-op and each operation gets its own 32-hex id."""
        async with trace_operation("a", OperationType.INTERNAL) as first:
            assert current_context()["trace_id"] == first
        async with trace_operation("b", OperationType.INTERNAL) as second:
            pass
        assert HEX32.fullmatch(first)
        assert HEX32.fullmatch(second)
        assert first != second
        assert "trace_id" not in current_context()

    def test_generated_ids_differ_in_a_forked_child(self) -> None:
        """A forked worker generates ids with its own prefix, so ids never repeat across processes."""
        # Forked in a fresh single-threaded interpreter: forking the test process (which has threads)
        # is unsafe.
        script = textwrap.dedent(
            """
            import os
            from omnimemory_kit.observability import trace_operation
            with trace_operation("parent") as parent_id:
                pass
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:
                with trace_operation("child") as child_id:
                    pass
                os.write(write_fd, child_id.encode())
                os._exit(0)
            os.close(write_fd)
            child_id = os.read(read_fd, 64).decode()
            os.waitpid(pid, 0)
            print(parent_id, child_id)
            """
        )
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(root)},
        ).stdout
        parent_id, child_id = out.split()
        assert HEX32.fullmatch(parent_id)
        assert HEX32.fullmatch(child_id)
        assert child_id[:16] != parent_id[:16]

    async def test_duration_comes_from_the_injected_clock(self, clock: FakeClock) -> None:
        """The duration is measured on the given monotonic clock."""
        op = trace_operation("slow", OperationType.EXTERNAL_SERVICE, clock=clock)
        async with op:
            clock.advance(2.5)
        assert op.duration_s == 2.5
        assert op.cpu_s is None
        assert op.peak_bytes is None

    def test_sync_form_measures_cpu_time(self) -> None:
        """The sync ``with`` form works and, with trace_performance, reports a CPU time."""
        op = trace_operation("crunch", OperationType.INTELLIGENCE_PROCESS, trace_performance=True)
        with op as trace_id:
            sum(i * i for i in range(20_000))
        assert HEX32.fullmatch(trace_id)
        assert op.cpu_s is not None
        assert op.cpu_s > 0

    def test_tracemalloc_peak_is_opt_in(self) -> None:
        """With tracemalloc=True the peak of allocations inside the block is reported, and tracing stops."""
        op = trace_operation("alloc", tracemalloc=True)
        with op:
            block = bytearray(2_000_000)
            del block
        assert op.peak_bytes is not None
        assert op.peak_bytes >= 2_000_000
        assert not tracemalloc.is_tracing()

    def test_repr_shows_state(self, clock: FakeClock) -> None:
        """The repr tells the name, the type and whether it is running or done with its duration."""
        op = trace_operation("job", OperationType.REPORT, clock=clock)
        with op:
            assert "running" in repr(op)
            clock.advance(0.25)
        assert "<TraceOperation 'job' report done" in repr(op)
        assert "duration=250.000ms" in repr(op)

    async def test_logs_start_end_and_failure_with_correlation(
        self, log_stream: io.StringIO, clock: FakeClock
    ) -> None:
        """Start (DEBUG), end (INFO, with its duration) and failure (ERROR) lines carry the correlation."""
        async with correlation_context("req-9", user_id="u9"):
            async with trace_operation("ok", OperationType.STORE, clock=clock) as trace_id:
                clock.advance(0.25)
            with pytest.raises(RuntimeError):
                async with trace_operation("broken", OperationType.STORE):
                    raise RuntimeError("postgresql://app:hunter2@db/x refused")
        records = lines(log_stream)
        assert [(r["level"], r["trace_name"]) for r in records] == [
            ("DEBUG", "ok"),
            ("INFO", "ok"),
            ("DEBUG", "broken"),
            ("ERROR", "broken"),
        ]
        assert all(r["correlation_id"] == "req-9" and r["user_id"] == "u9" for r in records)
        assert records[1]["trace_id"] == trace_id
        assert records[1]["duration_ms"] == pytest.approx(250.0)
        assert records[3]["error_type"] == "RuntimeError"
        assert "hunter2" not in str(records[3]["message"])
        assert "Traceback" in str(records[3]["exc_info"])

    async def test_cancellation_is_logged_as_interrupted_not_failed(
        self, tracer: Tracer, exporter: InMemorySpanExporter, log_stream: io.StringIO
    ) -> None:
        """A cancelled operation ends its span with an error status and logs "interrupted" at INFO."""
        started = asyncio.Event()

        async def work() -> None:
            async with trace_operation("waiting", OperationType.EXTERNAL_SERVICE, tracer=tracer):
                started.set()
                await asyncio.Event().wait()

        task = asyncio.create_task(work())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert by_name(exporter)["waiting"].status.status_code is StatusCode.ERROR
        last = lines(log_stream)[-1]
        assert (last["level"], last["error_type"]) == ("INFO", "CancelledError")
        assert "interrupted" in str(last["message"])
        assert "trace_id" not in current_context()


class TestStructuredLogging:
    def test_json_lines_parse_and_carry_fields(self, log_stream: io.StringIO) -> None:
        """Each record is one JSON object with RFC 3339 time, level, logger, message, context and extras."""
        log = logging.getLogger("omnimemory_kit.test")
        with correlation_context("req-json", operation="import", tenant="acme"):
            log.info("moved %d files", 3, extra={"batch": 7})
        (record,) = lines(log_stream)
        assert record["message"] == "moved 3 files"
        assert record["level"] == "INFO"
        assert record["logger"] == "omnimemory_kit.test"
        assert record["correlation_id"] == "req-json"
        assert record["operation"] == "import"
        assert record["tenant"] == "acme"
        assert record["batch"] == 7
        assert "user_id" not in record
        stamp = dt.datetime.fromisoformat(str(record["time"]))
        assert stamp.utcoffset() == dt.timedelta(0)

    def test_exception_is_included(self, log_stream: io.StringIO) -> None:
        """``log.exception`` writes the traceback in ``exc_info`` and stays one line."""
        log = logging.getLogger("omnimemory_kit.test")
        try:
            raise LookupError("nope")
        except LookupError:
            log.exception("lookup failed")
        assert len(log_stream.getvalue().splitlines()) == 1
        (record,) = lines(log_stream)
        assert "LookupError: nope" in str(record["exc_info"])

    def test_unencodable_values_become_strings(self) -> None:
        """An extra value JSON cannot encode is written as its str instead of failing the log call."""
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        record.where = {1, 2}
        assert json.loads(JsonLinesFormatter().format(record))["where"] == "{1, 2}"

    def test_filter_sets_standard_fields_even_when_unbound(self) -> None:
        """The filter gives every record the standard correlation attributes, None when unbound."""
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        assert CorrelationFilter().filter(record)
        assert record.correlation_id is None
        with correlation_context("cid"):
            CorrelationFilter().filter(record)
        assert record.correlation_id == "cid"

    def test_configure_twice_keeps_one_handler(self) -> None:
        """Configuring again replaces the kit's handler instead of duplicating every line."""
        logger = logging.getLogger("omnimemory_kit.twice")
        stream = io.StringIO()
        configure_logging(logging.INFO, stream=io.StringIO(), logger="omnimemory_kit.twice")
        handler = configure_logging(logging.INFO, json=False, stream=stream, logger="omnimemory_kit.twice")
        try:
            assert logger.handlers == [handler]
            with correlation_context("text-1"):
                logger.warning("hello")
            assert stream.getvalue().rstrip().endswith("hello [correlation_id=text-1]")
        finally:
            logger.removeHandler(handler)


class TestDecorators:
    def test_traced_keeps_signature_sync_and_async(self) -> None:
        """Traced functions keep their signature, name and (for async) being a coroutine function."""

        @traced("load", OperationType.DATABASE)
        def load(path: str, *, limit: int = 10) -> list[str]:
            return [path] * limit

        @traced
        async def fetch(url: str, retries: int = 2) -> int:
            return retries

        assert str(inspect.signature(load)) == "(path: 'str', *, limit: 'int' = 10) -> 'list[str]'"
        assert str(inspect.signature(fetch)) == "(url: 'str', retries: 'int' = 2) -> 'int'"
        assert inspect.iscoroutinefunction(fetch)
        assert not inspect.iscoroutinefunction(load)
        assert fetch.__name__ == "fetch"

    async def test_traced_creates_spans(self, tracer: Tracer, exporter: InMemorySpanExporter) -> None:
        """Each call of a traced function opens a span named as given, sync or async, nested properly."""

        @traced("inner-sync", tracer=tracer)
        def inner(x: int) -> int:
            return x + 1

        @traced("outer-async", OperationType.MIGRATION_BATCH, tracer=tracer)
        async def outer(x: int) -> int:
            return inner(x) * 2

        assert await outer(1) == 4
        spans = by_name(exporter)
        outer_ctx = spans["outer-async"].context
        assert outer_ctx is not None
        assert spans["inner-sync"].parent is not None
        assert spans["inner-sync"].parent.span_id == outer_ctx.span_id

    async def test_traced_failure_propagates(self, tracer: Tracer, exporter: InMemorySpanExporter) -> None:
        """An exception from a traced async function propagates and marks its span as an error."""

        @traced("fails", tracer=tracer)
        async def fails() -> None:
            raise OSError("disk")

        with pytest.raises(OSError, match="disk"):
            await fails()
        assert by_name(exporter)["fails"].status.status_code is StatusCode.ERROR

    async def test_with_correlation_binds_per_call(self) -> None:
        """The decorator binds its fields per call, names the operation after the function, and inherits."""

        @with_correlation(user_id="svc")
        async def handler(n: int) -> dict[str, object]:
            return current_context()

        @with_correlation("fixed-id", operation="nightly")
        def job() -> str | None:
            return get_correlation_id()

        async with correlation_context("caller"):
            seen = await handler(1)
        assert seen["correlation_id"] == "caller"
        assert seen["user_id"] == "svc"
        assert str(seen["operation"]).endswith("handler")
        alone = await handler(2)
        assert HEX32.fullmatch(str(alone["correlation_id"]))
        assert job() == "fixed-id"
        assert str(inspect.signature(handler)) == "(n: 'int') -> 'dict[str, object]'"
        assert get_correlation_id() is None

    def test_with_correlation_validates_at_decoration(self) -> None:
        """An invalid id given to the decorator fails when decorating, not at the first call."""
        with pytest.raises(ConfigError, match="correlation_id"):
            with_correlation("no spaces allowed")


class TestOriginCallShape:
    async def test_origin_snippet_works_from_the_package(self) -> None:
        """The origin document's nested correlation_context / trace_operation call works as written."""
        from omnimemory_kit import OperationType as PublicOperationType
        from omnimemory_kit import correlation_context as public_correlation_context
        from omnimemory_kit import trace_operation as public_trace_operation

        async with public_correlation_context(  # noqa: SIM117 - the origin document nests them
            correlation_id="req-12345", user_id="user-456", operation="data_processing"
        ) as ctx:
            async with public_trace_operation(
                "validation", PublicOperationType.INTELLIGENCE_PROCESS, trace_performance=True
            ) as trace_id:
                assert current_context()["correlation_id"] == ctx.correlation_id == "req-12345"
                assert current_context()["trace_id"] == trace_id
