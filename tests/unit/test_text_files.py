"""Text files handed to Hotline are UTF-8, or refused with the line of the first bad byte."""

from __future__ import annotations

import pytest

from hotline.text_files import NotUtf8Error, read_utf8


def test_utf8_text_is_read_as_it_is(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("precinct,county,name\r\n1001,Adair,Côte\r\n".encode())
    assert read_utf8(path) == "precinct,county,name\r\n1001,Adair,Côte\r\n"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\xff", "line 1: not UTF-8 text (byte 0xff): save it as UTF-8"),
        (b"a\nb\nC\xf4te\n", "line 3: not UTF-8 text (byte 0xf4): save it as UTF-8"),
        # A line ending in a bad byte: the line is the one the byte is on.
        (b"a\r\nb\x85\r\nc\n", "line 2: not UTF-8 text (byte 0x85): save it as UTF-8"),
    ],
)
def test_the_first_bad_byte_is_named_with_its_line(tmp_path, data, said):
    path = tmp_path / "latin1.csv"
    path.write_bytes(data)
    with pytest.raises(NotUtf8Error) as raised:
        read_utf8(path)
    assert str(raised.value) == said
