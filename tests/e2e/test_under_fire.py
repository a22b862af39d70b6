"""A night under fire, short: the drill of `hotline drill` (hotline/sim/drill.py) on a
scenario of 80 seconds. Real processes (a supervised Redis with an append-only file,
`hotline serve` with the production configuration, two `hotline worker`), the REST
stand-in and the simulator's people over HTTP, while a worker is killed and restarted,
Redis is killed and restarted from its file, Twilio's API answers 503 for 20 seconds, a
chair asks to be called back on a phone Twilio will not dial, and 100 signed-in consoles
poll the console page. No chair is lost, put through twice or hung up on; no webhook
takes longer than 2 seconds; and every fault really happened.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.sim.drill import (
    DrillRun,
    load_fault_plan,
    missing_faults,
    outcome_figures,
    run_drill,
)
from hotline.sim.scenario import load_scenario

SCENARIO = str(Path(__file__).parent / "scenarios" / "under-fire-short.toml")


@pytest.fixture(scope="module")
def drilled(tmp_path_factory) -> DrillRun:
    scenario = load_scenario(SCENARIO)
    plan = load_fault_plan(SCENARIO)
    workdir = tmp_path_factory.mktemp("under-fire")
    return run_drill(
        scenario, plan, seed=1, with_faults=True, workdir=workdir, say=lambda _text: None
    )


@pytest.fixture(scope="module")
def outcome(drilled) -> dict:
    return outcome_figures(drilled)


def test_no_chair_is_lost(outcome):
    assert outcome["chairs_called"] == 30
    assert outcome["chairs_lost"] == 0, outcome["chairs_lost_precincts"]
    assert outcome["chairs_answered"] + outcome["chairs_parked"] == outcome["chairs_called"]


def test_no_chair_is_put_through_twice(outcome):
    assert outcome["chairs_connected_twice"] == 0


def test_no_chair_is_hung_up_on(outcome):
    assert outcome["chairs_hung_up_by_hotline"] == 0, outcome["chairs_hung_up_precincts"]


def test_every_webhook_answers_within_two_seconds(outcome):
    assert outcome["webhooks"] > 100
    assert outcome["webhooks_late"] == 0, outcome["webhook_max_ms"]


def test_a_worker_was_killed_and_restarted(drilled):
    evidence = drilled.evidence
    assert evidence.worker_killed_pid and evidence.worker_restarted_pid
    assert evidence.worker_killed_pid != evidence.worker_restarted_pid
    assert evidence.workers_registered_after_restart == 2


def test_redis_was_restarted_and_the_line_reconciled(drilled):
    evidence = drilled.evidence
    assert evidence.redis_restarts == 1
    assert evidence.redis_run_id_before and evidence.redis_run_id_after
    assert evidence.redis_run_id_after != evidence.redis_run_id_before
    assert evidence.reconciled_after_restart


def test_twilio_answered_503_during_the_outage(drilled):
    assert drilled.evidence.rest_503s > 0


def test_the_undialable_chair_was_parked(drilled):
    evidence = drilled.evidence
    assert evidence.undialable_precinct is not None
    assert evidence.parked_precincts == [evidence.undialable_precinct]


def test_the_consoles_polled_all_night(drilled):
    polled = drilled.evidence.pollers
    assert polled["signed_in"] == polled["pollers"] == 100
    assert polled["ok"] >= 100 * 10  # every 5 s for 80 s and more, each
    # Every ask was answered: the page, or a 503 that says when to ask again (all the
    # console's share of a worker's threads taken, or Redis restarting; how many depends
    # on how loaded the machine is). Never a server error, never no answer: the console
    # is not a call, and its next request is answered.
    assert set(polled["by_status"]) <= {"200", "503"}
    assert polled["failed"] == 0


def test_the_drill_says_every_fault_happened(drilled):
    assert missing_faults(drilled.evidence, load_fault_plan(SCENARIO)) == []
