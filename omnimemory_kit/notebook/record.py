"""Record named values in an executed notebook, and read them back out of it.

``record("failed", 3)`` displays an output with its own mimetype (``RECORD_MIMETYPE``) holding
``{"name": ..., "value": ...}``. Jupyter and the HTML report show nothing for it (no renderer knows the
mimetype), but it is saved in the executed ``.ipynb``, where ``read_records`` and
``omnimemory-kit report --collect`` find it. Values must be JSON-like; numpy scalars, datetimes, enums,
pydantic models and DataFrames (as a list of row dicts) are converted; NaN becomes None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic_core import to_jsonable_python

from omnimemory_kit.errors import ConfigError
from omnimemory_kit.notebook.runtime import display

__all__ = ["RECORD_MIMETYPE", "read_records", "record", "to_record_value"]

#: The mimetype of a recorded value's output.
RECORD_MIMETYPE = "application/vnd.omnimemory-kit.record+json"


def _fallback(value: Any) -> Any:
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a DataFrame: one dict per row
        return value.to_dict(orient="records")
    if hasattr(value, "to_dict"):  # a Series
        return value.to_dict()
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    if hasattr(value, "tolist"):  # a numpy array
        return value.tolist()
    raise TypeError(type(value).__name__)


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _no_nan(v) for k, v in value.items()}
    return value


def to_record_value(name: str, value: Any) -> Any:
    """Return ``value`` as plain JSON data.

    Raises:
        ConfigError: the value cannot be represented as JSON (naming it).
    """
    try:
        return _no_nan(to_jsonable_python(value, fallback=_fallback))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"cannot record {name!r}: a {type(value).__name__} is not JSON-like ({exc})"
        ) from None


def record(name: str, value: Any) -> None:
    """Store ``value`` under ``name`` in the notebook being executed (shown nowhere, saved in the .ipynb).

    Outside a kernel (plain Python) the value is checked and nothing else happens.

    Raises:
        ConfigError: ``name`` is empty or ``value`` cannot be represented as JSON.
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"a recorded value needs a non-empty name, not {name!r}")
    payload = {"name": name, "value": to_record_value(name, value)}
    from IPython import get_ipython

    if get_ipython() is None:  # plain Python: there is no notebook to record into
        return
    display({RECORD_MIMETYPE: payload}, raw=True)


def read_records(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """Return every value recorded in an executed notebook (parsed JSON), by name; the last one wins."""
    values: dict[str, Any] = {}
    for cell in notebook.get("cells", ()):
        for output in cell.get("outputs", ()) if cell.get("cell_type") == "code" else ():
            payload = output.get("data", {}).get(RECORD_MIMETYPE)
            if isinstance(payload, Mapping) and isinstance(payload.get("name"), str):
                values[payload["name"]] = payload.get("value")
    return values
