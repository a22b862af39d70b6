"""Flask's signed-cookie sessions, opened only for a request that carries the cookie.

Flask builds its cookie serializer (key derivation and all) for every request before it
looks for the cookie. Most requests have none: every Twilio webhook, every anonymous
page. Without the cookie the answer is the same empty session either way, so it is
given at once; with it, Flask's own code reads it.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ  # no cookies at all: not even parsed
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)
