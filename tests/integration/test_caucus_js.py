"""The browser's caucus math (hotline/console/static/caucus.js) held to the Python
(hotline/caucus): the worked case, Adair 1NW, and a batch of random reports, each
compared on the threshold, viable groups, delegates, SDEs, ties and every finding's
code, message and weight. Runs the script with Node (tests/support/caucus_harness.js).

Node is required: without it the test fails, saying so (the form's live math would go
untested otherwise).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from hotline.caucus import iowa2020
from hotline.caucus.checks import check_counts
from hotline.caucus.election import Candidate, Election, PrecinctRules, load_election
from hotline.caucus.report import CoinToss, PrecinctReport

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "hotline" / "console" / "static" / "caucus.js"
HARNESS = ROOT / "tests" / "support" / "caucus_harness.js"
RANDOM_CASES = 600


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail(
            "node is not on PATH: the test of the results form's caucus math "
            "(hotline/console/static/caucus.js) needs Node.js 18 or later"
        )
    return found


def run_js(election: Election, cases: list[tuple[PrecinctReport, PrecinctRules | None]]):
    payload = {
        "script": str(SCRIPT),
        "election": {
            "name": election.name,
            "candidates": [{"key": c.key, "name": c.name} for c in election.candidates],
        },
        "cases": [
            {
                "report": report.to_dict(),
                "rules": None
                if rules is None
                else {"delegates": rules.delegates, "sde_ratio": rules.sde_ratio},
            }
            for report, rules in cases
        ],
    }
    done = subprocess.run(
        [node(), str(HARNESS)],
        input=json.dumps(payload),
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def python_side(report: PrecinctReport, rules: PrecinctRules | None, election: Election):
    allocation = None
    if rules is not None:
        a = iowa2020.allocate(report, rules)
        allocation = {
            "threshold": a.threshold,
            "viable": list(a.viable),
            "delegates": dict(a.delegates),
            "sdes": dict(a.sdes),
            "ties": [
                {"between": list(t.between), "stake": t.stake, "settled": t.settled} for t in a.ties
            ],
        }
    findings = check_counts(report, election, rules)
    if rules is None:
        findings.insert(0, _unknown(report, election))
    return {
        "allocation": allocation,
        "findings": [
            {"code": f.code, "message": f.message, "blocking": f.blocking} for f in findings
        ],
    }


def _unknown(report, election):
    from hotline.caucus.checks import check

    return check(report, election)[0]


def test_the_worked_case_adair_1nw_computes_the_same_in_the_browser():
    election = load_election("iowa-2020")
    rules = election.precinct("1001")
    final = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}
    toss = CoinToss(("buttigieg", "klobuchar"), "klobuchar")
    cases = [
        (PrecinctReport("1001", 40, final, final, (toss,)), rules),
        (PrecinctReport("1001", 40, final, final), rules),
    ]
    settled, unsettled = run_js(election, cases)
    assert settled["allocation"]["threshold"] == 6
    assert settled["allocation"]["delegates"] == {
        "biden": 1,
        "buttigieg": 1,
        "klobuchar": 2,
        "sanders": 2,
        "warren": 2,
    }
    assert settled["findings"] == []
    assert unsettled["findings"] == [
        {
            "code": "unsettled-coin-toss",
            "blocking": False,
            "message": "Pete Buttigieg and Amy Klobuchar tie for keeping a delegate: "
            "no coin toss recorded",
        }
    ]
    for (report, r), js in zip(cases, (settled, unsettled), strict=True):
        assert js == python_side(report, r, election)


def test_random_reports_compute_and_check_the_same_in_the_browser_and_on_the_server():
    election = test_election()
    rng = random.Random(2020)
    cases = [random_case(rng, election) for _ in range(RANDOM_CASES)]
    results = run_js(election, cases)
    assert len(results) == len(cases)
    differ = [
        (report, rules, js, python_side(report, rules, election))
        for (report, rules), js in zip(cases, results, strict=True)
        if js != python_side(report, rules, election)
    ]
    assert not differ, differ[:3]
    # The batch reaches what it is meant to: ties settled and not, findings of every kind.
    codes = {f["code"] for r in results for f in r["findings"]}
    assert {
        "bad-count",
        "no-attendance",
        "count-above-attendance",
        "first-below-attendance",
        "final-above-first",
        "locked-group-shrank",
        "final-below-threshold",
        "grew-past-realigners",
        "unsettled-coin-toss",
        "delegate-total",
    } <= codes
    stakes = {
        (t["stake"], t["settled"])
        for r in results
        if r["allocation"]
        for t in r["allocation"]["ties"]
    }
    assert {
        (iowa2020.KEEP, True),
        (iowa2020.EXTRA, True),
        (iowa2020.SINGLE, True),
        (iowa2020.KEEP, False),
    } <= stakes


def test_election() -> Election:
    candidates = tuple(
        Candidate(key, name, n)
        for n, (key, name) in enumerate(
            [
                ("biden", "Joe Biden"),
                ("buttigieg", "Pete Buttigieg"),
                ("klobuchar", "Amy Klobuchar"),
                ("sanders", "Bernie Sanders"),
                ("warren", "Elizabeth Warren"),
                ("yang", "Andrew Yang"),
                ("uncommitted", "Uncommitted"),
            ],
            start=1,
        )
    )
    return Election("js-test", "a race", "iowa-caucus-2020", candidates, {})


test_election.__test__ = False  # a helper, not a test


def random_case(rng: random.Random, election: Election):
    delegates = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 9, 10, 12])
    ratio = rng.choice([0.0, 0.0784313725490196, 0.1234, 1 / 3])
    rules = PrecinctRules("9", "Test", "TEST 1", delegates, ratio)
    keys = [c.key for c in election.candidates]
    attendance = rng.randint(0, 80)
    shown = rng.sample(keys, rng.randint(0, len(keys)))
    first = dict.fromkeys(shown, 0)
    left = attendance
    for key in shown:
        first[key] = rng.randint(0, max(left, 0))
        left -= first[key]
    if shown and rng.random() < 0.7:
        first[shown[-1]] += max(left, 0)  # everybody aligned
    final = (
        realign(rng, first, attendance, delegates)
        if rng.random() < 0.7
        else {key: rng.randint(0, 25) for key in rng.sample(keys, rng.randint(0, 4))}
    )
    report = PrecinctReport("9", attendance, first, final)
    roll = rng.random()
    if roll < 0.04:
        report = PrecinctReport("9", rng.choice([None, -3, "12a", 0]), first, final)
    elif roll < 0.08 and shown:
        first[shown[0]] = rng.choice([-2, "x", "3.5"])
        report = PrecinctReport("9", attendance, first, final)
    if rng.random() < 0.02:
        return report, None
    return with_tosses(rng, report, rules), rules


def realign(rng, first, attendance, delegates):
    threshold = iowa2020.viability_threshold(attendance, delegates) or 0
    ok = {k: v for k, v in first.items() if isinstance(v, int)}
    final = {k: v for k, v in ok.items() if v >= threshold}
    movers = sum(v for k, v in ok.items() if v < threshold)
    targets = list(final) or list(ok)
    while movers > 0 and targets and rng.random() < 0.9:
        key = rng.choice(targets)
        final[key] = final.get(key, 0) + 1
        movers -= 1
    if final and rng.random() < 0.3:
        # Equal groups make ties.
        size = rng.choice(list(final.values()))
        for key in rng.sample(list(final), min(len(final), rng.randint(2, 3))):
            final[key] = size
    return final


def with_tosses(rng, report, rules):
    """Settle the report's ties by coin toss, all of them, some, or none."""
    if rng.random() < 0.3:
        return report
    for _ in range(4):
        allocation = iowa2020.allocate(report, rules)
        if not allocation.unsettled or rng.random() < 0.15:
            return report
        tie = allocation.unsettled[0]
        between = list(tie.between)
        rng.shuffle(between)
        toss = CoinToss(tuple(between), rng.choice(between))
        report = PrecinctReport(
            report.precinct,
            report.attendance,
            report.first,
            report.final,
            report.coin_tosses + (toss,),
        )
    return report
