"""The admins' board (/console/admin) through HTTP, signed in as an admin, against a real
Redis: a small night driven through the signed webhooks on a manual clock, and every
figure the board shows checked exactly; every action, its audit entry, and what it does to
the next call.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import redis

from hotline.jobs import enqueue, enqueue_night_sample
from hotline.settings import Settings
from hotline.store import keys
from hotline.store.audit import AuditFilter
from hotline.store.numbers import OwnedNumber
from tests.support.calls import PhoneCall
from tests.support.console import (
    ADMIN_USER,
    VOLUNTEER_USER,
    add_admin,
    add_volunteer,
    put_caller_through,
    signed_in,
    table_rows,
    volunteer_ready,
)
from tests.support.env import settings_env
from tests.support.roster import backup_code_of, load_small_roster, pin_of

CHAIR_PHONE = "+15155550177"  # registered to precinct 77001
OUT_OF_STATE = "+13105550199"
UNKNOWN = "+15155550142"
REDIALLER = "+15155550188"
# The number the test calls dial (tests/support/calls.py).
HOTLINE_NUMBER = "+15155550000"
# Twilio's REST API where nothing listens: a job that calls it fails at once.
NOWHERE = "http://127.0.0.1:9"
NINE_PM = 21 * 3600


@pytest.fixture
def settings():
    return Settings.load(env=settings_env(TWILIO_API_BASE_URL=NOWHERE))


@pytest.fixture
def admin(client, services, clock) -> str:
    """Signed in as an admin at 21:00 UTC on the manual clock's day; returns the page's
    CSRF token.
    """
    clock.advance(NINE_PM)
    add_admin(services)
    load_small_roster(services)
    return signed_in(client, ADMIN_USER)


def ring(client, sid: str, number: str, **extra: str) -> PhoneCall:
    call = PhoneCall(client, sid, number, **extra)
    call.ring()
    return call


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no #{element_id}"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def board(client) -> str:
    response = client.get("/console/admin")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, path: str, token: str, **form: str):
    return client.post(f"/console/admin/{path}", data={"csrf_token": token, **form})


def drive_the_night(client, services, clock, run_jobs) -> None:
    """A small night, ending at 21:33 UTC on the manual clock's day:

    - 21:00: a chair put through to volunteer v1 (busy); v2 paused; v3 not on duty.
    - 21:30: the chair's registered phone calls and hangs up (fast track); an out-of-state
      number calls six times: two challenges, two diverts, a temporary block, then a call
      the block rejects; an unknown number keys a precinct and a wrong PIN, and stays on.
    - 21:31: the chair calls again, keys the PIN and waits in line.
    - 21:33: the workers' minute sample.
    """
    busy = add_volunteer(services)
    volunteer_ready(services, busy)
    put_caller_through(services, busy)
    store = services.store
    paused = store.volunteers.add("Bo Ray", "+15155550998", lambda _vid: "digest", author="t").id
    store.volunteers.add("Cy Dee", "+15155550997", lambda _vid: "digest", author="t")
    volunteer_ready(services, paused)
    store.dispatch.set_paused(paused, True, now=clock.now())

    clock.advance(30 * 60)
    ring(client, "CAft1", CHAIR_PHONE).end(duration=20)
    for n in range(1, 7):
        call = ring(client, f"CAoos{n}", OUT_OF_STATE, FromState="CA", FromCountry="US")
        call.end(duration=30)
    stays = ring(client, "CAunknown", UNKNOWN)
    stays.press("1002")
    stays.press("000000")
    clock.advance(60)
    chair = ring(client, "CAft2", CHAIR_PHONE)
    chair.press(pin_of("77001"))
    chair.press("2")
    chair.hold()
    clock.advance(120)
    enqueue_night_sample(services)
    run_jobs()


# The figures


def test_the_board_shows_the_night_exactly(client, services, clock, run_jobs, admin):
    drive_the_night(client, services, clock, run_jobs)
    html = board(client)

    assert table_rows(html, "calls-per-minute") == [
        [
            "Minute (UTC)",
            "all calls",
            "fast track",
            "challenge",
            "diverted",
            "rejected (blocked already)",
            "blocked now",
            "not over yet",
        ],
        ["21:33", "0", "0", "0", "0", "0", "0", "0"],
        ["21:32", "0", "0", "0", "0", "0", "0", "0"],
        ["21:31", "1", "0", "0", "0", "0", "0", "1"],
        ["21:30", "8", "1", "2", "2", "1", "1", "1"],
        ["21:29", "0", "0", "0", "0", "0", "0", "0"],
        # With the chair put through at 21:00 (by the store, not a webhook: never ended).
        ["last 60 minutes", "10", "1", "2", "2", "1", "1", "3"],
    ]
    assert text_of(html, "line-depth") == "1"
    assert text_of(html, "longest-wait") == "2:00"
    assert [text_of(html, f"volunteers-{s}") for s in ("free", "busy", "paused", "offline")] == [
        "0",
        "1",
        "1",
        "1",
    ]
    assert text_of(html, "pin-alarm-state") == "quiet"
    assert text_of(html, "pin-failures-window") == "1"
    pins = table_rows(html, "pin-failures")
    assert pins[0] == [f"21:{m}" for m in range(24, 34)]
    assert pins[1] == ["0"] * 6 + ["1"] + ["0"] * 3
    assert text_of(html, "flood-state") == "off"
    assert [text_of(html, f"jobs-{s}") for s in ("queued", "running", "retrying", "failed")] == [
        "0",
        "0",
        "0",
        "0",
    ]
    # Numbers that called more than once, with their calls answered within the hour, as
    # the 21:33 sample ranked them; the out-of-state number's block is in force (its sixth
    # call was rejected, not counted).
    assert table_rows(html, "top-callers") == [
        ["Number", "Calls", ""],
        [OUT_OF_STATE, "5", "blocked"],
        [CHAIR_PHONE, "2", "Block"],
    ]


def test_the_plots_are_drawn_from_the_same_figures(client, services, clock, run_jobs, admin):
    drive_the_night(client, services, clock, run_jobs)
    html = board(client)
    calls = re.search(r'id="plot-calls">(.*?)</div>', html, re.S).group(1)
    series = re.findall(r'<polyline[^>]*points="([^"]*)"><title>([^<]*)</title>', calls)
    by_name = {name: points.split() for points, name in series}
    assert list(by_name) == [
        "all calls",
        "fast track",
        "challenge",
        "diverted",
        "rejected (blocked already)",
        "blocked now",
    ]
    # One point a minute, every series, from the first minute with a call (21:00), or an
    # hour back if that is later: 20:34 to 21:33.
    assert {len(points) for points in by_name.values()} == {60}
    assert re.findall(r'text-anchor="middle">(\d+:\d\d)</text>', calls) == [
        "20:40",
        "20:50",
        "21:00",
        "21:10",
        "21:20",
        "21:30",
    ]
    # The peak of all calls, 8, is at 21:30.
    assert re.search(r"<title>all calls: peak 8 at 21:30</title>", calls)
    line = re.search(r'id="plot-line">(.*?)</div>', html, re.S).group(1)
    assert "<title>chairs waiting: peak 1 at 21:33</title>" in line
    assert line.count("<polyline") == 1


# The numbers


OLD_NUMBER, NEW_NUMBER = HOTLINE_NUMBER, "+15155550300"


def rotated_at_nine(services) -> None:
    """The old number retired and the new one current from 21:00, as a rotation leaves
    them (no chairs to text).
    """
    services.store.numbers.rotate(
        now=services.clock.now(),
        author="ann",
        new=OwnedNumber(NEW_NUMBER, "PNnew", "https://h/voice/incoming", "https://h/status"),
        old=[OwnedNumber(OLD_NUMBER, "PNold", "https://h/voice/incoming", "https://h/status")],
        chairs=[],
    )


def verify(
    client, services, sid: str, caller: str, dialled: str, precinct: str, *, retired=False
) -> None:
    """A call on `dialled` that keys the precinct (unless its phone is the chair's), the
    PIN and, on a `retired` number, the backup code (a PIN alone is not enough there): its
    chair is verified.
    """
    call = ring(client, sid, caller, To=dialled)
    if caller != CHAIR_PHONE:
        call.press(precinct)
    call.press(pin_of(precinct))
    if retired:
        call.press(backup_code_of(precinct))
    assert services.store.calls.get(sid).verified_at is not None


def test_the_numbers_panel_counts_calls_and_chairs_by_the_number_they_dialled(
    client, services, clock, admin
):
    """21:00: the number rotated; a chair who was not texted verifies on the old number.
    21:20: an unknown caller on the old number. 21:30: the registered chair verifies on the
    new number, and a chair on the old one. Read at 21:30.
    """
    rotated_at_nine(services)
    verify(client, services, "CAold1", UNKNOWN, OLD_NUMBER, "1001", retired=True)
    clock.advance(20 * 60)
    ring(client, "CAold2", "+15155550143", To=OLD_NUMBER)
    clock.advance(10 * 60)
    verify(client, services, "CAnew1", CHAIR_PHONE, NEW_NUMBER, "77001")
    verify(client, services, "CAold3", "+15155550144", OLD_NUMBER, "1002", retired=True)
    html = board(client)

    assert table_rows(html, "board-numbers") == [
        [
            "Number",
            "State",
            "Since",
            "Retired",
            "calls, last 15 min",
            "chairs verified, last 15 min",
            "calls, last 60 min",
            "chairs verified, last 60 min",
        ],
        [NEW_NUMBER, "current", "2020-02-05 21:00 UTC", "", "1", "1", "1", "1"],
        [OLD_NUMBER, "retired", "", "2020-02-05 21:00 UTC", "2", "1", "3", "2"],
    ]
    plot = re.search(r'id="plot-numbers">(.*?)</div>', html, re.S).group(1)
    series = re.findall(r'<polyline[^>]*points="([^"]*)"><title>([^<]*)</title>', plot)
    assert [name for _, name in series] == [f"{NEW_NUMBER} (current)", f"{OLD_NUMBER} (retired)"]
    # One point a minute, from the first minute with a call (21:00), or an hour back.
    assert {len(points.split()) for points, _ in series} == {60}
    assert f"<title>{NEW_NUMBER} (current): peak 1 at 21:30</title>" in plot


def test_a_number_no_rotation_recorded_is_shown_with_its_calls(client, services, clock, admin):
    verify(client, services, "CAfirst", UNKNOWN, OLD_NUMBER, "1001")
    assert table_rows(board(client), "board-numbers")[1:] == [
        [OLD_NUMBER, "not on record", "", "", "1", "1", "1", "1"]
    ]


def test_before_any_call_or_rotation_the_panel_says_so(client, admin):
    html = board(client)
    assert table_rows(html, "board-numbers")[1:] == [
        ["No number on record yet: the first rotation finds the one in use."]
    ]
    assert 'id="plot-numbers"' not in html


# Live updates


def test_the_state_sends_the_sections_that_changed_and_304_when_none(
    client, services, clock, admin
):
    first = client.get("/console/admin/state")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    versions = first.get_json()["versions"]
    assert set(versions) == {"figures", "plots", "callers", "number-figures"}
    tag = first.headers["ETag"]
    again = client.get("/console/admin/state", headers={"If-None-Match": tag})
    assert again.status_code == 304

    ring(client, "CAlive", UNKNOWN)
    have = ",".join(f"{name}:{v}" for name, v in versions.items())
    changed = client.get(f"/console/admin/state?have={have}", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    body = changed.get_json()
    # The top callers wait for the minute's sample: the figures, the plots and the
    # number called changed.
    assert set(body["html"]) == {"figures", "plots", "number-figures"}
    assert body["versions"]["callers"] == versions["callers"]
    assert table_rows(body["html"]["figures"], "calls-per-minute")[1][1] == "1"
    assert table_rows(body["html"]["number-figures"], "board-numbers")[1][:2] == [
        HOTLINE_NUMBER,
        "not on record",
    ]


def test_a_poll_is_one_pipeline_after_the_login_is_read(client, services, admin, monkeypatch):
    sent = count_round_trips(services, monkeypatch)
    assert client.get("/console/admin/state").status_code == 200
    # The login (one HGET), then everything the board shows (one pipeline).
    assert sent() == 2


def count_round_trips(services, monkeypatch):
    """Round trips made from now on by the app's Redis clients: commands sent one at a
    time, and pipelines (each sent at once).
    """
    counted = {"n": 0}
    for client in (services.store.redis, services.queue.connection):
        one = client.execute_command

        def counting(*args, _one=one, **kwargs):
            counted["n"] += 1
            return _one(*args, **kwargs)

        monkeypatch.setattr(client, "execute_command", counting)
    pipeline_execute = redis.client.Pipeline.execute

    def counting_pipeline(self, *args, **kwargs):
        if self.command_stack or self.watching:
            counted["n"] += 1
        return pipeline_execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting_pipeline)
    return lambda: counted["n"]


# Who may


def test_only_admins_see_the_board(client, services):
    add_volunteer(services)
    token = signed_in(client, VOLUNTEER_USER)
    assert client.get("/console/admin").status_code == 403
    assert client.get("/console/admin/state").status_code == 403
    assert post(client, "flood", token, state="on").status_code == 403
    assert post(client, "block", token, target="+15155550111").status_code == 403
    assert not services.store.reputation.flood()
    assert services.store.blocks.get("+15155550111") is None


def test_signed_out_the_board_asks_for_a_login(client):
    assert client.get("/console/admin").status_code == 302
    assert client.get("/console/admin/state").status_code == 401


def test_an_action_without_the_csrf_token_is_refused(client, services, admin):
    response = client.post("/console/admin/flood", data={"state": "on"})
    assert response.status_code == 403
    assert post(client, "flood", "not the token", state="on").status_code == 403
    assert not services.store.reputation.flood()


# Acting


def audit_entries(services) -> list[tuple[str, str, str, str]]:
    """The audit trail, oldest first, after the admin's login was made."""
    return [
        (e.action, e.target, e.author, e.reason)
        for e in reversed(services.store.audit.search(AuditFilter()).entries)
        if e.action != "user-add"
    ]


def test_block_unblock_and_allow_from_the_board(client, services, clock, admin):
    assert (
        post(
            client, "block", admin, target="515-555-0111", reason="redials", **{"for": "2h"}
        ).status_code
        == 303
    )
    block = services.store.blocks.get("+15155550111")
    assert (block.author, block.reason, block.expires_at) == (
        ADMIN_USER,
        "redials",
        clock.now() + 7200,
    )
    post(client, "block", admin, target="+1900*", reason="premium numbers")
    assert services.store.blocks.get("+1900*").expires_at is None
    # The newest first, in the board's list; the new block's number rejected at once.
    assert [row[0] for row in table_rows(board(client), "board-blocks")[1:]] == [
        "+1900*",
        "+15155550111",
    ]
    assert "Reject" in ring(client, "CAblocked", "+15155550111").last.get_data(as_text=True)

    post(client, "unblock", admin, target="+15155550111")
    assert services.store.blocks.get("+15155550111") is None
    post(client, "allow", admin, target="(515) 555-0122", reason="the party's office")
    assert services.store.redis.hexists(keys.ALLOWED, "+15155550122")
    assert table_rows(board(client), "board-allowed")[1][0] == "+15155550122"
    post(client, "allow", admin, target="+15155550122", remove="1", reason="moved")
    assert not services.store.redis.hexists(keys.ALLOWED, "+15155550122")

    assert audit_entries(services) == [
        ("block", "+15155550111", ADMIN_USER, "redials"),
        ("block", "+1900*", ADMIN_USER, "premium numbers"),
        ("unblock", "+15155550111", ADMIN_USER, "unblocked on the admins' board"),
        ("allow", "+15155550122", ADMIN_USER, "the party's office"),
        ("disallow", "+15155550122", ADMIN_USER, "moved"),
    ]


def test_what_is_not_a_number_changes_nothing(client, services, admin):
    post(client, "block", admin, target="call me", reason="x")
    assert "Nothing done: 'call me' is not a phone number." in unescape(board(client))
    post(client, "allow", admin, target="+1900*")
    assert "Nothing done: only a whole number can be allowed, not a prefix." in board(client)
    post(client, "block", admin, target="+15155550111", **{"for": "soon"})
    assert services.store.blocks.count() == 0
    assert audit_entries(services) == []


def test_searching_blocks_and_allowed_numbers(client, services, admin):
    for number in ("+15155550111", "+15155550112", "+17125550113"):
        services.store.blocks.block(number, reason="x", author="ann")
    for number in ("+15155550121", "+17125550122"):
        services.store.reputation.allow(number, author="ann")
    html = client.get("/console/admin?find=%2B1515").get_data(as_text=True)
    assert [row[0] for row in table_rows(html, "board-blocks")[1:]] == [
        "+15155550111",
        "+15155550112",
    ]
    assert [row[0] for row in table_rows(html, "board-allowed")[1:]] == ["+15155550121"]
    html = client.get("/console/admin?find=712-555-0122").get_data(as_text=True)
    assert table_rows(html, "board-blocks")[1:] == [["No blocks found."]]
    assert [row[0] for row in table_rows(html, "board-allowed")[1:]] == ["+17125550122"]


def test_the_flood_switch(client, services, admin):
    post(client, "flood", admin, state="on", reason="the number leaked")
    assert services.store.reputation.flood_switched_by() == ADMIN_USER
    html = board(client)
    assert text_of(html, "flood-state") == "ON"
    assert text_of(html, "flood-button") == "Switch flood mode off"
    # The next unknown caller hears the flood prompt.
    assert "very busy" in ring(client, "CAflood", UNKNOWN).last.get_data(as_text=True)
    post(client, "flood", admin, state="off", reason="quiet again")
    assert not services.store.reputation.flood()
    assert audit_entries(services) == [
        ("flood-on", "*", ADMIN_USER, "the number leaked"),
        ("flood-off", "*", ADMIN_USER, "quiet again"),
    ]


# Tonight's thresholds


def test_a_threshold_changed_tonight_judges_the_next_call_and_reverts(
    client, services, clock, run_jobs, admin
):
    first = ring(client, "CAr1", REDIALLER)
    assert "enter your precinct" in first.last.get_data(as_text=True)

    assert (
        post(
            client,
            "threshold",
            admin,
            setting="escalation.divert_calls_short",
            value="3",
            reason="redialling trolls",
        ).status_code
        == 303
    )
    html = unescape(board(client))
    assert "escalation.divert_calls_short is 3 tonight (was 7), from the next call." in html
    rows = {row[0]: row[1:3] for row in table_rows(html, "threshold-table")[1:]}
    assert rows[
        "Calls within the short window that divert a caller escalation.divert_calls_short"
    ] == ["7", "3"]

    assert "enter your precinct" in ring(client, "CAr2", REDIALLER).last.get_data(as_text=True)
    third = ring(client, "CAr3", REDIALLER)
    assert "reserved for precinct chairs reporting results" in third.last.get_data(as_text=True)
    record = services.store.calls.get("CAr3")
    assert (record.verdict, record.reasons) == ("divert", ("3 calls in 15m (divert at 3)",))

    # The first call ends after the change: its bookkeeping judges it as it was judged.
    first.end(duration=40)
    run_jobs()
    assert services.store.calls.get("CAr1").verdict == "challenge"
    assert services.store.calls.get("CAr1").reasons == ("unknown caller",)

    (change,) = services.store.tonight.changes()
    assert post(client, "revert", admin, change=str(change.id)).status_code == 303
    assert "escalation.divert_calls_short is back to 7 (was 3)." in board(client)
    fourth = ring(client, "CAr4", REDIALLER)
    assert "enter your precinct" in fourth.last.get_data(as_text=True)

    assert [
        (e.action, e.target, e.author, e.reason, e.details["old"], e.details["new"])
        for e in reversed(services.store.audit.search(AuditFilter(target="escalation")).entries)
    ] == [
        (
            "threshold-change",
            "escalation.divert_calls_short",
            ADMIN_USER,
            "redialling trolls",
            7,
            3,
        ),
        (
            "threshold-revert",
            "escalation.divert_calls_short",
            ADMIN_USER,
            "revert of change 1 (redialling trolls)",
            3,
            7,
        ),
    ]
    assert services.store.tonight.overlay().values == {}


def test_a_change_keeps_the_inbound_call_at_one_round_trip(client, services, admin, monkeypatch):
    ring(client, "CAwarm", UNKNOWN)  # scripts loaded, connections made
    post(
        client,
        "threshold",
        admin,
        setting="flood.auto_calls_per_minute",
        value="500",
        reason="expected flood",
    )
    sent = count_round_trips(services, monkeypatch)
    ring(client, "CAnext", "+15155550143")
    assert sent() == 1
    assert services.store.tonight.held_version == services.store.tonight.overlay().version


@pytest.mark.parametrize(
    ("setting", "value", "why"),
    [
        (
            "escalation.divert_calls_short",
            "0",
            "Calls within the short window that divert a caller: must be from 1 to 1000, not 0",
        ),
        (
            "escalation.divert_calls_short",
            "two",
            "Calls within the short window that divert a caller: 'two' is not a whole number",
        ),
        (
            "escalation.untrusted.divert_calls_short",
            "8",
            "an untrusted caller's threshold (escalation.untrusted.divert_calls_short = 8) may not "
            "be higher than an ordinary caller's (escalation.divert_calls_short = 7)",
        ),
        ("triage.mode", "1", "'triage.mode' is not a threshold that can be changed tonight"),
    ],
)
def test_a_threshold_out_of_bounds_changes_nothing(client, services, admin, setting, value, why):
    post(client, "threshold", admin, setting=setting, value=value, reason="try")
    assert f"Nothing changed: {why}." in unescape(board(client))
    assert services.store.tonight.changes() == []
    assert audit_entries(services) == []


def test_a_change_needs_a_reason_and_only_the_latest_change_reverts(client, services, admin):
    post(client, "threshold", admin, setting="escalation.divert_calls_short", value="5", reason="")
    assert "Nothing changed: say why, for the audit trail." in unescape(board(client))
    for value in ("5", "4"):
        post(
            client,
            "threshold",
            admin,
            setting="escalation.divert_calls_short",
            value=value,
            reason=f"to {value}",
        )
    post(client, "revert", admin, change="1")
    assert (
        "Nothing changed: escalation.divert_calls_short has changed since change 1: "
        "revert the latest change to it instead."
    ) in unescape(board(client))
    post(client, "revert", admin, change="2")
    post(client, "revert", admin, change="1")
    assert services.store.tonight.policy().escalation.normal.divert_calls_short == 7
    assert [(c.id, c.old, c.new, c.reverts) for c in services.store.tonight.changes()] == [
        (4, 5, 7, 1),
        (3, 4, 5, 2),
        (2, 5, 4, None),
        (1, 7, 5, None),
    ]


# The audit trail


def test_the_audit_trail_filters_by_action_author_target_and_time(client, services, clock, admin):
    clock.advance(30 * 60)
    services.store.blocks.block("+15155550111", reason="a", author="ann")
    clock.advance(600)
    services.store.blocks.block("+17125550112", reason="b", author="bo")
    clock.advance(600)
    services.store.reputation.allow("+15155550113", author="ann", reason="c")

    def found(query: str) -> list[list[str]]:
        return table_rows(
            client.get(f"/console/admin?{query}").get_data(as_text=True), "audit-table"
        )[1:]

    assert [row[1:4] for row in found("")] == [
        ["allow", "+15155550113", "ann"],
        ["block", "+17125550112", "bo"],
        ["block", "+15155550111", "ann"],
        ["user-add", ADMIN_USER, "test"],
    ]
    assert [row[2] for row in found("action=block")] == ["+17125550112", "+15155550111"]
    assert [row[2] for row in found("author=ANN")] == ["+15155550113", "+15155550111"]
    assert [row[2] for row in found("target=%2B1712")] == ["+17125550112"]
    assert [row[2] for row in found("since=2020-02-05+21:35&until=2020-02-05+21:50")] == [
        "+17125550112"
    ]
    assert found("action=unblock") == [["No entries match."]]
    assert found("since=yesterday") == [["No entries match."]]
    assert "&#39;yesterday&#39; is not a time written as YYYY-MM-DD HH:MM (UTC)" in (
        client.get("/console/admin?since=yesterday").get_data(as_text=True)
    )


# Failed jobs


def a_failed_job(services, call_sid: str = "CAhangup") -> None:
    """A hang-up queued without retries, which fails for good: Twilio cannot be reached."""
    enqueue(services, "workers.hang_up.hang_up_call", call_sid, wait_s=60, run_s=30)


def test_failed_jobs_are_listed_and_retried_from_the_board(client, services, run_jobs, admin):
    a_failed_job(services)
    run_jobs()
    html = board(client)
    assert text_of(html, "jobs-failed") == "1"
    ((failed, function, arguments, error, button),) = table_rows(html, "failed-job-table")[1:]
    assert (function, arguments, button) == ("hang_up.hang_up_call", "CAhangup", "Retry")
    assert error.startswith("hotline.telephony.TransientTelephonyError: ")
    job_id = re.search(r'name="job" value="([^"]+)"', html).group(1)

    assert post(client, "retry", admin, job=job_id).status_code == 303
    assert "Job hang_up.hang_up_call put back on the queue." in board(client)
    assert services.queue.job_ids == [job_id]
    assert text_of(board(client), "jobs-queued") == "1"
    assert audit_entries(services) == [("job-retry", job_id, ADMIN_USER, "retried by an admin")]
    run_jobs()
    assert text_of(board(client), "jobs-failed") == "1"
    post(client, "retry", admin, job="no-such-job")
    assert "Nothing done: no failed job has the id &#39;no-such-job&#39;." in board(client)


def test_the_top_callers_are_numbers_calling_again_and_go_when_quiet(services, clock):
    figures, redis = services.store.night_figures, services.store.redis

    def arrive(sid: str, number: str) -> None:
        services.store.calls.arrive(now=clock.now(), call_sid=sid, number=number, request={})

    arrive("CA1", UNKNOWN)
    arrive("CA2", REDIALLER)
    assert redis.zcard(keys.TOP_CALLERS) == 0  # a first call makes no top caller
    clock.advance(600)
    arrive("CA3", REDIALLER)
    arrive("CA4", REDIALLER)
    assert redis.zrange(keys.TOP_CALLERS, 0, -1, withscores=True) == [(REDIALLER, 3.0)]
    assert redis.ttl(keys.TOP_CALLERS) == redis.ttl(keys.TOP_CALLERS_SEEN) == 3600 + 60
    assert [(c.number, c.calls) for c in figures.rank_top_callers(clock.now()).callers] == [
        (REDIALLER, 3)
    ]
    # Over an hour after its latest call the number is forgotten.
    clock.advance(3601)
    assert figures.rank_top_callers(clock.now()).callers == ()
    assert redis.zcard(keys.TOP_CALLERS) == redis.zcard(keys.TOP_CALLERS_SEEN) == 0
    assert json.loads(redis.get(keys.TOP_CALLERS_RANKED))["callers"] == []


def test_the_plots_begin_with_the_night(client, services, clock, admin):
    """Over an hour in, the plots start at the night's first call, not three hours back."""
    PhoneCall(client, "CAfirst", UNKNOWN).ring()
    clock.advance(100 * 60)
    calls = re.search(r'id="plot-calls">(.*?)</div>', board(client), re.S).group(1)
    assert re.findall(r'text-anchor="middle">(\d+:\d\d)</text>', calls) == [
        "21:00",
        "21:15",
        "21:30",
        "21:45",
        "22:00",
        "22:15",
        "22:30",
    ]
    assert "<title>all calls: peak 1 at 21:00</title>" in calls


# The hotline's number


def test_rotating_the_number_from_the_board_queues_it_for_a_worker(client, services, admin):
    html = board(client)
    assert table_rows(html, "board-numbers")[1:] == [
        ["No number on record yet: the first rotation finds the one in use."]
    ]
    response = post(client, "rotate", admin, confirm="1", area_code="515")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/console/admin#numbers")
    # A web request never calls Twilio: a worker rotates (workers/rotation.py).
    [job] = services.queue.get_jobs()
    assert (job.func_name, job.args) == ("workers.rotation.rotate", (ADMIN_USER, None, "515", None))


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"area_code": "515"}, 400),  # not confirmed
        ({"confirm": "1", "area_code": "51"}, 400),
        ({"confirm": "1", "number": "+1515*"}, 400),
        ({"confirm": "1", "number": "+15155550123", "area_code": "515"}, 400),
    ],
)
def test_a_rotation_the_board_cannot_take_is_refused_and_nothing_queued(
    client, services, admin, form, status
):
    assert post(client, "rotate", admin, **form).status_code == status
    assert services.queue.count == 0


def test_only_admins_rotate_the_number(client, services):
    add_volunteer(services)
    token = signed_in(client, VOLUNTEER_USER)
    assert post(client, "rotate", token, confirm="1").status_code == 403
    assert services.queue.count == 0
