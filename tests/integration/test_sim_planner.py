"""The staffing planner on a small night (tests/support/sim.py), under Hotline's triage, in
virtual time, on the test Redis: the fewest volunteers whose chairs' 90th-percentile wait
meets the target, every count tried kept for the curve. How the search walks is the
planner's business; what it finds, and the wait at each count it tried, are pinned (the
small night has no keypad chairs); with chairs on the keypad, how the answer moves is.
"""

from __future__ import annotations

import pytest
import redis

from hotline.sim.planner import plan_staffing
from hotline.sim.scenario import load_scenario
from tests.support.sim import SMALL_P90, SMALL_SCENARIO, SMALL_TARGET_S, SMALL_VOLUNTEERS


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SCENARIO, encoding="utf-8")
    return load_scenario(str(path))


@pytest.fixture
def sim_redis_url(redis_url):
    yield redis_url
    redis.Redis.from_url(redis_url).flushdb()


def test_the_fewest_volunteers_that_meet_the_target(small, sim_redis_url):
    tries: list[tuple[int, float]] = []

    plan = plan_staffing(
        small,
        target_wait_s=SMALL_TARGET_S,
        seed=1,
        redis_url=sim_redis_url,
        on_try=lambda n, p90: tries.append((n, p90)),
    )

    n, curve = plan.volunteers, plan.curve
    assert (plan.target_wait_s, n) == (SMALL_TARGET_S, SMALL_VOLUNTEERS)
    assert curve[n] <= SMALL_TARGET_S
    assert n == 1 or (n - 1 in curve and curve[n - 1] > SMALL_TARGET_S)
    assert (curve[n - 1], curve[n]) == (141.7, 48.0)
    # Each count is simulated once, reported as it is tried, and kept in order of count.
    assert len(tries) == len(curve) and dict(tries) == curve
    assert list(curve) == sorted(curve)
    assert curve == {count: SMALL_P90[count] for count in curve}
    # More volunteers never make the chairs wait longer.
    waits = list(curve.values())
    assert waits == sorted(waits, reverse=True)


def test_a_looser_target_needs_fewer(small, sim_redis_url):
    plan = plan_staffing(small, target_wait_s=150.0, seed=1, redis_url=sim_redis_url)

    assert plan.volunteers == 4
    assert (plan.curve[3], plan.curve[4]) == (338.4, 141.7)
    assert plan.curve == {count: SMALL_P90[count] for count in plan.curve}


def test_a_target_out_of_reach_under_the_ceiling(small, sim_redis_url):
    plan = plan_staffing(
        small, target_wait_s=SMALL_TARGET_S, seed=1, redis_url=sim_redis_url, ceiling=3
    )

    assert (plan.target_wait_s, plan.volunteers) == (SMALL_TARGET_S, None)
    assert max(plan.curve) == 3 and plan.curve[3] == 338.4
    assert plan.curve == {count: SMALL_P90[count] for count in plan.curve}


def test_below_the_busy_floor_is_tried_before_it_is_assumed_hopeless(small, sim_redis_url):
    # A loose target: two volunteers (the chairs' own workload fills them) meet it,
    # and so does one, which the planner must find rather than assume away.
    plan = plan_staffing(small, target_wait_s=4000.0, seed=1, redis_url=sim_redis_url)

    assert plan.volunteers == 1
    assert plan.curve[1] == SMALL_P90[1] == 2978.1


def test_chairs_on_the_keypad_never_need_more_volunteers(small, sim_redis_url):
    # A target the keypad's own pace allows: a keypad report takes three to four minutes,
    # and a keypad chair's wait runs until it is stored.
    target = 600.0
    without_keypad = min(n for n, p90 in SMALL_P90.items() if p90 <= target)

    needed = {
        share: plan_staffing(
            small.with_keypad_share(share), target_wait_s=target, seed=1, redis_url=sim_redis_url
        ).volunteers
        for share in (0.0, 0.5, 1.0)
    }

    assert needed[0.0] == without_keypad
    assert None not in needed.values()
    assert needed[1.0] <= needed[0.5] <= needed[0.0]
