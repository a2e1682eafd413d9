"""A SQLite store file that a command created and then left without a run is removed when the command fails.

``migrate`` creates its store before some input errors can be seen (a bad manifest row found while the run's
items are added, a run to re-run that is not there, a metrics port in use): the user fixes the input and
should not find an empty store file left behind by the attempt. Only a file this command created is ever
removed (it did not exist when the command started), and only while it holds no run, so nothing recorded,
by this command or by another process that opened the same new file meanwhile, is lost.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

from omnimemory_kit.errors import KitError
from omnimemory_kit.store import open_store
from omnimemory_kit.store.url import is_postgres_url, parse_sqlite_url

__all__ = ["removes_new_store_on_failure"]

F = TypeVar("F", bound=Callable[..., Any])
_log = logging.getLogger(__name__)

_SIDE_FILES: Final = ("-wal", "-shm", "-journal")
"""What SQLite keeps beside a database file."""


def removes_new_store_on_failure(command: F) -> F:
    """Wrap a command taking ``store_url`` (and maybe ``dry_run``): remove the store it created if it fails.

    Failing is any exception, or ``sys.exit`` with a code other than 0. A dry run creates no store.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        created = None if kwargs.get("dry_run") else _files_to_be_created(kwargs.get("store_url"))
        try:
            return command(*args, **kwargs)
        except SystemExit as exc:
            if created and exc.code not in (0, None):
                _remove_if_empty(created)
            raise
        except BaseException:
            if created:
                _remove_if_empty(created)
            raise

    return wrapper  # type: ignore[return-value]  # same signature: functools.wraps


def _files_to_be_created(url: object) -> list[Path]:
    """Return the store file ``url`` names and its side files that do not exist yet; [] when it exists."""
    if not isinstance(url, str) or is_postgres_url(url):
        return []  # a PostgreSQL schema is not a file to remove: it stays, empty
    try:
        location = parse_sqlite_url(url)
    except KitError:
        return []  # refused before anything is opened
    if location.in_memory:
        return []
    path = Path(location.path)
    if path.exists() or path.is_symlink():
        return []
    return [path, *(p for s in _SIDE_FILES if not (p := path.with_name(path.name + s)).exists())]


def _remove_if_empty(created: list[Path]) -> None:
    """Remove the files in ``created`` when the store among them holds no run (an empty file: none)."""
    path = created[0]
    try:
        if not path.is_file():
            return
        if path.stat().st_size:
            with open_store(path, read_only=True) as store:
                if store.list_runs():
                    return
        for file in created:
            file.unlink(missing_ok=True)
    except (KitError, OSError) as exc:  # kept as it is: the command's own error is the one to show
        _log.debug("left %s in place: %s", path, exc)
