"""Security headers on every response, and console pages that keep to the strict policy
(no inline script or style for it to block).
"""

from __future__ import annotations

import re

import pytest

from tests.support.console import (
    ADMIN_USER,
    add_admin,
    add_volunteer,
    login,
    put_caller_through,
    signed_in,
    volunteer_ready,
)

EXPECTED = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def assert_secured(response) -> None:
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED


@pytest.fixture
def console_pages(app, services):
    """Every kind of console page and answer: (what, response)."""
    vid = add_volunteer(services)
    add_admin(services)
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    volunteer, admin, stranger = app.test_client(), app.test_client(), app.test_client()
    signed_in(volunteer)
    signed_in(admin, ADMIN_USER)
    for _ in range(5):
        login(stranger, ADMIN_USER, "wrong password, again")
    state = volunteer.get("/console/state")
    return [
        ("login page", stranger.get("/console/login")),
        ("wrong password", login(stranger, "ann.lee", "wrong password, again")),
        ("too early", login(stranger, ADMIN_USER, "wrong password, again")),
        ("signed-in redirect", login(app.test_client())),
        ("redirect to login", stranger.get("/console/")),
        ("volunteer's page", volunteer.get("/console/")),
        ("admin's page", admin.get("/console/")),
        ("state", state),
        (
            "state unchanged",
            volunteer.get("/console/state", headers={"If-None-Match": state.headers["ETag"]}),
        ),
        ("state signed out", stranger.get("/console/state")),
        ("CSRF refusal", volunteer.post("/console/done", data={})),
        ("style sheet", stranger.get("/console/static/console.css")),
        ("script", stranger.get("/console/static/console.js")),
    ]


def test_every_console_response_carries_the_security_headers(console_pages):
    """Finding 7 (headers): there was no Content-Security-Policy and no X-Frame-Options."""
    statuses = {what: response.status_code for what, response in console_pages}
    assert statuses == {
        "login page": 200,
        "wrong password": 401,
        "too early": 429,
        "signed-in redirect": 303,
        "redirect to login": 302,
        "volunteer's page": 200,
        "admin's page": 200,
        "state": 200,
        "state unchanged": 304,
        "state signed out": 401,
        "CSRF refusal": 403,
        "style sheet": 200,
        "script": 200,
    }
    for _, response in console_pages:
        assert_secured(response)


def test_the_rest_of_the_app_carries_them_too(client):
    """Finding 7 (headers)."""
    assert_secured(client.get("/healthz"))
    assert_secured(client.post("/voice/incoming", data={}))  # unsigned: 403
    assert_secured(client.get("/no-such-page"))


def test_console_pages_have_no_inline_script_or_style(console_pages):
    """The policy forbids inline code, so the pages must not need any: script and style
    come from the console's static files.
    """
    html_pages = [
        (what, response.get_data(as_text=True))
        for what, response in console_pages
        if response.mimetype == "text/html"
    ]
    assert len(html_pages) >= 5
    for what, html in html_pages:
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], what
        assert "<style" not in html, what
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), what
    page = dict(html_pages)["volunteer's page"]
    assert '<link rel="stylesheet" href="/console/static/console.css">' in page
    assert (
        '<script src="/console/static/console.js"\n        data-state="/console/state"\n'
        '        data-every="2"></script>'
    ) in page


def test_the_static_files_are_served_with_their_types(console_pages):
    responses = dict(console_pages)
    assert responses["style sheet"].mimetype == "text/css"
    assert responses["script"].mimetype == "text/javascript"
    assert "fetch(ask, " in responses["script"].get_data(as_text=True)
