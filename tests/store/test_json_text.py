"""finite_json: the journal rows' JSON text, read back as json.dumps(allow_nan=False)'s would be."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.store.json_text import finite_json, read_json

keys = st.text(st.characters(codec="utf-8"), max_size=12)
stored_keys = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)  # (to_stored's)
times = st.floats(allow_nan=False, allow_infinity=False)


@given(st.dictionaries(stored_keys, times, max_size=30))
def test_members_read_back_exactly_by_python_and_by_sqlite(members: dict[str, float]) -> None:
    text = finite_json(members)
    assert json.loads(text) == members
    with sqlite3.connect(":memory:") as conn:
        back = conn.execute("SELECT key, value FROM json_each(?)", (text,)).fetchall()
    assert dict(back) == members  # every float to the last bit, as SQLite reads it


@given(st.lists(st.one_of(st.none(), keys, st.integers(-(2**70), 2**70), times), max_size=20))
def test_what_orjson_will_not_write_falls_back_to_the_same_text_json_reads(values: list[object]) -> None:
    assert json.loads(finite_json(values)) == values


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_as_json_dumps_refuses_them(bad: float) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        finite_json({"k": 1.0, "odd": bad})


def test_keys_that_are_no_valid_text_and_null_values_are_kept() -> None:
    assert json.loads(finite_json(["caf\udce9", None, "a\x00b"])) == ["caf\udce9", None, "a\x00b"]
    assert finite_json({"k": 1.5}) == '{"k":1.5}'


def test_read_json_reads_what_orjson_refuses_as_json_loads_does() -> None:
    assert read_json('{"a\\udce9": 1.5, "b": [1, null]}') == {"a\udce9": 1.5, "b": [1, None]}
    assert read_json(finite_json({"k": 1796536923.2665763})) == {"k": 1796536923.2665763}
