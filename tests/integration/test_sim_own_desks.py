"""A replay for the live demo seats the simulator's volunteers at desks, as the live run
does, instead of having them phone in to Hotline's dispatch.
"""

from __future__ import annotations

import redis

from hotline.sim.night import run_night
from hotline.sim.population import draw_population
from hotline.sim.scenario import load_scenario


def test_own_desks_replace_dispatch_in_hotlines_runs(redis_url):
    scenario = load_scenario("smoke")
    population = draw_population(scenario, 1)
    try:
        desks = run_night(scenario, population, "calm", redis_url=redis_url, own_desks=True)
        dispatched = run_night(scenario, population, "calm", redis_url=redis_url)
    finally:
        redis.Redis.from_url(redis_url).flushdb()
    assert desks.desks is not None and desks.volunteers == []
    assert sum(desks.desks.answered.values()) >= len(population.chairs)
    assert dispatched.desks is None and len(dispatched.volunteers) == 3
    for night in (desks, dispatched):
        assert [chair.answered_at is not None for chair in night.chairs] == [True] * 40
