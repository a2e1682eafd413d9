"""The files under a directory that match a glob pattern, streamed in the order of their keys.

Why not ``Path.glob``: its matches come in directory order, so giving them in key order means listing the
whole tree first (gigabytes for ten million files) before the first can be handed out. This walk reads
one directory at a time, sorts that directory's entries and goes depth first, so memory grows with the
largest directory and the depth, not the tree.

Order: a key is the path relative to the root with ``/`` separators, ordered as Python orders strings.
Every key under a folder ``name`` starts with ``name + "/"``, so sorting a directory's folders as
``name + "/"`` and its files as ``name`` puts the keys of the walk in the order of a global sort (``a/x``
comes after ``a.txt`` and ``a-b`` because ``/`` sorts after ``.`` and ``-``).

Matching is that of Python 3.11's ``pathlib.Path.glob`` on POSIX, run as a set of positions in the
pattern's parts (each path is visited once, even where a pattern could reach it two ways):

- ``*``, ``?`` and ``[seq]`` match within one name, case-sensitively (``fnmatchcase``); ``*`` matches names
  that start with a dot. A part without them is a name looked up as it is.
- ``**`` is zero or more folders, and does not enter linked folders; any other part followed by more parts
  does enter a linked folder. A pattern ending in ``**`` or ``/`` matches folders only, so no file.
- Only files are yielded (a link to a file is one). A folder that cannot be read is skipped with a warning
  (``Path.glob`` skips it silently), one that vanished during the walk is skipped.

A walk cannot loop through linked folders: only a part other than ``**`` enters a link, and it uses up a
part of the pattern.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path, PurePosixPath
from typing import Protocol

from omnimemory_kit.text import printable

_log = logging.getLogger("omnimemory_kit.migration")

Scandir = Callable[[Path], AbstractContextManager[Iterator["os.DirEntry[str]"]]]
"""``os.scandir``'s shape, so a test can make one folder fail."""

_RECURSIVE = "**"


class _Entry(Protocol):
    """What the walk asks of a folder's entry: ``os.DirEntry``, or a name looked up (``_Named``)."""

    @property
    def name(self) -> str: ...
    def is_dir(self, *, follow_symlinks: bool = True) -> bool: ...
    def is_file(self) -> bool: ...
    def is_symlink(self) -> bool: ...


class _Named:
    """A child named by a literal part of the pattern, tested without listing its folder (as pathlib does)."""

    __slots__ = ("_path", "name")

    def __init__(self, parent: Path, name: str) -> None:
        self.name = name
        self._path = os.path.join(parent, name)

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        if not follow_symlinks and os.path.islink(self._path):
            return False
        return os.path.isdir(self._path)

    def is_file(self) -> bool:
        return os.path.isfile(self._path)

    def is_symlink(self) -> bool:
        return os.path.islink(self._path)


class _Pattern:
    """A glob's parts and how each matches a name; positions ``0..len-1`` index the parts."""

    def __init__(self, pattern: str) -> None:
        parts = PurePosixPath(pattern).parts
        for part in parts:
            if part != _RECURSIVE and _RECURSIVE in part:
                raise ValueError("Invalid pattern: '**' can only be an entire path component")
        self.parts = parts
        self.last = len(parts) - 1
        # Folders only (pathlib's reading): a trailing '/', a last '**'; '.' alone has no part at all.
        self.matches_files = bool(parts) and not pattern.endswith("/") and parts[-1] != _RECURSIVE
        self.literal = [part if not _is_wildcard(part) else None for part in parts]
        self._match = [re.compile(fnmatch.translate(part)).fullmatch for part in parts]
        self._closures: dict[frozenset[int], frozenset[int]] = {}

    def closure(self, positions: frozenset[int]) -> frozenset[int]:
        """Return the positions with, after each ``**``, the next part too (``**`` may match no folder)."""
        closed = self._closures.get(positions)
        if closed is None:
            found = set(positions)
            todo = list(positions)
            while todo:
                at = todo.pop()
                if self.parts[at] == _RECURSIVE and at < self.last and at + 1 not in found:
                    found.add(at + 1)
                    todo.append(at + 1)
            closed = self._closures[positions] = frozenset(found)
        return closed

    def step(self, positions: frozenset[int], entry: _Entry) -> tuple[frozenset[int], bool]:
        """Return the positions inside ``entry`` as a folder, and whether it is a match as a file."""
        after: set[int] = set()
        matched = False
        name = entry.name
        for at in positions:
            part = self.parts[at]
            if part == _RECURSIVE:
                if _test(entry.is_dir, follow_symlinks=False):
                    after.add(at)
            elif name == part if self.literal[at] is not None else self._match[at](name):
                if at == self.last:
                    matched = True
                elif _test(entry.is_dir):
                    after.add(at + 1)
        return (self.closure(frozenset(after)) if after else frozenset()), matched


