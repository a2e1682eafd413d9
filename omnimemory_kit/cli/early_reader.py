"""Printing to a reader that may leave early (``omnimemory-kit status RUN | head -1``).

When the reader of a pipe exits, the next write raises ``BrokenPipeError`` (Python ignores SIGPIPE). A
command that only shows something has done its job then: ``reader_may_leave`` ends it with exit status 0
and nothing on stderr, instead of click's status 1, and points stdout at ``os.devnull`` first, because
Python flushes stdout once more on the way out and that flush would fail (and print) the same way. Only for
what commands print once their work is done (``status``, ``runs``, ``control`` after its command is
journaled): a command still working must not report success because its reader left.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from omnimemory_kit.cli.exit_codes import EXIT_OK

__all__ = ["reader_may_leave"]


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """Run the block's printing; exit 0 quietly if the reader of stdout has left (a broken pipe)."""
    try:
        yield
        sys.stdout.flush()  # what is still buffered fails here, inside the block, not at exit
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(EXIT_OK)


def _silence_stdout() -> None:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a file (a test's capture): nothing left to flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
