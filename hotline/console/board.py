"""The admins' board (/console/admin): the night at a glance, kept live, and what admins
do about it. Admins only (anyone else: 403).

The page is whole without JavaScript: every figure is in it, the plots are SVG drawn by
the server, every action is a plain form, Refresh reloads. With JavaScript, console.js
keeps its live sections up to date by polling GET /console/admin/state, as the console
page does (sections.py): one Redis pipeline a poll, and 304 when nothing changed.
"""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from hotline.console import auth, board_view, sections
from hotline.console.auth import Viewer, login_required, services_of
from hotline.console.routes import bp
from hotline.durations import parse_duration
from hotline.phone import normalise_block_target
from hotline.sim.chart import SVG_STYLE
from hotline.steps import admin, numbers

# The board's live sections and their templates.
LIVE = {
    "figures": "console/_board_figures.html",
    "plots": "console/_board_plots.html",
    "callers": "console/_board_callers.html",
    "number-figures": "console/_board_numbers.html",
}
POLL_EVERY_S = 5
# How long a browser may keep the plots' style sheet.
CHART_CSS_MAX_AGE_S = 3600


def _admin(viewer: Viewer) -> None:
    if not viewer.user.is_admin:
        abort(403, description="Only admins can see the admins' board.")


def _render_live(state: dict) -> dict[str, str]:
    return {name: render_template(template, state=state) for name, template in LIVE.items()}


@bp.get("/admin")
@login_required
def board(viewer: Viewer):
    _admin(viewer)
    svc = services_of()
    filters = board_view.Filters.of(request.args)
    live = _render_live(board_view.live_state(svc))
    return render_template(
        "console/board.html",
        user=viewer.user.name,
        filters=filters,
        page=board_view.page_state(svc, filters),
        poll_every_s=POLL_EVERY_S,
        live={name: Markup(html) for name, html in live.items()},
        versions=sections.versions(live),
    )


@bp.get("/admin/state")
def board_state():
    """The live sections that changed since the versions the page holds (?have=), or 304
    when the page's ETag is still current; 401 signed out, 403 for anyone but an admin.
    """
    svc = services_of()
    user = auth.current_user(svc)
    if user is None:
        response = jsonify(error="Sign in first.", login=url_for("console.login"))
        response.status_code = 401
    elif not user.is_admin:
        abort(403, description="Only admins can see the admins' board.")
    else:
        live = _render_live(board_view.live_state(svc))
        current = sections.versions(live)
        tag = sections.etag(current)
        if request.if_none_match.contains_weak(tag):
            response = Response(status=304)
        else:
            have = sections.parse_have(request.args.get("have", ""), LIVE)
            response = jsonify(versions=current, html=sections.changed(live, current, have))
        response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/chart.css")
def chart_css() -> Response:
    """How the plots are drawn (hotline/sim/chart.py), as a style sheet: the page's policy
    allows no inline style.
    """
    response = Response(SVG_STYLE, mimetype="text/css")
    response.headers["Cache-Control"] = f"max-age={CHART_CSS_MAX_AGE_S}"
    return response


def _back(anchor: str):
    return redirect(url_for("console.board") + f"#{anchor}", code=303)


def _form(name: str) -> str:
    return request.form.get(name, "").strip()


def _number_or_prefix() -> str | None:
    try:
        return normalise_block_target(_form("target"), region=services_of().settings.default_region)
    except ValueError as error:
        flash(f"Nothing done: {error}.")
        return None


def _duration(text: str) -> float | None:
    """How long a block lasts ("2h", "30m"); None, until unblocked, when not given."""
    if not text:
        return None
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError("a block must last longer than zero")
    return seconds


@bp.post("/admin/block")
@login_required
def board_block(viewer: Viewer):
    _admin(viewer)
    target = _number_or_prefix()
    if target is None:
        return _back("lists")
    try:
        seconds = _duration(_form("for"))
    except ValueError as error:
        flash(f"Nothing done: {error}.")
        return _back("lists")
    made = admin.block(
        services_of(),
        target,
        author=viewer.user.name,
        reason=_form("reason") or "blocked on the admins' board",
        duration_s=seconds,
    )
    flash(f"Blocked {made.target}" + ("" if made.expires_at is None else " for a while") + ".")
    return _back("lists")


