"""A leak in the simulator: the smoke night, its number rotated 25 minutes in by the same
rotate step the admins run, through the REST stand-in. Chairs with a registered phone are
texted the new number at the pace and call it once the text has reached them; the flood
and people asking for information keep calling the old number; everyone else on the old
number hears it changed. The rotation's figures for seed 1 are pinned, beside properties
that hold on any night.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest
import redis

from hotline.sim.network import TEXT_DELIVERED_AFTER_S, TEXT_SENT_AFTER_S
from hotline.sim.night import JOB_LATENCY_S, Night, run_night
from hotline.sim.population import draw_population
from hotline.sim.report import figures, render
from hotline.sim.scenario import load_scenario

SEED = 1
LEAK = """\
extends = "smoke"

[night]
name = "smoke-leak"

[leak]
at = "25m"
"""


@pytest.fixture(scope="module")
def night(redis_url, tmp_path_factory) -> Iterator[Night]:
    path = tmp_path_factory.mktemp("scenarios") / "smoke-leak.toml"
    path.write_text(LEAK, encoding="utf-8")
    scenario = load_scenario(str(path))
    yield run_night(scenario, draw_population(scenario, SEED), "triage", redis_url=redis_url)
    redis.Redis.from_url(redis_url).flushdb()


def test_the_rotations_figures(night):
    assert figures(night)["rotation"] == {
        "at_s": 1500.0,
        "chairs_texted": 540,
        "texts_delivered": 540,
        "texts_failed": 0,
        "last_text_s": 543.0,
        "chairs_on_new_number": 2,
        "chairs_turned_away": 0,
        "nuisance_calls_after": 33,
    }


def test_every_chair_with_a_registered_phone_is_texted_the_new_number_once(night):
    registered = {phone for *_, phone in night.population.roster if phone}
    texted = [m["to"] for m in night.network.messages if m["from"] == night.rotation.new]
    assert sorted(texted) == sorted(registered)
    assert night.rotation.chairs == len(registered)


def test_texts_leave_at_the_pace_after_the_first_pair(night):
    sent = [m["sent_at"] for m in night.network.messages if m["from"] == night.rotation.new]
    # The job runs when the simulated worker next picks up jobs, a moment after.
    assert sent[0] == sent[1] == night.rotation.at + JOB_LATENCY_S
    assert all(later - earlier >= 1.0 for earlier, later in pairwise(sent[1:]))


def test_a_chair_calls_the_new_number_only_once_its_text_has_reached_them(night):
    delivered = {
        m["to"]: m["sent_at"] + TEXT_SENT_AFTER_S + TEXT_DELIVERED_AFTER_S
        for m in night.network.messages
        if m["from"] == night.rotation.new
    }
    on_new = [
        (chair, call)
        for chair in night.chairs
        for call in chair.calls
        if call.to == night.rotation.new
    ]
    assert on_new
    for chair, call in on_new:
        assert chair.spec.registered
        assert call.created_at >= delivered[chair.spec.phone]


def test_the_flood_keeps_calling_the_old_number_and_never_reaches_anyone(night):
    calls = [call for caller in night.nuisance + night.info for call in caller.calls]
    assert {call.to for call in calls} == set(night.rotation.old)
    after = [call for call in calls if call.created_at >= night.rotation.at]
    assert after
    assert all(call.connected_at is None for call in after)


def test_no_chair_is_turned_away_at_the_old_number(night):
    """Chairs without a registered phone were never texted: the old number still lets them
    in with the precinct, the PIN and the backup code.
    """
    after = [
        (chair, call)
        for chair in night.chairs
        for call in chair.calls
        if call.to in night.rotation.old and call.created_at >= night.rotation.at
    ]
    assert any(not chair.spec.registered for chair, _ in after)
    assert not [call for _, call in after if call.outcome == "diverted"]
    assert all(chair.answered_at or chair.reported_at for chair, _ in after)


def test_the_report_shows_the_rotation(night):
    report = render({"triage": figures(night)}, title="smoke-leak")
    assert report.splitlines()[-8:] == [
        "Number rotated at                       25m00s",
        "  chairs texted the new number             540",
        "  texts delivered                          540",
        "  texts failed                               0",
        "  last text delivered after              9m03s",
        "  chairs calling the new number              2",
        "  chairs turned away at the old              0",
        "  nuisance calls to the old                 33",
    ]
