"""The console through HTTP (Flask's test client) against a real Redis."""

from __future__ import annotations

import re

import pytest

from hotline.app import create_app
from hotline.console import capacity, device_cookie, session_key
from hotline.services import Services
from hotline.settings import Settings
from hotline.store import audit, keys
from hotline.store.dispatch import AVAILABLE, PAUSED, TALKING
from hotline.store.parked import CALL_BACK, Refusal
from tests.support.console import (
    ADMIN_USER,
    CALLER_NUMBER,
    CALLER_SID,
    PASSWORD,
    VOLUNTEER_USER,
    add_admin,
    add_volunteer,
    cookie_set,
    csrf_from,
    login,
    put_caller_through,
    sign_out,
    signed_in,
    volunteer_ready,
)
from tests.support.env import settings_env
from tests.support.line import free_volunteers
from tests.support.redis_state import snapshot
from tests.support.roster import load_small_roster
from tests.support.twilio import SECRET_KEY, signed_post
from tests.support.xml import verbs
from workers.dispatch import dispatch_callers
from workers.hang_up import hang_up_call


@pytest.fixture
def vid(services) -> str:
    return add_volunteer(services)


def queued(services, func) -> list[tuple]:
    return [job.args for job in services.queue.get_jobs() if job.func == func]


# Signing in