@bp.post("/admin/unblock")
@login_required
def board_unblock(viewer: Viewer):
    _admin(viewer)
    target = _form("target")
    if admin.unblock(
        services_of(),
        target,
        author=viewer.user.name,
        reason=_form("reason") or "unblocked on the admins' board",
    ):
        flash(f"Unblocked {target}.")
    else:
        flash(f"{target} was not blocked.")
    return _back("lists")


@bp.post("/admin/allow")
@login_required
def board_allow(viewer: Viewer):
    _admin(viewer)
    number = _number_or_prefix()
    if number is None:
        return _back("lists")
    svc, reason = services_of(), _form("reason")
    try:
        if _form("remove"):
            admin.disallow(svc, number, author=viewer.user.name, reason=reason)
            flash(f"{number} is no longer allowed.")
        else:
            admin.allow(svc, number, author=viewer.user.name, reason=reason)
            flash(f"Allowed {number}: it is never escalated, and still asked for a PIN.")
    except admin.Refused as refused:
        flash(f"Nothing done: {refused}.")
    return _back("lists")


@bp.post("/admin/flood")
@login_required
def board_flood(viewer: Viewer):
    _admin(viewer)
    wanted = request.form.get("state")
    if wanted not in ("on", "off"):
        abort(400, description="state must be on or off")
    admin.switch_flood(
        services_of(), wanted == "on", author=viewer.user.name, reason=_form("reason")
    )
    flash(f"Flood mode is {'ON' if wanted == 'on' else 'off'}.")
    return _back("figures")


@bp.post("/admin/rotate")
@login_required
def board_rotate(viewer: Viewer):
    """Rotate the hotline's number: queued for a worker (a web request never calls Twilio),
    which buys or assigns the number and texts the chairs (steps/numbers.py).
    """
    _admin(viewer)
    if request.form.get("confirm") != "1":
        abort(400, description="Tick the box to confirm the rotation.")
    try:
        choice = numbers.rotation_choice(_form("number") or None, _form("area_code") or None, None)
    except numbers.BadChoice as bad:
        abort(400, description=f"Nothing rotated: {bad}.")
    numbers.request_rotation(services_of(), author=viewer.user.name, **choice)
    flash(
        "Rotation queued: a worker gets the new number, retires the old one and texts the "
        "chairs. The texts' receipts show below as they come in."
    )
    return _back("numbers")


@bp.post("/admin/threshold")
@login_required
def board_threshold(viewer: Viewer):
    _admin(viewer)
    try:
        change = admin.change_threshold(
            services_of(),
            _form("setting"),
            _form("value"),
            author=viewer.user.name,
            reason=_form("reason"),
        )
    except admin.Refused as refused:
        flash(f"Nothing changed: {refused}.")
    else:
        flash(f"{change.setting} is {change.new} tonight (was {change.old}), from the next call.")
    return _back("thresholds")


@bp.post("/admin/revert")
@login_required
def board_revert(viewer: Viewer):
    _admin(viewer)
    try:
        change = admin.revert(services_of(), int(_form("change") or 0), author=viewer.user.name)
    except (admin.Refused, ValueError) as refused:
        flash(f"Nothing changed: {refused}.")
    else:
        flash(f"{change.setting} is back to {change.new} (was {change.old}).")
    return _back("thresholds")


@bp.post("/admin/retry")
@login_required
def board_retry(viewer: Viewer):
    _admin(viewer)
    svc = services_of()
    if _form("all"):
        retried = admin.retry_all_jobs(svc, author=viewer.user.name)
        flash(f"{len(retried)} failed job(s) put back on the queue.")
        return _back("failed-jobs")
    try:
        job = admin.retry_job(svc, _form("job"), author=viewer.user.name)
    except admin.Refused as refused:
        flash(f"Nothing done: {refused}.")
    else:
        flash(f"Job {job.function} put back on the queue.")
    return _back("failed-jobs")
