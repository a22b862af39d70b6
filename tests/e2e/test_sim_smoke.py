"""The `smoke` scenario end to end: the real app served on a loopback socket in this
process, every webhook a signed HTTP post from the simulated phone network, in virtual
time (the app reads the simulation's clock), on the test Redis. Hotline's triage, the
2020 first-come first-served line and a calm night, seed 1, give exactly the pinned
figures (tests/support/sim.py); in-process runs give the same, a second run the same,
another seed different ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from hotline.sim.night import POLICIES, run_night
from hotline.sim.population import draw_population
from hotline.sim.report import figures
from hotline.sim.scenario import load_scenario
from tests.support.sim import (
    SMOKE_FIGURES,
    SMOKE_SEED,
    assert_report_figures_hold_together,
    without_run,
)

Run = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def smoke(redis_url) -> Iterator[Run]:
    """Runs a smoke night (a policy, a seed, over HTTP or not) and returns its figures,
    "run" section included; each distinct night is run once for the module.
    """
    scenario = load_scenario("smoke")
    populations: dict[int, Any] = {}
    results: dict[tuple[str, int, bool, int], dict[str, Any]] = {}

    def run(policy: str, *, seed: int = SMOKE_SEED, over_http: bool, again: int = 0):
        key = (policy, seed, over_http, again)
        if key not in results:
            if seed not in populations:
                populations[seed] = draw_population(scenario, seed)
            night = run_night(
                scenario, populations[seed], policy, redis_url=redis_url, over_http=over_http
            )
            results[key] = figures(night)
        return results[key]

    redis.Redis.from_url(redis_url).flushdb()
    yield run
    redis.Redis.from_url(redis_url).flushdb()


@pytest.mark.parametrize("policy", POLICIES)
def test_smoke_over_http_gives_the_pinned_figures(smoke, policy):
    assert without_run(smoke(policy, over_http=True)) == SMOKE_FIGURES[policy]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("seed", [SMOKE_SEED, SMOKE_SEED + 1])
def test_the_report_figures_hold_together(smoke, policy, seed):
    assert_report_figures_hold_together(smoke(policy, seed=seed, over_http=False))


@pytest.mark.parametrize("policy", POLICIES)
def test_in_process_gives_the_same_night_as_over_http(smoke, policy):
    over_http = smoke(policy, over_http=True)
    in_process = smoke(policy, over_http=False)

    assert without_run(in_process) == without_run(over_http)
    # The very same webhooks, one by one: only the way they travel differs.
    assert in_process["run"]["webhooks"] == over_http["run"]["webhooks"]


@pytest.mark.parametrize("policy", POLICIES)
def test_the_same_seed_gives_the_same_night_again(smoke, policy):
    first = smoke(policy, over_http=False)
    again = smoke(policy, over_http=False, again=1)

    assert without_run(again) == without_run(first)
    assert again["run"]["webhooks"] == first["run"]["webhooks"]


@pytest.mark.parametrize("policy", POLICIES)
def test_another_seed_gives_another_night(smoke, policy):
    other = without_run(smoke(policy, seed=SMOKE_SEED + 1, over_http=False))

    assert other != SMOKE_FIGURES[policy]
    # Another draw of the same scenario: the same people in number, timed differently.
    assert (other["chairs"]["count"], other["nuisance"]["numbers"], other["info"]["calls"]) == (
        40,
        0 if policy == "calm" else 6,
        8,
    )
    assert other["chairs"]["wait_p50_s"] != SMOKE_FIGURES[policy]["chairs"]["wait_p50_s"]


def test_the_headline_of_the_night(smoke):
    triage, fifo, calm = (smoke(policy, over_http=True) for policy in POLICIES)

    # Hotline's triage takes the nuisance out of the chairs' way: the chairs' night is the
    # calm night's, wait for wait, but for seconds of timing (workers pick jobs up in
    # batches, and the flood's webhooks shift when they do).
    waits = ("wait_p50_s", "wait_p90_s", "wait_p99_s", "wait_max_s")
    assert [triage["chairs"][w] for w in waits] == pytest.approx(
        [calm["chairs"][w] for w in waits], abs=5.0
    )
    assert triage["nuisance"]["reached_volunteer"] == 0
    assert triage["volunteers"]["nuisance_seconds"] == 0
    assert triage["nuisance"]["calls"] > 0
    assert [night["attacks"]["pin_successes"] for night in (triage, fifo, calm)] == [0, 0, 0]
    # The 2020 line lets every nuisance caller through to a volunteer, and chairs wait longer.
    assert fifo["nuisance"]["reached_volunteer"] == fifo["nuisance"]["calls"] > 0
    assert fifo["chairs"]["wait_p90_s"] > triage["chairs"]["wait_p90_s"]
