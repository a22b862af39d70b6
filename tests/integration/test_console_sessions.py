"""Console sessions against a real Redis: signing out and a new password end every session
of the login, a session lasts twelve hours from signing in, and a login added again under
an old name does not inherit the old sessions.
"""

from __future__ import annotations

import pytest

from tests.support.console import (
    ADMIN_USER,
    PASSWORD,
    add_admin,
    add_volunteer,
    cookie_set,
    login,
    sign_out,
    signed_in,
    volunteer_ready,
)

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def vid(services) -> str:
    vid = add_volunteer(services)
    volunteer_ready(services, vid)
    return vid


def is_signed_in(browser) -> bool:
    page = browser.get("/console/")
    assert page.status_code in (200, 302)
    return page.status_code == 200


def pause(browser, token: str):
    return browser.post("/console/availability", data={"status": "paused", "csrf_token": token})


def polls(browser) -> int:
    """What an open console page's next ask for changes is answered (401: signed out)."""
    return browser.get("/console/state").status_code


def test_signing_out_ends_every_session_of_that_login(app, services, vid):
    """Finding 7 (logout): signing out left the session cookie valid for up to 31 days.
    Now it ends this session and every other one of the same login, at once.
    """
    laptop, phone = app.test_client(), app.test_client()
    laptop_token = signed_in(laptop)
    phone_token = signed_in(phone)
    stolen = phone.get_cookie("session").value
    assert polls(phone) == 200

    assert sign_out(laptop, laptop_token).status_code == 303

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert pause(phone, phone_token).status_code == 401
    assert services.store.dispatch.state(vid).status == "available"
    replayed = app.test_client()
    replayed.set_cookie("session", stolen)
    assert not is_signed_in(replayed)
    assert polls(phone) == 401
    assert services.store.users.get("ann.lee").session_version == 1


def test_signing_out_leaves_other_logins_signed_in(app, services, vid):
    add_admin(services)
    volunteer, admin = app.test_client(), app.test_client()
    token = signed_in(volunteer)
    signed_in(admin, ADMIN_USER)
    sign_out(volunteer, token)
    assert is_signed_in(admin)
    assert services.store.users.get(ADMIN_USER).session_version == 0


def test_signing_in_again_after_signing_out_works(client, vid):
    sign_out(client, signed_in(client))
    assert login(client).status_code == 303
    assert is_signed_in(client)


def test_a_new_password_ends_every_session_of_that_login(app, services, vid):
    """Finding 7 (password change): a new password ends every session of the login."""
    laptop, phone = app.test_client(), app.test_client()
    signed_in(laptop)
    signed_in(phone)

    services.store.users.set_password("ann.lee", NEW_PASSWORD, author="carol")

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert login(laptop, password=PASSWORD).status_code == 401
    assert login(laptop, password=NEW_PASSWORD).status_code == 303
    assert is_signed_in(laptop)


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(app, client, clock, vid):
    """Finding 7 (session lifetime): a session ends 12 hours after signing in, by the
    server's clock, even if it was used all along.
    """
    token = signed_in(client)
    for _ in range(11):
        clock.advance(3600)
        assert is_signed_in(client)
    clock.advance(3600 - 1)
    assert is_signed_in(client)  # 11:59:59 after signing in
    assert polls(client) == 200
    clock.advance(3600 + 1)  # 13 hours

    assert polls(client) == 401
    assert not is_signed_in(client)
    assert pause(client, token).status_code == 401
    assert login(client).status_code == 303  # signing in again starts a new one
    assert is_signed_in(client)


def test_the_session_cookie_expires_with_the_session(app, client, vid):
    """Finding 7 (session lifetime): the cookie itself does not outlive the session."""
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600
    cookie = cookie_set(login(client), "session")
    assert "Expires=" in cookie


def test_a_login_added_again_under_the_same_name_does_not_revive_old_sessions(
    app, services, clock, vid
):
    browser = app.test_client()
    signed_in(browser)
    services.store.users.remove("ann.lee", author="carol")
    assert not is_signed_in(browser)
    clock.advance(60)
    services.store.users.add("ann.lee", "volunteer", NEW_PASSWORD, author="carol")
    assert services.store.users.get("ann.lee").session_version == 0  # as the old one had
    assert not is_signed_in(browser)


def test_the_session_remembers_the_login_version_and_time(client, services, clock, vid):
    signed_in(client)
    with client.session_transaction() as session:
        assert session["user"] == "ann.lee"
        assert session["session_version"] == 0
        assert session["signed_in_at"] == clock.now()
        assert session["login_created_at"] == services.store.users.get("ann.lee").created_at
        assert session.permanent
