"""Simulated chairs reporting their precinct's numbers: the `smoke` night under Hotline's
triage, in process, on the test Redis, seed 1, with every chair keying on the keypad and
mistakes made often, against the same night with every chair going to a volunteer.

What the store holds is read back and held against each chair's worksheet: one stored
report per precinct, by the channel the chair used; no report stored with a blocking
error; a keypad report differs from the worksheet only where the chair keyed a mistake
the read-back did not make them notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis

from hotline.caucus.checks import check
from hotline.sim.network import Reply
from hotline.sim.night import Night, run_night
from hotline.sim.people import KeypadEntry
from hotline.sim.population import draw_population
from hotline.sim.report import _as_keyed, figures
from hotline.sim.scenario import load_scenario
from hotline.sim.worksheets import election
from tests.support.sim import assert_report_figures_hold_together


def _night(redis_url: str, **chairs) -> Night:
    scenario = load_scenario("smoke")
    scenario = replace(scenario, chairs=replace(scenario.chairs, **chairs))
    redis.Redis.from_url(redis_url).flushdb()
    night = run_night(scenario, draw_population(scenario, 1), "triage", redis_url=redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    return night


@pytest.fixture(scope="module")
def keyed(redis_url) -> Iterator[Night]:
    yield _night(redis_url, keypad_share=1.0, keypad_mistake_rate=0.2, readback_catch_share=0.5)


@pytest.fixture(scope="module")
def spoken(redis_url) -> Iterator[Night]:
    yield _night(redis_url, keypad_share=0.0)


def _blocked(night: Night, precinct: str) -> bool:
    sheet = next(c.spec.worksheet for c in night.chairs if c.spec.precinct == precinct)
    return any(f.blocking for f in check(sheet, election()))


def test_every_chair_reports_and_each_precinct_is_stored_once_by_its_channel(keyed: Night):
    for chair in keyed.chairs:
        assert chair.reported_at is not None
        stored = keyed.stored.get(chair.spec.precinct, [])
        if _blocked(keyed, chair.spec.precinct):
            # The keypad refused the worksheet's numbers; the volunteer's form held them back.
            assert chair.report_channel == "volunteer" and stored == []
        else:
            assert [s.channel for s in stored] == [chair.report_channel]
            assert stored[0].at <= chair.reported_at


def test_most_chairs_report_on_the_keypad_and_nothing_blocking_is_stored(keyed: Night):
    numbers = figures(keyed)["reports"]
    assert_report_figures_hold_together(figures(keyed))
    assert numbers["keypad"] >= 30 and numbers["stored_blocking"] == 0
    for kept in keyed.stored.values():
        for stored in kept:
            assert not any(f.blocking for f in check(stored.report, election()))


def test_a_keypad_report_differs_from_the_worksheet_only_by_an_unnoticed_mistake(keyed: Night):
    numbers = figures(keyed)["reports"]
    differing = 0
    for chair in keyed.chairs:
        for stored in keyed.stored.get(chair.spec.precinct, []):
            if stored.channel == "keypad" and not _as_keyed(stored.report, chair.spec.worksheet):
                differing += 1
                assert chair.keypad.made_mistakes and chair.keypad.mistakes
    assert numbers["keypad_mistakes"] > numbers["keypad_uncaught"] == differing > 0


def test_keypad_chairs_report_sooner_and_spend_less_volunteer_time(keyed: Night, spoken: Night):
    by_keypad, by_voice = figures(keyed), figures(spoken)
    assert by_voice["reports"]["keypad"] == 0
    assert by_voice["reports"]["volunteer"] == by_voice["reports"]["taken"]
    assert_report_figures_hold_together(by_voice)
    assert by_keypad["reports"]["time_p90_s"] < by_voice["reports"]["time_p90_s"]
    assert by_keypad["volunteers"]["chair_seconds"] < by_voice["volunteers"]["chair_seconds"]


@pytest.fixture(scope="module")
def dropped(redis_url) -> Iterator[tuple[Night, set[str]]]:
    """The keyed night again, but the first three keypad chairs' calls drop just as the
    hotline asks for the final alignment: each calls back, and the hotline offers to
    continue the report part keyed.
    """
    scenario = load_scenario("smoke")
    scenario = replace(scenario, chairs=replace(scenario.chairs, keypad_share=1.0))
    population = draw_population(scenario, 1)
    dropping = {chair.precinct for chair in population.chairs[:3]}
    original = KeypadEntry.answer
    dropped_once: set[str] = set()

    def answer(self, text: str):
        precinct = self.chair.spec.precinct
        if (
            precinct in dropping
            and precinct not in dropped_once
            and "final alignment. for each group" in text
        ):
            dropped_once.add(precinct)
            return Reply(hang_up=True, delay_s=1.0)
        return original(self, text)

    redis.Redis.from_url(redis_url).flushdb()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KeypadEntry, "answer", answer)
        night = run_night(scenario, population, "triage", redis_url=redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    assert dropped_once == dropping
    yield night, dropping


def test_a_call_dropped_mid_entry_is_resumed_and_stored_once(dropped):
    night, dropping = dropped
    resumed = 0
    for chair in night.chairs:
        if chair.spec.precinct not in dropping or _blocked(night, chair.spec.precinct):
            continue
        resumed += 1
        assert len(chair.calls) == 2
        assert "You have an unfinished report." in " ".join(chair.calls[1].heard)
        # The second call went on from the final alignment: attendance was not asked again.
        assert not any("number of attendees" in line for line in chair.calls[1].heard)
        assert [s.channel for s in night.stored[chair.spec.precinct]] == ["keypad"]
    assert resumed >= 2
    assert_report_figures_hold_together(figures(night))
