"""Results in the console and out of it, through HTTP and the command line against a
real Redis: the volunteer's form (checked on the server, warnings ticked, idempotent), the
keypad verify list, flagged precincts, `hotline results export` and the public /results.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from hotline.caucus.report import PrecinctReport
from hotline.cli import main
from hotline.store.results import Draft
from tests.support.console import (
    ADMIN_USER,
    CALLER_NUMBER,
    CALLER_SID,
    add_admin,
    add_volunteer,
    put_caller_through,
    signed_in,
    volunteer_ready,
)
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY

ADAIR = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}
TIE_WARNING = "Pete Buttigieg and Amy Klobuchar tie for keeping a delegate: no coin toss recorded"


@pytest.fixture
def vid(services) -> str:
    return add_volunteer(services)


@pytest.fixture
def serving(client, services, vid) -> str:
    """A volunteer signed in and talking to the chair of 1001 (Adair 1NW); the CSRF token."""
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    return signed_in(client)


def adair_form(token: str, **extra: str) -> dict:
    form = {
        "csrf_token": token,
        "call_sid": CALLER_SID,
        "mode": "call",
        "nonce": "form-1",
        "attendance": "40",
    }
    for key, count in ADAIR.items():
        form[f"first-{key}"] = form[f"final-{key}"] = str(count)
    form.update(extra)
    return form


def save_adair(client, token: str):
    return client.post(
        "/console/results",
        data=adair_form(token, toss_between="buttigieg,klobuchar", toss_winner="klobuchar"),
    )


def save_stuart_by_keypad(services) -> None:
    """2NE STUART (1002, 11 delegates) keyed by its chair: Yang's 5 realign."""
    report = PrecinctReport(
        "1002", 50, {"biden": 20, "sanders": 25, "yang": 5}, {"biden": 22, "sanders": 28}
    )
    services.store.results.save(
        report,
        channel="keypad",
        author="chair 1002",
        now=services.clock.now(),
        findings=(),
        idempotency_key="CAkeypad:confirm",
    )


# The form


def test_the_card_carries_the_form_in_worksheet_order_with_delegates_and_threshold(client, serving):
    html = client.get("/console/").get_data(as_text=True)
    form = html[html.index('id="results-form"') :]
    assert 'id="results-delegates">8<' in form
    names = re.findall(r"<tr><td>([A-Z][a-z]+(?: [A-Z][a-z]+)?)</td>", form)
    assert names[:4] == ["Michael Bennet", "Joe Biden", "Michael Bloomberg", "Pete Buttigieg"]
    assert names[-2:] == ["Other", "Uncommitted"]
    assert 'name="first-klobuchar"' in form and 'name="final-klobuchar"' in form
    # The old button is gone: saving marks the precinct reported.
    assert "Mark precinct reported" not in html


def test_the_form_is_pre_filled_with_what_the_chair_keyed(client, services, serving):
    services.store.results.save_draft(
        "1001",
        Draft(call_sid=CALLER_SID, stage="final", attendance=40, first=ADAIR, final={"biden": 6}),
        ttl_s=600,
    )
    html = client.get("/console/").get_data(as_text=True)
    assert "Pre-filled with what the chair keyed" in html
    assert 'id="results-attendance" value="40"' in html
    assert 'name="first-warren" value="9"' in html
    assert 'name="final-biden" value="6"' in html
    assert 'name="final-warren" value=""' in html
    # The server's threshold for 40 attendees and 8 delegates.
    assert 'id="results-threshold">6<' in html


def test_polling_does_not_resend_the_form_while_the_call_goes_on(client, services, clock, serving):
    first = client.get("/console/state?have=").get_json()
    clock.advance(7)
    have = ",".join(f"{k}:{v}" for k, v in first["versions"].items())
    later = client.get(f"/console/state?have={have}").get_json()
    assert "volunteer" in later["html"]  # the card's "talking for" moved on
    assert "results" not in later["html"]  # the form, which may be half typed, did not


def test_the_volunteer_saves_adair_1nw_with_the_coin_toss_and_gets_a_receipt(
    client, services, clock, serving
):
    response = save_adair(client, serving)
    assert response.status_code == 303
    stored = services.store.results.latest("1001")
    assert (stored.version, stored.channel, stored.author) == (1, "volunteer", "ann.lee")
    assert dict(stored.report.final) == ADAIR
    assert [(t.between, t.winner) for t in stored.report.coin_tosses] == [
        (("buttigieg", "klobuchar"), "klobuchar")
    ]
    assert stored.findings == ()
    page = client.get("/console/").get_data(as_text=True)
    assert f"receipt {stored.receipt}" in page
    assert services.store.roster.get("1001").reported_by == "ann.lee"
    # The same form sent twice (a double click) stores once.
    assert save_adair(client, serving).status_code == 303
    assert [v.version for v in services.store.results.versions("1001")] == [1]


