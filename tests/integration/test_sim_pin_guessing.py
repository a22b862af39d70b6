"""The `pin-guessing` scenario under Hotline's triage, in virtual time, in process, on the
test Redis, seed 1: 60 numbers (some withheld) guess precinct numbers and PINs for three
hours while 200 chairs report. No guess gets in, and no chair is locked out: every chair
gets through on their first call, the ones who mistype their PIN included, even where a
troll has failed on their precinct.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from hotline.sim.night import Night, run_night
from hotline.sim.population import draw_population
from hotline.sim.report import figures
from hotline.sim.scenario import load_scenario
from hotline.store import keys
from tests.support.sim import without_run

ASK_PIN = "Please enter your chair PIN, then press pound."

PIN_GUESSING_FIGURES = {
    "chairs": {
        "count": 200,
        "answered": 200,
        "abandoned": 0,
        "calls": 200,
        "called_back": 18,
        "wait_p50_s": 27.9,
        "wait_p90_s": 125.2,
        "wait_p99_s": 218.8,
        "wait_max_s": 292.0,
    },
    "nuisance": {
        "numbers": 60,
        "calls": 2309,
        "rejected": 235,
        "diverted": 1888,
        "reached_volunteer": 0,
    },
    "info": {"calls": 0, "reached_volunteer": 0},
    "volunteers": {"count": 12, "chair_seconds": 61115.1, "nuisance_seconds": 0, "info_seconds": 0},
    "attacks": {"pin_successes": 0},
}


@dataclass(frozen=True)
class Outcome:
    night: Night
    # What the night left in Redis: the failed PINs counted against each precinct.
    pin_failures: dict[str, int]


@pytest.fixture(scope="module")
def outcome(redis_url) -> Iterator[Outcome]:
    scenario = load_scenario("pin-guessing")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    night = run_night(scenario, draw_population(scenario, 1), "triage", redis_url=redis_url)
    failures = {key.split(":")[-2]: int(client.get(key))
                for key in client.scan_iter(keys.precinct_pin_failures("*"))}  # fmt: skip
    yield Outcome(night, failures)
    client.flushdb()


@pytest.fixture
def night(outcome) -> Night:
    return outcome.night


def test_the_night_gives_the_pinned_figures(night: Night):
    assert without_run(figures(night)) == PIN_GUESSING_FIGURES


def test_no_guess_gets_in(night: Night):
    guessers = [caller for caller in night.nuisance if caller.spec.guesses_pins]
    calls = [call for caller in night.nuisance for call in caller.calls]

    assert len(guessers) == len(night.nuisance) == 60
    assert [caller.pin_successes for caller in night.nuisance] == [0] * 60
    assert [
        call for caller in night.nuisance for call in caller.calls if call.connected_at is not None
    ] == []
    assert all(call.queue is None and call.connected_at is None for call in calls)
    # The attack did happen: 186 calls got as far as the PIN prompt and guessed 379 times,
    # and each was sent away when its tries (or its number's) ran out.
    guessing = [call for call in calls if ASK_PIN in call.heard]
    assert (len(guessing), sum(call.heard.count(ASK_PIN) for call in guessing)) == (186, 379)
    assert Counter(call.outcome for call in guessing) == {"hung up by the hotline": 186}
    assert Counter(call.outcome for call in calls) == {
        "diverted": 1888, "rejected": 235, "hung up by the hotline": 186,
    }  # fmt: skip


def test_no_chair_is_locked_out(night: Night, outcome: Outcome):
    pin_failures = outcome.pin_failures
    chairs = night.chairs
    mistyped = {chair.spec.precinct for chair in chairs if chair.spec.mistypes_pin}

    assert [chair.answered_at is not None for chair in chairs] == [True] * 200
    assert [chair.gave_up_at for chair in chairs] == [None] * 200
    # One call each: put through, or (some who asked) hung up to be called back.
    assert [len(chair.calls) for chair in chairs] == [1] * 200
    assert {call.outcome for chair in chairs for call in chair.calls} == {
        "talked", "hung up by the hotline"}
    assert all(chair.booked_callback for chair in chairs
               if chair.calls[0].outcome != "talked")  # fmt: skip
    # Those who mistyped got a second try on the same call, and got in with it.
    assert len(mistyped) == 44
    assert [chair.pin_entries for chair in chairs] == [
        2 if chair.spec.precinct in mistyped else 1 for chair in chairs
    ]
    # Every failed PIN is counted against its precinct: the chairs' 44 and the trolls' 379.
    assert sum(pin_failures.values()) == 44 + 379
    # Precincts the trolls failed on, chairs' among them, were never locked.
    trolled = [
        chair
        for chair in chairs
        if pin_failures.get(chair.spec.precinct, 0) > (chair.spec.precinct in mistyped)
    ]
    assert len(trolled) == 15
