"""The console's pages and actions (url prefix /console)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from redis.exceptions import RedisError

from hotline import sign_in_pace as pace
from hotline.console import auth, capacity, csrf, device_cookie, pacing, sections
from hotline.console.auth import Viewer, login_required, services_of
from hotline.console.views import page_state
from hotline.steps import admin, desk
from hotline.store.dispatch import TALKING

# Script and style are files of their own, so the Content-Security-Policy can forbid
# inline code (hotline/security_headers.py).
bp = Blueprint(
    "console", __name__, url_prefix="/console", template_folder="templates", static_folder="static"
)
# The console's share of the web threads is checked first: a request past it does nothing.
bp.before_request(capacity.admit)
bp.teardown_request(capacity.release)
bp.before_request(csrf.protect)

log = logging.getLogger(__name__)
# How soon a page should ask again while Redis is not answering (restarting, failing over).
REDIS_TROUBLE_RETRY_S = 5


@bp.errorhandler(RedisError)
def redis_trouble(error: RedisError):
    """Redis down or restarting: a plain 503 that says so, never a server error; the
    page's script waits and asks again, a person can press Refresh.
    """
    log.warning("console: Redis unavailable (%s)", type(error).__name__)
    return (
        "The hotline's database is not answering right now (it may be restarting). "
        "Try again in a few seconds.",
        503,
        {"Retry-After": str(REDIS_TROUBLE_RETRY_S), "Content-Type": "text/plain"},
    )


# How often an open page asks GET /console/state for changes, in seconds. Each ask holds
# a thread for milliseconds; the page waits longer when told the console is busy.
POLL_EVERY_S = 2
# Longest search text read from ?block=.
BLOCK_QUERY_MAX = 40


@bp.app_context_processor
def template_helpers() -> dict[str, object]:
    return {"csrf_token": csrf.token, "csrf_field": csrf.FIELD}


@bp.app_template_filter("wait")
def format_wait(seconds: float | None) -> str:
    """Seconds as m:ss (h:mm:ss past an hour); a dash when unknown."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _block_query() -> str:
    return request.args.get("block", "").strip()[:BLOCK_QUERY_MAX]


@bp.app_template_filter("when")
def format_when(timestamp: float | None) -> str:
    """A time in UTC to the minute; "lasting" for a block without an expiry."""
    if timestamp is None:
        return "lasting"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.get("/")
@login_required
def index(viewer: Viewer):
    query = _block_query()
    state = page_state(services_of(), viewer, block_query=query, form_secret=current_app.secret_key)
    rendered = sections.render(state)
    return render_template(
        "console/index.html",
        state=state,
        block_query=query,
        poll_every_s=POLL_EVERY_S,
        sections={name: Markup(html) for name, html in rendered.items()},
        versions=sections.versions(rendered),
    )


@bp.get("/state")
def state():
    """The page's sections that changed since the versions the page holds (?have=
    line:<version>,admin:<version>), with every section's version; 304 when the page's
    ETag (If-None-Match) is still current. Never cached; signed out, 401, and the page
    reloads to the login.
    """
    services = services_of()
    viewer = auth.current(services)
    if viewer is None:
        response = jsonify(error="Sign in first.", login=url_for("console.login"))
        response.status_code = 401
    else:
        rendered = sections.render(
            page_state(
                services, viewer, block_query=_block_query(), form_secret=current_app.secret_key
            )
        )
        current = sections.versions(rendered)
        tag = sections.etag(current)
        if request.if_none_match.contains_weak(tag):
            response = Response(status=304)
        else:
            have = sections.parse_have(request.args.get("have", ""))
            response = jsonify(versions=current, html=sections.changed(rendered, current, have))
        response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    services = services_of()
    if request.method == "GET":
        if auth.current(services) is not None:
            return redirect(url_for("console.index"))
        return render_template("console/login.html", error=None)
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    now = services.clock.now()
    attempt = pacing.begin(
        services,
        name=name,
        address=auth.client_address(),
        device=device_cookie.nonce_for(name, now),
    )
    if attempt.wait_s > 0:
        seconds = pace.retry_after_s(attempt.wait_s)
        page = render_template(
            "console/login.html",
            error=f"Too many failed sign-ins. Wait {seconds} "
            f"second{'' if seconds == 1 else 's'} and try again.",
        )
        return page, 429, {"Retry-After": str(seconds)}
    user = services.store.users.verify(name, password)
    if user is None:
        return render_template("console/login.html", error="Wrong user name or password."), 401
    pacing.succeeded(services, attempt)
    auth.sign_in(user, now)
    csrf.rotate()
    response = redirect(url_for("console.index"), code=303)
    device_cookie.issue(response, user.name, now)
    return response


