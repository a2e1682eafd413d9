"""``DirectorySource`` never reaches outside its root: climbing patterns refused, outside links skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnimemory_kit.cli import cli
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.sources import DirectorySource
from omnimemory_kit.store import open_store


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """src/ with one file, a link to a file outside, a link to a folder outside; outside.py beside src/."""
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "inside.py").write_text("inside\n")
    (tmp_path / "outside.py").write_text("outside\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "far.py").write_text("far\n")
    os.symlink(tmp_path / "outside.py", src / "pkg" / "link_out.py")
    os.symlink(elsewhere, src / "dir_out")
    os.symlink(src / "pkg" / "inside.py", src / "link_in.py")  # a link that stays inside is fine
    return tmp_path


class TestPatternsThatClimbOut:
    """A pattern can only select files under the root."""

    @pytest.mark.parametrize("pattern", ["../*.py", "pkg/../../*.py", "**/../../outside.py", ".."])
    def test_dot_dot_patterns_are_refused(self, layout: Path, pattern: str) -> None:
        """Any '..' part is refused when the source is built, naming the pattern."""
        with pytest.raises(ConfigError, match="climbs out"):
            DirectorySource(layout / "src", pattern)

    def test_absolute_pattern_is_refused(self, layout: Path) -> None:
        """An absolute pattern is refused too."""
        with pytest.raises(ConfigError, match="relative"):
            DirectorySource(layout / "src", str(layout / "*.py"))


class TestSymlinksLeadingOutside:
    """Matches whose links lead outside the root are skipped unless the flag says to follow them."""

    def test_skipped_and_counted_by_default(self, layout: Path) -> None:
        """Only files that resolve under the root are items; the skipped ones are listed in ``outside``."""
        source = DirectorySource(layout / "src", "**/*.py")
        assert [item.key for item in source] == ["link_in.py", "pkg/inside.py"]
        assert source.outside == ["pkg/link_out.py"]
        linked = DirectorySource(layout / "src", "dir_out/*.py")
        assert list(linked) == []
        assert linked.outside == ["dir_out/far.py"]

    def test_followed_with_the_flag_under_keys_inside_the_root(self, layout: Path) -> None:
        """With follow_symlinks_outside the links are items, keyed by their path under the root."""
        source = DirectorySource(layout / "src", "**/*.py", follow_symlinks_outside=True)
        items = {item.key: item for item in source}
        assert sorted(items) == ["link_in.py", "pkg/inside.py", "pkg/link_out.py"]
        assert items["pkg/link_out.py"].path is not None
        assert items["pkg/link_out.py"].path.read_text() == "outside\n"
        assert source.outside == []


FUNCTIONS = "def ok(item):\n    item.path.read_text()\n"


class TestCommandLine:
    """``migrate --pattern`` and ``--follow-symlinks-outside`` from the command line."""

    def _migrate(self, layout: Path, *extra: str) -> tuple[int, str, str]:
        (layout / "fns.py").write_text(FUNCTIONS)
        result = CliRunner().invoke(
            cli,
            ["migrate", str(layout / "src"), "--function", f"{layout / 'fns.py'}:ok",
             "--store", str(layout / "j.db"), "--run-id", "r", *extra],
            catch_exceptions=False,
        )  # fmt: skip
        return result.exit_code, result.stdout, result.stderr

    def test_climbing_pattern_exits_2_with_one_line_and_no_store(self, layout: Path) -> None:
        """'../*.py' exits 2 with one line naming the pattern, before any store is created."""
        code, _, err = self._migrate(layout, "--pattern", "../*.py")
        assert code == 2
        assert err.strip().splitlines() == [
            "error: glob pattern '../*.py' climbs out of the source directory ('..'); "
            "patterns match files under SOURCE only"
        ]
        assert not (layout / "j.db").exists()

    def test_outside_link_skipped_and_said(self, layout: Path) -> None:
        """The run holds only the files inside SOURCE; stderr says how many links were skipped."""
        code, _, err = self._migrate(layout)
        assert code == 0
        assert "skipped 1 file(s) whose symbolic links lead outside SOURCE" in err
        with open_store(layout / "j.db") as store:
            keys = {e.path for e in store.read_events("r") if e.path is not None}
        assert keys == {"link_in.py", "pkg/inside.py"}

    def test_flag_follows_outside_links(self, layout: Path) -> None:
        """--follow-symlinks-outside migrates the linked file under its key inside SOURCE."""
        code, _, err = self._migrate(layout, "--follow-symlinks-outside")
        assert code == 0
        assert "skipped" not in err
        with open_store(layout / "j.db") as store:
            keys = {e.path for e in store.read_events("r") if e.path is not None}
        assert keys == {"link_in.py", "pkg/inside.py", "pkg/link_out.py"}
