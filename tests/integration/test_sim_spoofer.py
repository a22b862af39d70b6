"""The `spoofer` scenario at a quarter of its size, in virtual time, seed 1: a troll shows
registered chairs' and volunteers' phones as his caller ID, and his numbers key guesses
at PINs and backup codes all night. His PIN checks stay within the budgets, no guess gets
in, and the real chairs and volunteers get in at most one step (and a few minutes) later
than on the same night without him.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from hotline.settings import Settings
from hotline.sim.night import Night, run_night
from hotline.sim.population import draw_population
from hotline.sim.report import figures
from hotline.sim.scenario import Scenario, load_scenario
from tests.support.sim import assert_report_figures_hold_together

# The steps a chair may be asked for beyond the precinct and the PIN: one of these.
EXTRA_STEPS = ("needs one more check tonight", "is confirmed on its registered phone")
# How much longer than on the calm night a chair or volunteer may take to get in: the
# call back (hang up, the worker dials, the phone rings) or the backup code.
MOST_EXTRA_S = 180.0


@dataclass(frozen=True)
class Nights:
    attacked: Night
    calm: Night


def quarter(scenario: Scenario) -> Scenario:
    return replace(
        scenario,
        chairs=replace(scenario.chairs, count=scenario.chairs.count // 4),
        nuisance=replace(scenario.nuisance, numbers=scenario.nuisance.numbers // 4),
        volunteers=replace(scenario.volunteers, count=scenario.volunteers.count // 4 + 1),
    )


@pytest.fixture(scope="module")
def nights(redis_url) -> Iterator[Nights]:
    scenario = quarter(load_scenario("spoofer"))
    population = draw_population(scenario, 1)
    attacked = run_night(scenario, population, "triage", redis_url=redis_url)
    calm = run_night(scenario, population, "calm", redis_url=redis_url)
    yield Nights(attacked, calm)


def test_the_attack_happened(nights: Nights):
    callers = nights.attacked.nuisance
    assert {caller.spec.spoofs for caller in callers} == {"", "chair", "volunteer"}
    assert sum(caller.guesses for caller in callers) > 1000


def test_no_guess_gets_in(nights: Nights):
    assert figures(nights.attacked)["attacks"]["pin_successes"] == 0
    calls = [call for caller in nights.attacked.nuisance for call in caller.calls]
    assert all(call.enqueued_at is None and call.conference is None for call in calls)


def test_pin_checks_stay_within_the_budgets(nights: Nights):
    defence = Settings.load(env={}).policy.pin_defence
    checks = nights.attacked.pin_checks
    # Failed checks are capped per target; the right PIN of the person it belongs to (a
    # volunteer who got in twice, by a call back) comes on top.
    assert max(count for hour in checks.values() for count in hour.values()) <= (
        defence.per_target + 2
    )
    for hour in checks.values():
        assert sum(hour.values()) <= defence.hotline_wide + len(nights.attacked.chairs)


def test_every_chair_gets_in_at_most_one_step_and_a_few_minutes_later(nights: Nights):
    attacked, calm = nights.attacked, nights.calm
    # Every chair reports: on the keypad, or to a volunteer who answered them.
    assert all(chair.reported_at is not None for chair in attacked.chairs)
    assert all(
        chair.answered_at is not None
        for chair in attacked.chairs
        if chair.report_channel == "volunteer"
    )
    extra = []
    for chair, calm_chair in zip(attacked.chairs, calm.chairs, strict=True):
        heard = " ".join(line for call in chair.calls for line in call.heard)
        assert sum(heard.count(step) for step in EXTRA_STEPS) <= 1 + chair.spec.mistypes_pin
        extra.append(
            (chair.verified_at - chair.first_call_at)
            - (calm_chair.verified_at - calm_chair.first_call_at)
        )
    assert max(extra) <= MOST_EXTRA_S


def test_the_report_figures_hold_together(nights: Nights):
    for night in (nights.attacked, nights.calm):
        assert_report_figures_hold_together(figures(night))


def test_every_volunteer_gets_on_duty_a_few_minutes_later_at_most(nights: Nights):
    attacked, calm = nights.attacked, nights.calm
    for volunteer, calm_volunteer in zip(attacked.volunteers, calm.volunteers, strict=True):
        assert volunteer.on_duty_at is not None
        extra = (volunteer.on_duty_at - volunteer.starts_at) - (
            calm_volunteer.on_duty_at - calm_volunteer.starts_at
        )
        assert extra <= MOST_EXTRA_S
