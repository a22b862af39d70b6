"""Signing in: who the session belongs to, how long it lasts, the volunteer link.

A login is linked to the volunteer whose name, lower-cased with spaces turned
into dots, is the login's name ("Ann Lee" <-> "ann.lee"), or whose id it is
("v3"). A session lasts SESSION_LIFETIME from signing in, on the server's clock,
however busy it is, and ends at once when its login signs out anywhere, gets a new
password, or is removed (the login's session version, see store/users.py).
How fast sign-ins may be tried is pacing.py's business.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, redirect, request, session, url_for

from hotline.services import Services
from hotline.store.users import User
from hotline.store.volunteers import Volunteer

SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Viewer:
    user: User
    volunteer: Volunteer | None


def link_name(volunteer_name: str) -> str:
    return ".".join(volunteer_name.lower().split())


def volunteer_for(services: Services, user_name: str) -> Volunteer | None:
    for volunteer in services.store.volunteers.all():
        if user_name in (volunteer.id, link_name(volunteer.name)):
            return volunteer
    return None


def client_address() -> str:
    # Behind reverse proxies, HOTLINE_TRUSTED_PROXIES puts ProxyFix in front (app.py),
    # so this is the client's address and not the proxy's.
    return request.remote_addr or "unknown"


def sign_in(user: User, now: float) -> None:
    session.clear()
    session["user"] = user.name
    # Which login: one removed and added again under the same name starts its versions
    # afresh, and must not take over the sessions of the one before.
    session["login_created_at"] = user.created_at
    session["session_version"] = user.session_version
    session["signed_in_at"] = now
    # The cookie expires with the session (PERMANENT_SESSION_LIFETIME, see __init__.py).
    session.permanent = True


def _still_valid(user: User, now: float) -> bool:
    signed_in_at = session.get("signed_in_at")
    return (
        session.get("login_created_at") == user.created_at
        and session.get("session_version") == user.session_version
        and signed_in_at is not None
        and now - signed_in_at <= SESSION_LIFETIME.total_seconds()
    )


def current_user(services: Services) -> User | None:
    """The login signed in, read afresh on every request: a login that was removed, signed
    out elsewhere or given a new password, or a session past its lifetime, is nobody.
    """
    name = session.get("user")
    user = services.store.users.get(name) if name else None
    if user is None or not _still_valid(user, services.clock.now()):
        return None
    return user


def current(services: Services) -> Viewer | None:
    """Who is signed in (current_user) and the volunteer their login is linked to."""
    user = current_user(services)
    if user is None:
        return None
    return Viewer(user=user, volunteer=volunteer_for(services, user.name))


def sign_out(services: Services) -> None:
    """End this session and every other session of the same login."""
    viewer = current(services)
    if viewer is not None:
        services.store.users.end_sessions(viewer.user.name)
    session.clear()


def services_of() -> Services:
    from flask import current_app

    return current_app.extensions["hotline"]


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        viewer = current(services_of())
        if viewer is None:
            if request.method == "GET":
                return redirect(url_for("console.login"))
            abort(401, description="Sign in first.")
        return view(viewer, *args, **kwargs)

    return wrapped
