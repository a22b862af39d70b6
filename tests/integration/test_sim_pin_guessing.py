"""The `pin-guessing` scenario under Hotline's triage, in virtual time, in process, on the
test Redis, seed 1: 60 numbers (some withheld) guess precinct numbers and PINs for three
hours while 200 chairs report. No guess gets in, and no chair is locked out: every chair
gets through on their first call, in at most one step more than on a calm night, even
once the guessing has switched flood mode on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from hotline.settings import Settings
from hotline.sim.night import Night, run_night
from hotline.sim.population import draw_population
from hotline.sim.report import figures
from hotline.sim.scenario import load_scenario
from hotline.store import keys
from tests.support.sim import assert_report_figures_hold_together, without_run

ASK_PIN = "Please enter your chair PIN, then press pound."
# The steps a chair may be asked for beyond the precinct and the PIN: one of these.
EXTRA_STEPS = ("needs one more check tonight", "is confirmed on its registered phone")

PIN_GUESSING_FIGURES = {
    "chairs": {
        "count": 200,
        "answered": 80,
        "abandoned": 0,
        "calls": 200,
        "called_back": 6,
        "wait_p50_s": 199.3,
        "wait_p90_s": 278.6,
        "wait_p99_s": 353.9,
        "wait_max_s": 394.1,
        "get_in_p50_s": 38.8,
        "get_in_p90_s": 63.6,
        "get_in_max_s": 77.4,
    },
    "nuisance": {
        "numbers": 60,
        "calls": 2336,
        "rejected": 235,
        "diverted": 1876,
        "reached_volunteer": 0,
    },
    "info": {
        "calls": 0,
        "reached_volunteer": 0,
    },
    "volunteers": {
        "count": 12,
        "chair_seconds": 23573.0,
        "nuisance_seconds": 0,
        "info_seconds": 0,
        "get_in_max_s": 16.4,
    },
    "attacks": {
        "guesses": 608,
        "pin_checks": 262,
        "pin_checks_peak": 5,
        "pin_successes": 0,
        "success_bound": 0.003,
    },
    "reports": {
        "taken": 200,
        "keypad": 120,
        "volunteer": 80,
        "volunteer_minutes_per_report": 4.91,
        "stored": 182,
        "held_back": 18,
        "stored_blocking": 0,
        "keypad_mistakes": 40,
        "keypad_uncaught": 4,
        "time_p50_s": 250.7,
        "time_p90_s": 433.6,
        "time_max_s": 654.0,
    },
}


@dataclass(frozen=True)
class Outcome:
    night: Night
    # Who switched flood mode on, as the night left it.
    flood_by: str | None


@pytest.fixture(scope="module")
def outcome(redis_url) -> Iterator[Outcome]:
    scenario = load_scenario("pin-guessing")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    night = run_night(scenario, draw_population(scenario, 1), "triage", redis_url=redis_url)
    yield Outcome(night, client.get(keys.FLOOD))
    client.flushdb()


@pytest.fixture
def night(outcome) -> Night:
    return outcome.night


def test_the_night_gives_the_pinned_figures(night: Night):
    assert without_run(figures(night)) == PIN_GUESSING_FIGURES


def test_the_report_figures_hold_together(night: Night):
    assert_report_figures_hold_together(figures(night))


def test_no_guess_gets_in(night: Night):
    guessers = [caller for caller in night.nuisance if caller.spec.guesses_pins]
    calls = [call for caller in night.nuisance for call in caller.calls]

    assert len(guessers) == len(night.nuisance) == 60
    assert [caller.pin_successes for caller in night.nuisance] == [0] * 60
    assert all(call.enqueued_at is None and call.connected_at is None for call in calls)
    # The attack did happen, and went on after the alarm: guesses at PIN prompts and at
    # backup-code prompts, each call sent away when its tries (or its number's) ran out.
    assert sum(caller.guesses for caller in night.nuisance) > 500
    assert sum(call.heard.count(ASK_PIN) for call in calls) > 300


def test_the_guessing_switched_flood_mode_on_by_itself(outcome: Outcome):
    assert outcome.flood_by == "pin-alarm"


def test_pin_checks_stay_within_the_budgets(night: Night):
    """At most the per-target budget of failed checks against any precinct or volunteer in
    an hour (plus the right PIN of the one chair or volunteer it belongs to), and at most
    the hotline-wide budget in all.
    """
    defence = Settings.load(env={}).policy.pin_defence
    per_hour = [count for hour in night.pin_checks.values() for count in hour.values()]
    assert per_hour and max(per_hour) <= defence.per_target + 1
    for hour in night.pin_checks.values():
        assert sum(hour.values()) <= defence.hotline_wide + len(night.chairs)


def test_no_chair_is_locked_out(night: Night):
    chairs = night.chairs
    # Every chair reports: on the keypad, or to a volunteer who answered them.
    assert [chair.reported_at is not None for chair in chairs] == [True] * 200
    assert all(
        chair.answered_at is not None for chair in chairs if chair.report_channel == "volunteer"
    )
    assert {chair.report_channel for chair in chairs} == {"keypad", "volunteer"}
    assert [chair.gave_up_at for chair in chairs] == [None] * 200
    # One call each, put through or (some who asked) hung up to be called back.
    assert [len(chair.calls) for chair in chairs] == [1] * 200
    assert {call.outcome for chair in chairs for call in chair.calls} == {
        "talked",
        "hung up by the hotline",
    }
    # In at most one step more than the precinct and the PIN: a backup code or a call back.
    for chair in chairs:
        heard = " ".join(chair.calls[0].heard)
        assert sum(heard.count(step) for step in EXTRA_STEPS) <= 1 + chair.spec.mistypes_pin
