"""What the run commands check alike: the run ids people may name, a run's validate function, its exit code.

Shared by ``migrate``, ``worker``, ``validate`` and ``control`` (what two commands share lives in one helper
module), and light: ``control`` imports it and loads no runner.

- ``check_run_id``: a run id a user names. ``~`` is refused, because it names a run's hidden companion runs
  (``RUN~validation``, ``RUN~control``, ``RUN~validation-pass``).
- ``choose_validate``: the validate function a command works a run with. The one recorded with the run
  unless ``--no-validate``; a ``--validate`` naming another one is refused. A new run records the spec made
  unambiguous (``record_params``): a ``file.py:function`` spec with the file's absolute path, and a
  ``module:function`` one with the folder the module was found in, when only the current directory put it
  on the import path; so ``validate RUN`` finds it from any directory.
- ``validation_code``: the exit code a run's validation maps to (mismatches and errors: 1).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import click

from omnimemory_kit.cli.exit_codes import EXIT_FAILED, EXIT_OK
from omnimemory_kit.errors import ConfigError, RunNotFoundError
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.store.base import check_run_id as check_storable_run_id
from omnimemory_kit.text import printable

if TYPE_CHECKING:
    from omnimemory_kit.migration.validation import ValidationSummary
    from omnimemory_kit.store import JournalStore

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CHECK_TIMEOUT: Final = 60.0
"""``validation_checks.CHECK_TIMEOUT``, spelled here so that ``control``, which imports this module, does not
import the checks (a test holds the two equal)."""

__all__ = [
    "RESERVED",
    "ValidateChoice",
    "check_run_id",
    "choose_validate",
    "load_recorded_validate",
    "resolve_validate",
    "validate_switches",
    "validation_code",
]

RESERVED: Final = "~"
"""What joins a run id and the name of one of its hidden companion runs (``RUN~validation``)."""
_WHAT: Final = "validate function"
_ROOT_PARAM: Final = "validate_root"


def validate_switches(command: F) -> F:
    """Add ``--no-validate`` and ``--check-timeout`` to a command working a run (``migrate``, ``worker``)."""
    command = click.option(
        "--check-timeout",
        type=float,
        default=DEFAULT_CHECK_TIMEOUT,
        show_default=True,
        help="Seconds one check of the validate function may take; a check past it is that item's error.",
    )(command)
    return click.option(
        "--no-validate",
        is_flag=True,
        help="Check nothing, even when the run records a validate function.",
    )(command)


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


@dataclass(frozen=True, slots=True)
class ValidateChoice:
    """A validate function, loaded, with the spec recorded for it (and where its module was found)."""

    spec: str
    fn: Callable[..., Any]
    root: str | None = None

    def record_params(self) -> dict[str, Any]:
        """Return the run params that record this function with a new run."""
        return {"validate": self.spec, **({} if self.root is None else {_ROOT_PARAM: self.root})}


def resolve_validate(spec: str) -> ValidateChoice:
    """Load the validate function ``spec`` names; return it with its spec made unambiguous.

    ``path/to/file.py:function`` becomes ``/absolute/path/to/file.py:function``; ``module:function`` stays
    as it is, with the folder its top-level module was found in when that folder is the current directory
    (or a relative entry of the import path), which another directory would not find.

    Raises:
        ConfigError: the spec is malformed or its function cannot be loaded (the message names it).
    """
    fn = load_function(spec, what=_WHAT)
    module_part = spec.rpartition(":")[0]
    if module_part.endswith(".py"):
        return ValidateChoice(_absolute(spec), fn)
    return ValidateChoice(spec, fn, _cwd_root(module_part))


def _cwd_root(module_name: str) -> str | None:
    """Return the folder holding ``module_name``'s top-level module when only the cwd makes it importable."""
    top = sys.modules.get(module_name.partition(".")[0])
    found = getattr(top, "__spec__", None)
    origin = getattr(found, "origin", None)
    if found is None or not origin or not getattr(found, "has_location", False):
        return None
    place = Path(origin).resolve().parent
    root = place.parent if found.submodule_search_locations is not None else place
    cwd = Path.cwd().resolve()
    relative = {(cwd / entry).resolve() for entry in sys.path if not os.path.isabs(entry)}
    return str(root) if root == cwd or root in relative else None


def load_recorded_validate(run_id: str, params: Mapping[str, Any]) -> ValidateChoice | None:
    """Load the validate function recorded with a run (None: it records none).

    A ``module:function`` that is not importable here is looked for in the folder recorded with it.

    Raises:
        ConfigError: the recorded function cannot be loaded here (the message names it).
    """
    spec = params.get("validate")
    if not isinstance(spec, str) or not spec:
        return None
    root = params.get(_ROOT_PARAM)
    root = root if isinstance(root, str) and root else None
    try:
        try:
            return ValidateChoice(spec, load_function(spec, what=_WHAT), root)
        except ConfigError:
            if root is None or spec.rpartition(":")[0].endswith(".py"):
                raise
            # found through the directory the run was created from: look there
            sys.path.append(root)
            importlib.invalidate_caches()
            return ValidateChoice(spec, load_function(spec, what=_WHAT), root)
    except ConfigError as exc:
        where = f" (recorded from {root})" if root is not None else ""
        raise ConfigError(
            f"run {run_id!r}: its validate function {spec!r}{where} cannot be loaded here: {exc}"
        ) from exc


def choose_validate(
    store: JournalStore, run_id: str, given: ValidateChoice | None, *, no_validate: bool = False
) -> ValidateChoice | None:
    """Return the validate function to work ``run_id`` with (None: no checks).

    The one ``--validate`` names (``given``, from ``resolve_validate``) for a new run or a run that records
    none, else the one recorded with the run; none with ``--no-validate``.

    Raises:
        ConfigError: both options, a recorded function that cannot be loaded here, or a ``--validate``
            other than the one the run records (the message names both).
    """
    if given is not None and no_validate:
        raise ConfigError("--validate and --no-validate exclude each other")
    if no_validate:
        return None
    try:
        params: Mapping[str, Any] = store.get_run(run_id).params
    except RunNotFoundError:
        params = {}
    if given is None:
        return load_recorded_validate(run_id, params)
    recorded = params.get("validate")
    if isinstance(recorded, str) and recorded and _absolute(recorded) != given.spec:
        raise ConfigError(
            f"run {run_id!r} records validate function {recorded!r}, not {given.spec!r}: leave out "
            f"--validate to check with the recorded one, or pass --no-validate"
        )
    return given


def _absolute(spec: str) -> str:
    """Return a spec with its file, if it names one, as an absolute path (a spec recorded as typed)."""
    module_part, _, attr_part = spec.rpartition(":")
    if not module_part.endswith(".py"):
        return spec
    return f"{Path(module_part).expanduser().resolve()}:{attr_part}"


def validation_code(
    checked: ValidationSummary | None, *, outcome: int = EXIT_OK, pending_fails: bool = True
) -> int:
    """Return a run's exit code: its migration's ``outcome`` unless that is 0, else what its validation says.

    0 when nothing was checked or every succeeded item is validated; 1 when an item is mismatched or its
    check failed, or (``pending_fails``) an item still waits for its check.
    """
    if outcome != EXIT_OK or checked is None:
        return outcome
    if checked.mismatched or checked.error or (pending_fails and checked.pending):
        return EXIT_FAILED
    return EXIT_OK
