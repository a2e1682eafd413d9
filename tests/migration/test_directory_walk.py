"""``DirectorySource`` streams its files in key order with ``Path.glob``'s matching (``directory_walk``)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnimemory_kit.migration.directory_walk import walk_files
from omnimemory_kit.migration.sources import DirectorySource

# Names that are prefixes of each other, hold characters sorting before '/' ('-', '.', ' ', '!'), or a byte
# that is not UTF-8 (a surrogate, sorting after every ASCII character).
NAMES = ["a", "a.txt", "a-b", "a b", "a!", "ab", "b", "b.py", "x1", "xA", "A", ".h", "c.py", "a0", "a\udce9"]
PATTERNS = [
    "**/*",
    "*",
    "**/*.txt",
    "a*/**/*.py",
    "**/b/*",
    "*/*",
    "**",
    "x?",
    "[ab]*/**/*",
    "a/*",
    "a/b.py",
    "*/b/*.py",
    "**/a/**/*",
    "**/**/*.py",
    "*/",
    "*/**/b",
    "./a/*",
]


def glob_keys(root: Path, pattern: str, *, follow: bool = False) -> tuple[list[str], list[str]]:
    """Return (keys, outside) as the listing implementation found them: ``Path.glob``, files, sorted."""
    keys, outside = [], []
    for path in set(root.glob(pattern)):
        if not path.is_file():
            continue
        key = path.relative_to(root).as_posix()
        if not follow and not path.resolve().is_relative_to(root):
            outside.append(key)
        else:
            keys.append(key)
    return sorted(keys), sorted(outside)


def walked(root: Path, pattern: str, *, follow: bool = False) -> tuple[list[str], list[str]]:
    """Return (keys, outside) of a ``DirectorySource`` iterated to the end."""
    source = DirectorySource(root, pattern, follow_symlinks_outside=follow)
    return [item.key for item in source], source.outside


def write(path: Path, text: str = "x") -> Path:
    """Write a file, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@st.composite
