"""What a night was like for the people in it: the figures, and the side-by-side report.

Waits are what a chair lived through: from their first call until a volunteer
answered (or, for a chair who keyed their report, until it was stored), across
hang-ups and calls back. A chair who never got through
counts with the time from their first call until they gave up (or the
simulation ended), so a policy cannot look better by losing chairs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hotline.caucus.checks import check
from hotline.caucus.report import PrecinctReport
from hotline.report_text import clock_text as clock_text
from hotline.report_text import percentile, render_table
from hotline.sim.night import Night
from hotline.sim.worksheets import IOWA_2020, keyed_count
from hotline.steps.reporting import election_named
from hotline.store.numbers import DELIVERED, FAILED

POLICY_TITLES = {
    "triage": "Hotline",
    "fifo": "2020 line",
    "calm": "calm night",
}


def figures(night: Night) -> dict[str, Any]:
    end = night.ends_at
    waits, getting_in = [], []
    for chair in night.chairs:
        if chair.first_call_at is None:
            continue
        # Answered by a volunteer, or done on the keypad without one.
        until = chair.answered_at or chair.reported_at or chair.gave_up_at or end
        waits.append(until - chair.first_call_at)
        getting_in.append((chair.verified_at or until) - chair.first_call_at)
    on_duty = [
        (volunteer.on_duty_at or end) - volunteer.starts_at for volunteer in night.volunteers
    ]
    checks = [count for hour in night.pin_checks.values() for count in hour.values()]
    nuisance_calls = [call for caller in night.nuisance for call in caller.calls]
    info_calls = [call for caller in night.info for call in caller.calls]
    return {
        "chairs": {
            "count": sum(1 for c in night.chairs if c.first_call_at is not None),
            "answered": sum(1 for c in night.chairs if c.answered_at is not None),
            "abandoned": sum(
                1
                for c in night.chairs
                if c.first_call_at is not None and c.answered_at is None and c.reported_at is None
            ),
            "calls": sum(len(c.calls) for c in night.chairs),
            "called_back": sum(1 for c in night.chairs if c.booked_callback),
            "wait_p50_s": round(percentile(waits, 50), 1),
            "wait_p90_s": round(percentile(waits, 90), 1),
            "wait_p99_s": round(percentile(waits, 99), 1),
            "wait_max_s": round(max(waits, default=0.0), 1),
            # From the first call until proved (on hold in the line).
            "get_in_p50_s": round(percentile(getting_in, 50), 1),
            "get_in_p90_s": round(percentile(getting_in, 90), 1),
            "get_in_max_s": round(max(getting_in, default=0.0), 1),
        },
        "nuisance": {
            "numbers": len(night.nuisance),
            "calls": len(nuisance_calls),
            "rejected": sum(1 for c in nuisance_calls if c.outcome == "rejected"),
            "diverted": sum(1 for c in nuisance_calls if c.outcome == "diverted"),
            "reached_volunteer": sum(1 for c in nuisance_calls if c.connected_at is not None),
        },
        "info": {
            "calls": len(info_calls),
            "reached_volunteer": sum(1 for c in info_calls if c.connected_at is not None),
        },
        "volunteers": {
            "count": night.scenario.volunteers.count,
            "chair_seconds": _talk_seconds(night, "chair"),
            "nuisance_seconds": _talk_seconds(night, "nuisance"),
            "info_seconds": _talk_seconds(night, "info"),
            # From their first call until on duty in their room (volunteers who phone in).
            "get_in_max_s": round(max(on_duty, default=0.0), 1),
        },
        "attacks": {
            "guesses": sum(caller.guesses for caller in night.nuisance),
            "pin_checks": sum(checks),
            # The most PIN checks against one precinct or volunteer in one clock hour.
            "pin_checks_peak": max(checks, default=0),
            "pin_successes": sum(caller.pin_successes for caller in night.nuisance),
            # Expected successes over the night at most, by the PIN defence's bound.
            "success_bound": None if night.success_bound is None else round(night.success_bound, 6),
        },
        "reports": _reports(night),
        **({"rotation": _rotation(night)} if night.rotation is not None else {}),
        "run": {"wall_s": round(night.wall_s, 2), "webhooks": night.network.webhooks},
    }


def _reports(night: Night) -> dict[str, Any]:
    """The chairs' reports: how they were taken, what a volunteer spent on each, what was
    stored (Hotline's nights: read back from the app's store and checked again), and each
    chair's time to report, from their first call until their report was taken (stored,
    or, on the 2020 line and where the checks hold a volunteer's form back, the end of the
    conversation); a chair whose report was never taken counts until they gave up or the
    night ended, as waits do.
    """
    end = night.ends_at
    calling = [chair for chair in night.chairs if chair.first_call_at is not None]
    to_report = [
        (chair.reported_at or chair.gave_up_at or end) - chair.first_call_at for chair in calling
    ]
    by_channel = {
        channel: sum(1 for chair in calling if chair.report_channel == channel)
        for channel in ("keypad", "volunteer")
    }
    sheets = {chair.spec.precinct: chair.spec.worksheet for chair in night.chairs}
    versions = [stored for kept in night.stored.values() for stored in kept]
    election = election_named(IOWA_2020)
    minutes = _talk_seconds(night, "chair") / 60
    # The 2020 line has no store: what its volunteers wrote down never reached it.
    stores = night.policy != "fifo"
    return {
        "taken": sum(by_channel.values()),
        "keypad": by_channel["keypad"],
        "volunteer": by_channel["volunteer"],
        "volunteer_minutes_per_report": round(minutes / by_channel["volunteer"], 2)
        if by_channel["volunteer"]
        else 0.0,
        "stored": len(night.stored) if stores else None,
        "held_back": night.held_back if stores else None,
        "stored_blocking": sum(
            1
            for stored in versions
            if any(f.blocking for f in stored.findings)
            or any(f.blocking for f in check(stored.report, election))
        )
        if stores
        else None,
        "keypad_mistakes": sum(chair.keypad.made_mistakes for chair in calling),
        "keypad_uncaught": sum(
            1
            for stored in versions
            if stored.channel == "keypad"
            and not _as_keyed(stored.report, sheets.get(stored.precinct))
        )
        if stores
        else None,
        "time_p50_s": round(percentile(to_report, 50), 1),
        "time_p90_s": round(percentile(to_report, 90), 1),
        "time_max_s": round(max(to_report, default=0.0), 1),
    }


def _rotation(night: Night) -> dict[str, Any]:
    """What the rotation did: when, the texts to chairs (how many, delivered, failed, and
    how long after the rotation the last was delivered), the chairs who then called the new
    number, those turned away at the old one (a chair with no registered phone is never
    texted), and the nuisance calls to the old number after it.
    """
    rotation = night.rotation
    assert rotation is not None
    old = set(rotation.old)
    delivered = [text.at for text in night.texts if text.status in DELIVERED and text.at]

    def after(call) -> bool:
        return call.to in old and call.created_at >= rotation.at

    nuisance_after = [c for caller in night.nuisance for c in caller.calls if after(c)]
    return {
        "at_s": round(rotation.at - night.starts_at, 1),
        "chairs_texted": rotation.chairs,
        "texts_delivered": len(delivered),
        "texts_failed": sum(1 for text in night.texts if text.status in FAILED),
        "last_text_s": round(max(delivered) - rotation.at, 1) if delivered else 0.0,
        "chairs_on_new_number": sum(
            1 for chair in night.chairs if any(c.to == rotation.new for c in chair.calls)
        ),
        "chairs_turned_away": sum(
            1
            for chair in night.chairs
            if any(after(c) and c.outcome == "diverted" for c in chair.calls)
        ),
        "nuisance_calls_after": len(nuisance_after),
    }


def _as_keyed(stored: PrecinctReport, sheet: PrecinctReport | None) -> bool:
    """The stored report says what the worksheet says (counts as a chair keys them)."""
    if sheet is None:
        return False

    def counts(mapping) -> dict[str, int]:
        return {key: keyed_count(n) for key, n in mapping.items() if keyed_count(n)}

    return (
        keyed_count(stored.attendance) == keyed_count(sheet.attendance)
        and counts(stored.first) == counts(sheet.first)
        and counts(stored.final) == counts(sheet.final)
    )


def _talk_seconds(night: Night, kind: str) -> float:
    """Volunteer time one kind of caller took: from being put through until the call
    ended, calls back included.
    """
    return round(
        sum(
            call.ended_at - call.connected_at
            for call in night.network.calls.values()
            if call.agent.kind == kind
            and call.connected_at is not None
            and call.ended_at is not None
        ),
        1,
    )


ROWS: list[tuple[str, str, str]] = [
    ("Chairs who called", "chairs", "count"),
    ("  answered by a volunteer", "chairs", "answered"),
    ("  gave up", "chairs", "abandoned"),
    ("  calls placed", "chairs", "calls"),
    ("  asked to be called back", "chairs", "called_back"),
    ("  wait, median", "chairs", "wait_p50_s"),
    ("  wait, 90th percentile", "chairs", "wait_p90_s"),
    ("  wait, 99th percentile", "chairs", "wait_p99_s"),
    ("  wait, longest", "chairs", "wait_max_s"),
    ("  time to get in, 90th pct", "chairs", "get_in_p90_s"),
    ("  time to get in, longest", "chairs", "get_in_max_s"),
    ("Reports taken", "reports", "taken"),
    ("  on the keypad", "reports", "keypad"),
    ("  by a volunteer", "reports", "volunteer"),
    ("  volunteer minutes per report", "reports", "volunteer_minutes_per_report"),
    ("  stored", "reports", "stored"),
    ("  held back by the checks", "reports", "held_back"),
    ("  stored with a blocking error", "reports", "stored_blocking"),
    ("  keypad mistakes made", "reports", "keypad_mistakes"),
    ("  keypad mistakes stored", "reports", "keypad_uncaught"),
    ("  time to report, median", "reports", "time_p50_s"),
    ("  time to report, 90th pct", "reports", "time_p90_s"),
    ("  time to report, longest", "reports", "time_max_s"),
    ("Nuisance calls placed", "nuisance", "calls"),
    ("  rejected unanswered", "nuisance", "rejected"),
    ("  diverted to a message", "nuisance", "diverted"),
    ("  reached a volunteer", "nuisance", "reached_volunteer"),
    ("Information calls", "info", "calls"),
    ("  reached a volunteer", "info", "reached_volunteer"),
    ("Volunteers", "volunteers", "count"),
    ("  time on nuisance calls", "volunteers", "nuisance_seconds"),
    ("  time on information calls", "volunteers", "info_seconds"),
    ("  time to get on duty, longest", "volunteers", "get_in_max_s"),
    ("PINs and backup codes guessed", "attacks", "guesses"),
    ("PIN checks made", "attacks", "pin_checks"),
    ("  most on one target in an hour", "attacks", "pin_checks_peak"),
    ("PIN guesses that got in", "attacks", "pin_successes"),
    ("  expected at most (the bound)", "attacks", "success_bound"),
]


# Nights with a leak: what rotating the number did (Hotline's run only).
ROTATION_ROWS: list[tuple[str, str, str]] = [
    ("Number rotated at", "rotation", "at_s"),
    ("  chairs texted the new number", "rotation", "chairs_texted"),
    ("  texts delivered", "rotation", "texts_delivered"),
    ("  texts failed", "rotation", "texts_failed"),
    ("  last text delivered after", "rotation", "last_text_s"),
    ("  chairs calling the new number", "rotation", "chairs_on_new_number"),
    ("  chairs turned away at the old", "rotation", "chairs_turned_away"),
    ("  nuisance calls to the old", "rotation", "nuisance_calls_after"),
]


def render(results: dict[str, dict[str, Any]], *, title: str) -> str:
    columns = {POLICY_TITLES.get(policy, policy): figures for policy, figures in results.items()}
    rotated = any("rotation" in figures for figures in results.values())
    return render_table(columns, ROWS + (ROTATION_ROWS if rotated else []), title=title)


def write_json(path: Path, results: dict[str, dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return path