def test_the_results_of_a_chair_who_hung_up_before_the_save_are_still_taken(
    client, services, vid, serving
):
    """The chair reads out the figures and hangs up (or the line drops) before Save: the
    volunteer is free for the next chair at once, and the form still saves.
    """
    services.store.results.save_draft(
        "1001", Draft(call_sid=CALLER_SID, stage="final", attendance=40, first=ADAIR), ttl_s=600
    )
    assert services.store.dispatch.caller_left(vid, CALLER_SID, now=services.clock.now())
    response = save_adair(client, serving)
    assert response.status_code == 303
    stored = services.store.results.latest("1001")
    assert (stored.version, stored.channel, stored.author) == (1, "volunteer", "ann.lee")
    assert dict(stored.report.final) == ADAIR
    assert services.store.results.draft("1001", CALLER_SID) is None  # the call's keying


@pytest.mark.parametrize(
    ("call_sid", "status"),
    [
        ("CAsomeoneelse", 409),  # a call this volunteer did not take
        ("CA1:held-pin", 400),  # not a CallSid: it would name another key
        ("", 400),
    ],
)
def test_only_a_chair_the_volunteer_took_can_be_reported_from_the_form(
    client, services, serving, call_sid, status
):
    services.store.calls.arrive(
        now=services.clock.now(), call_sid="CAsomeoneelse", number="+15155550142", request={}
    )
    response = client.post("/console/results", data=adair_form(serving, call_sid=call_sid))
    assert response.status_code == status
    assert services.store.results.versions("1001") == []


def test_a_blocking_error_is_refused_with_its_reasons_and_nothing_is_stored(
    client, services, serving
):
    form = adair_form(serving, **{"final-sanders": "12"})  # 43 at the final, 40 at first
    response = client.post("/console/results", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not saved" in page
    assert "the final alignment adds up to 43, more than the first&#39;s 40" in page
    assert "Bernie Sanders was viable at first" not in page  # it grew, it did not shrink
    assert 'name="final-sanders" value="12"' in page  # what was typed is kept
    assert services.store.results.latest("1001") is None
    assert services.store.results.versions("1001") == []
    assert services.store.roster.get("1001").reported_by is None


def test_a_warning_needs_its_tick(client, services, serving):
    unticked = client.post("/console/results", data=adair_form(serving))
    assert unticked.status_code == 400
    page = unticked.get_data(as_text=True)
    assert "tick each warning" in page
    assert f'name="accept" value="{TIE_WARNING}"' in page
    assert services.store.results.latest("1001") is None

    ticked = client.post("/console/results", data=adair_form(serving, accept=TIE_WARNING))
    assert ticked.status_code == 303
    stored = services.store.results.latest("1001")
    assert [f.message for f in stored.findings] == [TIE_WARNING]


# Verifying keypad reports


def test_a_volunteer_verifies_a_keypad_report_from_the_list(client, services, vid):
    save_stuart_by_keypad(services)
    token = signed_in(client)
    listed = client.get("/console/verify").get_data(as_text=True)
    assert "1002 2NE STUART" in listed
    opened = client.get("/console/results/1002").get_data(as_text=True)
    assert 'name="first-yang" value="5"' in opened
    assert 'name="final-sanders" value="28"' in opened
    assert 'id="verified-button"' in opened
    response = client.post(
        "/console/results/verify", data={"csrf_token": token, "precinct": "1002", "version": "1"}
    )
    assert response.status_code == 303
    assert services.store.results.to_verify() == []
    assert services.store.results.latest("1002").verified_by == "ann.lee"
    assert "Nothing to verify." in client.get("/console/verify").get_data(as_text=True)


def test_a_volunteer_corrects_a_keypad_report_as_a_new_version(client, services, vid):
    save_stuart_by_keypad(services)
    token = signed_in(client)
    form = {
        "csrf_token": token,
        "mode": "verify",
        "precinct": "1002",
        "nonce": "fix-1",
        "attendance": "50",
        "first-biden": "20",
        "first-sanders": "25",
        "first-yang": "5",
        "final-biden": "21",
        "final-sanders": "29",
    }
    assert client.post("/console/results", data=form).status_code == 303
    versions = services.store.results.versions("1002")
    assert [(v.version, v.channel) for v in versions] == [(1, "keypad"), (2, "volunteer")]
    assert dict(versions[0].report.final) == {"biden": 22, "sanders": 28}  # kept
    assert services.store.results.to_verify() == []


# Flagged precincts (admins)


def test_admins_see_flagged_precincts_with_their_findings_and_versions(client, services, serving):
    client.post("/console/results", data=adair_form(serving, accept=TIE_WARNING))
    assert client.get("/console/flagged").status_code == 403  # a volunteer
    add_admin(services)
    client.post("/console/logout", data={"csrf_token": serving})
    signed_in(client, ADMIN_USER)
    page = client.get("/console/flagged").get_data(as_text=True)
    assert "1001 1NW ADAIR" in page
    assert TIE_WARNING in page
    assert "/console/results/1001/versions" in page
    versions = client.get("/console/results/1001/versions").get_data(as_text=True)
    assert "Version 1: volunteer, by ann.lee" in versions


# Results out


@pytest.fixture
def hotline(monkeypatch, redis_url, tmp_path, services):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), prog_name="hotline", catch_exceptions=False)

    return run


