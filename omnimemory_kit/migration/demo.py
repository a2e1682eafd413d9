"""The demo: a deterministic sample of legacy tool files, and the example migration that moves them.

``generate_sample(root)`` writes 274 legacy "intelligence tool" modules in nested folders: each a Python
file with a header comment block, a docstring, a ``TOOL = {...}`` metadata dict and a few functions. Among
them are the awkward cases real trees have: non-ASCII file names, an empty file, a file that does not
parse, a large file and one with CRLF line endings. Same seed, same bytes, same outcome counts.

``LegacyToolMigration(out_dir)`` is the bundled migration function: it parses a legacy tool with ``ast``,
extracts its name, description and functions, and writes ``<out>/tools/<slug>/tool.py`` and
``metadata.json`` plus a manifest entry. The unparsable file fails with ``SyntaxError``; the empty one is
skipped. Manifest entries are one small file per item (so concurrent and repeated runs never interleave or
duplicate lines), merged into ``<out>/manifest.jsonl`` by ``write_manifest()``.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.events import MigrationPriority
from omnimemory_kit.migration.runner import MigrationRunner, ProgressCallback, SkipItem
from omnimemory_kit.migration.sources import DirectorySource, MigrationItem
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.sync import run_sync
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store import open_store

__all__ = [
    "DEMO_FILE_COUNT",
    "DemoResult",
    "LegacyToolMigration",
    "SampleInfo",
    "generate_sample",
    "migrate_legacy_tool",
    "run_demo",
    "run_demo_async",
]

DEMO_FILE_COUNT = 274

# CPython 3.11 builds AST objects with interpreter-wide recursion bookkeeping that threads parsing at once can
# corrupt, raising a spurious "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905).
# Parsing is fast; the file I/O around it still runs concurrently.
_AST_LOCK = threading.Lock()
DEFAULT_SEED = 274

_CATEGORIES = {
    "analysis": ["sentiment", "entities", "topics"],
    "retrieval": ["search", "ranking"],
    "ingest": ["parsers", "crawlers", "normalizers"],
    "reporting": ["summaries", "exports"],
    "memory": ["episodic", "semantic"],
}
_VERBS = ["extract", "rank", "score", "index", "summarize", "classify", "resolve", "merge", "fetch", "tag"]
_NOUNS = ["entities", "documents", "signals", "queries", "topics", "events", "records", "links", "notes"]
_AUTHORS = ["A. Moreau", "K. Tanaka", "R. Okafor", "S. Lindqvist", "M. García", "P. Novak"]


@dataclass(frozen=True, slots=True)
class SampleInfo:
    """What ``generate_sample`` wrote and how the example migration will end for it.

    Attributes:
        root: the folder holding the legacy tools.
        files: how many files were written.
        expected_succeeded: files the example migration converts.
        expected_failed: files that do not parse (they fail with ``SyntaxError``).
        expected_skipped: empty files (skipped).
        total_bytes: the sum of the files' sizes.
    """

    root: Path
    files: int
    expected_succeeded: int
    expected_failed: int
    expected_skipped: int
    total_bytes: int


def generate_sample(
    root: str | os.PathLike[str], count: int = DEMO_FILE_COUNT, *, seed: int = DEFAULT_SEED
) -> SampleInfo:
    """Write ``count`` legacy tool files under ``root`` (deterministic for a given ``seed``).

    Existing files with the same names are overwritten, so regenerating is idempotent.

    Raises:
        ValueError: ``count`` is smaller than the 6 awkward cases the sample always includes.
    """
    if count < 6:
        raise ValueError(f"count must be at least 6 (the awkward cases), not {count}")
    base = Path(root)
    rng = random.Random(seed)
    written: dict[Path, bytes] = {}
    # The awkward cases first, at fixed places.
    written[base / "analysis" / "entities" / "outil_données.py"] = _tool_source(rng, "outil_données").encode()
    written[base / "memory" / "semantic" / "инструмент.py"] = _tool_source(rng, "инструмент").encode()
    written[base / "ingest" / "parsers" / "empty_tool.py"] = b""
    written[base / "ingest" / "crawlers" / "broken_tool.py"] = (
        _tool_source(rng, "broken_tool").replace("def run(query):", "def run(query:", 1).encode()
    )
    written[base / "reporting" / "exports" / "huge_tool.py"] = _tool_source(
        rng, "huge_tool", functions=400
    ).encode()
    written[base / "retrieval" / "search" / "crlf_tool.py"] = (
        _tool_source(rng, "crlf_tool").replace("\n", "\r\n").encode()
    )
    categories = sorted(_CATEGORIES)
    index = 0
    while len(written) < count:
        index += 1
        category = categories[index % len(categories)]
        sub = _CATEGORIES[category][rng.randrange(len(_CATEGORIES[category]))]
        name = f"{rng.choice(_VERBS)}_{rng.choice(_NOUNS)}_{index:03d}"
        folder = base / category / sub
        if index % 7 == 0:
            folder = folder / "legacy"
        written[folder / f"{name}.py"] = _tool_source(rng, name, functions=rng.randint(1, 6)).encode()
    for path, data in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return SampleInfo(
        root=base,
        files=len(written),
        expected_succeeded=len(written) - 2,
        expected_failed=1,
        expected_skipped=1,
        total_bytes=sum(len(data) for data in written.values()),
    )


def _tool_source(rng: random.Random, name: str, *, functions: int = 3) -> str:
    category = rng.choice(sorted(_CATEGORIES))
    version = f"{rng.randint(0, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}"
    tags = sorted(rng.sample(_NOUNS, 2))
    lines = [
        "# -*- coding: utf-8 -*-",
        f"# Legacy intelligence tool: {name}",
        f"# Author: {rng.choice(_AUTHORS)}",
        f"# Version: {version}",
        f'"""{name.replace("_", " ").capitalize()}: {rng.choice(_VERBS)} {rng.choice(_NOUNS)} for the '
        f'{category} pipeline."""',
        "",
        "TOOL = {",
        f'    "name": {name!r},',
        f'    "category": {category!r},',
        f'    "version": {version!r},',
        f'    "tags": {tags!r},',
        "}",
        "",
        "",
        "def run(query):",
        '    """Run the tool on one query."""',
        f"    return {{'tool': {name!r}, 'query': query}}",
    ]
    for number in range(functions):
        verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
        lines += [
            "",
            "",
            f"def {verb}_{noun}_{number}(items, limit={rng.randint(1, 100)}):",
            f'    """{verb.capitalize()} {noun} (helper {number})."""',
            "    return sorted(items)[:limit]",
        ]
    return "\n".join(lines) + "\n"