def test_the_console_asks_for_a_login_first(client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/login")


def test_a_volunteer_signs_in_and_sees_their_own_state(client, services, vid):
    volunteer_ready(services, vid)
    assert login(client).status_code == 303
    html = client.get("/console/").get_data(as_text=True)
    assert "signed in as ann.lee" in html
    assert f"({vid})" in html
    assert '<span id="status">available</span>' in html


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client, vid):
    wrong = login(client, password="not the password at all")
    unknown = login(client, name="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password." in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


@pytest.mark.parametrize("name", ["session", device_cookie.COOKIE])
def test_the_cookies_are_http_only_secure_and_lax_behind_https(client, vid, name):
    cookie = cookie_set(login(client), name)
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("name", ["session", device_cookie.COOKIE])
def test_the_cookies_are_not_secure_for_a_plain_http_demo(services, redis_url, vid, name):
    settings = Settings.load(env=settings_env(HOTLINE_PUBLIC_URL="http://127.0.0.1:5000"))
    app = create_app(
        Services(
            settings=settings, clock=services.clock, store=services.store, queue=services.queue
        )
    )
    cookie = cookie_set(login(app.test_client()), name)
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie


def test_the_cookie_key_is_derived_from_the_secret_not_the_secret_itself(app):
    assert app.secret_key == session_key(SECRET_KEY.encode())
    assert SECRET_KEY not in app.secret_key


# CSRF


def test_a_login_without_the_csrf_token_is_refused(client, vid):
    client.get("/console/login")
    response = client.post("/console/login", data={"name": VOLUNTEER_USER, "password": PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_console_action_without_the_right_csrf_token_is_refused(client, services, vid, token):
    volunteer_ready(services, vid)
    signed_in(client)
    form = {"status": "paused"}
    if token is not None:
        form["csrf_token"] = token
    response = client.post("/console/availability", data=form)
    assert response.status_code == 403
    assert "CSRF" in response.get_data(as_text=True)
    assert services.store.dispatch.state(vid).status == AVAILABLE


def test_the_csrf_token_changes_on_sign_in(client, vid):
    before = csrf_from(client.get("/console/login").get_data(as_text=True))
    after = signed_in(client)
    assert before != after


# Available and paused


def test_pause_and_available_change_the_volunteers_state(client, services, vid):
    volunteer_ready(services, vid)
    token = signed_in(client)
    response = client.post("/console/availability", data={"status": "paused", "csrf_token": token})
    assert response.status_code == 303
    assert services.store.dispatch.state(vid).status == PAUSED
    assert free_volunteers(services) == 0
    assert queued(services, dispatch_callers) == []

    client.post("/console/availability", data={"status": "available", "csrf_token": token})
    assert services.store.dispatch.state(vid).status == AVAILABLE
    assert free_volunteers(services) == 1
    assert queued(services, dispatch_callers) == [()]


def test_pausing_while_talking_changes_nothing(client, services, vid):
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    token = signed_in(client)
    client.post("/console/availability", data={"status": "paused", "csrf_token": token})
    assert services.store.dispatch.state(vid).status == TALKING
    assert "You can pause only while free" in client.get("/console/").get_data(as_text=True)


# The caller's card and its buttons


def test_the_card_shows_the_caller(client, services, vid):
    volunteer_ready(services, vid)
    put_caller_through(services, vid, waited_s=125)
    signed_in(client)
    html = client.get("/console/").get_data(as_text=True)
    assert '<span id="card-precinct">1001</span>: 1NW ADAIR' in html
    assert "<td>Adair</td>" in html
    assert "<td>2:05</td>" in html  # waited
    assert "<td>precinct number and PIN</td>" in html
    assert "•••••••0123" in html
    assert CALLER_NUMBER not in html


def test_flag_as_nuisance_blocks_the_number_audits_and_frees_the_volunteer(client, services, vid):
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    token = signed_in(client)
    response = client.post("/console/flag", data={"csrf_token": token, "call_sid": CALLER_SID})
    assert response.status_code == 303

    block = services.store.blocks.get(CALLER_NUMBER)
    assert block is not None
    assert block.author == VOLUNTEER_USER
    assert block.reason.startswith(f"flagged by volunteer {VOLUNTEER_USER}")
    assert block.expires_at is None
    entries = [e for e in audit.recent(services.store.redis) if e.target == CALLER_NUMBER]
    assert {(e.action, e.author) for e in entries} == {
        ("block", VOLUNTEER_USER),
        ("flag", VOLUNTEER_USER),
    }
    assert services.store.redis.hget(keys.caller(CALLER_NUMBER), "flags") == "1"
    assert queued(services, hang_up_call) == [(CALLER_SID,)]
    assert queued(services, dispatch_callers) == [()]
    state = services.store.dispatch.state(vid)
    assert state.status == AVAILABLE and state.caller_call_sid is None


def test_a_stale_card_cannot_flag_the_next_caller(client, services, vid):
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    token = signed_in(client)
    response = client.post("/console/flag", data={"csrf_token": token, "call_sid": "CA-old"})
    assert response.status_code == 409
    assert services.store.blocks.get(CALLER_NUMBER) is None
    assert services.store.dispatch.state(vid).status == TALKING


def test_done_frees_the_volunteer_and_hangs_up_the_caller(client, services, vid):
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    token = signed_in(client)
    client.post("/console/done", data={"csrf_token": token, "call_sid": CALLER_SID})
    state = services.store.dispatch.state(vid)
    assert state.status == AVAILABLE
    assert free_volunteers(services) == 1
    assert queued(services, hang_up_call) == [(CALLER_SID,)]
    assert queued(services, dispatch_callers) == [()]
    assert services.store.blocks.get(CALLER_NUMBER) is None


def test_saving_the_results_marks_the_precinct_reported_with_who_and_when(
    client, services, clock, vid
):
    """The card's old "Mark precinct reported" button is gone: saving the results does it."""
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    token = signed_in(client)
    assert (
        client.post(
            "/console/reported", data={"csrf_token": token, "call_sid": CALLER_SID}
        ).status_code
        == 404
    )
    form = {
        "csrf_token": token,
        "call_sid": CALLER_SID,
        "mode": "call",
        "nonce": "n1",
        "attendance": "10",
        "first-biden": "10",
        "final-biden": "10",
    }
    assert client.post("/console/results", data=form).status_code == 303
    fields = services.store.redis.hgetall(keys.precinct("1001"))
    assert fields["reported_by"] == VOLUNTEER_USER
    assert float(fields["reported_at"]) == clock.now()
    assert [(e.action, e.target) for e in audit.recent(services.store.redis, 1)] == [
        ("results-saved", "1001")
    ]
    assert services.store.dispatch.state(vid).status == TALKING  # still on the call


def test_the_buttons_need_a_linked_volunteer(client, services):
    services.store.users.add("stranger", "volunteer", PASSWORD, author="test")
    token = signed_in(client, "stranger")
    assert "not linked to a volunteer" in client.get("/console/").get_data(as_text=True)
    response = client.post("/console/done", data={"csrf_token": token, "call_sid": CALLER_SID})
    assert response.status_code == 403


# The admin view


def test_an_admin_sees_blocks_volunteers_and_can_unblock(client, services, vid):
    add_admin(services)
    services.store.blocks.block("+15155550666", reason="test", author="cli")
    token = signed_in(client, ADMIN_USER)
    html = client.get("/console/").get_data(as_text=True)
    assert "+15155550666" in html and "Ann Lee" in html
    client.post("/console/unblock", data={"csrf_token": token, "target": "+15155550666"})
    assert services.store.blocks.get("+15155550666") is None
    assert audit.recent(services.store.redis, 1)[0].author == ADMIN_USER


def test_a_volunteer_cannot_unblock(client, services, vid):
    services.store.blocks.block("+15155550666", reason="test", author="cli")
    token = signed_in(client)
    response = client.post("/console/unblock", data={"csrf_token": token, "target": "+15155550666"})
    assert response.status_code == 403
    assert services.store.blocks.get("+15155550666") is not None


# Parked chairs (finding 2)


REFUSAL = Refusal(
    what=CALL_BACK,
    message="call +15155550123: Twilio answered 400 (code 21215): "
    "Account not authorized to call +15155550123",
    status=400,
    code=21215,
)


def park_a_chair(services, vid: str) -> float:
    """Chair 1001 (CALLER_SID) was to be called back, and Twilio refused to dial them: the
    chair is parked. Returns their place in line.
    """
    store, clock = services.store, services.clock
    load_small_roster(services)
    volunteer_ready(services, vid)
    store.line.join(
        now=clock.now(),
        precinct="1001",
        call_sid=CALLER_SID,
        number=CALLER_NUMBER,
        verified_how="keyed-precinct",
        hotline_number="+15155550000",
    )
    assert store.line.request_callback(CALLER_SID, now=clock.now())
    place = store.redis.zscore(keys.LINE, CALLER_SID)
    clock.advance(90)
    assert store.dispatch.park(store.dispatch.pair(now=clock.now()), REFUSAL, now=clock.now())
    clock.advance(125)
    return place


def test_an_admin_sees_a_parked_chair_and_puts_them_back_in_line(client, services, vid):
    place = park_a_chair(services, vid)
    add_admin(services)
    token = signed_in(client, ADMIN_USER)
    html = client.get("/console/").get_data(as_text=True)
    assert "<h2>Parked chairs</h2>" in html
    row = html[html.index('<table id="parked">') :]
    row = row[: row.index("</table>")]
    assert f"<td>1001</td><td>{'•' * 8}0123</td>" in row
    assert "<td>call back</td>" in row
    assert f"<td>{REFUSAL.message}</td><td>2:05</td>" in row
    assert f'name="call_sid" value="{CALLER_SID}"' in row and "Put back in line" in row

    response = client.post("/console/put-back", data={"csrf_token": token, "call_sid": CALLER_SID})

    assert response.status_code == 303
    redis = services.store.redis
    assert redis.hlen(keys.PARKED) == 0
    assert redis.zrange(keys.LINE, 0, -1, withscores=True) == [(CALLER_SID, place)]
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "1"}
    [told] = audit.recent(redis, 1)
    assert (told.action, told.target, told.author, told.reason) == (
        "chair-put-back",
        "1001",
        ADMIN_USER,
        "put back in line in the console",
    )
    assert queued(services, dispatch_callers) == [()]
    page = client.get("/console/").get_data(as_text=True)
    assert "Precinct 1001 is back in line, in its place." in page
    assert "Parked chairs" not in page
    # A second press (an old page) changes nothing.
    before = snapshot(redis, "hotline:*")
    client.post("/console/put-back", data={"csrf_token": token, "call_sid": CALLER_SID})
    assert snapshot(redis, "hotline:*") == before
    assert "That chair is no longer parked." in client.get("/console/").get_data(as_text=True)


def test_the_card_tells_a_parked_call_for_the_precinct_from_one_waiting(client, services, vid):
    park_a_chair(services, vid)
    # The chair calls in again from another phone, and is put through.
    put_caller_through(services, vid, call_sid="CA2", number="+15155550124")
    signed_in(client)
    html = client.get("/console/").get_data(as_text=True)
    assert (
        'id="card-same-precinct">1 parked (Twilio refused to put it through; the admins '
        "see to it)</td>"
    ) in html


def test_a_volunteer_cannot_put_a_parked_chair_back(client, services, vid):
    park_a_chair(services, vid)
    token = signed_in(client)
    assert "Parked chairs" not in client.get("/console/").get_data(as_text=True)
    before = snapshot(services.store.redis, "hotline:*")
    response = client.post("/console/put-back", data={"csrf_token": token, "call_sid": CALLER_SID})
    assert response.status_code == 403
    assert snapshot(services.store.redis, "hotline:*") == before


# Live updates by polling (issue 8, findings 1 and 6)


def poll(client, have: dict[str, str] | None = None, etag: str | None = None, **args):
    query = dict(args)
    if have is not None:
        query["have"] = ",".join(f"{name}:{version}" for name, version in have.items())
    headers = {"If-None-Match": etag} if etag else {}
    return client.get("/console/state", query_string=query, headers=headers)


def page_versions(html: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="(\w+)" data-version="(\w+)">', html))


def test_the_state_sends_each_section_with_its_version(client, services, vid):
    """Finding 1: the page's live updates come from a short request, not a stream."""
    volunteer_ready(services, vid)
    put_caller_through(services, vid, waited_s=30)
    signed_in(client)
    response = poll(client)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"versions", "html"}
    assert set(body["html"]) == set(body["versions"]) == {"line", "volunteer", "results"}
    assert 'id="card-precinct">1001<' in body["html"]["volunteer"]
    assert "<td>0:30</td>" in body["html"]["volunteer"]
    assert '<strong id="line-waiting">0</strong> waiting' in body["html"]["line"]
    assert response.headers["ETag"].startswith('W/"')


def test_the_state_sends_only_the_sections_that_changed(client, services, clock):
    """Finding 6: "Admin streams send changes, not the whole state"."""
    add_admin(services)
    signed_in(client, ADMIN_USER)
    held = page_versions(client.get("/console/").get_data(as_text=True))
    assert set(held) == {"line", "admin"}

    unchanged = poll(client, have=held).get_json()
    assert unchanged == {"versions": held, "html": {}}

    services.store.blocks.block("+15155550666", reason="test", author="cli")
    changed = poll(client, have=held).get_json()
    assert set(changed["html"]) == {"admin"}
    assert "+15155550666" in changed["html"]["admin"]
    assert changed["versions"]["line"] == held["line"]
    assert changed["versions"]["admin"] != held["admin"]
    # A version the server never gave, or none, gets the section whole.
    assert set(poll(client, have={"line": "nonsense"}).get_json()["html"]) == {"line", "admin"}


def test_the_state_answers_304_while_nothing_changes(client, services, vid):
    """Finding 6: an unchanged console costs an empty answer."""
    volunteer_ready(services, vid)
    signed_in(client)
    first = poll(client)
    etag = first.headers["ETag"]
    again = poll(client, have=first.get_json()["versions"], etag=etag)
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["Cache-Control"] == "no-store"
    assert again.headers["ETag"] == etag

    services.store.dispatch.set_paused(vid, True, now=services.clock.now())
    after = poll(client, have=first.get_json()["versions"], etag=etag)
    assert after.status_code == 200
    assert set(after.get_json()["html"]) == {"volunteer"}
    assert '<span id="status">paused</span>' in after.get_json()["html"]["volunteer"]
    assert after.headers["ETag"] != etag


def test_the_state_says_401_when_signed_out(client, vid):
    """Finding 1: a signed-out page is told so (the script then reloads to the login)."""
    response = poll(client)
    assert response.status_code == 401
    assert response.get_json() == {"error": "Sign in first.", "login": "/console/login"}
    assert response.headers["Cache-Control"] == "no-store"
    token = signed_in(client)
    assert poll(client).status_code == 200
    sign_out(client, token)
    assert poll(client).status_code == 401


def test_the_page_polls_the_state_from_its_script(client, services, vid):
    """Finding 1: no event stream is left: the page names the state URL and the interval."""
    signed_in(client)
    html = client.get("/console/").get_data(as_text=True)
    assert (
        '<script src="/console/static/console.js"\n        data-state="/console/state"\n'
        '        data-every="2"></script>'
    ) in html
    assert "/console/events" not in html
    assert client.get("/console/events").status_code == 404
    assert '<a href="/console/">Refresh</a>' in html


def hold_every_console_slot(app) -> list:
    cap = capacity.of(app)
    taken = 0
    while cap.take():
        taken += 1
    assert taken == cap.slots == 2
    return [cap] * taken


def test_console_requests_past_the_cap_get_503_and_twilio_does_not(app, client, services, vid):
    """Finding 1: console requests may hold only web.console_threads threads at once; one
    past that is refused at once (it does not wait for a thread), and /voice/* is never
    refused for it.
    """
    volunteer_ready(services, vid)
    signed_in(client)
    held = hold_every_console_slot(app)

    for path in ("/console/state", "/console/", "/console/login"):
        busy = client.get(path)
        assert busy.status_code == 503, path
        assert busy.headers["Retry-After"] == "1"
        assert busy.headers["Cache-Control"] == "no-store"
    assert client.get("/console/static/console.css").status_code == 200
    webhook = signed_post(
        client,
        "/voice/incoming",
        {"CallSid": "CA" + "5" * 32, "From": "+15155550188", "To": "+15155550000"},
    )
    assert webhook.status_code == 200
    assert verbs(webhook.get_data()) == ["Gather"]

    for cap in held:
        cap.give_back()
    assert poll(client).status_code == 200
    # Every request gave its slot back, refused or not.
    assert hold_every_console_slot(app)


def test_a_refused_console_request_changes_nothing(app, client, services, vid):
    """Finding 1: the cap is checked before anything else the console does."""
    volunteer_ready(services, vid)
    token = signed_in(client)
    held = hold_every_console_slot(app)
    response = client.post("/console/availability", data={"status": "paused", "csrf_token": token})
    assert response.status_code == 503
    assert services.store.dispatch.state(vid).status == AVAILABLE
    for cap in held:
        cap.give_back()


def many_blocks(services, count: int) -> list[str]:
    targets = []
    for i in range(count):
        targets.append(f"+1641555{i:04d}")
        services.store.blocks.block(targets[-1], reason=f"flood {i}", author="auto")
        services.clock.advance(1)
    return targets


def test_the_admin_sees_the_newest_fifty_blocks_and_the_count(client, services):
    """Finding 6: the admin view reads the newest blocks, not the whole hash."""
    add_admin(services)
    targets = many_blocks(services, 60)
    signed_in(client, ADMIN_USER)
    html = poll(client).get_json()["html"]["admin"]
    table = html[html.index('<table id="blocks">') :]
    table = table[: table.index("</table>")]
    shown = re.findall(r'name="target" value="([^"]+)"', table)
    assert shown == targets[:9:-1]  # the newest 50, newest first
    assert '<small id="blocks-total">(60)</small>' in html
    assert "The newest 50; find any other above." in html


def test_the_admin_finds_a_block_by_its_number_or_prefix(client, services):
    """Finding 6: any block can be found, however many there are."""
    add_admin(services)
    targets = many_blocks(services, 60)
    services.store.blocks.block("+1641*", reason="area", author="boss")
    signed_in(client, ADMIN_USER)

    page = client.get("/console/", query_string={"block": "641-555-0003"})
    html = page.get_data(as_text=True)
    assert 'name="block" value="641-555-0003"' in html
    assert 'data-state="/console/state?block=641-555-0003"' in html
    shown = re.findall(r'name="target" value="([^"]+)"', html)
    assert shown == ["+1641*", targets[3]]
    assert "Blocks that start with +16415550003, or that block it" in html

    state = poll(client, block="+1641555000").get_json()["html"]["admin"]
    assert re.findall(r'name="target" value="([^"]+)"', state) == ["+1641*", *targets[:10]]
    nothing = poll(client, block="+44").get_json()["html"]["admin"]
    assert "No block starts with +44 or blocks it." in nothing
