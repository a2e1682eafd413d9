"""Work-item sources (directory, manifest, iterable) and the migration function loader."""

from __future__ import annotations

import json
import operator
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.loader import function_identity, load_function
from omnimemory_kit.migration.sources import (
    DirectorySource,
    IterableSource,
    ManifestSource,
    MigrationItem,
    WorkSource,
    source_blocks,
    source_from_spec,
)
from omnimemory_kit.store import WorkItem
from omnimemory_kit.store.blocks import decode_block


def write(path: Path, text: str = "x") -> Path:
    """Write a file, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestDirectorySource:
    """A directory glob: relative posix keys, sorted, sizes from stat."""

    def test_keys_are_relative_sorted_and_sized(self, tmp_path: Path) -> None:
        """Nested matching files come back sorted by relative key with their sizes; others are ignored."""
        write(tmp_path / "b" / "two.py", "22")
        write(tmp_path / "a" / "deep" / "one.py", "1")
        write(tmp_path / "outil_données.py", "ééé")
        write(tmp_path / "notes.txt", "ignored")
        (tmp_path / "folder.py").mkdir()
        items = list(DirectorySource(tmp_path))
        assert [i.key for i in items] == ["a/deep/one.py", "b/two.py", "outil_données.py"]
        assert [i.size for i in items] == [1, 2, 6]
        assert items[0].path == tmp_path / "a" / "deep" / "one.py"

    def test_resolve_finds_the_file_behind_a_key(self, tmp_path: Path) -> None:
        """A journaled key resolves back to the file under the root (as a resumed run needs)."""
        source = DirectorySource(tmp_path, "*.csv")
        item = source.resolve(WorkItem("x/y.csv", 5))
        assert item == MigrationItem("x/y.csv", 5, tmp_path.resolve() / "x" / "y.csv")

    def test_identity_names_root_and_pattern(self, tmp_path: Path) -> None:
        """The identity changes with the pattern, so a run cannot silently switch what it migrates."""
        assert DirectorySource(tmp_path).identity != DirectorySource(tmp_path, "*.txt").identity
        assert str(tmp_path.resolve()) in DirectorySource(tmp_path).identity

    def test_missing_or_wrong_root_is_refused(self, tmp_path: Path) -> None:
        """A missing root, a file as root and an absolute pattern are ConfigErrors naming the problem."""
        with pytest.raises(ConfigError, match="does not exist"):
            DirectorySource(tmp_path / "missing")
        with pytest.raises(ConfigError, match="not a directory"):
            DirectorySource(write(tmp_path / "f.py"))
        with pytest.raises(ConfigError, match="relative pattern"):
            DirectorySource(tmp_path, "/abs/*.py")


class TestManifestSource:
    """CSV and JSONL manifests: keys, paths relative to the manifest, sizes, and errors with line numbers."""

    def test_csv_with_key_path_and_size(self, tmp_path: Path) -> None:
        """CSV rows become items in file order; relative paths resolve against the manifest folder."""
        manifest = write(tmp_path / "m.csv", "key,path,size\nk1,data/a.py,10\nk2,,\n")
        items = list(ManifestSource(manifest))
        assert items == [MigrationItem("k1", 10, tmp_path / "data" / "a.py"), MigrationItem("k2", 0, None)]

    def test_csv_without_size_reads_it_from_the_file(self, tmp_path: Path) -> None:
        """A path-only CSV uses the path as key and the file's size."""
        write(tmp_path / "a.py", "12345")
        manifest = write(tmp_path / "m.csv", "path\na.py\n")
        (item,) = ManifestSource(manifest)
        assert (item.key, item.size) == ("a.py", 5)

    def test_jsonl_rows_and_blank_lines(self, tmp_path: Path) -> None:
        """JSONL objects with key/path/size become items; blank lines are ignored."""
        rows = [{"key": "a", "size": 3}, {"path": str(tmp_path / "b.py"), "size": 4}]
        manifest = write(tmp_path / "m.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
        source = ManifestSource(manifest)
        assert [(i.key, i.size) for i in source] == [("a", 3), (str(tmp_path / "b.py"), 4)]
        assert source.resolve(WorkItem(str(tmp_path / "b.py"), 4)).path == tmp_path / "b.py"

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            ("m.csv", "key,size\na,1\nb,lots\n", "line 3: size 'lots'"),
            ("m.csv", "key,size\na,-1\n", "line 2: size -1 is negative"),
            ("m.csv", "name,size\na,1\n", "line 1: the header needs a 'key' or 'path'"),
            ("m.csv", "key,path\n,\n", "line 2: needs a non-empty 'key' or 'path'"),
            ("m.jsonl", '{"key": "a"}\n{"key": \n', "line 2: not valid JSON"),
            ("m.jsonl", '["a"]\n', "line 1: expected a JSON object"),
            ("m.jsonl", '{"key": 5}\n', "line 1: 'key' must be a string"),
            ("m.jsonl", '{"key": "a", "size": 1.5}\n', "line 1: size 1.5"),
        ],
    )
    def test_bad_rows_name_file_and_line(self, tmp_path: Path, name: str, text: str, message: str) -> None:
        """A malformed row is a ConfigError naming the manifest and the line."""
        manifest = write(tmp_path / name, text)
        with pytest.raises(ConfigError, match=message) as caught:
            list(ManifestSource(manifest))
        assert name in str(caught.value)

    def test_csv_key_size_rows_read_like_any_other(self, tmp_path: Path) -> None:
        """Key-and-size rows (read without the per-row checks) give what the checked rows give."""
        # the last 'key' column wins (as in csv.DictReader); '+2' and an empty size go through the checks;
        # a blank line is skipped
        text = "size,key,note,key\n1,a,x,b\n+2,c,y,d\n\n,f,z,g\n04,h,w,i\n"
        items = list(ManifestSource(write(tmp_path / "m.csv", text)))
        assert items == [
            MigrationItem("b", 1),
            MigrationItem("d", 2),
            MigrationItem("g", 0),
            MigrationItem("i", 4),
        ]

    def test_short_csv_row_misses_its_later_columns(self, tmp_path: Path) -> None:
        """A row shorter than the header has no value for the columns it lacks (its line is named)."""
        with pytest.raises(ConfigError, match="line 3: needs a non-empty 'key' or 'path'"):
            list(ManifestSource(write(tmp_path / "m.csv", "size,key\n1,a\n2\n")))

    def test_check_reads_every_row_and_builds_nothing(self, tmp_path: Path) -> None:
        """check() raises at a bad row past many good ones, and passes a good manifest."""
        good = "key,size\n" + "".join(f"k{i},{i}\n" for i in range(1000))
        ManifestSource(write(tmp_path / "good.csv", good)).check()
        ManifestSource(write(tmp_path / "good.jsonl", '{"key": "a"}\n')).check()
        with pytest.raises(ConfigError, match="line 1002: size 'x'"):
            ManifestSource(write(tmp_path / "bad.csv", good + "z,x\n")).check()
        with pytest.raises(ConfigError, match="line 2: not valid JSON"):
            ManifestSource(write(tmp_path / "bad.jsonl", '{"key": "a"}\n{\n')).check()

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            (
                "m.csv",
                'key,size\na,1\nb,2\na,3\n\n"q,k",4\nb,5\nc,6',
            ),  # plain, quoted, blank, no last newline
            ("m.csv", "key\na\nb\na\n\nq\nb\nc\n"),
            (
                "m.jsonl",
                '{"key": "a"}\n{"key": "b"}\n{"key": "a"}\n\n{"key": "q"}\n{"key": "b"}\n{"path": "c"}\n',
            ),
        ],
    )
    def test_rows_counts_every_item_row_once_a_read_ends(self, tmp_path: Path, name: str, text: str) -> None:
        """``rows`` is the item rows of the last whole read (repeats counted, blank lines not), by every
        way of reading; None before a read ends."""
        manifest = ManifestSource(write(tmp_path / name, text))
        assert manifest.rows is None
        items = iter(manifest)
        next(items)
        assert manifest.rows is None
        assert len(list(items)) == 5
        assert manifest.rows == 6
        for read in (manifest.check, lambda: list(manifest.blocks()), lambda: list(manifest.blocks(chars=8))):
            manifest.rows = None
            read()
            assert manifest.rows == 6

    def test_rows_of_a_large_plain_manifest(self, tmp_path: Path) -> None:
        """The plain-line fast path of ``blocks`` counts its lines, and the rows read after it."""
        text = "key,size\n" + "".join(f"k{i % 700},{i}\n" for i in range(2_000)) + '"x,y",1\n'
        manifest = ManifestSource(write(tmp_path / "m.csv", text))
        list(manifest.blocks(chars=100))
        assert manifest.rows == 2_001

    def test_items_are_work_items(self, tmp_path: Path) -> None:
        """A manifest's items go to the store as they are: each is a WorkItem with its key and size."""
        (item,) = ManifestSource(write(tmp_path / "m.csv", "key,size\na,7\n"))
        assert isinstance(item, WorkItem)
        assert (item.key, item.size, item.path) == ("a", 7, None)

    def test_missing_unknown_and_undecodable_manifests(self, tmp_path: Path) -> None:
        """A missing file, an unknown format and bytes that are not UTF-8 are ConfigErrors."""
        with pytest.raises(ConfigError, match="does not exist"):
            ManifestSource(tmp_path / "none.csv")
        with pytest.raises(ConfigError, match="unknown format"):
            ManifestSource(write(tmp_path / "m.xml"))
        bad = tmp_path / "bad.jsonl"
        bad.write_bytes(b'{"key": "a"}\n\xff\xfe\n')
        with pytest.raises(ConfigError, match="line 2: not UTF-8"):
            list(ManifestSource(bad))


