"""Trace context across machines: a worker process on PostgreSQL links its run span to the creating trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from omnimemory_kit.migration.sources import IterableSource
from omnimemory_kit.migration.telemetry import TRACE_CONTEXT_PARAM
from omnimemory_kit.migration.worker import prepare_run
from omnimemory_kit.store import open_store
from tests.conftest import PG_DSN

ROOT = Path(__file__).resolve().parents[2]

# The worker machine: an SDK configured globally (as `opentelemetry-instrument` would), its spans printed.
WORKER = """
import json, sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from omnimemory_kit.migration.sync import run_sync
from omnimemory_kit.migration.worker import join_run
from omnimemory_kit.store import open_store

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
with open_store(sys.argv[1]) as store:
    summary = run_sync(join_run(store, sys.argv[2], concurrency=2).run())
spans = [
    {
        "name": s.name,
        "trace_id": f"{s.context.trace_id:032x}",
        "parent": None if s.parent is None else f"{s.parent.span_id:016x}",
        "links": [f"{link.context.span_id:016x}" for link in s.links],
    }
    for s in exporter.get_finished_spans()
]
print(json.dumps({"succeeded": summary.succeeded_files, "spans": spans}))
"""

FUNCTIONS = """
def noop(item):
    return None
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A store URL on the real PostgreSQL server, in a schema of its own dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.postgres
class TestDistributedTrace:
    """The run's creator and a worker on another process end up in one trace."""

    def test_worker_run_span_links_to_the_creating_span(self, pg_url: str, tmp_path: Path) -> None:
        """A run prepared inside a span records it; a worker process's run span links to it, in its trace."""
        (tmp_path / "trace_fns.py").write_text(FUNCTIONS, encoding="utf-8")
        (tmp_path / "worker.py").write_text(WORKER, encoding="utf-8")
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("deploy")
        with open_store(pg_url) as store, tracer.start_as_current_span("deploy") as deploy:
            keys = [f"item-{i:03d}" for i in range(6)]
            prepare_run(
                store,
                "traced",
                IterableSource(keys, name="k"),
                f"{tmp_path}/trace_fns.py:noop",
                tracer=tracer,
            )
            assert TRACE_CONTEXT_PARAM in store.get_run("traced").params
        provider.shutdown()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, str(tmp_path / "worker.py"), pg_url, "traced"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["succeeded"] == 6
        (run,) = [s for s in report["spans"] if s["name"] == "migration.run"]
        (prepare,) = [s for s in exporter.get_finished_spans() if s.name == "migration.prepare"]
        assert prepare.parent is not None
        assert prepare.parent.span_id == deploy.get_span_context().span_id
        creator_span = f"{prepare.context.span_id:016x}"
        assert run["links"] == [creator_span]
        assert run["trace_id"] == f"{deploy.get_span_context().trace_id:032x}"
        assert run["parent"] == creator_span
        batches = [s for s in report["spans"] if s["name"] == "migration.batch"]
        assert batches
        assert {b["trace_id"] for b in batches} == {run["trace_id"]}
