"""Notebook parameters, validated: one pydantic model per notebook, one clear error naming the bad one.

papermill only warns about unknown parameter names and injects whatever literal it is given, so every
notebook validates its parameters in the cell after the ``parameters`` cell::

    params = MigrationReportParams.from_namespace(globals())

and ``omnimemory-kit report`` validates the ``-p NAME VALUE`` pairs with the same model before it starts a
kernel (``parse_cli_parameters``). Either way a bad value ends in one ``NotebookParameterError`` that names
the notebook, the parameter and what is wrong with it.

Plain papermill only warns about a misspelt name (``-p runid demo``) and injects it anyway, so
``from_namespace`` also reads the cell papermill injected (it opens with ``# Parameters``; IPython keeps
every executed cell in ``In``) and refuses a name the notebook does not have, listing the valid ones.

Relative paths (store files, sources, config files) resolve against ``notebook_base_dir()``: the
directory in ``$OMNIMEMORY_KIT_BASE`` when set (``python3 dev.py lab`` sets it to the project root),
the project root when the kernel runs in the kit's own ``notebooks/`` folder (JupyterLab starts kernels
in the notebook's folder), and the current directory otherwise (papermill, ``omnimemory-kit report``).
A validated model holds absolute paths, and a path that must exist and does not is refused naming the
directory it was resolved against.
"""

from __future__ import annotations

import ast
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omnimemory_kit.errors import NotebookParameterError
from omnimemory_kit.observability import redact

__all__ = [
    "BASE_DIR_ENV",
    "PARAMETER_MODELS",
    "HealthParams",
    "MigrationParams",
    "MigrationReportParams",
    "NotebookParams",
    "injected_names",
    "notebook_base_dir",
    "parameter_model",
    "parse_cli_parameters",
]

_FUNCTION_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_STORE_SCHEMES = ("sqlite:", "postgresql:", "postgres:", "postgresql+psycopg:")
_NONE_WORDS = frozenset({"none", "null", "~"})
_SECRET_FIELDS = frozenset({"store_url", "postgres_dsn", "redis_url"})

