"""Reading a status callback's SequenceNumber: only what Twilio could have sent counts."""

from __future__ import annotations

import pytest

from hotline.voice.common import sequence_number


@pytest.mark.parametrize(
    ("text", "read"), [("0", 0), ("7", 7), ("007", 7), ("999999999", 999_999_999)]
)
def test_small_non_negative_integers_are_read(text, read):
    assert sequence_number(text) == read


@pytest.mark.parametrize(
    "text",
    [None, "", "1000000000", "9" * 4000, "-1", "+3", " 3", "3.0", "1_000", "\u0663", "inf", "nan"],
)
def test_anything_else_is_absent(text):
    """Finding 7: a 4,000-digit SequenceNumber was read as a number, which Lua held as inf."""
    assert sequence_number(text) is None
