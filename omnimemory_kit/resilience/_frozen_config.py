"""A frozen pydantic base for resilience settings that reports bad input as one ``ConfigError``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from omnimemory_kit.errors import ConfigError

__all__ = ["FrozenConfig", "describe_validation_error"]


def describe_validation_error(model: str, exc: ValidationError) -> str:
    """Return one line naming every field that failed and why."""
    problems = []
    for error in exc.errors(include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            where = ".".join(str(part) for part in error["loc"])
            problems.append(f"{where}: {message} (got {error.get('input')!r})")
        else:  # a check across fields: the message names them
            problems.append(message)
    return f"invalid {model}: " + "; ".join(problems)


class FrozenConfig(BaseModel):
    """Frozen, strict-about-unknown-keys settings; validation failures raise ``ConfigError``."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    if not TYPE_CHECKING:  # keep the pydantic mypy plugin's typed __init__ for callers

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise ConfigError(describe_validation_error(type(self).__name__, exc)) from exc
