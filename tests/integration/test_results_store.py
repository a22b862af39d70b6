"""Stored results against a real Redis: versions, receipts, idempotency, verification, drafts."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from hotline.caucus.findings import Finding
from hotline.caucus.report import CoinToss, PrecinctReport
from hotline.settings import Settings
from hotline.store import keys
from hotline.store.results import Draft, Results, StoredReport
from tests.support.redis_state import snapshot
from tests.support.roster import load_small_roster

ADAIR = PrecinctReport(
    precinct="1001",
    attendance=40,
    first={"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9},
    final={"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9},
    coin_tosses=(CoinToss(("buttigieg", "klobuchar"), "klobuchar"),),
)
WARNING = Finding("first-below-attendance", "the first alignment adds up to 39", blocking=False)


@pytest.fixture
def results(services):
    load_small_roster(services)
    draws = iter(["004217", "918273", "555001", "555002", "555003"])
    return Results(services.store.redis, draw_receipt=lambda: next(draws))


def save(
    results,
    report=ADAIR,
    *,
    key="CA1:7",
    channel="keypad",
    author="keypad:***0101",
    now=1000.0,
    findings=(),
):
    return results.save(
        report, channel=channel, author=author, now=now, findings=findings, idempotency_key=key
    )


def test_save_stores_a_version_marks_the_precinct_and_audits(services, results):
    stored = save(results)
    assert stored == StoredReport(
        precinct="1001",
        version=1,
        report=ADAIR,
        channel="keypad",
        author="keypad:***0101",
        at=1000.0,
        receipt="004217",
    )
    state = snapshot(services.store.redis, "hotline:results*")
    body = json.loads(state["hotline:results:1001:versions"][1]["1"])
    assert body == {
        "report": ADAIR.to_dict(),
        "channel": "keypad",
        "author": "keypad:***0101",
        "at": 1000.0,
        "receipt": "004217",
        "findings": [],
    }
    assert state == {
        "hotline:results:1001:versions": ("hash", {"1": json.dumps(body, sort_keys=True)}),
        "hotline:results:latest": ("hash", {"1001": "1"}),
        "hotline:results:receipts": ("hash", {"004217": "1001:1"}),
        "hotline:results:saves": ("hash", {"CA1:7": "1001:1"}),
    }
    precinct = services.store.roster.get("1001")
    assert (precinct.reported_at, precinct.reported_by) == (1000.0, "keypad:***0101")
    entries = services.store.redis.xrange(keys.AUDIT)
    assert [fields for _, fields in entries] == [
        {
            "at": "1000.0",
            "action": "results-saved",
            "target": "1001",
            "author": "keypad:***0101",
            "reason": "",
            "details": json.dumps(
                {"channel": "keypad", "receipt": "004217", "version": 1, "warnings": []},
                sort_keys=True,
            ),
        }
    ]


def test_a_correction_is_a_new_version_and_never_overwrites(results):
    first = save(results)
    corrected = PrecinctReport("1001", 41, ADAIR.first, ADAIR.final, ADAIR.coin_tosses)
    second = save(
        results,
        corrected,
        key="form-1",
        channel="volunteer",
        author="alice",
        now=2000.0,
        findings=(WARNING,),
    )
    assert (second.version, second.receipt, second.findings) == (2, "918273", (WARNING,))
    assert results.versions("1001") == [first, second]
    assert results.latest("1001") == second
    assert results.version("1001", 1) == first
    assert results.by_receipt("004217") == first
    assert results.by_receipt("918273") == second


def test_the_same_idempotency_key_never_stores_twice(services, results):
    first = save(results)
    again = save(results, now=5000.0)
    assert again == first
    assert results.versions("1001") == [first]
    assert len(services.store.redis.xrange(keys.AUDIT)) == 1


def test_receipts_are_unique_a_drawn_receipt_in_use_is_drawn_again(services):
    load_small_roster(services)
    draws = iter(["111111", "111111", "222222"])
    results = Results(services.store.redis, draw_receipt=lambda: next(draws))
    assert save(results, key="a").receipt == "111111"
    assert save(results, key="b").receipt == "222222"
    assert results.by_receipt("111111").version == 1
    assert results.by_receipt("222222").version == 2
    assert results.by_receipt("333333") is None


def test_the_real_receipts_are_six_digits(services):
    load_small_roster(services)
    receipt = services.store.results.save(
        ADAIR, channel="keypad", author="x", now=1.0, findings=(), idempotency_key="k"
    ).receipt
    assert len(receipt) == 6 and receipt.isdigit()


def test_a_blocking_finding_is_never_stored(results):
    blocking = Finding("final-above-first", "no", blocking=True)
    with pytest.raises(ValueError):
        save(results, findings=(blocking,))
    assert results.latest("1001") is None


def test_reported_precincts_and_all_latest(results):
    save(results)
    other = PrecinctReport("77001", 10, {"biden": 10}, {"biden": 10})
    save(results, other, key="k2", channel="volunteer", author="bob")
    save(results, ADAIR, key="k3", channel="volunteer", author="bob")
    assert results.reported_precincts() == ["1001", "77001"]
    assert [(s.precinct, s.version) for s in results.all_latest()] == [("1001", 2), ("77001", 1)]


def test_verify_records_beside_the_version_and_to_verify_lists_keypad_reports(services, results):
    save(results)
    other = PrecinctReport("77001", 10, {"biden": 10}, {"biden": 10})
    save(results, other, key="k2", channel="volunteer", author="bob")
    assert [s.precinct for s in results.to_verify()] == ["1001"]
    assert results.verify("1001", 1, author="alice", now=3000.0)
    assert not results.verify("1001", 1, author="bob", now=3001.0)  # once
    assert not results.verify("1001", 9, author="bob", now=3001.0)  # no such version
    stored = results.latest("1001")
    assert (stored.verified_by, stored.verified_at, stored.report) == ("alice", 3000.0, ADAIR)
    assert results.to_verify() == []
    assert json.loads(services.store.redis.hget(keys.results_verified("1001"), "1")) == {
        "by": "alice",
        "at": 3000.0,
    }
    assert services.store.redis.xrevrange(keys.AUDIT, count=1)[0][1]["action"] == (
        "results-verified"
    )


def test_a_draft_lives_under_the_precinct_and_its_call_and_expires(services, results):
    assert results.draft("1001", "CA9") is None
    draft = Draft(call_sid="CA9", stage="first", attendance=40, first={"biden": 6}, updated_at=10.0)
    results.save_draft("1001", draft, ttl_s=7200)
    client = services.store.redis
    assert json.loads(client.get("hotline:results:1001:draft:CA9")) == {
        "call_sid": "CA9",
        "stage": "first",
        "attendance": 40,
        "first": {"biden": 6},
        "final": {},
        "coin_tosses": [],
        "updated_at": 10.0,
    }
    assert client.zrange("hotline:results:1001:drafts", 0, -1, withscores=True) == [("CA9", 10.0)]
    for key in ("hotline:results:1001:draft:CA9", "hotline:results:1001:drafts"):
        assert 7190 < client.ttl(key) <= 7200
    assert results.draft("1001", "CA9") == draft
    assert results.draft("1001", "CA8") is None


def _keyed(call_sid: str, at: float, **counts: int) -> Draft:
    return Draft(call_sid=call_sid, stage="first", attendance=40, first=counts, updated_at=at)


def test_two_calls_key_their_own_drafts_and_the_newest_is_the_one_left(results):
    results.save_draft("1001", _keyed("CA1", 10.0, biden=6), ttl_s=7200)
    results.save_draft("1001", _keyed("CA2", 20.0, warren=9), ttl_s=7200)
    assert dict(results.draft("1001", "CA1").first) == {"biden": 6}
    assert dict(results.draft("1001", "CA2").first) == {"warren": 9}
    assert results.unfinished_draft("1001").call_sid == "CA2"
    assert results.unfinished_draft("1001", other_than="CA2").call_sid == "CA1"


def test_drafts_keyed_before_a_stored_version_are_superseded(results):
    results.save_draft("1001", _keyed("CA1", 10.0, biden=6), ttl_s=7200)
    save(results, key="console:n1", channel="volunteer", author="alice")
    assert results.unfinished_draft("1001") is None
    assert dict(results.draft("1001", "CA1").first) == {"biden": 6}  # still that call's own
    # Keyed again after the version: unfinished once more.
    results.save_draft("1001", _keyed("CA1", 1010.0, biden=7), ttl_s=7200)
    assert dict(results.unfinished_draft("1001").first) == {"biden": 7}


def test_a_call_that_resumes_a_draft_takes_it_over(services, results):
    left = _keyed("CA1", 10.0, biden=6)
    results.save_draft("1001", left, ttl_s=7200)
    results.save_draft(
        "1001", replace(left, call_sid="CA2", updated_at=30.0), ttl_s=7200, taking_over="CA1"
    )
    assert results.draft("1001", "CA1") is None
    assert results.taken_over("1001", "CA1")
    assert not results.taken_over("1001", "CA2")
    assert dict(results.draft("1001", "CA2").first) == {"biden": 6}
    assert services.store.redis.zrange("hotline:results:1001:drafts", 0, -1) == ["CA2"]
    assert results.unfinished_draft("1001", other_than="CA2") is None


def test_an_expired_draft_leaves_the_index_when_looked_for(services, results):
    results.save_draft("1001", _keyed("CA1", 10.0, biden=6), ttl_s=7200)
    services.store.redis.delete("hotline:results:1001:draft:CA1")  # as its TTL would
    assert results.unfinished_draft("1001") is None
    assert services.store.redis.zrange("hotline:results:1001:drafts", 0, -1) == []


def test_a_save_may_delete_the_draft_with_the_version(services, results):
    """In the save's own transaction (the append-only file cut right after it holds no
    draft: tests/e2e/test_keypad_redis_restart.py). Deleted separately, a Redis that died
    between the two left a stored report behind as an unfinished draft, and the chair
    calling back stored it again.
    """
    draft = Draft(
        call_sid="CA1",
        stage="review",
        attendance=40,
        first=ADAIR.first,
        final=ADAIR.final,
        coin_tosses=ADAIR.coin_tosses,
    )
    results.save_draft("1001", draft, ttl_s=7200)
    save(results, key="console:n1", channel="volunteer", author="alice")
    assert results.draft("1001", "CA1") == draft
    stored = results.save(
        ADAIR,
        channel="keypad",
        author="keypad:***0101",
        now=1000.0,
        findings=(),
        idempotency_key="CA1:17",
        draft_of="CA1",
    )
    assert stored.version == 2
    assert results.draft("1001", "CA1") is None
    assert services.store.redis.exists("hotline:results:1001:drafts") == 0


def test_the_draft_ttl_comes_from_config(tmp_path):
    overlay = tmp_path / "hotline.toml"
    overlay.write_text('[results]\ndraft_ttl = "30m"\n')
    assert Settings.load(env={"HOTLINE_CONFIG": str(overlay)}).results_draft_ttl_s == 1800.0
