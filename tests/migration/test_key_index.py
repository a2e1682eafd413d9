"""The hashed key index: a dict's get/in/len over keys it keeps only as 64-bit hashes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnimemory_kit.migration.key_index import HashedKeys


def filled(keys: list[str]) -> HashedKeys:
    """Return an index holding ``keys`` in order, repeats skipped as the run state skips them."""
    index = HashedKeys()
    for key in keys:
        if key not in index:
            index[key] = len(index)
    return index


class TestLookups:
    def test_each_key_maps_to_the_order_it_came_in(self) -> None:
        """Keys get indexes 0, 1, 2, ... in the order they were added, across every growth of the table."""
        keys = [f"s3://bucket/key-{i:06}" for i in range(5000)]
        index = filled(keys)
        assert len(index) == 5000
        assert [index.get(key) for key in keys] == list(range(5000))

    def test_an_unknown_key_is_none_and_not_in(self) -> None:
        """A key never added answers None and is not ``in`` the index; neither is a non-string."""
        index = filled(["a", "b"])
        assert index.get("c") is None
        assert "c" not in index
        assert "a" in index
        assert 1 not in index

    def test_keys_are_added_in_order_only(self) -> None:
        """Adding a key at any index but the next one is refused with the index it expected."""
        index = filled(["a"])
        with pytest.raises(ValueError, match="expected index 1, not 5"):
            index["b"] = 5
        assert len(index) == 1

    def test_it_cannot_list_its_keys(self) -> None:
        """The keys themselves are not kept: iterating is an error, not an empty list."""
        with pytest.raises(TypeError):
            list(filled(["a"]))  # type: ignore[call-overload]

    def test_it_stays_compact(self) -> None:
        """A key costs at most 8 bytes of hash and 12 of table slots (the table is at least a third full)."""
        index = filled([f"/data/{i}" for i in range(100_000)])
        assert index.nbytes() <= 100_000 * (8 + 12)
        assert repr(index).startswith("<HashedKeys keys=100000 slots=")

    @settings(max_examples=50, deadline=None)
    @given(
        keys=st.lists(st.text(max_size=6), max_size=200), probes=st.lists(st.text(max_size=6), max_size=50)
    )
    def test_it_answers_as_a_dict_would(self, keys: list[str], probes: list[str]) -> None:
        """For any keys (repeats included), get/in/len agree with a dict filled the same way."""
        index, plain = filled(keys), {}
        for key in keys:
            plain.setdefault(key, len(plain))
        assert len(index) == len(plain)
        for key in keys + probes:
            assert index.get(key) == plain.get(key)
            assert (key in index) == (key in plain)
