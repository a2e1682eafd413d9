"""What the run commands check alike: the run ids people may name.

Shared by ``migrate``, ``worker``, ``validate`` and ``control`` (what two commands share lives in one helper
module), and light: ``control`` imports it and loads no runner.

- ``check_run_id``: a run id a user names. ``~`` is refused, because it names a run's hidden companion runs
  (``RUN~validation``, ``RUN~control``, ``RUN~validation-pass``).
"""

from __future__ import annotations

from typing import Final

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.store.base import check_run_id as check_storable_run_id
from omnimemory_kit.text import printable

__all__ = ["RESERVED", "check_run_id"]

RESERVED: Final = "~"
"""What joins a run id and the name of one of its hidden companion runs (``RUN~validation``)."""


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if a user may name it: storable text, and no ``~``.

    Raises:
        ConfigError: the run id is blank, not storable text, or holds ``~`` (the message says why).
    """
    check_storable_run_id(run_id)
    if RESERVED in run_id:
        raise ConfigError(
            f"run id '{printable(run_id)}' holds '~', which is kept for a run's hidden companion runs "
            f"(RUN~validation, RUN~control); choose another"
        )
    return run_id
