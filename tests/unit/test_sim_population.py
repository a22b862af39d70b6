"""The people of a night, drawn from a scenario and a seed: the same seed draws the same
people, another seed others; chairs, numbers, registered phones and arrival times as the
scenario says.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from hotline.sim.population import (
    ELSEWHERE,
    IOWA_AREA_CODES,
    STIR_FAILED,
    STIR_PASSED,
    draw_population,
)
from hotline.sim.scenario import load_scenario

E164 = re.compile(r"\+1[2-9][0-9]{9}")
PIN = re.compile(r"[0-9]{6}")
ROSTER_SIZE = 1681


@pytest.fixture(scope="module")
def smoke():
    return load_scenario("smoke")


@pytest.fixture(scope="module")
def population(smoke):
    return draw_population(smoke, 1)


def test_the_same_seed_draws_the_same_people(smoke, population):
    assert draw_population(smoke, 1) == population


def test_another_seed_draws_other_people(smoke, population):
    other = draw_population(smoke, 2)

    assert other.seed == 2
    assert other.chairs != population.chairs
    assert other.nuisance != population.nuisance
    assert other.info != population.info
    assert [c.precinct for c in other.chairs] != [c.precinct for c in population.chairs]
    assert [r[3] for r in other.roster] != [r[3] for r in population.roster]  # the PINs


def test_as_many_chairs_as_the_scenario_says_each_of_a_different_precinct(smoke, population):
    codes = {row[0] for row in population.roster}

    assert len(population.roster) == ROSTER_SIZE
    assert len(population.chairs) == 40
    assert [chair.index for chair in population.chairs] == list(range(40))
    assert len({chair.precinct for chair in population.chairs}) == 40
    assert {chair.precinct for chair in population.chairs} <= codes
    assert (len(population.nuisance), len(population.info)) == (6, 8)


def test_every_precinct_calls_when_the_count_is_all():
    iowa = load_scenario("iowa-2020")

    population = draw_population(replace(iowa, nuisance=None, info=None), 1)

    assert len(population.chairs) == ROSTER_SIZE
    assert [c.precinct for c in population.chairs] == [row[0] for row in population.roster]
    assert (population.nuisance, population.info) == ((), ())


def test_chairs_know_their_precinct_pin_and_phone(population):
    roster = {row[0]: row for row in population.roster}

    for chair in population.chairs:
        code, county, name, pin, registered_phone = roster[chair.precinct]
        assert (chair.county, chair.name, chair.pin) == (county, name, pin)
        assert PIN.fullmatch(chair.pin)
        assert E164.fullmatch(chair.phone)
        assert chair.phone[2:5] in IOWA_AREA_CODES
        # A registered chair's phone is the one on the roster; others' are unknown to it.
        assert registered_phone == (chair.phone if chair.registered else None)


def test_phone_numbers_are_unique(population):
    chairs = [chair.phone for chair in population.chairs]
    info = [caller.caller_id for caller in population.info]
    nuisance = [c.caller_id for c in population.nuisance if c.caller_id != "Anonymous"]
    registered = [row[4] for row in population.roster if row[4] is not None]
    numbers = chairs + info + nuisance

    assert len(set(numbers)) == len(numbers) == 40 + 8 + 4
    assert len(set(registered)) == len(registered)
    assert set(info).isdisjoint(registered)
    # None in the 555-01xx range that tests and the hotline's own number use.
    assert [n for n in chairs + info + registered if n[5:].startswith("5550")] == []


def test_registered_phones_are_about_the_share_the_scenario_says(smoke, population):
    registered = sum(1 for row in population.roster if row[4] is not None)

    assert smoke.chairs.registered_phone_share == 0.3
    assert registered == 540  # seed 1
    assert abs(registered / ROSTER_SIZE - 0.3) < 0.03
    assert sum(1 for chair in population.chairs if chair.registered) == 7
    assert sum(1 for chair in population.chairs if chair.mistypes_pin) == 7


def test_first_calls_come_inside_their_windows(smoke, population):
    chairs, info, nuisance = smoke.chairs.arrival, smoke.info.arrival, smoke.nuisance
    first_nuisance_until = min(nuisance.start_s + nuisance.redial_every_s, nuisance.end_s)

    assert all(chairs.start_s <= c.first_call_at <= chairs.end_s for c in population.chairs)
    assert all(info.start_s <= c.first_call_at <= info.end_s for c in population.info)
    assert all(
        nuisance.start_s <= c.first_call_at <= first_nuisance_until for c in population.nuisance
    )
    # Around the peak: the normal curve's middle half lies within its spread.
    times = sorted(chair.first_call_at for chair in population.chairs)
    assert chairs.peak_s - chairs.spread_s < times[10] < times[30] < chairs.peak_s + chairs.spread_s


def test_nuisance_callers(population):
    assert [
        (c.caller_id, c.from_state, c.stir_verstat, c.guesses_pins) for c in population.nuisance
    ] == [
        ("+15636660000", "IA", STIR_FAILED, True),
        ("+15636660001", "IA", STIR_PASSED, False),
        ("Anonymous", "", STIR_PASSED, False),
        ("+17126660003", "IA", STIR_FAILED, False),
        ("+12125557811", "NY", STIR_FAILED, False),
        ("Anonymous", "", STIR_PASSED, False),
    ]


def test_withheld_callers_are_anonymous_with_no_state():
    scenario = load_scenario("pin-guessing")

    nuisance = draw_population(scenario, 1).nuisance

    withheld = [c for c in nuisance if c.caller_id == "Anonymous"]
    assert len(withheld) == 13  # of 60, at a share of 0.25
    assert {c.from_state for c in withheld} == {""}
    shown = [c for c in nuisance if c.caller_id != "Anonymous"]
    assert all(E164.fullmatch(c.caller_id) for c in shown)
    out_of_state = dict((area, state) for area, state in ELSEWHERE)
    assert all(c.from_state == out_of_state.get(c.caller_id[2:5], "IA") for c in shown)
    assert all(c.guesses_pins for c in nuisance)  # guess_pins_share = 1.0
