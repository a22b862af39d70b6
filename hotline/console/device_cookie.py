"""The device cookie: a browser's proof that it has signed in as a user before.

OWASP's "slow down online guessing attacks with device cookies": after a successful
sign-in the browser gets a long-lived cookie, signed by the server, naming the user and
carrying a random nonce. Failed sign-ins with a valid cookie for the name tried are
counted against that nonce alone, so a troll guessing the name elsewhere cannot slow
this browser down. One cookie per browser: signing in as someone else replaces it.
"""

from __future__ import annotations

import secrets

from flask import Response, current_app, request
from itsdangerous import BadData, URLSafeSerializer

COOKIE = "hotline_device"
LIFETIME_S = 365 * 24 * 3600
# Keeps these signatures apart from the session cookie's, which uses the same app key.
SALT = "hotline console device cookie v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def nonce_for(name: str, now: float) -> str | None:
    """The nonce of this request's device cookie if it is genuine, for `name`, and not
    older than LIFETIME_S; else None (the attempt then counts as an untrusted client's).
    """
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw)  # genuine from here on: only we can sign one
    except BadData:
        return None
    if data["user"] != name or now - data["issued_at"] > LIFETIME_S:
        return None
    return data["nonce"]


def issue(response: Response, name: str, now: float) -> None:
    """Give the browser a fresh device cookie for `name` (a new nonce each sign-in)."""
    value = _serializer().dumps(
        {"user": name, "nonce": secrets.token_urlsafe(16), "issued_at": now}
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=LIFETIME_S,
        path="/console",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
