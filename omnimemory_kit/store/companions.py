"""Companion runs: runs the store keeps for a run's own machinery, hidden from run listings.

A companion run's id is its run's id plus a suffix, and its ``source`` names its kind:

- ``RUN_ID~control``: the run's control stream (operator commands, ``migration.control``);
- ``RUN_ID~validation``: the run's validation queue (``migration.validation_pipeline``);
- ``RUN_ID~validation-pass``: the lease a separate validation pass holds (``migration.validation_lease``).

Listings (``runs``, the ledger, ``runs_frame``) leave them out: they are parts of a run, not runs. Both the
suffix and the source must match, so a user's own run that merely ends in ``~control`` stays listed.
"""

from __future__ import annotations

from typing import Final

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.text import printable

__all__ = [
    "CONTROL_SUFFIX",
    "VALIDATION_PASS_SUFFIX",
    "VALIDATION_SUFFIX",
    "is_companion",
    "refuse_companion",
]

CONTROL_SUFFIX: Final = "~control"
VALIDATION_SUFFIX: Final = "~validation"
VALIDATION_PASS_SUFFIX: Final = "~validation-pass"

_SOURCE_OF: Final = {
    CONTROL_SUFFIX: "control",
    VALIDATION_SUFFIX: "validation",
    VALIDATION_PASS_SUFFIX: "validation-pass",
}
"""Each companion suffix and the ``source`` its companion runs are created with."""

_WHAT: Final = {
    CONTROL_SUFFIX: "control stream",
    VALIDATION_SUFFIX: "validation queue",
    VALIDATION_PASS_SUFFIX: "validation pass lease",
}


def is_companion(run_id: str, source: str | None) -> bool:
    """Tell whether a run (its id and recorded source) is a companion of another run."""
    return _companion_suffix(run_id, source) is not None


def refuse_companion(run_id: str, source: str | None) -> None:
    """Refuse a companion run where a run is asked for (``status``, ``report``): it is a part of its run.

    Raises:
        ConfigError: the run is a companion; the message names its run, to ask for instead.
    """
    suffix = _companion_suffix(run_id, source)
    if suffix is None:
        return
    owner = printable(run_id[: -len(suffix)])
    raise ConfigError(
        f"run '{printable(run_id)}' is the {_WHAT[suffix]} of run '{owner}', a part of that run and not a "
        f"run of its own: ask for '{owner}'"
    )


def _companion_suffix(run_id: str, source: str | None) -> str | None:
    """Return the companion suffix of a run whose id ends with it and whose source says its kind."""
    if "~" not in run_id:
        return None
    return next(
        (suffix for suffix, kind in _SOURCE_OF.items() if run_id.endswith(suffix) and source == kind), None
    )
