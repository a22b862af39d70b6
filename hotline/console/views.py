"""What a console page shows, assembled from the store as plain data (also sent as JSON)."""

from __future__ import annotations

from typing import Any

from hotline.console.auth import Viewer
from hotline.phone import mask_number
from hotline.services import Services
from hotline.store.dispatch import TALKING

LINE_SAMPLE = 500
RECENT_CALLS = 20

VERIFIED_HOW = {
    "registered-phone": "PIN, from the chair's registered phone",
    "keyed-precinct": "precinct number and PIN",
}


def line_summary(services: Services) -> dict[str, Any]:
    now = services.clock.now()
    waiting = services.store.line.waiting(limit=LINE_SAMPLE)
    longest = max((now - chair.since for chair in waiting), default=None)
    return {
        "waiting": services.store.line.size(),
        "longest_wait_s": None if longest is None else round(max(longest, 0.0)),
    }


def caller_card(services: Services, volunteer_id: str) -> dict[str, Any] | None:
    """The caller the volunteer is talking to, or None."""
    state = services.store.dispatch.state(volunteer_id)
    if state is None or state.status != TALKING or not state.caller_call_sid:
        return None
    store = services.store
    precinct = store.roster.get(state.precinct) if state.precinct else None
    record = store.calls.get(state.caller_call_sid)
    number = record.number if record else None
    # The line entry (which says how the chair proved it) is gone once they are connected:
    # a chair calling from the precinct's registered phone was asked the PIN only.
    if precinct is not None and number and number == precinct.chair_phone:
        how = "registered-phone"
    else:
        how = "keyed-precinct"
    waited = None
    if record is not None and record.started_at is not None and state.since is not None:
        waited = round(max(state.since - record.started_at, 0.0))
    return {
        "call_sid": state.caller_call_sid,
        "precinct": state.precinct,
        "precinct_name": precinct.name if precinct else None,
        "county": precinct.county if precinct else None,
        "verified_how": VERIFIED_HOW[how],
        "waited_s": waited,
        "talking_for_s": None if state.since is None
        else round(max(services.clock.now() - state.since, 0.0)),
        "number": mask_number(number),
        "reported_by": precinct.reported_by if precinct else None,
    }


def page_state(services: Services, viewer: Viewer) -> dict[str, Any]:
    state: dict[str, Any] = {
        "user": viewer.user.name,
        "role": viewer.user.role,
        "line": line_summary(services),
        "volunteer": None,
    }
    if viewer.volunteer is not None:
        vid = viewer.volunteer.id
        current = services.store.dispatch.state(vid)
        state["volunteer"] = {
            "id": vid,
            "name": viewer.volunteer.name,
            "status": current.status if current else "offline",
            "card": caller_card(services, vid),
        }
    if viewer.user.is_admin:
        state["admin"] = admin_state(services)
    return state


def admin_state(services: Services) -> dict[str, Any]:
    store = services.store
    states = store.dispatch.states()
    return {
        "blocks": [
            {"target": b.target, "reason": b.reason, "author": b.author,
             "expires_at": b.expires_at}
            for b in store.blocks.active()
        ],
        "recent": [
            {"call_sid": c.call_sid, "number": mask_number(c.number), "verdict": c.verdict,
             "reasons": list(c.reasons), "precinct": c.precinct, "started_at": c.started_at}
            for c in store.calls.recent(RECENT_CALLS)
        ],
        "volunteers": [
            {"id": v.id, "name": v.name,
             "status": states[v.id].status if v.id in states else "offline",
             "precinct": states[v.id].precinct if v.id in states else None}
            for v in store.volunteers.all()
        ],
    }  # fmt: skip