class TestIterableSource:
    """Any iterable of keys or items."""

    def test_strings_and_items_mix(self) -> None:
        """Strings, WorkItems and MigrationItems all become MigrationItems in order."""
        source = IterableSource(["a", WorkItem("b", 2), MigrationItem("c", 3, Path("/c"))], name="mixed")
        assert list(source) == [MigrationItem("a"), MigrationItem("b", 2), MigrationItem("c", 3, Path("/c"))]
        assert source.resolve(WorkItem("c", 3)).path == Path("/c")
        assert source.identity == "iterable:mixed"
        assert isinstance(source, WorkSource)

    def test_bad_values_are_refused(self) -> None:
        """A bare string as the iterable, or an item of another type, is a ConfigError."""
        with pytest.raises(ConfigError, match="not a single string"):
            IterableSource("abc")
        with pytest.raises(ConfigError, match="item 1"):
            list(IterableSource(["a", 3]))  # type: ignore[list-item]


class TestSizeHint:
    """A source says how many items it holds when it can tell cheaply (``operator.length_hint``)."""

    def test_a_sized_iterable_tells_its_length_a_generator_nothing(self) -> None:
        """A list or a range gives its length; a generator is unknown (-1, the default asked for)."""
        assert operator.length_hint(IterableSource(["a", "b", "c"]), -1) == 3
        assert operator.length_hint(IterableSource(range(0)), -1) == 0
        assert operator.length_hint(IterableSource(f"k{i}" for i in range(5)), -1) == -1

    @pytest.mark.parametrize(
        ("name", "text", "rows"),
        [
            ("m.csv", "key,size\na,1\nb,2\nc,3\n", 3),
            ("m.csv", "key,size\na,1\nb,2", 2),  # no newline after the last row
            ("m.csv", "key,size\n", 0),
            ("m.jsonl", '{"key": "a"}\n{"key": "b"}\n', 2),
            ("m.jsonl", '{"key": "a"}', 1),
        ],
    )
    def test_a_manifest_counts_its_rows(self, tmp_path: Path, name: str, text: str, rows: int) -> None:
        """A manifest's hint is its lines, less a CSV's header, whether or not the last line ends."""
        manifest = write(tmp_path / name, text)
        assert operator.length_hint(ManifestSource(manifest), -1) == rows

    def test_an_unreadable_manifest_is_unknown(self, tmp_path: Path) -> None:
        """A manifest gone since it was opened gives no hint rather than raising."""
        manifest = write(tmp_path / "m.csv", "key\na\n")
        source = ManifestSource(manifest)
        manifest.unlink()
        assert operator.length_hint(source, -1) == -1

    def test_a_directory_gives_no_hint(self, tmp_path: Path) -> None:
        """Counting a tree's files would scan it: a directory source leaves its size unknown."""
        write(tmp_path / "tree" / "a.py")
        assert operator.length_hint(DirectorySource(tmp_path / "tree"), -1) == -1