#: Relative paths in notebook parameters resolve against this directory when it is set.
BASE_DIR_ENV = "OMNIMEMORY_KIT_BASE"
# papermill's injected cell opens with this comment (papermill.translators: codify(comment="Parameters"))
_INJECTED_MARKER = "# Parameters"
_BUNDLED_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def notebook_base_dir() -> Path:
    """Return the directory relative paths in notebook parameters resolve against (see the module doc)."""
    configured = os.environ.get(BASE_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    here = Path.cwd().resolve()
    if here == _BUNDLED_NOTEBOOKS.resolve():  # a kernel JupyterLab started beside the kit's notebooks
        return here.parent
    return here


def injected_names(namespace: Mapping[str, Any]) -> list[str]:
    """Return the names papermill injected in this kernel (its ``# Parameters`` cell), in order."""
    history = namespace.get("In")
    if not isinstance(history, list):
        return []
    for source in reversed(history):
        if isinstance(source, str) and source.lstrip().startswith(_INJECTED_MARKER):
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return []
            names: list[str] = []
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else []
                if isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                names += [t.id for t in targets if isinstance(t, ast.Name)]
            return names
    return []


def _resolve(path: str) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else notebook_base_dir() / candidate


def _where(given: str) -> str:
    """Say where a relative path was looked for (nothing to add for an absolute one)."""
    if Path(given).expanduser().is_absolute():
        return ""
    return f" (relative paths resolve against {notebook_base_dir()})"


def _resolve_store_url(value: str) -> tuple[str, Path | None]:
    """Return the URL with a relative SQLite path made absolute, and that file (None: no file)."""
    lowered = value.lower()
    if "://" in value and not lowered.startswith("sqlite:"):
        return value, None  # PostgreSQL: nothing on this machine's disk
    if lowered.startswith("sqlite:"):
        if not lowered.startswith("sqlite:///"):
            return value, None  # sqlite:// (in memory) or malformed: open_store says which
        path, mark, query = value[len("sqlite:///") :].partition("?")
        if path in ("", ":memory:"):
            return value, None
        absolute = _resolve(path)
        return f"sqlite:///{absolute}{mark}{query}", absolute
    if value == ":memory:":
        return value, None
    absolute = _resolve(value)
    return str(absolute), absolute


def _store_path_of(value: str) -> str:
    """Return the path part of a SQLite URL or plain path, as the user wrote it."""
    return value[len("sqlite:///") :].partition("?")[0] if value.lower().startswith("sqlite:///") else value


class NotebookParams(BaseModel):
    """Base of every notebook's parameter model: frozen, unknown names refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The notebook these parameters belong to (its file name without ``.ipynb``).
    notebook: ClassVar[str] = ""

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        # a notebook displays its parameters: never a password in a URL or DSN
        for name, value in super().__repr_args__():
            yield name, redact(value) if isinstance(value, str) else value

    @classmethod
    def validate_parameters(cls, values: Mapping[str, Any]) -> Self:
        """Validate ``values``; raise ``NotebookParameterError`` naming the first bad parameter."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise _parameter_error(cls, exc) from None

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any]) -> Self:
        """Validate the parameters in a notebook's namespace (``globals()``).

        Other names in the namespace are ignored, except those papermill injected: a name the notebook
        does not declare (a misspelling) is refused, listing the valid names.
        """
        for name in injected_names(namespace):
            if name not in cls.model_fields:
                raise NotebookParameterError(cls.notebook, name, _unknown(cls))
        return cls.validate_parameters({k: namespace[k] for k in cls.model_fields if k in namespace})

    #: Whether the SQLite store file must exist already (a report reads it; a run or a check creates it).
    store_must_exist: ClassVar[bool] = False

    @field_validator("store_url", check_fields=False)
    @classmethod
    def _check_store_url(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if "://" in value and not value.lower().startswith(_STORE_SCHEMES):
            raise ValueError("must be a file path, a sqlite:///path or a postgresql://... URL")
        resolved, path = _resolve_store_url(value)
        if path is not None:
            given = _store_path_of(value)
            if cls.store_must_exist and not path.is_file():
                raise ValueError(f"no store at {given!r}{_where(given)}: run the migration first")
            if not path.parent.is_dir():
                raise ValueError(f"no folder {str(path.parent)!r} for the store {given!r}{_where(given)}")
        return resolved


def _unknown(model: type[NotebookParams]) -> str:
    return f"unknown parameter; the parameters are {', '.join(model.model_fields)}"


def _parameter_error(model: type[NotebookParams], exc: ValidationError) -> NotebookParameterError:
    error = exc.errors(include_url=False)[0]
    location = [str(part) for part in error.get("loc", ())]
    name = location[0] if location else "?"
    if error.get("type") == "extra_forbidden":
        return NotebookParameterError(model.notebook, name, _unknown(model))
    problem = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if name not in _SECRET_FIELDS and "input" in error and repr(error["input"]) not in problem:
        problem += f" (got {error['input']!r})"
    return NotebookParameterError(model.notebook, name, problem)


class MigrationParams(NotebookParams):
    """Parameters of ``notebooks/migration.ipynb``: run or resume one migration."""

    notebook: ClassVar[str] = "migration"

    store_url: str = Field("demo-output/omnimemory-demo.db", description="where the journal lives")
    run_id: str = Field("notebook", min_length=1, max_length=200, description="the run to start or resume")
    source: str = Field("demo-output/legacy_tools", min_length=1, description="what to migrate (source spec)")
    migration_function: str = Field(
        "omnimemory_kit.migration.demo:migrate_legacy_tool",
        description="module:function that migrates one item",
    )
    validate_function: str | None = Field(
        None, description="module:function checking each migrated item after its batch (None: no check)"
    )
    batch_size: int = Field(25, ge=1, le=100_000, description="items per batch")
    concurrency: int = Field(4, ge=1, le=1024, description="items migrated at once")
    retries: int = Field(2, ge=0, le=100, description="extra attempts for a failing item")
    dry_run: bool = Field(False, description="call nothing, only show what would be migrated")
    interactive: bool | None = Field(
        None,
        description="widgets and a live chart (None: when a notebook frontend is connected; False: run to "
        "the end, as papermill does)",
    )
    max_points: int = Field(500, ge=2, le=100_000, description="most points per time-series chart")
    health_config: str | None = Field(
        None, description="health config TOML with a [throttle] table to gate the run on (None: no gating)"
    )

    @field_validator("health_config")
    @classmethod
    def _health_config_loads(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from omnimemory_kit.errors import HealthConfigError
        from omnimemory_kit.health.config import load_health_config
        from omnimemory_kit.migration.throttle import policy_from_health_config

        path = _resolve(value)
        if not path.is_file():
            raise ValueError(f"no health config file at {value!r}{_where(value)}")
        try:
            policy_from_health_config(load_health_config(path))
        except HealthConfigError as exc:
            raise ValueError(str(exc)) from None
        return str(path)

    @field_validator("source")
    @classmethod
    def _resolve_source(cls, value: str) -> str:
        path = _resolve(value)
        if not path.exists():
            raise ValueError(f"no source at {value!r}{_where(value)}")
        return str(path)

    @field_validator("migration_function", "validate_function")
    @classmethod
    def _check_function(cls, value: str | None) -> str | None:
        if value is not None and not _FUNCTION_SPEC.match(value):
            raise ValueError("must look like 'package.module:function'")
        return value


class MigrationReportParams(NotebookParams):
    """Parameters of ``notebooks/migration_report.ipynb``: report on one run, or every run, in a store."""

    notebook: ClassVar[str] = "migration_report"
    store_must_exist: ClassVar[bool] = True

    store_url: str = Field("demo-output/omnimemory-demo.db", description="where the journal lives")
    run_id: str | None = Field(None, description="the run to report on (None: every run in the store)")
    slowest: int = Field(20, ge=1, le=1000, description="how many of the slowest items to show")
    failures: int = Field(50, ge=0, le=10_000, description="how many failed items to list")
    max_points: int = Field(500, ge=2, le=100_000, description="most points per time-series chart")


class HealthParams(NotebookParams):
    """Parameters of ``notebooks/health.ipynb``: run the checks now, then explore the recorded history."""

    notebook: ClassVar[str] = "health"

    store_url: str = Field("demo-output/omnimemory-demo.db", description="where the health history lives")
    config: str | None = Field(None, description="health checks TOML file (None: disk and store checks)")
    postgres_dsn: str | None = Field(None, description="also check this PostgreSQL (None: skip)")
    redis_url: str | None = Field(None, description="also check this Redis (None: skip)")
    run_checks: bool = Field(True, description="run the checks now and record a snapshot")
    since_hours: float = Field(24.0, gt=0, le=24 * 366, description="how far back to explore the history")
    flapping_threshold: int = Field(3, ge=1, le=1000, description="status changes that count as flapping")
    max_points: int = Field(500, ge=2, le=100_000, description="most points per time-series chart")

    @field_validator("config")
    @classmethod
    def _config_exists(cls, value: str | None) -> str | None:
        if value is None:
            return None
        path = _resolve(value)
        if not path.is_file():
            raise ValueError(f"no health config file at {value!r}{_where(value)}")
        return str(path)


#: The parameter model of each bundled notebook, by notebook name.
PARAMETER_MODELS: dict[str, type[NotebookParams]] = {
    model.notebook: model for model in (MigrationParams, MigrationReportParams, HealthParams)
}


def parameter_model(notebook: str) -> type[NotebookParams] | None:
    """Return the parameter model of a bundled notebook (by name or path), or None for another notebook."""
    stem = notebook.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".ipynb")
    return PARAMETER_MODELS.get(stem)


def _accepts_none(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        annotation
    )


def parse_cli_parameters(model: type[NotebookParams], pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn command-line ``NAME VALUE`` strings into typed, validated values for papermill.

    Only the parameters given are returned (the notebook keeps its own defaults for the rest).
    ``none``/``null`` means None where a parameter accepts None.

    Raises:
        NotebookParameterError: a name is unknown or a value does not fit (naming it).
    """
    raw: dict[str, Any] = {}
    for name, text in pairs:
        field = model.model_fields.get(name)
        if field is None:
            raise NotebookParameterError(model.notebook, name, _unknown(model))
        raw[name] = None if _accepts_none(field.annotation) and text.strip().lower() in _NONE_WORDS else text
    validated = model.validate_parameters(raw)
    return {name: getattr(validated, name) for name in raw}
