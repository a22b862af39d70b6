"""Human durations ("90s", "15m", "2h30m", "1d") for config files and the command line."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BARE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*")
_PARTS = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_COMPOUND = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*[smhd]\s*)+")


def parse_duration(text: str | int | float) -> float:
    """Seconds in `text`; a bare number is seconds. Raises ValueError otherwise."""
    if isinstance(text, bool):  # TOML true/false are ints to Python; never a duration
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"duration must not be negative: {text}")
        return float(text)
    bare = _BARE.fullmatch(text)
    if bare:
        return float(bare.group(1))
    if not _COMPOUND.fullmatch(text):
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 2h30m, 1d)")
    return sum(float(value) * _UNITS[unit] for value, unit in _PARTS.findall(text))


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds % 86400 == 0 and seconds:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds:
        return f"{seconds // 60}m"
    return f"{seconds}s"
