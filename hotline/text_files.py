"""Reading the text files people hand to Hotline (rosters, results, election definitions,
scenarios, config overlays): UTF-8, or refused with the line of the first byte that is not,
so that the person who saved it from a spreadsheet knows where to look.
"""

from __future__ import annotations

from pathlib import Path


class NotUtf8Error(ValueError):
    """A file that is not UTF-8 text; the message names the line and the byte."""


def read_utf8(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise NotUtf8Error(
            f"line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}): save it as UTF-8"
        ) from None