@bp.post("/logout")
def logout():
    auth.sign_out(services_of())
    return redirect(url_for("console.login"), code=303)


def _volunteer_id(viewer: Viewer) -> str:
    if viewer.volunteer is None:
        abort(403, description="Your login is not linked to a volunteer.")
    return viewer.volunteer.id


def _back():
    return redirect(url_for("console.index"), code=303)


@bp.post("/availability")
@login_required
def availability(viewer: Viewer):
    wanted = request.form.get("status")
    if wanted not in ("available", "paused"):
        abort(400, description="status must be available or paused")
    paused = wanted == "paused"
    if desk.set_paused(services_of(), _volunteer_id(viewer), paused):
        flash(
            "Paused: no new callers until you are available."
            if paused
            else "Available: the next caller comes to you."
        )
    else:
        flash(
            "You can pause only while free, and become available only while paused "
            "(call the volunteer line first if you are offline)."
        )
    return _back()


def _current_caller(viewer: Viewer) -> tuple[str, str, str]:
    """(volunteer id, caller's CallSid, precinct) of the call the form was about."""
    services = services_of()
    vid = _volunteer_id(viewer)
    state = services.store.dispatch.state(vid)
    sent = request.form.get("call_sid", "")
    if state is None or state.status != TALKING or not state.caller_call_sid:
        abort(409, description="You are not talking to a caller.")
    if sent != state.caller_call_sid:
        abort(409, description="That caller is no longer yours: the page was out of date.")
    return vid, state.caller_call_sid, state.precinct or ""


@bp.post("/done")
@login_required
def done(viewer: Viewer):
    vid, call_sid, _ = _current_caller(viewer)
    desk.finish_call(services_of(), vid, call_sid)
    flash("Call finished. You are available for the next caller.")
    return _back()


@bp.post("/flag")
@login_required
def flag(viewer: Viewer):
    vid, call_sid, precinct = _current_caller(viewer)
    if desk.flag_caller(
        services_of(),
        volunteer_id=vid,
        call_sid=call_sid,
        precinct=precinct,
        author=viewer.user.name,
    ):
        flash("Flagged as a nuisance: the number is blocked and the call ended.")
    else:
        flash("The caller withheld their number, so it cannot be blocked; the call ended.")
    return _back()


@bp.post("/unblock")
@login_required
def unblock(viewer: Viewer):
    if not viewer.user.is_admin:
        abort(403, description="Only admins can unblock numbers.")
    target = request.form.get("target", "")
    if admin.unblock(
        services_of(), target, author=viewer.user.name, reason="unblocked in the console"
    ):
        flash(f"Unblocked {target}.")
    else:
        flash(f"{target} was not blocked.")
    return _back()


@bp.post("/put-back")
@login_required
def put_back(viewer: Viewer):
    """Put a parked chair (store/parked.py) back in line, in their place."""
    if not viewer.user.is_admin:
        abort(403, description="Only admins can put parked chairs back in line.")
    chair = desk.put_back(services_of(), request.form.get("call_sid", ""), viewer.user.name)
    if chair is None:
        flash("That chair is no longer parked.")
        return _back()
    flash(f"Precinct {chair.precinct} is back in line, in its place.")
    return _back()
