"""Where a migration's work items come from: a directory glob, a manifest (CSV or JSONL), any iterable.

A source streams ``MigrationItem``\\ s (key, size, path) in a deterministic order and has an ``identity``
string recorded with the run, so a run id reused with a different source is refused. The journal stores
only keys and sizes; a source turns a key back into the item the migration function receives
(``resolve``), which is how a resumed run finds the file behind a key.

Size: a source may say cheaply about how many items it holds, Python's way (``__len__``, or
``__length_hint__`` read by ``operator.length_hint``), so a runner knows before adding them whether a run
is large enough to track leanly. ``IterableSource`` over a sized iterable (a list, a range) gives its
length; ``ManifestSource`` counts its lines without parsing them; ``DirectorySource`` says nothing (it
would have to scan the tree), and neither does a generator.

Keys:
    - ``DirectorySource``: the path relative to the root, with ``/`` separators (stable when the tree is
      moved, and across resumes); sorted. A name that is not valid UTF-8 is kept as Python's
      ``surrogateescape`` string (``os.fsdecode``), so the key opens the real file again.
    - ``ManifestSource``: the ``key`` field, or the ``path`` field when there is no key; manifest order.
    - ``IterableSource``: the string itself, or the ``WorkItem``'s key; iteration order.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import operator
import os
import queue
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.migration.directory_walk import walk_files
from omnimemory_kit.store.base import WorkItem
from omnimemory_kit.store.blocks import item_blocks
from omnimemory_kit.text import STORED_MARKER

_log = logging.getLogger("omnimemory_kit.migration")
_MAX_SIZE = 2**63 - 1  # the stores keep sizes as 64-bit integers
# Lines of a key,size CSV that read the same as JSON strings and numbers: no quoting or escaping in the key
# (no comma, quote, backslash or control character; no STORED_MARKER, so the store keeps the key as it is),
# a size of at most 18 digits without a leading zero (which JSON refuses).
_PLAIN_LINES = re.compile(r'(?:[^,"\\\x00-\x1f\x7f' + STORED_MARKER + r"]+,(?:0|[1-9][0-9]{0,17})\r?\n)*")
_BLOCK_CHARS = 1 << 20  # characters of manifest per block
_COUNT_BYTES = 1 << 20  # bytes of manifest per read while its lines are counted

__all__ = [
    "DirectorySource",
    "IterableSource",
    "ManifestSource",
    "MigrationItem",
    "WorkSource",
    "source_blocks",
    "source_from_spec",
]


@dataclass(frozen=True, slots=True)
class MigrationItem(WorkItem):
    """What the migration function receives: the item's key, its size in bytes, and its file if any.

    A ``WorkItem`` with its file, so a source's items go to the store as they are (no copy per item
    while millions are added).

    Attributes:
        key: the journal key (unique within a run).
        size: bytes (0 when unknown).
        path: the file to migrate, for directory and manifest sources; None for plain iterables.
    """

    path: Path | None = None


# The slots' setters: an item built through them costs about half of what the frozen dataclass's
# __init__ does (an object.__setattr__ call per field), and a run builds one per item it runs.
_SET_KEY, _SET_SIZE, _SET_PATH = (getattr(MigrationItem, f.name).__set__ for f in fields(MigrationItem))
assert [f.name for f in fields(MigrationItem)] == ["key", "size", "path"], (
    "migration_item sets fields by position"
)


def migration_item(key: str, size: int = 0, path: Path | None = None) -> MigrationItem:
    """Return ``MigrationItem(key, size, path)``, built faster (equal, and just as frozen)."""
    built = MigrationItem.__new__(MigrationItem)
    _SET_KEY(built, key)
    _SET_SIZE(built, size)
    _SET_PATH(built, path)
    return built


@runtime_checkable
class WorkSource(Protocol):
    """A stream of work items with a stable identity."""

    @property
    def identity(self) -> str:
        """Return a string naming this source, recorded with the run (``RunMismatchError`` on change)."""
        ...

    def __iter__(self) -> Iterator[MigrationItem]:
        """Yield every item, in a deterministic order."""
        ...

    def resolve(self, item: WorkItem) -> MigrationItem:
        """Turn a journaled item back into what the migration function receives."""
        ...


class DirectorySource:
    """Every file under ``root`` matching a glob ``pattern``, sorted by relative path.

    Nothing outside ``root`` is ever an item: a pattern that is absolute or has a ``..`` part is refused,
    and a match that resolves outside ``root`` (through a symbolic link to a file or a folder elsewhere) is
    skipped, counted in ``outside``, unless ``follow_symlinks_outside`` says to take it. Its key stays the
    link's path under ``root`` either way, so a function writing to ``OUT/<key>`` stays inside ``OUT``.

    Args:
        root: the directory to scan.
        pattern: a ``pathlib`` glob relative to ``root`` (``**`` recurses, without entering linked folders).
        follow_symlinks_outside: take matches whose symbolic links lead outside ``root`` too.
        warn_outside: log a warning when a scan skipped such matches; False for a caller that reports
            ``outside`` itself (the command line does, once), so they are not reported twice.

    Raises:
        ConfigError: ``root`` does not exist, is not a directory, or cannot be read; the pattern is empty,
            absolute, or climbs out of ``root`` with ``..``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        pattern: str = "**/*.py",
        *,
        follow_symlinks_outside: bool = False,
        warn_outside: bool = True,
    ) -> None:
        self.root = Path(root).expanduser().resolve()
        self.pattern = pattern
        self.follow_symlinks_outside = follow_symlinks_outside
        self.warn_outside = warn_outside
        self.outside: list[str] = []
        """Keys of the last scan's matches that lead outside ``root`` and were skipped."""
        if not self.root.exists():
            raise ConfigError(f"source directory {str(root)!r} does not exist")
        if not self.root.is_dir():
            raise ConfigError(f"source {str(root)!r} is not a directory")
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise ConfigError(f"source directory {str(root)!r} cannot be read (permission denied)")
        if not pattern or Path(pattern).is_absolute():
            raise ConfigError(f"glob pattern {pattern!r} must be a non-empty relative pattern")
        if ".." in Path(pattern).parts:
            raise ConfigError(
                f"glob pattern {pattern!r} climbs out of the source directory ('..'); "
                f"patterns match files under SOURCE only"
            )

    @property
    def identity(self) -> str:
        """Return ``directory:<absolute root>:<pattern>``."""
        return f"directory:{self.root}:{self.pattern}"

    def __iter__(self) -> Iterator[MigrationItem]:
        """Yield the matching files under the root, sorted by key, with sizes from ``stat``.

        Streamed (``directory_walk``): the first item comes once its own folders are read, not the whole
        tree. A folder that cannot be read is skipped with a warning. ``outside`` is set, and its warning
        logged, when the walk is over.
        """
        outside: list[str] = []
        follow = self.follow_symlinks_outside
        for key, path, linked in walk_files(self.root, self.pattern):
            # Without a link on the way the file is under the (resolved) root: no resolve per file.
            if linked and not follow and not path.resolve().is_relative_to(self.root):
                outside.append(key)
                continue
            try:
                size = path.stat().st_size
            except OSError:  # vanished since its folder was read: the migration will report it
                size = 0
            yield migration_item(key, size, path)
        self.outside = outside  # in key order, as the walk is
        if outside and self.warn_outside:
            _log.warning(
                "%s: skipped %d match(es) whose symbolic links lead outside the source directory",
                self,
                len(outside),
            )

    def resolve(self, item: WorkItem) -> MigrationItem:
        """Return the item with its file under the root."""
        return migration_item(item.key, item.size, self.root / item.key)

    def __repr__(self) -> str:
        return f"<DirectorySource {str(self.root)!r} pattern={self.pattern!r}>"


