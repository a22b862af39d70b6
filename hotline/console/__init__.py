"""The volunteer and admin console: server-rendered pages, kept up to date by polling.

Works without JavaScript (plain forms; Refresh reloads). With it, the page asks
GET /console/state every few seconds for the sections that changed (sections.py): each
ask holds a web thread for milliseconds, and console requests may hold only a few of a
web worker's threads at once (capacity.py), so Twilio's webhooks always find one free.
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask

from hotline.console import (
    board,  # noqa: F401 - its routes join bp
    capacity,
    results_routes,  # noqa: F401 - its routes join bp
)
from hotline.console.auth import SESSION_LIFETIME
from hotline.console.cookie_sessions import CookieSessions
from hotline.console.routes import bp
from hotline.secret_keys import CONSOLE_SESSIONS, derive_key
from hotline.services import Services

log = logging.getLogger(__name__)


def session_key(secret_key: bytes) -> str:
    """The key signing console sessions: derived from HOTLINE_SECRET_KEY for that alone."""
    return derive_key(secret_key, CONSOLE_SESSIONS).hex()


def init_console(app: Flask, services: Services) -> None:
    settings = services.settings
    if settings.secret_key:
        app.secret_key = session_key(settings.secret_key)
    else:
        log.warning(
            "HOTLINE_SECRET_KEY is not set: console sessions last only as long as "
            "this process, and only work with a single web worker"
        )
        app.secret_key = secrets.token_hex(32)
    app.session_interface = CookieSessions()
    app.config.update(
        SESSION_COOKIE_SECURE=not settings.public_url.startswith("http://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The signed cookie dies with the session (auth.py checks the same lifetime from
        # the sign-in time, on the server); every request need not push its expiry on.
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    capacity.install(app, settings.console_threads)
    app.register_blueprint(bp)


__all__ = ["bp", "init_console", "session_key"]
