"""``omnimemory_kit.text``: the stored form round-trips every string; the printable form is safe to print."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from omnimemory_kit.text import STORED_MARKER, from_stored, kept_as_is, printable, to_stored

# Any code point, lone surrogates included (what os.fsdecode and JSON "\ud800" can produce).
ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()))


class TestStoredForm:
    """What a store keeps: valid UTF-8 without NUL, and exactly the text given back."""

    @given(ANY_TEXT)
    def test_round_trips_every_string(self, text: str) -> None:
        """from_stored(to_stored(t)) is t for any string, surrogates and NUL included."""
        assert from_stored(to_stored(text)) == text

    @given(ANY_TEXT)
    def test_stored_form_is_storable(self, text: str) -> None:
        """The stored form always encodes as UTF-8 and never holds NUL (PostgreSQL text refuses both)."""
        stored = to_stored(text)
        stored.encode("utf-8")
        assert "\x00" not in stored

    @given(ANY_TEXT, ANY_TEXT)
    def test_distinct_texts_stay_distinct(self, a: str, b: str) -> None:
        """Two different texts never share a stored form (lookups by key stay exact)."""
        if a != b:
            assert to_stored(a) != to_stored(b)

    @given(st.lists(ANY_TEXT | st.text(alphabet=st.characters(max_codepoint=0x7F)), max_size=5))
    def test_texts_kept_as_is_when_joined_are_each_stored_as_themselves(self, texts: list[str]) -> None:
        """``kept_as_is`` over texts joined answers for each: what it says yes to, ``to_stored`` keeps."""
        if kept_as_is("".join(texts)):
            assert [to_stored(text) for text in texts] == texts
        assert kept_as_is("plain/key-1.txt")
        assert not kept_as_is("nul\x00")
        assert not kept_as_is(STORED_MARKER + "x")

    def test_ordinary_text_is_stored_as_itself(self) -> None:
        """Valid UTF-8 keys (the existing stores' keys) are stored unchanged, backslashes included."""
        for key in ("pkg/a.py", "café/ünïcode.py", "C:\\tools\\x.py", "new\nline.py", "tab\tname.py", ""):
            assert to_stored(key) == key
            assert from_stored(key) == key

    def test_undecodable_file_name(self) -> None:
        """A Latin-1 file name is stored marked, its byte written as \\xe9, and comes back exactly."""
        key = os.fsdecode(b"caf\xe9.py")
        assert to_stored(key) == STORED_MARKER + "caf\\xe9.py"
        assert os.fsencode(from_stored(to_stored(key))) == b"caf\xe9.py"

    def test_text_starting_with_the_marker_is_escaped(self) -> None:
        """A key that itself starts with U+FFFD is escaped too, so it cannot pass for an escaped one."""
        key = STORED_MARKER + "caf\\xe9.py"
        assert to_stored(key) != key
        assert from_stored(to_stored(key)) == key


class TestPrintable:
    """What a person sees: one line, UTF-8 encodable, with the odd bytes visible."""

    @given(ANY_TEXT)
    def test_always_encodable_and_one_line(self, text: str) -> None:
        """The printable form encodes as UTF-8 and holds no line break."""
        shown = printable(text)
        shown.encode("utf-8")
        assert "\n" not in shown
        assert "\r" not in shown

    def test_escapes_bytes_and_control_characters(self) -> None:
        """Undecodable bytes show as \\xHH; newline and tab as \\n and \\t; letters stay as they are."""
        assert printable(os.fsdecode(b"caf\xe9.py")) == "caf\\xe9.py"
        assert printable("new\nline\tx.py") == "new\\nline\\tx.py"
        assert printable("café ünï.py") == "café ünï.py"