class ManifestSource:
    """Items listed in a manifest file: CSV with a header, or JSON Lines.

    CSV needs a ``key`` or ``path`` column and may have ``size``; JSONL lines are objects with ``key``
    and/or ``path`` and optionally ``size``. Relative paths are relative to the manifest's folder. Without
    a ``size``, an existing file's size is read from ``stat``. A key listed twice is migrated once.

    Args:
        manifest: the ``.csv`` or ``.jsonl`` file.
        format: ``"csv"`` or ``"jsonl"``; by default taken from the file's suffix.

    Raises:
        ConfigError: the file does not exist or cannot be read, has an unknown format, or (while
            iterating) a row is malformed; the message names the file and line.
    """

    def __init__(self, manifest: str | os.PathLike[str], *, format: str | None = None) -> None:
        self.manifest = Path(manifest).expanduser().resolve()
        given = str(manifest)
        fmt = format or self.manifest.suffix.lower().lstrip(".")
        if fmt not in ("csv", "jsonl"):
            raise ConfigError(f"manifest {given!r}: unknown format {fmt!r} (use .csv or .jsonl)")
        self.format = fmt
        if not self.manifest.exists():
            raise ConfigError(f"manifest {given!r} does not exist")
        if not self.manifest.is_file():
            raise ConfigError(f"manifest {given!r} is not a file")
        try:
            with self.manifest.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            raise ConfigError(f"manifest {given!r} cannot be read: {exc.strerror or exc}") from exc
        self._paths: dict[str, Path] = {}
        self._names_paths = True  # any JSONL line may name a path
        self.rows: int | None = None
        """Item rows the last whole read found (a key listed twice counts twice); None until one ends."""
        self._rows_read = 0
        if fmt == "csv":
            with self._open() as handle:
                try:
                    header = next(csv.reader(handle), [])
                except UnicodeDecodeError as exc:  # the first read decodes a whole buffer
                    raise self._not_utf8(exc) from exc
                except csv.Error as exc:
                    raise ConfigError(f"manifest {given!r} cannot be read as CSV text: {exc}") from exc
            if "key" not in header and "path" not in header:
                raise ConfigError(f"manifest {given!r} line 1: the header needs a 'key' or 'path' column")
            self._names_paths = "path" in header

    @property
    def names_paths(self) -> bool:
        """Whether a row may name a file for its key (a CSV manifest only with a ``path`` column).

        A manifest that names none resolves a key without being read (``resolve`` gives no path).
        """
        return self._names_paths

    @property
    def identity(self) -> str:
        """Return ``manifest:<absolute path>``."""
        return f"manifest:{self.manifest}"

    def __length_hint__(self) -> int:
        """Return the manifest's rows (lines, less a CSV's header), counted without parsing them.

        At least the items (a blank line, a key listed twice or a quoted newline counts too); 0.15 CPU s
        for a 10M-row manifest (342 MB). NotImplemented (unknown) when the file cannot be read.
        """
        lines = _count_lines(self.manifest)
        if lines is None:
            return NotImplemented  # type: ignore[no-any-return]  # the protocol's "unknown"
        return max(0, lines - 1) if self.format == "csv" else lines

    def _open(self) -> Any:
        try:
            return self.manifest.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise ConfigError(
                f"manifest {str(self.manifest)!r} cannot be read: {exc.strerror or exc}"
            ) from exc

    def __iter__(self) -> Iterator[MigrationItem]:
        """Yield the manifest's items in file order (``rows`` counts them once the last one is read)."""
        self.rows, self._rows_read = None, 0
        if self.format == "csv":
            yield from self._csv_items()
            self.rows = self._rows_read
            return
        count = 0
        for line, row in self._jsonl_rows():
            item = self._item(line, row)
            if item.path is not None:
                self._paths[item.key] = item.path
            count += 1
            yield item
        self.rows = count

    def check(self) -> None:
        """Read the whole manifest once and raise at its first bad row, building no item for good ones.

        Raises:
            ConfigError: a row is malformed (the message names the file and line).
        """
        if self.format != "csv":
            for _ in self:
                pass
            return
        self.rows, self._rows_read = None, 0
        for _ in self._csv_items(check_only=True):
            pass
        self.rows = self._rows_read

    def blocks(self, *, chars: int = _BLOCK_CHARS) -> Iterator[str]:
        """Yield the manifest's items as item blocks (``store.blocks``), reading the file once.

        Raises at the first bad row like iteration, after the blocks before it: a store's
        ``add_item_blocks`` then adds nothing. A CSV whose header is ``key,size`` turns its plain lines (a
        key without quotes, commas, backslashes or control characters, a size in digits) into a block
        straight from the text, ``chars`` characters of lines at a time (about 28,000 lines by default);
        from the first other line on, the rest is read row by row as iteration reads it.

        Raises:
            ConfigError: a row is malformed (the message names the file and line).
        """
        if self.format != "csv":
            yield from item_blocks((item.key, item.size) for item in self)
            return
        self.rows, self._rows_read = None, 0
        with self._open() as handle:
            line = 1
            rest: Iterable[str] = handle
            try:
                if handle.readline().rstrip("\r\n") == "key,size":
                    # Whole reads cut after their last newline (no string per line); the line begun at
                    # the end of one read starts the next.
                    text = ""
                    while chunk := handle.read(chars):
                        text += chunk
                        cut = text.rfind("\n") + 1
                        if not _PLAIN_LINES.fullmatch(text, 0, cut):
                            break
                        plain, text = text[:cut], text[cut:]
                        if not plain:
                            continue  # a line longer than one read
                        line += plain.count("\n")
                        if "\r" in plain:
                            plain = plain.replace("\r\n", "\n")
                        # k1,1\nk2,2\n -> {"k1":1,"k2":2}: the text needs no escaping (see _PLAIN_LINES)
                        yield '{"' + plain[:-1].replace(",", '":').replace("\n", ',"') + "}"
                    rest = itertools.chain(io.StringIO(text, newline=""), handle)  # what is left, if any
                    self._rows_read = line - 1  # a plain line is one item
                else:
                    handle.seek(0)
                    line = 0  # the header is read again, as the first row
            except UnicodeDecodeError as exc:
                raise self._not_utf8(exc) from exc
            yield from item_blocks((item.key, item.size) for item in self._csv_rows(rest, line))
        self.rows = self._rows_read

    def _csv_items(self, *, check_only: bool = False) -> Iterator[MigrationItem]:
        with self._open() as handle:
            yield from self._csv_rows(handle, 0, check_only=check_only)

    def _csv_rows(
        self, lines: Iterable[str], before: int, *, check_only: bool = False
    ) -> Iterator[MigrationItem]:
        # A manifest of millions of rows: csv.reader, and the common row (a key, a size in plain digits,
        # no path column) turned into its item at once; any other row goes through the checks of _item
        # (DictReader's per-row dict was the larger part of reading). A short row reads as missing fields.
        # ``before`` lines were read already (the header among them when it is not in ``lines``).
        reader = csv.reader(lines)
        try:
            header = next(reader, []) if before == 0 else ["key", "size"]
            at = {name: i for i, name in enumerate(header)}  # the last of a name wins, as in DictReader
            columns = [(n, at[n]) for n in ("key", "path", "size") if n in at]
            key_at, size_at = at.get("key", -1), at.get("size", -1)
            fast = key_at >= 0 and size_at >= 0 and "path" not in at
            paths = self._paths
            count = 0
            for row in reader:
                count += 1
                if fast and len(row) > key_at and len(row) > size_at:
                    key, size = row[key_at], row[size_at]
                    if key and size.isascii() and size.isdigit() and len(size) < 19:
                        if not check_only:
                            yield migration_item(key, int(size))
                        continue
                if not row:
                    count -= 1
                    continue  # a blank line, skipped as DictReader does
                width = len(row)
                fields: dict[str, Any] = {n: row[i] if i < width else None for n, i in columns}
                item = self._item(before + reader.line_num, fields)
                if item.path is not None:
                    paths[item.key] = item.path
                yield item
            self._rows_read += count
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc) from exc
        except csv.Error as exc:
            raise self._bad(before + reader.line_num, str(exc)) from exc

    def _jsonl_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        # Binary lines decoded one by one, so an encoding error names the right line.
        try:
            handle = self.manifest.open("rb")
        except OSError as exc:
            raise ConfigError(
                f"manifest {str(self.manifest)!r} cannot be read: {exc.strerror or exc}"
            ) from exc
        with handle:
            for line, raw in enumerate(handle, start=1):
                try:
                    text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
                except UnicodeDecodeError:
                    raise self._bad(line, "not UTF-8 text") from None
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise self._bad(line, f"not valid JSON ({exc.msg})") from exc
                if not isinstance(row, dict):
                    raise self._bad(line, "expected a JSON object with 'key' or 'path'")
                yield line, row

    def _item(self, line: int, row: dict[str, Any]) -> MigrationItem:
        raw_key, raw_path = row.get("key"), row.get("path")
        raw_size = row.get("size")
        path: Path | None = None
        if raw_path not in (None, ""):
            if not isinstance(raw_path, str):
                raise self._bad(line, f"'path' must be a string, not {raw_path!r}")
            path = Path(raw_path)
            if not path.is_absolute():
                path = self.manifest.parent / path
        if raw_key in (None, ""):
            if raw_path in (None, ""):
                raise self._bad(line, "needs a non-empty 'key' or 'path'")
            raw_key = raw_path
        if not isinstance(raw_key, str):
            raise self._bad(line, f"'key' must be a string, not {raw_key!r}")
        if raw_size in (None, ""):
            size = _stat_size(path)
        else:
            try:
                size = int(raw_size)
                if isinstance(raw_size, bool | float):
                    raise ValueError
            except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON 1e400 is infinite
                raise self._bad(line, f"size {raw_size!r} is not a whole number of bytes") from None
            if size < 0:
                raise self._bad(line, f"size {size} is negative")
            if size > _MAX_SIZE:
                raise self._bad(line, f"size {size} is larger than any file (at most {_MAX_SIZE} bytes)")
        return MigrationItem(raw_key, size, path)

    def _bad(self, line: int, what: str) -> ConfigError:
        return ConfigError(f"manifest {str(self.manifest)!r} line {line}: {what}")

    def _not_utf8(self, exc: UnicodeDecodeError) -> ConfigError:
        # A text read decodes whole buffers, so the reader's line count is not where the byte is: find the
        # first line that does not decode on its own (UTF-8 never puts a newline byte inside a character).
        try:
            with self.manifest.open("rb") as handle:
                for line, raw in enumerate(handle, start=1):
                    try:
                        raw.decode("utf-8-sig" if line == 1 else "utf-8")
                    except UnicodeDecodeError:
                        return self._bad(line, "not UTF-8 text")
        except OSError:
            pass  # the file went away meanwhile: say what the read said
        return ConfigError(f"manifest {str(self.manifest)!r} is not UTF-8 text: {exc}")

    def resolve(self, item: WorkItem) -> MigrationItem:
        """Return the item with the file the manifest named for its key (None if it named none)."""
        return migration_item(item.key, item.size, self._paths.get(item.key))

    def __repr__(self) -> str:
        return f"<ManifestSource {str(self.manifest)!r} format={self.format}>"


