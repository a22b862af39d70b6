"""The console's pages and actions (url prefix /console)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from hotline import sign_in_pace as pace
from hotline.console import auth, csrf, device_cookie, pacing
from hotline.console.auth import Viewer, login_required, services_of
from hotline.console.views import page_state
from hotline.store.dispatch import TALKING
from workers.dispatch import enqueue_dispatch
from workers.hang_up import enqueue_hang_up

# Script and style are files of their own, so the Content-Security-Policy can forbid
# inline code (hotline/security_headers.py).
bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static")  # fmt: skip
bp.before_request(csrf.protect)

# The event stream: one message a second, for at most ten minutes (the page's
# EventSource then reconnects), so a stuck client cannot hold a worker forever.
EVENTS_INTERVAL_S = 1.0
EVENTS_LIMIT_S = 600.0


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


@bp.get("/")
@login_required
def index(viewer: Viewer):
    return render_template("console/index.html", state=page_state(services_of(), viewer))


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
    attempt = pacing.begin(services, name=name, address=auth.client_address(),
                           device=device_cookie.nonce_for(name, now))  # fmt: skip
    if attempt.wait_s > 0:
        seconds = pace.retry_after_s(attempt.wait_s)
        page = render_template(
            "console/login.html",
            error=f"Too many failed sign-ins. Wait {seconds} "
                  f"second{'' if seconds == 1 else 's'} and try again.",
        )  # fmt: skip
        return page, 429, {"Retry-After": str(seconds)}
    user = services.store.users.verify(name, password)
    if user is None:
        return render_template("console/login.html",
                               error="Wrong user name or password."), 401  # fmt: skip
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
    services = services_of()
    vid = _volunteer_id(viewer)
    wanted = request.form.get("status")
    if wanted not in ("available", "paused"):
        abort(400, description="status must be available or paused")
    paused = wanted == "paused"
    if services.store.dispatch.set_paused(vid, paused, now=services.clock.now()):
        if not paused:
            enqueue_dispatch(services)
        flash("Paused: no new callers until you are available." if paused
              else "Available: the next caller comes to you.")  # fmt: skip
    else:
        flash("You can pause only while free, and become available only while paused "
              "(call the volunteer line first if you are offline).")  # fmt: skip
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


def _release(vid: str, call_sid: str) -> None:
    """End the caller's leg and free the volunteer for the next one."""
    services = services_of()
    enqueue_hang_up(services, call_sid)
    services.store.dispatch.caller_left(vid, call_sid, now=services.clock.now())
    enqueue_dispatch(services)


@bp.post("/done")
@login_required
def done(viewer: Viewer):
    vid, call_sid, _ = _current_caller(viewer)
    _release(vid, call_sid)
    flash("Call finished. You are available for the next caller.")
    return _back()


@bp.post("/flag")
@login_required
def flag(viewer: Viewer):
    services = services_of()
    vid, call_sid, precinct = _current_caller(viewer)
    record = services.store.calls.get(call_sid)
    number = record.number if record else None
    author = viewer.user.name
    if number:
        reason = f"flagged by volunteer {author} ({vid}) on a call for precinct {precinct}"
        services.store.blocks.block(number, reason=reason, author=author)
        services.store.reputation.flag(number, author=author, reason=reason)
        flash("Flagged as a nuisance: the number is blocked and the call ended.")
    else:
        flash("The caller withheld their number, so it cannot be blocked; the call ended.")
    _release(vid, call_sid)
    return _back()


@bp.post("/reported")
@login_required
def reported(viewer: Viewer):
    services = services_of()
    _, _, precinct = _current_caller(viewer)
    if services.store.roster.mark_reported(precinct, author=viewer.user.name,
                                           now=services.clock.now()):  # fmt: skip
        flash(f"Precinct {precinct} marked as reported.")
    else:
        flash(f"Precinct {precinct} is not on the roster.")
    return _back()


@bp.post("/unblock")
@login_required
def unblock(viewer: Viewer):
    if not viewer.user.is_admin:
        abort(403, description="Only admins can unblock numbers.")
    target = request.form.get("target", "")
    if services_of().store.blocks.unblock(target, author=viewer.user.name,
                                          reason="unblocked in the console"):  # fmt: skip
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
    services = services_of()
    chair = services.store.parked.put_back(request.form.get("call_sid", ""),
                                           author=viewer.user.name,
                                           reason="put back in line in the console")  # fmt: skip
    if chair is None:
        flash("That chair is no longer parked.")
        return _back()
    enqueue_dispatch(services)
    flash(f"Precinct {chair.precinct} is back in line, in its place.")
    return _back()


@bp.get("/events")
@login_required
def events(viewer: Viewer):
    services = services_of()
    interval = current_app.config.get("CONSOLE_EVENTS_INTERVAL_S", EVENTS_INTERVAL_S)
    limit = current_app.config.get("CONSOLE_EVENTS_LIMIT_S", EVENTS_LIMIT_S)

    def stream() -> Iterator[str]:
        deadline = time.monotonic() + limit
        yield "retry: 3000\n\n"
        while True:
            current = auth.current(services)
            if current is None:
                yield "event: signed-out\ndata: {}\n\n"
                return
            yield f"data: {json.dumps(_message(current), separators=(',', ':'))}\n\n"
            if time.monotonic() + interval > deadline:
                return
            time.sleep(interval)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers=headers)  # fmt: skip


def _message(viewer: Viewer) -> dict[str, object]:
    state = page_state(services_of(), viewer)
    html = {"line": render_template("console/_line.html", state=state)}
    if state["volunteer"] is not None:
        html["volunteer"] = render_template("console/_volunteer.html", state=state)
    if "admin" in state:
        html["admin"] = render_template("console/_admin.html", state=state)
    return {"state": state, "html": html}
