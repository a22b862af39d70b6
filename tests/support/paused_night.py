"""A simulated night played under Hotline ("triage") in virtual time, against the real app
and a real Redis, watched as it goes and left where it is at a chosen moment: Redis keeps
what the night left then, as an admin's board would find it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from hotline.sim.night import NIGHT_STARTS_AT, OVERTIME_S, run_night
from hotline.sim.population import draw_population
from hotline.sim.scenario import Scenario
from tests.support.sim import SMOKE_SEED


class NightPaused(Exception):
    """Raised from the simulated night's progress to leave it where it is."""


def play_until(
    scenario: Scenario,
    redis_url: str,
    until_s: float,
    after_event: Callable[[float], None] | None = None,
    *,
    seed: int = SMOKE_SEED,
) -> float:
    """Play the night until `until_s` into it, calling `after_event(now)` (clock time)
    after each event before then; returns the moment it was left at.
    """
    span = scenario.duration_s + OVERTIME_S
    stop_at = NIGHT_STARTS_AT + until_s

    def on_progress(fraction: float) -> None:
        now = NIGHT_STARTS_AT + fraction * span
        if now >= stop_at:
            raise NightPaused
        if after_event is not None:
            after_event(now)

    with contextlib.suppress(NightPaused):
        run_night(
            scenario,
            draw_population(scenario, seed),
            "triage",
            redis_url=redis_url,
            on_progress=on_progress,
        )
    return stop_at
