"""The night's figures from its records: the calls that started in the window and the audit
entries made in it. Pure: no Redis, no clock.

What counts as what (README, "The night's report"):

- Calls that came in are the inbound calls: on the chairs' line, and strangers on the
  volunteer line. Volunteers' own calls and the calls the hotline placed (calls back) are
  legs, not calls that came in. A call's verdict is the one recorded; a call that took the
  common path and has not ended yet has none recorded, and gets the one the call-end job
  will record, from the facts the call arrived with.
- A chair is a precinct proved on a call of the window (the PIN, the backup code, or a
  call back to the registered phone) that no volunteer flagged. A chair's calls are the
  calls that proved their precinct and every other call that came in from a number that
  proved it. Every other call that came in is a nuisance call, flagged calls included.
- A chair's wait runs from their first call until they were served: a volunteer answered
  a call for their precinct (one that came in, or the hotline's call back), or the
  precinct's report was stored (on the keypad or by a volunteer's form), whichever came
  first. A chair not served within the window counts until its end, so that a night that
  loses chairs never looks shorter. Their time to get in runs from the first call until
  the precinct was first proved.
- A nuisance call reached a volunteer when one answered it; the volunteer's time on it
  runs from the answer until the call ended (or the window's end).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hotline.night_report.window import Window
from hotline.report_text import percentile
from hotline.steps.verification import PIN_ALARM_AUTHOR
from hotline.store.audit import AuditEntry
from hotline.store.calls import CallRecord, facts_from_script
from hotline.triage import Policy, decide

# The legs that are not calls that came in: a volunteer's own call (its kind), and a call
# the hotline placed to prove someone or to put a waiting chair through (its verdict).
VOLUNTEER_LEG, CALL_BACK = "volunteer", "call-back"
# The verdicts a call that comes in gets, in the order the report lists them; "reject" is
# a number already blocked (the call never answered), "temp-block" and "block" block the
# number on that call.
VERDICTS = ("fast-track", "challenge", "divert", "temp-block", "block", "reject")
# Calls per minute are charted in these groups.
CHART_GROUPS = {
    "fast-track": "fast track",
    "challenge": "challenged",
    "divert": "diverted",
    "temp-block": "blocked",
    "block": "blocked",
    "reject": "rejected",
}
# Audit actions the timeline lists, as they read there.
TIMELINE = {
    "pin-alarm": "PIN alarm",
    "flood-on": "flood mode on",
    "flood-off": "flood mode off",
    "number-rotated": "number rotated",
}


@dataclass(frozen=True)
class Event:
    """A moment of the night worth a line of its own: an alarm, a switch, a rotation."""

    at: float
    what: str
    target: str
    author: str
    reason: str


@dataclass(frozen=True)
class NightReport:
    window: Window
    # Sections of figures, each a dict of named figures (JSON-friendly, like the
    # simulator's); "calls_by_verdict" and "nuisance_by_verdict" by verdict.
    figures: dict[str, dict[str, Any]]
    # Blocks made by people in the window, by author, most first.
    block_authors: dict[str, int]
    timeline: list[Event]
    # Calls that came in per minute of the window, by verdict group, and chairs waiting at
    # each minute: (minutes since the window's start, value) points for the charts.
    calls_per_minute: dict[str, list[tuple[float, int]]]
    chairs_waiting: list[tuple[float, int]]


@dataclass
class _Chair:
    first_at: float
    proved_at: float
    calls: int = 0
    called_back: bool = False
    answered_at: float | None = None
    reported_at: float | None = None

    @property
    def served_at(self) -> float | None:
        times = [t for t in (self.answered_at, self.reported_at) if t is not None]
        return min(times, default=None)


def night_figures(
    calls: Iterable[CallRecord], audit: Iterable[AuditEntry], window: Window, policy: Policy
) -> NightReport:
    """The report of the window from its calls (those that started in it; others are left
    out) and the audit entries made in it, with `policy` deciding the verdict of a call
    whose verdict is not recorded yet. A call of the window that a volunteer flagged is
    flagged whenever that was: `audit` may hold entries made after the window for that.
    """
    audit = list(audit)
    calls = [c for c in calls if c.started_at is not None and _within(c.started_at, window)]
    entries = [e for e in audit if _within(e.at, window)]
    by_action: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        by_action.setdefault(entry.action, []).append(entry)

    flagged = {e.details.get("call_sid") for e in audit if e.action == "flag"} - {None}
    came_in = [c for c in calls if _came_in(c)]
    verdicts = {c.call_sid: verdict_of(c, policy) for c in came_in}
    chairs = _chairs(calls, came_in, flagged, by_action.get("results-saved", []), window)
    chair_calls = {sid for chair_sids in chairs.values() for sid in chair_sids[1]}
    nuisance = [c for c in came_in if c.call_sid not in chair_calls]
    reached = [c for c in nuisance if c.answered_at is not None and c.answered_at < window.end]

    served = [chair for chair, _ in chairs.values()]
    blocks = by_action.get("block", [])
    people = Counter(e.author for e in blocks if not e.details.get("automatic"))
    figures = {
        "chairs": _chair_figures(served, window),
        "reports": _report_figures(by_action),
        "calls": {
            "count": len(came_in),
            "chairs": len(came_in) - len(nuisance),
            "calls_back": sum(1 for c in calls if c.verdict == CALL_BACK),
        },
        "calls_by_verdict": _by_verdict(came_in, verdicts),
        "nuisance": {
            "calls": len(nuisance),
            "reached_volunteer": len(reached),
            "flagged": sum(1 for c in nuisance if c.call_sid in flagged),
            "volunteer_seconds": round(sum(_talk(c, window) for c in reached), 1),
        },
        "nuisance_by_verdict": _by_verdict(nuisance, verdicts),
        "volunteers": {
            "count": len({c.volunteer for c in calls if c.kind == VOLUNTEER_LEG and c.volunteer}),
        },
        "blocks": {
            "made": len(blocks),
            "automatic": len(blocks) - people.total(),
            "by_people": people.total(),
            "lifted": len(by_action.get("unblock", [])),
        },
        "defence": _defence_figures(calls, by_action),
    }
    return NightReport(
        window=window,
        figures=figures,
        block_authors=dict(sorted(people.items(), key=lambda item: (-item[1], item[0]))),
        timeline=[
            Event(e.at, TIMELINE[e.action], e.target, e.author, e.reason)
            for e in entries
            if e.action in TIMELINE
        ],
        calls_per_minute=_per_minute(came_in, verdicts, window),
        chairs_waiting=_waiting(served, window),
    )


def _chair_figures(chairs: list[_Chair], window: Window) -> dict[str, Any]:
    waits = [(chair.served_at or window.end) - chair.first_at for chair in chairs]
    getting_in = [chair.proved_at - chair.first_at for chair in chairs]
    return {
        "count": len(chairs),
        "answered": sum(1 for c in chairs if c.answered_at is not None),
        "reported_alone": sum(
            1 for c in chairs if c.answered_at is None and c.reported_at is not None
        ),
        "not_served": sum(1 for c in chairs if c.served_at is None),
        "calls": sum(c.calls for c in chairs),
        "called_back": sum(1 for c in chairs if c.called_back),
        "wait_p50_s": round(percentile(waits, 50), 1),
        "wait_p90_s": round(percentile(waits, 90), 1),
        "wait_p99_s": round(percentile(waits, 99), 1),
        "wait_max_s": round(max(waits, default=0.0), 1),
        "get_in_p90_s": round(percentile(getting_in, 90), 1),
        "get_in_max_s": round(max(getting_in, default=0.0), 1),
    }


def _report_figures(by_action: dict[str, list[AuditEntry]]) -> dict[str, Any]:
    saved = by_action.get("results-saved", [])
    return {
        "stored": len(saved),
        "keypad": sum(1 for e in saved if e.details.get("channel") == "keypad"),
        "volunteer": sum(1 for e in saved if e.details.get("channel") == "volunteer"),
        "precincts": len({e.target for e in saved}),
        "corrections": sum(1 for e in saved if int(e.details.get("version", 1)) > 1),
        "verified": len(by_action.get("results-verified", [])),
    }


def _defence_figures(
    calls: list[CallRecord], by_action: dict[str, list[AuditEntry]]
) -> dict[str, Any]:
    flood_on = by_action.get("flood-on", [])
    return {
        "pin_failures": sum(c.pin_failures for c in calls),
        "pin_alarms": len(by_action.get("pin-alarm", [])),
        "flood_on": len(flood_on),
        "flood_on_by_alarm": sum(1 for e in flood_on if e.author == PIN_ALARM_AUTHOR),
        "rotations": len(by_action.get("number-rotated", [])),
    }


def verdict_of(record: CallRecord, policy: Policy) -> str:
    """The verdict recorded on a call, or, for a call on the common path whose end has not
    been processed yet, the one the call-end job will record (workers/call_end.py).
    """
    if record.verdict:
        return record.verdict
    return decide(facts_from_script(record.facts, record.request), policy).action.value


def _within(at: float, window: Window) -> bool:
    return window.start <= at < window.end


def _came_in(record: CallRecord) -> bool:
    return record.kind != VOLUNTEER_LEG and record.verdict != CALL_BACK


def _chairs(
    calls: list[CallRecord],
    came_in: list[CallRecord],
    flagged: set[str],
    saved: list[AuditEntry],
    window: Window,
) -> dict[str, tuple[_Chair, set[str]]]:
    """Each chair of the window by precinct, with the CallSids of the calls that came in
    that are theirs.
    """
    unflagged = [c for c in calls if c.call_sid not in flagged and c.kind != VOLUNTEER_LEG]
    proving: dict[str, list[CallRecord]] = {}
    numbers: dict[str, set[str]] = {}
    answers: dict[str, list[float]] = {}
    called_back: set[str] = set()
    for call in unflagged:
        if not call.precinct:
            continue
        if call.verified_at is not None:
            proving.setdefault(call.precinct, []).append(call)
            if call.number:
                numbers.setdefault(call.number, set()).add(call.precinct)
        if call.answered_at is not None and call.answered_at < window.end:
            answers.setdefault(call.precinct, []).append(call.answered_at)
        if call.verdict == CALL_BACK:
            called_back.add(call.precinct)
    theirs: dict[str, list[CallRecord]] = {}
    for call in came_in:
        if call.call_sid in flagged:
            continue
        precincts = set(numbers.get(call.number, ())) if call.number else set()
        if call.precinct and call.verified_at is not None:
            precincts.add(call.precinct)
        for precinct in precincts:
            theirs.setdefault(precinct, []).append(call)
    reports: dict[str, list[float]] = {}
    for entry in saved:
        reports.setdefault(entry.target, []).append(entry.at)

    chairs: dict[str, tuple[_Chair, set[str]]] = {}
    for precinct in sorted(proving):
        their_calls = theirs.get(precinct, [])
        first_at = min(c.started_at for c in [*proving[precinct], *their_calls])
        chair = _Chair(
            first_at=first_at,
            proved_at=min(c.verified_at for c in proving[precinct]),
            calls=len(their_calls),
            called_back=precinct in called_back,
            answered_at=min((t for t in answers.get(precinct, ()) if t >= first_at), default=None),
            reported_at=min((t for t in reports.get(precinct, ()) if t >= first_at), default=None),
        )
        chairs[precinct] = (chair, {c.call_sid for c in their_calls})
    return chairs


def _by_verdict(calls: list[CallRecord], verdicts: dict[str, str]) -> dict[str, int]:
    """Calls by verdict: every verdict of VERDICTS (0 when none), then any other that was
    recorded.
    """
    counts = Counter(verdicts[c.call_sid] for c in calls)
    others = sorted(set(counts) - set(VERDICTS))
    return {verdict: counts.get(verdict, 0) for verdict in (*VERDICTS, *others)}


def _talk(call: CallRecord, window: Window) -> float:
    end = min(call.ended_at if call.ended_at is not None else window.end, window.end)
    return max(end - call.answered_at, 0.0)


def _minutes(window: Window) -> int:
    return max(math.ceil((window.end - window.start) / 60), 1)


def _per_minute(
    calls: list[CallRecord], verdicts: dict[str, str], window: Window
) -> dict[str, list[tuple[float, int]]]:
    minutes = _minutes(window)
    groups = list(dict.fromkeys(CHART_GROUPS.values()))
    groups += sorted({verdicts[c.call_sid] for c in calls} - set(CHART_GROUPS))
    counts = {group: [0] * minutes for group in groups}
    for call in calls:
        verdict = verdicts[call.call_sid]
        minute = int((call.started_at - window.start) // 60)
        counts[CHART_GROUPS.get(verdict, verdict)][minute] += 1
    return {group: [(float(m), n) for m, n in enumerate(line)] for group, line in counts.items()}


def _waiting(chairs: list[_Chair], window: Window) -> list[tuple[float, int]]:
    """Chairs waiting at the start of each minute of the window."""
    points = []
    for minute in range(_minutes(window)):
        at = window.start + minute * 60
        waiting = sum(1 for c in chairs if c.first_at <= at < (c.served_at or window.end))
        points.append((float(minute), waiting))
    return points
