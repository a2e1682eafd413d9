"""Notebook parameters, validated: one pydantic model per notebook, one clear error naming the bad one.

papermill only warns about unknown parameter names and injects whatever literal it is given, so every
notebook validates its parameters in the cell after the ``parameters`` cell::

    params = MigrationReportParams.from_namespace(globals())

and ``omnimemory-kit report`` validates the ``-p NAME VALUE`` pairs with the same model before it starts a
kernel (``parse_cli_parameters``). Either way a bad value ends in one ``NotebookParameterError`` that names
the notebook, the parameter and what is wrong with it.
"""

from __future__ import annotations

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
    "PARAMETER_MODELS",
    "HealthParams",
    "MigrationParams",
    "MigrationReportParams",
    "NotebookParams",
    "parameter_model",
    "parse_cli_parameters",
]

_FUNCTION_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_STORE_SCHEMES = ("sqlite:", "postgresql:", "postgres:", "postgresql+psycopg:")
_NONE_WORDS = frozenset({"none", "null", "~"})
_SECRET_FIELDS = frozenset({"store_url", "postgres_dsn", "redis_url"})


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
        """Validate the parameters found in a notebook's namespace (``globals()``), ignoring other names."""
        return cls.validate_parameters({k: namespace[k] for k in cls.model_fields if k in namespace})

    @field_validator("store_url", check_fields=False)
    @classmethod
    def _check_store_url(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if "://" in value and not value.lower().startswith(_STORE_SCHEMES):
            raise ValueError("must be a file path, a sqlite:///path or a postgresql://... URL")
        return value


def _parameter_error(model: type[NotebookParams], exc: ValidationError) -> NotebookParameterError:
    error = exc.errors(include_url=False)[0]
    location = [str(part) for part in error.get("loc", ())]
    name = location[0] if location else "?"
    if error.get("type") == "extra_forbidden":
        known = ", ".join(model.model_fields)
        return NotebookParameterError(model.notebook, name, f"unknown parameter; the parameters are {known}")
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
    batch_size: int = Field(25, ge=1, le=100_000, description="items per batch")
    concurrency: int = Field(4, ge=1, le=1024, description="items migrated at once")
    retries: int = Field(2, ge=0, le=100, description="extra attempts for a failing item")
    dry_run: bool = Field(False, description="call nothing, only show what would be migrated")
    interactive: bool = Field(
        True, description="widgets and a live chart (False: run to the end, for papermill)"
    )
    max_points: int = Field(500, ge=2, le=100_000, description="most points per time-series chart")

    @field_validator("migration_function")
    @classmethod
    def _check_function(cls, value: str) -> str:
        if not _FUNCTION_SPEC.match(value):
            raise ValueError("must look like 'package.module:function'")
        return value


class MigrationReportParams(NotebookParams):
    """Parameters of ``notebooks/migration_report.ipynb``: report on one run, or every run, in a store."""

    notebook: ClassVar[str] = "migration_report"

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
        if value is not None and not Path(value).expanduser().is_file():
            raise ValueError(f"no health config file at {value!r}")
        return value


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
            known = ", ".join(model.model_fields)
            raise NotebookParameterError(
                model.notebook, name, f"unknown parameter; the parameters are {known}"
            )
        raw[name] = None if _accepts_none(field.annotation) and text.strip().lower() in _NONE_WORDS else text
    validated = model.validate_parameters(raw)
    return {name: getattr(validated, name) for name in raw}
