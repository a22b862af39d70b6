"""The staffing planner: the fewest volunteers that keep chairs' 90th-percentile wait
under a target, found by simulating the night (with its nuisance flood) under
Hotline's triage.

The wait falls as volunteers are added, so the search doubles the count until
the target is met, then halves the gap between the last miss and the first
hit. Every count it tries is kept, for the curve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hotline.sim.night import run_night
from hotline.sim.population import draw_population
from hotline.sim.report import figures
from hotline.sim.scenario import Scenario


@dataclass(frozen=True)
class Plan:
    target_wait_s: float
    volunteers: int | None  # None: not reachable within the search's ceiling
    curve: dict[int, float]  # volunteers tried -> chairs' p90 wait in seconds


def plan_staffing(
    scenario: Scenario,
    *,
    target_wait_s: float,
    seed: int,
    redis_url: str,
    ceiling: int = 400,
    on_try: Callable[[int, float], None] | None = None,
) -> Plan:
    population = draw_population(scenario, seed)
    curve: dict[int, float] = {}

    def p90(volunteers: int) -> float:
        if volunteers not in curve:
            night = run_night(scenario.with_volunteers(volunteers), population, "triage",
                              redis_url=redis_url)  # fmt: skip
            curve[volunteers] = figures(night)["chairs"]["wait_p90_s"]
            if on_try is not None:
                on_try(volunteers, curve[volunteers])
        return curve[volunteers]

    low, high = 0, 1  # low misses (or is zero), high is the candidate
    while p90(high) > target_wait_s:
        low = high
        if high >= ceiling:
            return Plan(target_wait_s, None, dict(sorted(curve.items())))
        high = min(high * 2, ceiling)
    while high - low > 1:
        middle = (low + high) // 2
        if p90(middle) > target_wait_s:
            low = middle
        else:
            high = middle
    return Plan(target_wait_s, high, dict(sorted(curve.items())))