class TestSourceFromSpec:
    """The CLI's SOURCE argument."""

    def test_directory_and_manifests(self, tmp_path: Path) -> None:
        """A directory gives a DirectorySource, .csv and .jsonl give ManifestSources reading that file."""
        directory = source_from_spec(tmp_path, pattern="*.txt")
        csv = source_from_spec(write(tmp_path / "m.csv", "key\na\n"))
        jsonl = source_from_spec(write(tmp_path / "m.jsonl", ""))
        assert isinstance(directory, DirectorySource)
        assert isinstance(csv, ManifestSource)
        assert isinstance(jsonl, ManifestSource)
        assert directory.identity == f"directory:{tmp_path}:*.txt"
        assert (csv.identity, list(csv)) == (f"manifest:{tmp_path / 'm.csv'}", [MigrationItem("a")])
        assert (jsonl.identity, list(jsonl)) == (f"manifest:{tmp_path / 'm.jsonl'}", [])

    def test_missing_and_other_files_are_refused(self, tmp_path: Path) -> None:
        """A missing path and a file that is no manifest are ConfigErrors naming the path."""
        with pytest.raises(ConfigError, match=r"nope.*does not exist"):
            source_from_spec(tmp_path / "nope")
        with pytest.raises(ConfigError, match="neither a directory"):
            source_from_spec(write(tmp_path / "notes.txt"))