def walk_files(
    root: Path, pattern: str, *, scandir: Scandir = os.scandir
) -> Iterator[tuple[str, Path, bool]]:
    """Yield ``(key, path, linked)`` for each file under ``root`` matching ``pattern``, sorted by key.

    ``linked`` says whether a symbolic link lies on the way (the folders or the file itself): only then
    can the file resolve outside ``root``.

    Raises:
        ValueError: a part of the pattern holds ``**`` with other characters (as ``Path.glob`` does).
    """
    glob = _Pattern(pattern)
    if not glob.matches_files:
        return
    # Per folder being walked: its sorted children still to take, its path, its key prefix, and whether
    # a link led to it.
    stack = [(iter(_children(glob, root, glob.closure(frozenset({0})), scandir)), root, "", False)]
    while stack:
        children, folder, prefix, folder_linked = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if isinstance(child, str):
            yield f"{prefix}{child}", folder / child, folder_linked
            continue
        _, name, inside, linked = child
        path = folder / name
        if not inside:
            yield f"{prefix}{name}", path, True  # a linked file
            continue
        folder_key = f"{prefix}{name}/"
        stack.append(
            (iter(_children(glob, path, inside, scandir)), path, folder_key, folder_linked or linked)
        )


# A folder's child: a plain file as its bare name (a folder of millions of files holds little more than
# their names); a folder to walk, or a linked file, as (sort name, name, positions inside, linked).
_Child = str | tuple[str, str, frozenset[int], bool]


def _children(glob: _Pattern, folder: Path, positions: frozenset[int], scandir: Scandir) -> list[_Child]:
    """Return the children of ``folder`` to walk into or yield, sorted as their keys sort."""
    literal = glob.literal
    try:
        if all(literal[at] is not None for at in positions):
            return _sorted(
                glob, positions, [_Named(folder, name) for name in {literal[at] or "" for at in positions}]
            )
        with scandir(folder) as listing:
            return _sorted(glob, positions, listing)
    except PermissionError:
        _log.warning("skipped folder %s: it cannot be read (permission denied)", printable(str(folder)))
    except (FileNotFoundError, NotADirectoryError):  # gone since its parent was read
        pass
    return []


def _sorted(glob: _Pattern, positions: frozenset[int], entries: Iterable[_Entry]) -> list[_Child]:
    """Return the entries to walk into (positions left) or yield (files matching the last part), sorted."""
    children: list[_Child] = []
    for entry in entries:
        inside, matched = glob.step(positions, entry)
        name = entry.name
        if inside:
            children.append((name + "/", name, inside, _test(entry.is_symlink)))
        elif matched and _test(entry.is_file):
            children.append((name, name, inside, True) if _test(entry.is_symlink) else name)
    children.sort(key=_sort_name)
    return children


def _sort_name(child: _Child) -> str:
    return child if isinstance(child, str) else child[0]


def _is_wildcard(part: str) -> bool:
    return "*" in part or "?" in part or "[" in part


def _test(check: Callable[..., bool], **kwargs: bool) -> bool:
    # An entry that vanished, loops, or cannot be looked at is neither a file nor a folder to enter.
    try:
        return check(**kwargs)
    except OSError:
        return False
