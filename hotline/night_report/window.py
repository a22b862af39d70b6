"""The stretch of time a night's report covers, from --from and --to as an admin writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hotline.durations import parse_duration

# Without --from, the report covers this long before its end.
DEFAULT_SPAN_S = 24 * 3600


@dataclass(frozen=True)
class Window:
    """From `start` (included) to `end` (excluded), seconds since the epoch."""

    start: float
    end: float


def moment(text: str, *, now: float) -> float:
    """A time as written: an ISO time, in UTC unless it names its offset
    ("2020-02-03T23:00", "2020-02-03 23:00:00+00:00"), or a duration back from `now`
    ("6h", "90m", "1d"). Raises ValueError, saying what is accepted.
    """
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (write an ISO time in UTC such as 2020-02-03T23:00, "
            "or a duration back from now such as 6h)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def window(start: float | None, end: float | None, *, now: float) -> Window:
    """The report's window: `end` defaults to now, `start` to DEFAULT_SPAN_S before the end.
    An end in the future is now (nothing is on record after it). Raises ValueError when
    the window holds no time.
    """
    end = now if end is None else min(end, now)
    start = end - DEFAULT_SPAN_S if start is None else start
    if start >= end:
        raise ValueError(
            f"the report would cover no time: it starts at {iso(start)} and ends at "
            f"{iso(end)} (--from must be before --to, and before now)"
        )
    return Window(start, end)


def iso(timestamp: float) -> str:
    """A time as the report writes it: "2020-02-05 00:00:00 UTC"."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
