"""CSRF protection: one random token per session, in a hidden field of every form.

Every POST to the console must carry it; the comparison is constant-time.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

SESSION_KEY = "csrf"
FIELD = "csrf_token"


def token() -> str:
    """This session's token, made on first use (templates call it for every form)."""
    current = session.get(SESSION_KEY)
    if not current:
        current = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return current


def rotate() -> str:
    """A fresh token (after signing in, so a token planted before login is useless)."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def is_valid(sent: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    if not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def protect() -> None:
    """before_request hook: a POST without the session's token gets 403."""
    if request.method == "POST" and not is_valid(request.form.get(FIELD)):
        abort(
            403,
            description="This form has expired or did not come from the console "
            "(missing or wrong CSRF token). Reload the page and try again.",
        )
