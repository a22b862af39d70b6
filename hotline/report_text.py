"""Figures as Hotline's reports print them, the simulator's nights and the real night's
report alike: nearest-rank percentiles, times as a clock reads them (1h02m, 14m05s, 42s),
and tables of labelled rows with a column of figures each.
"""

from __future__ import annotations

import math
from typing import Any


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    # p * n first: p / 100 * n can land a hair above a whole rank (7 / 100 * 100 > 7).
    rank = max(math.ceil(p * len(ordered) / 100), 1)
    return ordered[rank - 1]


def render_table(
    columns: dict[str, dict[str, Any]], rows: list[tuple[str, str, str]], *, title: str
) -> str:
    """The title, then a row per (label, section, key) of `rows` with a column per entry of
    `columns` (its heading, and its figures: figures[section][key] is the cell, "-" when
    a column has no such figure).
    """
    width = 14
    lines = [title, "", f"{'':<32}" + "".join(f"{heading:>{width}}" for heading in columns)]
    lines.append("-" * len(lines[-1]))
    for label, section, key in rows:
        cells = [cell_text(figures.get(section, {}).get(key), key) for figures in columns.values()]
        lines.append(f"{label:<32}" + "".join(f"{cell:>{width}}" for cell in cells))
    return "\n".join(lines)


def cell_text(value: Any, key: str) -> str:
    """A figure as the tables print it: "-" for none, times (keys ending in _s or
    _seconds) as 1h02m, counts with thousands separators.
    """
    if value is None:
        return "-"
    if key == "volunteer_minutes_per_report":
        return f"{value:.1f}"
    if key == "success_bound":
        return f"{value:.4f}"
    if key.endswith("_s") or key.endswith("_seconds"):
        return clock_text(float(value))
    return f"{value:,}"


def clock_text(seconds: float) -> str:
    """1h02m, 14m05s, 42s."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
