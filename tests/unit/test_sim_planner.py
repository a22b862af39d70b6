"""The planner's busy floor: the volunteers that the chairs who talk to one would keep
talking all night, where the search starts. Chairs on the keypad take no volunteer's time.
"""

from __future__ import annotations

import math

from hotline.sim.planner import busy_floor
from hotline.sim.scenario import load_scenario

IOWA_CHAIRS = 1681


def test_the_busy_floor_counts_only_the_chairs_who_talk_to_a_volunteer():
    iowa = load_scenario("iowa-2020")  # five minutes a report, a five-hour night
    assert (iowa.chairs.talk_s, iowa.duration_s) == (300.0, 18000.0)

    # Every chair talking: 1,681 * 5 minutes = 28.02 volunteers' whole night, so 29. At the
    # scenario's 0.6, 40% of the chairs talk: 11.2, so 12.
    assert busy_floor(iowa.with_keypad_share(0.0), IOWA_CHAIRS) == 29
    assert iowa.chairs.keypad_share == 0.6
    assert busy_floor(iowa, IOWA_CHAIRS) == 12


def test_the_busy_floor_falls_with_the_keypad_share_and_is_never_below_one():
    iowa = load_scenario("iowa-2020")
    everyone_talking = busy_floor(iowa.with_keypad_share(0.0), IOWA_CHAIRS)

    for share in (0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        talking = IOWA_CHAIRS * (1 - share)
        floor = busy_floor(iowa.with_keypad_share(share), IOWA_CHAIRS)
        assert floor == max(1, math.ceil(talking * 300 / 18000)), share
        assert 1 <= floor < everyone_talking, share
    assert busy_floor(iowa.with_keypad_share(1.0), IOWA_CHAIRS) == 1
