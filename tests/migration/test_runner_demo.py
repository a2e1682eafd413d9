"""The demo: a deterministic sample of legacy tools and the bundled example migration."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from omnimemory_kit.events import EventKind
from omnimemory_kit.migration.demo import (
    DEMO_FILE_COUNT,
    LegacyToolMigration,
    generate_sample,
    run_demo_async,
)
from omnimemory_kit.migration.runner import SkipItem
from omnimemory_kit.migration.sources import DirectorySource
from omnimemory_kit.store import open_store


def tree_digest(root: Path) -> str:
    """Hash every file's relative path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class TestGenerateSample:
    """The sample is deterministic and contains the awkward cases."""

    def test_same_seed_same_bytes(self, tmp_path: Path) -> None:
        """Two generations with the same seed write identical trees of 274 files."""
        first = generate_sample(tmp_path / "a")
        second = generate_sample(tmp_path / "b")
        assert first.files == second.files == DEMO_FILE_COUNT
        assert tree_digest(first.root) == tree_digest(second.root)
        assert len(list(first.root.rglob("*.py"))) == DEMO_FILE_COUNT

    def test_awkward_cases_are_present(self, tmp_path: Path) -> None:
        """Non-ASCII names, an empty file, a CRLF file and a large file are in the sample."""
        sample = generate_sample(tmp_path)
        names = {p.name: p for p in sample.root.rglob("*.py")}
        assert {"outil_données.py", "инструмент.py"} <= set(names)
        assert names["empty_tool.py"].stat().st_size == 0
        assert b"\r\n" in names["crlf_tool.py"].read_bytes()
        assert names["huge_tool.py"].stat().st_size > 20_000
        assert (sample.expected_failed, sample.expected_skipped) == (1, 1)

    def test_too_small_count_is_refused(self, tmp_path: Path) -> None:
        """A count below the number of awkward cases is a ValueError."""
        with pytest.raises(ValueError, match="at least 6"):
            generate_sample(tmp_path, 5)


class TestLegacyToolMigration:
    """The example migration parses a legacy tool and writes the new layout."""

    def test_converts_a_tool_into_the_new_layout(self, tmp_path: Path) -> None:
        """tool.py compiles, metadata.json has name, description and functions, a manifest entry exists."""
        sample = generate_sample(tmp_path / "legacy")
        source = DirectorySource(sample.root)
        item = next(i for i in source if i.key.endswith("crlf_tool.py"))
        migration = LegacyToolMigration(tmp_path / "out")
        entry = migration(item)
        folder = tmp_path / "out" / "tools" / entry["slug"]
        compile((folder / "tool.py").read_text(encoding="utf-8"), "tool.py", "exec")
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        assert metadata["name"] == "crlf_tool"
        assert metadata["description"].startswith("Crlf tool:")
        assert metadata["functions"][0]["name"] == "run"
        assert migration.write_manifest().read_text(encoding="utf-8").count("\n") == 1

    def test_empty_is_skipped_and_unparsable_raises(self, tmp_path: Path) -> None:
        """The empty file raises SkipItem; the broken one raises SyntaxError."""
        sample = generate_sample(tmp_path / "legacy")
        items = {i.key.rsplit("/", 1)[-1]: i for i in DirectorySource(sample.root)}
        migration = LegacyToolMigration(tmp_path / "out")
        with pytest.raises(SkipItem, match="empty file"):
            migration(items["empty_tool.py"])
        with pytest.raises(SyntaxError):
            migration(items["broken_tool.py"])


class TestRunDemo:
    """The whole demo gives the same counts every run."""

    async def test_demo_counts_are_stable_across_runs(self, tmp_path: Path) -> None:
        """272 succeed, 1 fails with SyntaxError and 1 is skipped, the first time and again on re-run."""
        for _ in range(2):
            result = await run_demo_async(tmp_path / "demo")  # nothing waits on the clock in the demo
            summary = result.summary
            with open_store(result.store_url, create=False) as store:
                failures = [
                    (e.path, e.error_type, e.error_message)
                    for e in store.read_events(result.run_id)
                    if e.kind in (EventKind.FILE_FAILED, EventKind.FILE_RETRIED)
                ]
            assert summary.errors_by_type == {"SyntaxError": 1}, failures
            assert (summary.total_files, summary.succeeded_files) == (274, 272), summary
            assert (summary.failed_files, summary.skipped_files) == (1, 1)
            lines = result.manifest.read_text(encoding="utf-8").splitlines()
            assert len(lines) == 272
            assert any(json.loads(line)["name"] == "инструмент" for line in lines)