ZEROS = ["0"] * 14


def test_the_export_has_the_party_shape_and_exact_figures(
    client, services, serving, hotline, tmp_path
):
    save_adair(client, serving)
    save_stuart_by_keypad(services)
    result = hotline("results", "export")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5
    stages = lines[0].split(",")
    assert stages[2:16] == ["First Expression"] * 14 and stages[30:44] == ["SDE"] * 14
    assert lines[1].split(",")[2:5] == ["Michael Bennet", "Joe Biden", "Michael Bloomberg"]
    assert lines[2].split(",")[:2] == ["County", "Precinct"]
    assert lines[2].split(",")[-1] == "Status"
    adair_counts = ["0", "6", "0", "8", "0", "0", "8", "0", "9", "0", "9", "0", "0", "0"]
    # Buttigieg lost the toss: 1 delegate (0.0784 SDE), Klobuchar 2 (0.1569).
    adair_sde = [
        "0.0000",
        "0.0784",
        "0.0000",
        "0.0784",
        "0.0000",
        "0.0000",
        "0.1569",
        "0.0000",
        "0.1569",
        "0.0000",
        "0.1569",
        "0.0000",
        "0.0000",
        "0.0000",
    ]
    assert lines[3].split(",") == [
        "Adair",
        "1NW ADAIR",
        *adair_counts,
        *adair_counts,
        *adair_sde,
        "volunteer",
    ]
    stuart_first = ["0", "20", "0", "0", "0", "0", "0", "0", "25", "0", "0", "5", "0", "0"]
    stuart_final = ["0", "22", "0", "0", "0", "0", "0", "0", "28", "0", "0", "0", "0", "0"]
    # 11 delegates: Biden 22 x 11 / 50 = 4.84 -> 5, Sanders 6.16 -> 6; x 4/51 SDE each.
    stuart_sde = ["0.0000", "0.3922"] + ["0.0000"] * 6 + ["0.4706"] + ["0.0000"] * 5
    assert lines[4].split(",") == [
        "Adair",
        "2NE STUART",
        *stuart_first,
        *stuart_final,
        *stuart_sde,
        "keypad",
    ]

    out = tmp_path / "results.json"
    result = hotline("results", "export", "--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert [(r["precinct"], r["status"]) for r in rows] == [
        ("1NW ADAIR", "volunteer"),
        ("2NE STUART", "keypad"),
    ]
    assert rows[0]["final"]["Pete Buttigieg"] == 8
    assert rows[0]["sde"]["Pete Buttigieg"] == 0.0784
    assert rows[0]["sde"]["Amy Klobuchar"] == 0.1569
    assert rows[1]["sde"]["Bernie Sanders"] == 0.4706


def test_the_export_says_verified_and_flagged(client, services, serving, hotline):
    client.post("/console/results", data=adair_form(serving, accept=TIE_WARNING))
    save_stuart_by_keypad(services)
    services.store.results.verify("1002", 1, author="ann.lee", now=services.clock.now())
    statuses = [
        line.rsplit(",", 1)[1] for line in hotline("results", "export").output.splitlines()[3:]
    ]
    assert statuses == ["flagged", "verified"]


def test_the_public_results_page(client, services, clock, serving):
    save_adair(client, serving)
    client.post("/console/logout", data={"csrf_token": serving})
    public = client.application.test_client()  # no session at all
    response = public.get("/results")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=30"
    page = response.get_data(as_text=True)
    assert "<strong>1</strong> of 1681 precincts reporting" in page
    assert "<tr><td>Adair</td><td>1 / 5</td></tr>" in page
    assert "<tr><td>Amy Klobuchar</td><td>8</td><td>8</td><td>0.1569</td></tr>" in page
    assert "<script" not in page  # works without JavaScript
    for caller_data in (CALLER_NUMBER, CALLER_NUMBER[-4:], CALLER_SID, "ann.lee"):
        assert caller_data not in page

    # Built at most once per 30 s: a report stored now shows after that.
    save_stuart_by_keypad(services)
    assert "<strong>1</strong> of" in public.get("/results").get_data(as_text=True)
    clock.advance(31)
    assert "<strong>2</strong> of" in public.get("/results").get_data(as_text=True)


def test_the_export_reads_back_with_results_check(client, services, serving, hotline, tmp_path):
    save_adair(client, serving)
    save_stuart_by_keypad(services)
    out = tmp_path / "export.csv"
    assert hotline("results", "export", "--output", str(out)).exit_code == 0
    result = hotline("results", "check", str(out), "--json")
    assert result.exit_code == 0, result.output
    checked = json.loads(result.output)
    # The SDEs it wrote are the math's, and the toss shows in them: nothing is flagged.
    assert (checked["precincts"], checked["flagged"]) == (2, 0)
