"""Console fixtures' building blocks: logins, a volunteer, and a caller put through to them."""

from __future__ import annotations

import re
from html import unescape

from hotline.services import Services
from tests.support.roster import load_small_roster

PASSWORD = "correct horse battery staple"
VOLUNTEER_USER = "ann.lee"
VOLUNTEER_NAME = "Ann Lee"
VOLUNTEER_PHONE = "+15155550999"
ADMIN_USER = "boss"
CALLER_NUMBER = "+15155550123"
CALLER_SID = "CA" + "1" * 32
VOLUNTEER_LEG = "CA" + "9" * 32


def add_volunteer(services: Services) -> str:
    """A volunteer "Ann Lee" with a login "ann.lee" (linked by name); returns the id."""
    volunteer = services.store.volunteers.add(
        VOLUNTEER_NAME, VOLUNTEER_PHONE, lambda _vid: "digest", author="test"
    )
    services.store.users.add(VOLUNTEER_USER, "volunteer", PASSWORD, author="test")
    return volunteer.id


def add_admin(services: Services) -> None:
    services.store.users.add(ADMIN_USER, "admin", PASSWORD, author="test")


def volunteer_ready(services: Services, volunteer_id: str) -> None:
    services.store.dispatch.volunteer_ready(
        volunteer_id, call_sid=VOLUNTEER_LEG, room=f"room-{volunteer_id}", now=services.clock.now()
    )


def put_caller_through(
    services: Services,
    volunteer_id: str,
    *,
    precinct: str = "1001",
    call_sid: str = CALLER_SID,
    number: str = CALLER_NUMBER,
    waited_s: float = 0.0,
) -> None:
    """A chair calls, verifies, waits `waited_s`, and is paired with the (available)
    volunteer and confirmed in their room: the volunteer is then talking.
    """
    store, clock = services.store, services.clock
    load_small_roster(services)
    store.calls.arrive(now=clock.now(), call_sid=call_sid, number=number, request={})
    store.line.join(
        now=clock.now(),
        precinct=precinct,
        call_sid=call_sid,
        number=number,
        verified_how="keyed-precinct",
    )
    # Twilio asks for the wait URL once the call is in its queue: only then can it be moved.
    store.line.holding(call_sid)
    advance(clock, waited_s)
    pairing = store.dispatch.pair(now=clock.now())
    assert pairing is not None and pairing.volunteer == volunteer_id, pairing
    assert store.dispatch.confirm(
        volunteer_id, pairing.id, call_sid, precinct=precinct, now=clock.now()
    )


def advance(clock, seconds: float) -> None:
    if seconds and hasattr(clock, "advance"):
        clock.advance(seconds)


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client, name: str = VOLUNTEER_USER, password: str = PASSWORD, *, token=None):
    """Post the sign-in form as a browser does: the login page first, for its CSRF token."""
    page = client.get("/console/login")
    form = {
        "name": name,
        "password": password,
        "csrf_token": csrf_from(page.get_data(as_text=True)) if token is None else token,
    }
    return client.post("/console/login", data=form)


def signed_in(client, name: str = VOLUNTEER_USER) -> str:
    """Sign in; returns the CSRF token of the console page."""
    response = login(client, name)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get("/console/")
    assert page.status_code == 200
    return csrf_from(page.get_data(as_text=True))


def sign_out(client, token: str):
    return client.post("/console/logout", data={"csrf_token": token})


def cookie_set(response, name: str) -> str:
    """The one Set-Cookie header of `response` for the cookie `name`."""
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.getlist("Set-Cookie")
    return found[0]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The cells of the table `table_id`, row by row, as text."""
    found = re.search(rf'<table id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert found, f"no table #{table_id}"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows
