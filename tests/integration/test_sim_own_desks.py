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
    # Desks have no calls back to make: those who asked for one are never answered (the
    # demo's scenario has no such chairs); everyone else is, by a desk.
    answered = [chair.answered_at is not None for chair in desks.chairs]
    assert answered == [not chair.booked_callback for chair in desks.chairs]
    assert desks.desks.answered["chair"] == sum(answered) > 0
    assert dispatched.desks is None and len(dispatched.volunteers) == 3
    assert [chair.answered_at is not None for chair in dispatched.chairs] == [True] * 40