def trees(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Draw a small tree as (kind, relative path) rows: 'dir', 'file', and links to earlier rows."""
    rows: list[tuple[str, str]] = []
    folders = [""]
    for _ in range(draw(st.integers(1, 14))):
        parent = draw(st.sampled_from(folders))
        path = f"{parent}/{draw(st.sampled_from(NAMES))}".lstrip("/")
        if any(path == taken or taken.startswith(path + "/") for _, taken in rows):
            continue
        if any(path.startswith(taken + "/") for kind, taken in rows if kind != "dir"):
            continue
        kind = draw(st.sampled_from(["dir", "file", "file", "link"]))
        if kind == "link":
            # A link to the root (a loop), to a row made before, to nothing, or to a folder outside the root.
            target = draw(st.sampled_from(["", "<outside>", "missing", *(taken for _, taken in rows)]))
            rows.append((f"link:{target}", path))
            continue
        rows.append((kind, path))
        if kind == "dir":
            folders.append(path)
    return rows


def build(base: Path, rows: list[tuple[str, str]]) -> Path:
    """Make the drawn tree under ``base/root``, with ``base/outside`` holding a file; return the root."""
    root = base / "root"
    root.mkdir()
    write(base / "outside" / "far.py")
    for kind, path in rows:
        where = root / path
        if kind == "dir":
            where.mkdir(parents=True, exist_ok=True)
        elif kind == "file":
            write(where)
        else:
            target = kind.removeprefix("link:")
            where.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(base / "outside" if target == "<outside>" else root / target, where)
    return root


class TestSameAsGlob:
    """The walk yields what the listing implementation yielded, in the same order."""

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=trees(), follow=st.booleans())
    def test_random_trees_and_patterns(self, rows: list[tuple[str, str]], follow: bool) -> None:
        """For random trees (links and loops included) every pattern gives the sorted, deduplicated glob."""
        with tempfile.TemporaryDirectory() as base:
            root = build(Path(base).resolve(), rows)
            for pattern in PATTERNS:
                expected = glob_keys(root, pattern, follow=follow)
                assert walked(root, pattern, follow=follow) == expected, pattern

    def test_folders_sort_after_names_they_prefix(self, tmp_path: Path) -> None:
        """'a/...' comes after 'a.txt', 'a-b' and 'a b' ('/' sorts after them) and before 'a0', 'ab'."""
        for name in ["a/x", "a.txt", "a-b", "a b", "a0", "ab", "a!/y"]:
            write(tmp_path / name)
        keys, _ = walked(tmp_path, "**/*")
        assert keys == ["a b", "a!/y", "a-b", "a.txt", "a/x", "a0", "ab"]
        assert keys == sorted(keys)

    def test_undecodable_names_are_surrogate_keys(self, tmp_path: Path) -> None:
        """A Latin-1 file name is keyed as its surrogateescape string, and the key opens the file."""
        folder = os.fsencode(tmp_path) + b"/d\xe9"
        os.mkdir(folder)
        with open(folder + b"/caf\xe9.txt", "wb") as handle:
            handle.write(b"abc")
        source = DirectorySource(tmp_path, "**/*.txt")
        items = list(source)
        assert [(item.key, item.size) for item in items] == [("d\udce9/caf\udce9.txt", 3)]
        opened = source.resolve(items[0]).path
        assert opened is not None
        assert opened.read_bytes() == b"abc"

    def test_star_star_inside_a_part_is_refused_like_glob(self, tmp_path: Path) -> None:
        """'a**' is refused when iterated, with pathlib's ValueError."""
        with pytest.raises(ValueError, match="entire path component"):
            list(DirectorySource(tmp_path, "a**/*.py"))


class TestSymlinks:
    """Linked folders: '**' does not enter them, a named or wildcard part does; outside is kept out."""

    @pytest.fixture
    def linked(self, tmp_path: Path) -> Path:
        """root/real/x.txt, root/link -> real, root/loop -> root, root/out -> a folder beside root."""
        root = tmp_path / "root"
        write(root / "real" / "x.txt")
        write(tmp_path / "elsewhere" / "far.txt")
        os.symlink(root / "real", root / "link")
        os.symlink(root, root / "loop")
        os.symlink(tmp_path / "elsewhere", root / "out")
        return root

    def test_star_star_does_not_enter_a_linked_folder(self, linked: Path) -> None:
        """'**/*.txt' finds the file once, under its real folder only."""
        assert walked(linked, "**/*.txt") == (["real/x.txt"], [])

    def test_named_and_wildcard_parts_enter_a_linked_folder(self, linked: Path) -> None:
        """'link/*.txt' and '*/*.txt' go through the link (and the loop, one level per part)."""
        assert walked(linked, "link/*.txt") == (["link/x.txt"], [])
        assert walked(linked, "*/*.txt") == (["link/x.txt", "real/x.txt"], ["out/far.txt"])
        assert walked(linked, "*/*/*.txt") == glob_keys(linked, "*/*/*.txt")
        assert "loop/link/x.txt" in walked(linked, "*/*/*.txt")[0]

    def test_outside_is_skipped_and_listed_or_taken_with_the_flag(self, linked: Path) -> None:
        """A file reached through a link out of the root is listed in ``outside``, or taken when told."""
        assert walked(linked, "out/*.txt") == ([], ["out/far.txt"])
        assert walked(linked, "out/*.txt", follow=True) == (["out/far.txt"], [])

    def test_outside_warning_comes_once_at_the_end(
        self, linked: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The skipped matches are said once, after the last item, not before the first."""
        caplog.set_level(logging.WARNING, logger="omnimemory_kit.migration")
        source = DirectorySource(linked, "*/*.txt")
        items = iter(source)
        assert next(items).key == "link/x.txt"
        assert caplog.records == []
        assert [item.key for item in items] == ["real/x.txt"]
        assert [r.getMessage() for r in caplog.records] == [
            f"{source}: skipped 1 match(es) whose symbolic links lead outside the source directory"
        ]
        assert source.outside == ["out/far.txt"]

    def test_no_warning_for_a_caller_that_reports_it(
        self, linked: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With warn_outside=False nothing is logged; ``outside`` still lists the skipped match."""
        caplog.set_level(logging.DEBUG, logger="omnimemory_kit")
        source = DirectorySource(linked, "*/*.txt", warn_outside=False)
        assert [item.key for item in source] == ["link/x.txt", "real/x.txt"]
        assert caplog.records == []
        assert source.outside == ["out/far.txt"]

    @pytest.mark.parametrize("create_only", [False, True])
    def test_migrate_says_it_once(
        self, linked: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, create_only: bool
    ) -> None:
        """``migrate`` reports the skipped link in one line of its own, and the source logs nothing more."""
        from click.testing import CliRunner

        from omnimemory_kit.cli import cli

        caplog.set_level(logging.DEBUG, logger="omnimemory_kit.migration")
        fns = tmp_path / "fns.py"
        fns.write_text("def ok(item):\n    return None\n", encoding="utf-8")
        args = ["migrate", str(linked), "--pattern", "*/*.txt", "--function", f"{fns}:ok",
                "--store", str(tmp_path / "j.db"), "--run-id", "r"]  # fmt: skip
        result = CliRunner().invoke(cli, args + (["--create-only"] if create_only else []))
        assert result.exit_code == 0, result.stderr
        said = [line for line in (result.stdout + result.stderr).splitlines() if "outside" in line]
        assert said == [
            "skipped 1 file(s) whose symbolic links lead outside SOURCE (first: out/far.txt); "
            "--follow-symlinks-outside migrates them"
        ]
        assert [r.getMessage() for r in caplog.records if "outside" in r.getMessage()] == []


class TestStreaming:
    """Items come while the tree is walked, not after it has been listed."""

    def test_first_item_before_later_folders_are_read(self, tmp_path: Path) -> None:
        """A file made in a later folder after the first item was taken is still yielded."""
        write(tmp_path / "a" / "1.txt")
        write(tmp_path / "b" / "2.txt")
        write(tmp_path / "c" / "0.txt")
        items = iter(DirectorySource(tmp_path, "**/*.txt"))
        assert next(items).key == "a/1.txt"
        write(tmp_path / "b" / "3.txt")
        shutil.rmtree(tmp_path / "c")  # a folder gone since its parent was read is skipped
        write(tmp_path / "d" / "4.txt")  # a folder made after the root was read is not seen
        assert [item.key for item in items] == ["b/2.txt", "b/3.txt"]

    def test_folders_read_one_at_a_time(self, tmp_path: Path) -> None:
        """The first file of the first folder needs only the root and that folder read."""
        for folder in "abcde":
            write(tmp_path / folder / "f.txt")
        read: list[str] = []

        def scandir(path: Path) -> contextlib.AbstractContextManager[Iterator[os.DirEntry[str]]]:
            read.append(path.relative_to(tmp_path).as_posix())
            return os.scandir(path)

        files = walk_files(tmp_path, "**/*.txt", scandir=scandir)
        assert next(files)[0] == "a/f.txt"
        assert read == [".", "a"]
        assert [key for key, _, _ in files] == ["b/f.txt", "c/f.txt", "d/f.txt", "e/f.txt"]


class TestUnreadableFolders:
    """A folder that cannot be read is skipped with a warning naming it; the rest is walked."""

    def test_skipped_with_one_warning(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
        """'b' fails with PermissionError: its files are missing, one warning names it, 'a' and 'c' come."""
        for name in ["a/1.txt", "b/2.txt", "b/deep/3.txt", "c/4.txt"]:
            write(tmp_path / name)
        locked = tmp_path / "b"

        def scandir(path: Path) -> contextlib.AbstractContextManager[Iterator[os.DirEntry[str]]]:
            if path == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return os.scandir(path)

        caplog.set_level(logging.WARNING, logger="omnimemory_kit.migration")
        keys = [key for key, _, _ in walk_files(tmp_path, "**/*.txt", scandir=scandir)]
        assert keys == ["a/1.txt", "c/4.txt"]
        assert [r.getMessage() for r in caplog.records] == [
            f"skipped folder {locked}: it cannot be read (permission denied)"
        ]

    def test_warning_name_is_printable(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
        """An undecodable folder name is written with \\xHH escapes in the warning."""
        os.mkdir(os.fsencode(tmp_path) + b"/l\xe9")

        def scandir(path: Path) -> contextlib.AbstractContextManager[Iterator[os.DirEntry[str]]]:
            if path.name == "l\udce9":
                raise PermissionError(13, "Permission denied", str(path))
            return os.scandir(path)

        caplog.set_level(logging.WARNING, logger="omnimemory_kit.migration")
        assert list(walk_files(tmp_path, "*/*", scandir=scandir)) == []
        assert [r.getMessage() for r in caplog.records] == [
            f"skipped folder {tmp_path}/l\\xe9: it cannot be read (permission denied)"
        ]