class IterableSource:
    """Items from any iterable of keys (``str``) or ``WorkItem``/``MigrationItem`` values.

    Args:
        items: the items; iterated once per run (a generator works for a single run).
        name: identifies the source in the run record (pick a name that says what the items are).
    """

    def __init__(self, items: Iterable[str | WorkItem | MigrationItem], *, name: str = "iterable") -> None:
        if isinstance(items, str | bytes):
            raise ConfigError("IterableSource needs an iterable of keys, not a single string")
        self._items = items
        self.name = name
        self._paths: dict[str, Path] = {}

    @property
    def identity(self) -> str:
        """Return ``iterable:<name>``."""
        return f"iterable:{self.name}"

    def __length_hint__(self) -> int:
        """Return the iterable's length when it knows it (a list, a range), else NotImplemented (unknown)."""
        hint = operator.length_hint(self._items, -1)
        return hint if hint >= 0 else NotImplemented

    def __iter__(self) -> Iterator[MigrationItem]:
        """Yield the items in iteration order."""
        for position, value in enumerate(self._items):
            if isinstance(value, str):
                yield migration_item(value)
            elif isinstance(value, MigrationItem):
                if value.path is not None:
                    self._paths[value.key] = value.path
                yield value
            elif isinstance(value, WorkItem):
                yield migration_item(value.key, value.size)
            else:
                raise ConfigError(
                    f"source {self.name!r} item {position}: expected a str or WorkItem, "
                    f"not {type(value).__name__}"
                )

    def resolve(self, item: WorkItem) -> MigrationItem:
        """Return the item (with the path it came with, if it was a ``MigrationItem``)."""
        return migration_item(item.key, item.size, self._paths.get(item.key))

    def __repr__(self) -> str:
        return f"<IterableSource {self.name!r}>"