class LegacyToolMigration:
    """The example migration: convert one legacy tool file into the new layout under ``out_dir``.

    Call it with a ``MigrationItem`` (it needs ``.path``); returns a small dict of what it wrote.
    Thread-safe: every item writes only its own files.
    """

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.out_dir = Path(out_dir)

    @property
    def manifest_path(self) -> Path:
        """Return where ``write_manifest()`` writes the merged manifest."""
        return self.out_dir / "manifest.jsonl"

    def __call__(self, item: MigrationItem) -> dict[str, Any]:
        """Migrate one legacy tool.

        Raises:
            SkipItem: the file is empty.
            SyntaxError: the file does not parse.
            ValueError: the item has no file path.
        """
        if item.path is None:
            raise ValueError(f"item {item.key!r} has no file to migrate")
        raw = item.path.read_bytes()
        if not raw.strip():
            raise SkipItem("empty file")
        text = raw.decode("utf-8").replace("\r\n", "\n")
        with _AST_LOCK:
            tree = ast.parse(text, filename=item.key)
            metadata = _metadata(tree, text, item.key)
        slug = _slug(item.key)
        target = self.out_dir / "tools" / slug
        target.mkdir(parents=True, exist_ok=True)
        _write_atomic(target / "tool.py", _new_module(tree, text, metadata))
        _write_atomic(target / "metadata.json", json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
        entry = {
            "key": item.key,
            "slug": slug,
            "name": metadata["name"],
            "functions": len(metadata["functions"]),
        }
        entries = self.out_dir / "manifest.d"
        entries.mkdir(parents=True, exist_ok=True)
        _write_atomic(entries / f"{slug}.json", json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def write_manifest(self) -> Path:
        """Merge the per-item manifest entries into ``manifest.jsonl`` (sorted by key); return its path."""
        entries = self.out_dir / "manifest.d"
        lines = sorted(
            (p.read_text(encoding="utf-8") for p in entries.glob("*.json")) if entries.is_dir() else [],
            key=lambda line: json.loads(line)["key"],
        )
        _write_atomic(self.manifest_path, "".join(lines))
        return self.manifest_path

    def __repr__(self) -> str:
        return f"<LegacyToolMigration out_dir={str(self.out_dir)!r}>"


def migrate_legacy_tool(item: MigrationItem) -> dict[str, Any]:
    """Migrate one legacy tool into ``$OMNIMEMORY_DEMO_OUT`` (default ``./migrated``).

    The module-level form of ``LegacyToolMigration`` for ``--function
    omnimemory_kit.migration.demo:migrate_legacy_tool``.
    """
    return LegacyToolMigration(os.environ.get("OMNIMEMORY_DEMO_OUT", "migrated"))(item)


def _metadata(tree: ast.Module, text: str, key: str) -> dict[str, Any]:
    declared: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "TOOL" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, dict):
                declared = value
    header = dict(re.findall(r"^# (Author|Version): (.+)$", text, flags=re.MULTILINE))
    functions = [
        {
            "name": node.name,
            "args": [arg.arg for arg in node.args.args],
            "doc": (ast.get_docstring(node) or "").split("\n", 1)[0],
        }
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    return {
        "name": declared.get("name") or Path(key).stem,
        "description": ast.get_docstring(tree) or "",
        "category": declared.get("category"),
        "version": declared.get("version") or header.get("Version"),
        "author": header.get("Author"),
        "tags": declared.get("tags", []),
        "functions": functions,
        "source_key": key,
    }


def _new_module(tree: ast.Module, text: str, metadata: dict[str, Any]) -> str:
    header = {key: value for key, value in metadata.items() if key != "functions"}
    parts = [
        f'"""{metadata["description"] or metadata["name"]}"""',
        "",
        f"METADATA = {json.dumps(header, ensure_ascii=False)}",
    ]
    lines = text.split("\n")  # slice by line numbers: ast.get_source_segment rescans the text per call
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            parts += ["", "", "\n".join(lines[first - 1 : node.end_lineno])]
    return "\n".join(parts) + "\n"


def _slug(key: str) -> str:
    stem = key[:-3] if key.endswith(".py") else key
    return "--".join(re.sub(r"[^\w.-]+", "-", part) for part in stem.split("/"))


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What ``run_demo`` produced.

    Attributes:
        out_dir: the demo's folder.
        sample: the generated legacy tools.
        store_url: the journal (password-free; SQLite by default).
        run_id: the demo run's id.
        summary: the run's final summary.
        manifest: the merged manifest of migrated tools.
    """

    out_dir: Path
    sample: SampleInfo
    store_url: str
    run_id: str
    summary: MigrationProgressSummary
    manifest: Path


async def run_demo_async(
    out_dir: str | os.PathLike[str] = "demo-output",
    store: str | os.PathLike[str] | None = None,
    *,
    run_id: str = "demo",
    count: int = DEMO_FILE_COUNT,
    batch_size: int = 50,
    concurrency: int = 8,
    clock: Clock = SYSTEM_CLOCK,
    on_progress: ProgressCallback | None = None,
    on_runner: Callable[[MigrationRunner], object] | None = None,
) -> DemoResult:
    """Generate the sample under ``out_dir/legacy_tools`` and migrate it into ``out_dir/migrated``.

    Running it again resumes (or finds completed) the same run: the counts are the same every time.

    Args:
        out_dir: where the sample, the migrated tools and (by default) the store go.
        store: the store URL or path (default ``out_dir/omnimemory-demo.db``).
        run_id: the run's id in the store.
        count: how many legacy tool files to generate.
        batch_size: items per batch.
        concurrency: items in flight at once.
        clock: the runner's clock.
        on_progress: called with summaries while the demo runs.
        on_runner: called with the runner before it starts (to pause, step or cancel it).
    """
    out = Path(out_dir)
    sample = await asyncio.to_thread(generate_sample, out / "legacy_tools", count)
    migration = LegacyToolMigration(out / "migrated")
    journal = await asyncio.to_thread(
        open_store, store if store is not None else out / "omnimemory-demo.db", clock=clock
    )
    try:
        runner = MigrationRunner(
            journal,
            run_id,
            DirectorySource(sample.root),
            migration,
            name="Legacy Tool Migration (demo)",
            priority=MigrationPriority.HIGH,
            batch_size=batch_size,
            concurrency=concurrency,
            retry=RetryPolicy(max_attempts=3, base_delay=0.05, max_delay=1.0, retry_on=(OSError,)),
            clock=clock,
            on_progress=on_progress,
        )
        if on_runner is not None:
            on_runner(runner)
        summary = await runner.run()
        manifest = await asyncio.to_thread(migration.write_manifest)
        return DemoResult(out, sample, journal.url, run_id, summary, manifest)
    finally:
        journal.close()


def run_demo(
    out_dir: str | os.PathLike[str] = "demo-output",
    store: str | os.PathLike[str] | None = None,
    **options: Any,
) -> DemoResult:
    """Run ``run_demo_async`` from sync code (see there for the options)."""
    return run_sync(run_demo_async(out_dir, store, **options))
