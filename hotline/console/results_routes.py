"""The console's results pages: the volunteer's form posts here, keypad reports are
verified here, and admins see the flagged precincts and a precinct's versions.

The server decides: a posted form is checked with hotline.caucus.checks.check, whatever
the browser's copy of the math (static/caucus.js) showed. A blocking finding refuses the
save (400, with the reasons, nothing stored); each warning needs its tick.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from hotline.caucus.checks import check
from hotline.console import results_form
from hotline.console.auth import Viewer, login_required, services_of
from hotline.console.routes import _volunteer_id, bp
from hotline.results_out import status
from hotline.steps import desk
from hotline.store import keys

# Longest nonce read from a form.
NONCE_MAX = 64


def _election():
    return results_form.election_named(services_of().settings.election)


@bp.post("/results")
@login_required
def save_results(viewer: Viewer):
    services = services_of()
    election = _election()
    mode = request.form.get("mode", "call")
    call_sid = ""
    if mode == "call":
        call_sid, precinct = _call_reported(viewer)
    elif mode == "verify":
        precinct = request.form.get("precinct", "")
        if services.store.results.latest(precinct) is None:
            abort(404, description="No stored report for that precinct.")
    else:
        abort(400, description="mode must be call or verify")
    nonce = request.form.get("nonce", "")[:NONCE_MAX]
    report = results_form.parse(request.form, election, precinct)
    findings = check(report, election)
    accepted = frozenset(request.form.getlist("accept"))
    blocking = [f for f in findings if f.blocking]
    unticked = [f for f in findings if not f.blocking and f.message not in accepted]
    problem = None
    if not nonce:
        problem = "The form has no submission id: reload the page and enter the figures again."
    elif blocking:
        problem = "Not saved: the figures are impossible under the caucus rules. " + " ".join(
            f"{f.message}." for f in blocking
        )
    elif unticked:
        problem = (
            "Not saved yet: tick each warning to accept it (check it with the chair "
            "first). " + " ".join(f"{f.message}." for f in unticked)
        )
    if problem:
        view = results_form.form_view(
            election,
            precinct,
            report,
            mode=mode,
            nonce=nonce,
            call_sid=call_sid,
            findings=findings,
            accepted=accepted,
        )
        return render_template("console/results.html", f=view, problem=problem), 400
    # Taken from the chair on the call: their keypad draft goes with the save.
    stored = services.store.results.save(
        report,
        channel="volunteer",
        author=viewer.user.name,
        now=services.clock.now(),
        findings=findings,
        idempotency_key=f"console:{nonce}",
        draft_of=call_sid if mode == "call" else None,
    )
    spaced = " ".join(stored.receipt)
    flash(
        f"Saved precinct {precinct}, version {stored.version}: receipt {stored.receipt}. "
        f"Read it to the chair: {spaced}. The precinct is marked reported."
    )
    return redirect(url_for("console.index" if mode == "call" else "console.verify_list"), code=303)


def _call_reported(viewer: Viewer) -> tuple[str, str]:
    """(CallSid, precinct) of the chair whose results the form holds: one the volunteer
    talks to or talked to (the call may have ended while they typed).
    """
    call_sid = request.form.get("call_sid", "")
    if not keys.CALL_SID.fullmatch(call_sid):
        abort(400, description="The form names no call: reload the page.")
    precinct = desk.precinct_taken(services_of(), _volunteer_id(viewer), call_sid)
    if not precinct:
        abort(409, description="That caller was not yours: the page was out of date.")
    return call_sid, precinct


@bp.get("/verify")
@login_required
def verify_list(viewer: Viewer):
    election = _election()
    rows = []
    for stored in services_of().store.results.to_verify():
        rules = election.precinct(stored.precinct)
        rows.append(
            {
                "precinct": stored.precinct,
                "name": rules.name if rules else "",
                "county": rules.county if rules else "",
                "version": stored.version,
                "at": stored.at,
                "warnings": len(stored.findings),
            }
        )
    return render_template("console/verify.html", rows=rows)


@bp.get("/results/<precinct>")
@login_required
def open_results(viewer: Viewer, precinct: str):
    """A stored report in the form, to verify it or save a corrected version."""
    election = _election()
    latest = services_of().store.results.latest(precinct)
    if latest is None:
        abort(404, description="No stored report for that precinct.")
    verified = f"; verified by {latest.verified_by}." if latest.verified_by else "."
    source = f"Version {latest.version}, {latest.channel}, by {latest.author}{verified}"
    view = results_form.form_view(
        election,
        precinct,
        latest.report,
        mode="verify",
        source=source,
        nonce=results_form.nonce(
            current_app.secret_key, viewer.user.name, "verify", precinct, latest.version
        ),
        version=latest.version,
        can_verify=latest.channel == "keypad" and latest.verified_by is None,
    )
    return render_template("console/results.html", f=view, problem=None)


@bp.post("/results/verify")
@login_required
def verify_results(viewer: Viewer):
    services = services_of()
    precinct = request.form.get("precinct", "")
    version = request.form.get("version", "")
    if not version.isdigit():
        abort(400, description="version must be a number")
    if services.store.results.verify(
        precinct, int(version), author=viewer.user.name, now=services.clock.now()
    ):
        flash(f"Precinct {precinct}, version {version}: verified.")
    else:
        flash(f"Precinct {precinct}, version {version} was verified already, or is not stored.")
    return redirect(url_for("console.verify_list"), code=303)


def _admin(viewer: Viewer) -> None:
    if not viewer.user.is_admin:
        abort(403, description="Only admins can see this.")


@bp.get("/flagged")
@login_required
def flagged(viewer: Viewer):
    _admin(viewer)
    election = _election()
    rows = []
    for stored in services_of().store.results.all_latest():
        if status(stored) != "flagged":
            continue
        rules = election.precinct(stored.precinct)
        rows.append(
            {
                "precinct": stored.precinct,
                "name": rules.name if rules else "",
                "county": rules.county if rules else "",
                "version": stored.version,
                "author": stored.author,
                "channel": stored.channel,
                "findings": [f.message for f in stored.findings],
            }
        )
    return render_template("console/flagged.html", rows=rows)


@bp.get("/results/<precinct>/versions")
@login_required
def results_versions(viewer: Viewer, precinct: str):
    _admin(viewer)
    election = _election()
    rules = election.precinct(precinct)
    shown = []
    for stored in services_of().store.results.versions(precinct):
        view = results_form.form_view(
            election, precinct, stored.report, mode="view", nonce="", findings=()
        )
        shown.append(
            {
                "version": stored.version,
                "channel": stored.channel,
                "author": stored.author,
                "at": stored.at,
                "receipt": stored.receipt,
                "verified_by": stored.verified_by,
                "attendance": view["attendance"],
                "rows": [r for r in view["rows"] if r["first"] or r["final"]],
                "findings": [f.message for f in stored.findings],
            }
        )
    return render_template(
        "console/versions.html",
        precinct=precinct,
        versions=shown,
        name=rules.name if rules else None,
        county=rules.county if rules else None,
    )