class TestLoadFunction:
    """module:function and file.py:function specs, with one clear error for each way they go wrong."""

    def test_module_function(self) -> None:
        """A module path resolves to the function object."""
        assert load_function("os.path:join") is os.path.join

    def test_file_function_and_its_identity(self, tmp_path: Path) -> None:
        """A file path loads the module from that file; the identity names the file."""
        path = write(tmp_path / "migrate.py", "def go(item):\n    return item\n")
        fn = load_function(f"{path}:go")
        assert fn(3) == 3
        assert function_identity(fn) == f"{path}:go"

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("nocolon", "is not of the form"),
            ("mod:", "is not of the form"),
            ("os.path:not valid", "is not of the form"),
            ("no_such_module_xyz:f", "no module named 'no_such_module_xyz'"),
            ("os.path:nothing_here", "has no attribute 'nothing_here'"),
            ("os:sep", "is not callable"),
            ("missing_file.py:f", "does not exist"),
        ],
    )
    def test_bad_specs(self, spec: str, message: str) -> None:
        """Each malformed or unresolvable spec is a ConfigError saying what is wrong."""
        with pytest.raises(ConfigError, match=message):
            load_function(spec)

    def test_file_that_fails_to_import(self, tmp_path: Path) -> None:
        """A file raising on import is a ConfigError carrying the original error, and is not cached."""
        path = write(tmp_path / "broken.py", "raise RuntimeError('boom')\n")
        with pytest.raises(ConfigError, match="RuntimeError: boom"):
            load_function(f"{path}:f")
        assert not any("broken" in name for name in sys.modules if name.startswith("_omnimemory_migration_"))


def _pairs(blocks: Iterator[str]) -> list[tuple[str, int]]:
    return [pair for block in blocks for pair in decode_block(block)]


