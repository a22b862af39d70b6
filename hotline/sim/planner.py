"""The staffing planner: the fewest volunteers that keep chairs' 90th-percentile wait
under a target, found by simulating the night (with its nuisance flood) under
Hotline's triage. The wait is the report's (hotline/sim/report.py): until a volunteer
answered, or, for a chair who reports on the keypad (the scenario's keypad share),
until their report was stored.

The wait falls as volunteers are added. The search starts from the
scenario's own staffing (or, if more, the volunteers the chairs who talk to one
keep busy all night), doubles or halves until it brackets the target, then
bisects. Going down, it tries the busy floor's edge before anything below it,
where waits usually explode and each simulated night takes longest. Every
count it tries is kept, for the curve.
"""

from __future__ import annotations

import math
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


def busy_floor(scenario: Scenario, chairs: int) -> int:
    """Volunteers that the chairs who talk to one would keep talking for the whole night."""
    # A chair on the keypad takes no volunteer's time: only the others count, estimated
    # from the share. Keypad chairs whose numbers the checks block press 3 for a volunteer
    # too; they are left out, since knowing which takes checking every worksheet, and the
    # floor only aims the search's first tries: a floor a little low aims them less well.
    talking = chairs * (1 - scenario.chairs.keypad_share)
    return max(1, math.ceil(talking * scenario.chairs.talk_s / scenario.duration_s))


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
    floor = min(busy_floor(scenario, len(population.chairs)), ceiling)
    curve: dict[int, float] = {}

    def meets(volunteers: int) -> bool:
        if volunteers not in curve:
            night = run_night(
                scenario.with_volunteers(volunteers), population, "triage", redis_url=redis_url
            )
            curve[volunteers] = figures(night)["chairs"]["wait_p90_s"]
            if on_try is not None:
                on_try(volunteers, curve[volunteers])
        return curve[volunteers] <= target_wait_s

    def done(answer: int | None) -> Plan:
        return Plan(target_wait_s, answer, dict(sorted(curve.items())))

    start = min(max(scenario.volunteers.count, floor), ceiling)
    if meets(start):
        high, low = start, start // 2  # high meets; find a low that misses
        while low >= 1:
            if low < floor - 1 < high:
                low = floor - 1  # the busy floor's edge first: below it waits usually explode
            if not meets(low):
                break
            high, low = low, low // 2
    else:
        low, high = start, start * 2  # low misses; find a high that meets
        while not meets(min(high, ceiling)):
            if high >= ceiling:
                return done(None)
            low, high = min(high, ceiling), high * 2
        high = min(high, ceiling)
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return done(high)
