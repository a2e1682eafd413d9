"""The exit codes every ``omnimemory-kit`` command uses (a leaf: the commands and the group import it).

0  success (``health``: healthy)
1  the work itself failed (a migration finished with failed items, a report notebook raised,
   ``health``: unhealthy)
2  bad input: a wrong argument, parameter, config file or store URL (one clear message on stderr)
3  the store or a service could not be reached or opened
4  ``health`` only: degraded
130 interrupted (Ctrl-C); everything acknowledged so far is kept
"""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_DEGRADED",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
EXIT_DEGRADED = 4
EXIT_INTERRUPTED = 130
