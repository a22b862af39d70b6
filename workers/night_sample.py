"""Job: the night's figures no call counts (store/night_figures.py), once a minute from the
housekeeping: the line's depth and longest wait, and the top callers of the last hour,
ranked here once for every admins' board to read.
"""

from __future__ import annotations

from workers import runtime


def sample_the_night() -> dict[str, object]:
    services = runtime.current()
    now = services.clock.now()
    line = services.store.night_figures.sample_line(now)
    top = services.store.night_figures.rank_top_callers(now)
    return {
        "depth": line.depth,
        "longest_wait_s": line.longest_wait_s,
        "top_callers": len(top.callers),
    }