class TestManifestBlocks:
    """A manifest read as item blocks (read once, for create-only) gives the items iteration gives."""

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            ("plain.csv", "key,size\n" + "".join(f"dir/k{i},{i}\n" for i in range(50))),
            ("crlf.csv", "key,size\r\n" + "".join(f"k{i},{i}\r\n" for i in range(20))),
            ("bom.csv", "\ufeffkey,size\na,1\n"),
            ("unicode.csv", "key,size\ncaf\u00e9,1\n\u65e5\u672c,2\n123,0\n"),
            ("no-final-newline.csv", "key,size\na,1\nb,2"),
            # from a quoted key, a leading zero, a blank line or a lone quote on, rows are read one by one
            (
                "mixed.csv",
                "key,size\n" + "".join(f"k{i},{i}\n" for i in range(30)) + '"q,1",7\nz,007\n\nw"x,3\nv,4\n',
            ),
            ("multiline.csv", "key,size\n" + "a,1\n" * 3 + '"two\nlines",5\nb,2\n'),
            ("other-header.csv", "size,key,note\n1,a,x\n2,b,y\n"),
            ("path.csv", "key,path,size\nk1,data/a.py,10\nk2,,\n"),
            ("items.jsonl", '{"key": "a", "size": 3}\n\n{"key": "b"}\n'),
            ("repeats.csv", "key,size\na,1\nb,2\na,3\n"),
        ],
    )
    def test_same_items_as_iteration(self, tmp_path: Path, name: str, text: str) -> None:
        """Every manifest shape gives the (key, size) pairs iteration gives, in order, repeats included."""
        manifest = write(tmp_path / name, text)
        expected = [(item.key, item.size) for item in ManifestSource(manifest)]
        assert _pairs(ManifestSource(manifest).blocks(chars=64)) == expected
        assert _pairs(ManifestSource(manifest).blocks()) == expected

    def test_paths_are_resolvable_after_blocks(self, tmp_path: Path) -> None:
        """Reading blocks records each key's file, as iteration does."""
        source = ManifestSource(write(tmp_path / "m.csv", "key,path,size\nk1,data/a.py,10\n"))
        list(source.blocks())
        assert source.resolve(WorkItem("k1", 10)).path == tmp_path / "data" / "a.py"

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("a,1\n" * 40 + "b,lots\n" + "c,1\n" * 5, "line 42: size 'lots'"),
            ("a,1\n" * 40 + ",4\n", "line 42: needs a non-empty 'key' or 'path'"),
            ("a,1\n" * 40 + "b,-1\n", "line 42: size -1 is negative"),
            ("a,1\n" * 40 + "b,99999999999999999999\n", "line 42: size 99999999999999999999 is larger"),
        ],
    )
    def test_bad_line_after_good_blocks_names_its_line(self, tmp_path: Path, text: str, message: str) -> None:
        """A bad row past several blocks raises with its line, after the blocks before it were yielded."""
        blocks = ManifestSource(write(tmp_path / "m.csv", "key,size\n" + text)).blocks(chars=32)
        yielded = [next(blocks) for _ in range(3)]
        with pytest.raises(ConfigError, match=message):
            list(blocks)
        assert all(decode_block(block) for block in yielded)

    def test_undecodable_bytes(self, tmp_path: Path) -> None:
        """Bytes that are not UTF-8 are a ConfigError naming the manifest and the line that holds them."""
        bad = tmp_path / "bad.csv"
        bad.write_bytes(b"key,size\na,1\n\xff\xfe,2\n")
        with pytest.raises(ConfigError, match=r"bad\.csv' line 3: not UTF-8 text"):
            list(ManifestSource(bad).blocks())
        bad.write_bytes(b"key,size\n" + b"a,1\n" * 5000 + b"\xff\xfe,2\n")  # past the first buffer read
        with pytest.raises(ConfigError, match=r"bad\.csv' line 5002: not UTF-8 text"):
            list(ManifestSource(bad).blocks())
        with pytest.raises(ConfigError, match=r"bad\.csv' line 5002: not UTF-8 text"):
            ManifestSource(bad).check()
        bad.write_bytes(b"key,path\n" + b"a,p\n" * 5000 + b"\xff\xfe,q\n")  # row by row, not in blocks
        with pytest.raises(ConfigError, match=r"bad\.csv' line 5002: not UTF-8 text"):
            list(ManifestSource(bad).blocks())


class TestSourceBlocks:
    """Any source as blocks, read ahead in a thread of its own."""

    def test_every_source_read_ahead_or_not(self, tmp_path: Path) -> None:
        """Directory, iterable and manifest sources give their items' pairs, with and without read-ahead."""
        write(tmp_path / "d" / "a.py", "12")
        sources: list[WorkSource] = [
            DirectorySource(tmp_path / "d"),
            IterableSource(["x", WorkItem("y", 3)]),
            ManifestSource(write(tmp_path / "m.csv", "key,size\na,1\nb,2\n")),
        ]
        for source in sources:
            expected = [(item.key, item.size) for item in source]
            assert _pairs(source_blocks(source, ahead=0)) == expected
            assert _pairs(source_blocks(source, ahead=2)) == expected

    def test_read_ahead_raises_the_readers_error_in_the_caller(self, tmp_path: Path) -> None:
        """A bad row found by the reading thread is raised where the blocks are consumed."""
        manifest = write(tmp_path / "m.csv", "key,size\n" + "a,1\n" * 100 + "b,x\n")
        with pytest.raises(ConfigError, match="line 102"):
            list(source_blocks(ManifestSource(manifest), ahead=1))

    def test_closing_early_stops_the_reader(self, tmp_path: Path) -> None:
        """A consumer that stops early (its write failed) leaves no reading thread behind."""
        manifest = write(tmp_path / "m.csv", "key,size\n" + "".join(f"k{i},1\n" for i in range(100_000)))
        before = threading.active_count()
        blocks = source_blocks(ManifestSource(manifest), ahead=1)
        next(blocks)
        blocks.close()  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        while threading.active_count() > before and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        assert threading.active_count() == before