def source_from_spec(
    spec: str | os.PathLike[str],
    *,
    pattern: str = "**/*.py",
    follow_symlinks_outside: bool = False,
    warn_outside: bool = True,
) -> WorkSource:
    """Build a source from a command-line argument: a directory, a ``.csv`` or a ``.jsonl`` manifest.

    ``pattern``, ``follow_symlinks_outside`` and ``warn_outside`` apply to a directory (see
    ``DirectorySource``).

    Raises:
        ConfigError: the path does not exist, cannot be read, or is a file of another kind.
    """
    path = Path(spec).expanduser()
    if not path.exists():
        raise ConfigError(f"source {str(spec)!r} does not exist")
    if path.is_dir():
        return DirectorySource(
            path, pattern, follow_symlinks_outside=follow_symlinks_outside, warn_outside=warn_outside
        )
    if path.suffix.lower() in (".csv", ".jsonl"):
        return ManifestSource(path)
    raise ConfigError(f"source {str(spec)!r} is neither a directory nor a .csv/.jsonl manifest")


def source_blocks(source: WorkSource, *, ahead: int = 2) -> Iterator[str]:
    """Yield a source's items as item blocks (``store.blocks``), for ``add_item_blocks``.

    With ``ahead`` > 0 the blocks are read in a thread of their own, up to ``ahead`` blocks before the
    one being written, so reading the source overlaps the store's writing (SQLite writes a block in C,
    without the interpreter's lock). An error while reading is raised here, in the caller's thread.
    """
    if isinstance(source, ManifestSource):
        blocks = source.blocks()
    else:
        blocks = item_blocks((item.key, item.size) for item in source)
    return _read_ahead(blocks, ahead) if ahead > 0 else blocks


def _read_ahead(blocks: Iterator[str], ahead: int) -> Iterator[str]:
    handover: queue.Queue[tuple[str | None, BaseException | None]] = queue.Queue(ahead)
    stop = threading.Event()

    def hand(entry: tuple[str | None, BaseException | None]) -> bool:
        while not stop.is_set():  # the reader stops when its consumer has (closed, or collected)
            try:
                handover.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for block in blocks:
                if not hand((block, None)):
                    return
            hand((None, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            hand((None, exc))
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()  # the manifest file, from this thread

    reader = threading.Thread(target=read, name="omnimemory-kit-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            block, error = handover.get()
            if error is not None:
                raise error
            if block is None:
                return
            yield block
    finally:
        stop.set()


def _count_lines(path: Path) -> int | None:
    """Return how many lines the file has (a last one without its newline too), or None if unreadable."""
    lines, last = 0, b"\n"
    try:
        with path.open("rb") as handle:
            while block := handle.read(_COUNT_BYTES):
                lines += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return None
    return lines if last == b"\n" else lines + 1


def _stat_size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return path.stat().st_size
    except OSError:
        return 0
