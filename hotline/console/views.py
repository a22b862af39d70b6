"""What a console page shows, assembled from the store as plain data for the templates."""

from __future__ import annotations

from typing import Any

from hotline.console.auth import Viewer
from hotline.console.results_form import call_form
from hotline.phone import mask_number, normalise_block_target
from hotline.services import Services
from hotline.steps.verification import alarm_notice
from hotline.store.dispatch import CONNECTING, TALKING
from hotline.store.parked import CALL_BACK, MOVE

LINE_SAMPLE = 500
RECENT_CALLS = 20
WAITING_SHOWN = 20
# The admin view lists the newest blocks in force, and finds any other by its number.
BLOCKS_SHOWN = 50

VERIFIED_HOW = {
    "registered-phone": "PIN, from the chair's registered phone",
    "keyed-precinct": "precinct number and PIN",
    "backup-code": "PIN and backup code (the PIN alone was under attack)",
    "call-back": "PIN, on a call back to the registered phone",
    "volunteer-dropped": "PIN, earlier on this call (back in line: their volunteer's line dropped)",
}

# What Twilio refused for a parked chair (store/parked.py).
REFUSED = {CALL_BACK: "call back", MOVE: "move to a volunteer"}


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
    waited = None
    if record is not None and record.started_at is not None and state.since is not None:
        waited = round(max(state.since - record.started_at, 0.0))
    return {
        "call_sid": state.caller_call_sid,
        "precinct": state.precinct,
        "precinct_name": precinct.name if precinct else None,
        "county": precinct.county if precinct else None,
        "verified_how": VERIFIED_HOW.get(state.verified_how or "", "PIN"),
        "waited_s": waited,
        "talking_for_s": None
        if state.since is None
        else round(max(services.clock.now() - state.since, 0.0)),
        "number": mask_number(number),
        "reported_by": precinct.reported_by if precinct else None,
        "same_precinct": same_precinct(services, volunteer_id, state.precinct),
    }


def same_precinct(services: Services, volunteer_id: str, precinct: str | None) -> list[str]:
    """Other calls for the precinct a volunteer is taking: two people may call for one
    precinct (a chair and a secretary, or the chair from two phones), and both are served.
    """
    if not precinct:
        return []
    others = []
    # A parked call still counts for its precinct (it keeps the precinct's place).
    parked = sum(chair.precinct == precinct for chair in services.store.parked.all())
    waiting = services.store.line.calls_for(precinct) - parked
    if waiting:
        others.append(f"{waiting} more waiting in line")
    if parked:
        others.append(f"{parked} parked (Twilio refused to put it through; the admins see to it)")
    for vid, other in services.store.dispatch.states().items():
        if (
            vid != volunteer_id
            and other.precinct == precinct
            and other.status in (TALKING, CONNECTING)
        ):
            others.append(f"one with volunteer {vid}")
    return others


def block_search_text(raw: str, region: str = "US") -> str:
    """What an admin typed to find a block, as the beginning of what the block list holds:
    a whole number as E.164 ("515-555-0100" is "+15155550100"), anything else as the first
    digits of an E.164 number ("+1515", "1515" and "+1515*" are all "+1515").
    """
    text = "".join(c for c in raw if c not in " -().").rstrip("*")
    if not text:
        return ""
    try:
        return normalise_block_target(text, region=region)
    except ValueError:
        pass
    digits = text.removeprefix("+")
    return "+" + digits if digits.isdigit() else ""


def page_state(
    services: Services, viewer: Viewer, block_query: str = "", form_secret: bytes | str = b""
) -> dict[str, Any]:
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
        card = state["volunteer"]["card"]
        # The results form: a section of its own, so the card's refreshes leave it alone.
        state["results"] = (
            call_form(services, viewer.user.name, card, form_secret) if card else None
        )
    if viewer.user.is_admin:
        state["admin"] = admin_state(services, block_query)
    return state


def block_row(block) -> dict[str, Any]:
    return {
        "target": block.target,
        "reason": block.reason,
        "author": block.author,
        "expires_at": block.expires_at,
    }


def blocks_state(services: Services, query: str) -> dict[str, Any]:
    """The newest blocks in force, or the ones an admin searched for: never the whole list,
    which a flood can make thousands long.
    """
    store = services.store
    text = block_search_text(query, services.settings.default_region) if query else ""
    if query:
        found = store.blocks.search(text, BLOCKS_SHOWN) if text else []
        shown, more = found[:BLOCKS_SHOWN], len(found) > BLOCKS_SHOWN
    else:
        shown, more = store.blocks.newest(BLOCKS_SHOWN), False
    return {
        "total": store.blocks.count(),
        "query": query,
        "searched_for": text,
        "rows": [block_row(b) for b in shown],
        "more": more,
    }


def admin_state(services: Services, block_query: str = "") -> dict[str, Any]:
    store = services.store
    states = store.dispatch.states()
    now = services.clock.now()
    return {
        "pin_alarm": alarm_notice(services),
        "waiting": [
            {
                "precinct": chair.precinct,
                "number": mask_number(chair.number),
                "verified_how": VERIFIED_HOW.get(chair.verified_how, chair.verified_how),
                "waited_s": round(max(now - chair.since, 0.0)),
                "calls_for_precinct": store.line.calls_for(chair.precinct),
            }
            for chair in store.line.waiting(limit=WAITING_SHOWN)
        ],
        "parked": [
            {
                "call_sid": chair.call_sid,
                "precinct": chair.precinct,
                "number": mask_number(chair.number),
                "refused": REFUSED.get(chair.refusal.what, chair.refusal.what),
                "reason": chair.refusal.message,
                "refusals": chair.refusals,
                "parked_s": round(max(now - chair.parked_at, 0.0)),
            }
            for chair in store.parked.all()
        ],
        "blocks": blocks_state(services, block_query),
        "recent": [
            {
                "call_sid": c.call_sid,
                "number": mask_number(c.number),
                "verdict": c.verdict,
                "reasons": list(c.reasons),
                "precinct": c.precinct,
                "started_at": c.started_at,
            }
            for c in store.calls.recent(RECENT_CALLS)
        ],
        "volunteers": [
            {
                "id": v.id,
                "name": v.name,
                "status": states[v.id].status if v.id in states else "offline",
                "precinct": states[v.id].precinct if v.id in states else None,
            }
            for v in store.volunteers.all()
        ],
    }
