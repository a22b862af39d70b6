"""Signing in: who the session belongs to, login rate limits, the volunteer link.

A login is linked to the volunteer whose name, lower-cased with spaces turned
into dots, is the login's name ("Ann Lee" <-> "ann.lee"), or whose id it is
("v3"). How fast sign-ins may be tried is pacing.py's business.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, redirect, request, session, url_for

from hotline.services import Services
from hotline.store.users import User
from hotline.store.volunteers import Volunteer


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


def sign_in(user: User) -> None:
    session.clear()
    session["user"] = user.name
    session.permanent = False


def current(services: Services) -> Viewer | None:
    """Who is signed in, read afresh (a removed login loses access at once)."""
    name = session.get("user")
    user = services.store.users.get(name) if name else None
    if user is None:
        return None
    return Viewer(user=user, volunteer=volunteer_for(services, user.name))


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
