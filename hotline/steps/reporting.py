"""Reporting results on the keypad: the steps behind hotline/voice/keypad_report.py.

The routes parse the keypad and answer TwiML; what was keyed lives in the call's draft
(store/results.py), never in a URL, so a dropped call is resumed on the chair's next call.
The caucus math and the checks are hotline/caucus's; a report is stored only when no
blocking finding remains, and the chair confirmed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from hotline.caucus import iowa2020
from hotline.caucus.checks import check
from hotline.caucus.election import Candidate, Election, load_election
from hotline.caucus.findings import Finding
from hotline.caucus.report import CoinToss, PrecinctReport
from hotline.phone import mask_number
from hotline.services import Services
from hotline.steps import holding
from hotline.steps.verification import Caller
from hotline.store.results import Draft, StoredReport

# Counts a chair may key: no precinct caucus holds ten thousand people.
MAX_COUNT = 9999
_GROUP = re.compile(r"^(\d{1,3})\*(\d{1,5})$")
_NUMBER = re.compile(r"^\d{1,5}$")
STAGES = ("first", "final")


@lru_cache(maxsize=4)
def election_named(name: str) -> Election:
    """The election, loaded once per process (the roster file behind it is large)."""
    return load_election(name)


def election(svc: Services) -> Election:
    return election_named(svc.settings.election)


# Parsing (pure)


@dataclass(frozen=True)
class Entry:
    """One keyed group: a candidate and a count (0 takes the group out)."""

    candidate: Candidate
    count: int


@dataclass(frozen=True)
class Problem:
    """Why a keyed answer was not taken, as a prompt name and its fields."""

    prompt: str
    fields: dict[str, str]


def parse_attendance(digits: str) -> int | Problem:
    if not _NUMBER.fullmatch(digits):
        return Problem("report_bad_number", {})
    count = int(digits)
    if count < 1 or count > MAX_COUNT:
        return Problem("report_bad_attendance", {"count": str(count), "most": str(MAX_COUNT)})
    return count


def parse_group(digits: str, election: Election, attendance: int) -> Entry | Problem:
    match = _GROUP.fullmatch(digits)
    if not match:
        return Problem("report_bad_group", {})
    number, count = int(match.group(1)), int(match.group(2))
    candidate = election.by_keypad(number)
    if candidate is None:
        return Problem("report_unknown_candidate", {"number": str(number)})
    if count > attendance or count > MAX_COUNT:
        return Problem(
            "report_count_too_high",
            {"count": str(count), "name": candidate.name, "attendance": str(attendance)},
        )
    return Entry(candidate, count)


def parse_count(digits: str, attendance: int | None) -> int | Problem:
    if not _NUMBER.fullmatch(digits):
        return Problem("report_bad_number", {})
    count = int(digits)
    limit = min(attendance or MAX_COUNT, MAX_COUNT)
    if count > limit:
        return Problem("report_count_above", {"count": str(count), "most": str(limit)})
    return count


# The draft


def current(svc: Services, precinct: str, caller: Caller) -> Draft | None:
    """What this call has keyed (None if nothing, or if another call took it over)."""
    return svc.store.results.draft(precinct, caller.call_sid)


def taken_over(svc: Services, precinct: str, caller: Caller) -> bool:
    return svc.store.results.taken_over(precinct, caller.call_sid)


def unfinished(svc: Services, precinct: str, caller: Caller) -> Draft | None:
    """The report another call left unfinished (a dropped call, most likely), unless a
    report of the precinct was stored since it was last keyed.
    """
    return svc.store.results.unfinished_draft(precinct, other_than=caller.call_sid)


def keep(
    svc: Services, precinct: str, caller: Caller, draft: Draft, *, taking_over: str | None = None
) -> Draft:
    draft = replace(draft, call_sid=caller.call_sid, updated_at=svc.clock.now())
    svc.store.results.save_draft(
        precinct, draft, svc.settings.results_draft_ttl_s, taking_over=taking_over
    )
    return draft


def begin(svc: Services, caller: Caller, precinct: str, left: Draft | None = None) -> Draft:
    """The chair chose the keypad: out of the priority line (they are not waiting for a
    volunteer), and a draft to key into: a new one, or `left`, a report another call left
    unfinished, when the chair chose to continue it. This call takes that one over: no
    other call goes on keying it. A new report leaves every other call's draft as it is
    (another phone may still be keying one).
    """
    svc.store.line.step_out(caller.call_sid)
    if left is None:
        return keep(svc, precinct, caller, Draft(call_sid=caller.call_sid))
    return keep(svc, precinct, caller, left, taking_over=left.call_sid)


def to_volunteer(svc: Services, caller: Caller, precinct: str) -> None:
    """The chair wants a volunteer after all: back in the line, at the place of their
    arrival; the draft stays for the volunteer's card.
    """
    holding.back_in_line(svc, caller, precinct, how="keypad-report")


def with_count(draft: Draft, stage: str, key: str, count: int) -> Draft:
    counts = dict(getattr(draft, stage))
    if count:
        counts[key] = count
    else:
        counts.pop(key, None)
    # A changed count may change who tied: the tosses are asked again.
    return replace(draft, coin_tosses=(), **{stage: counts})


# Review


@dataclass(frozen=True)
class Review:
    report: PrecinctReport
    allocation: iowa2020.Allocation | None
    findings: tuple[Finding, ...]

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        # An unsettled toss is asked about, never read out as a warning.
        return tuple(f for f in self.findings if not f.blocking and f.code != "unsettled-coin-toss")

    @property
    def toss(self) -> iowa2020.Tie | None:
        unsettled = self.allocation.unsettled if self.allocation else ()
        return unsettled[0] if unsettled else None


def review(svc: Services, precinct: str, draft: Draft) -> Review:
    chosen = election(svc)
    report = draft.report(precinct)
    rules = chosen.precinct(precinct)
    allocation = iowa2020.allocate(report, rules) if rules is not None else None
    return Review(report, allocation, check(report, chosen))


def with_toss(draft: Draft, between: tuple[str, ...], winner: str) -> Draft:
    return replace(draft, coin_tosses=(*draft.coin_tosses, CoinToss(between, winner)))


def confirm(
    svc: Services, caller: Caller, precinct: str, draft: Draft, idempotency_key: str
) -> StoredReport | Review:
    """Store the draft as the precinct's next version (the draft deleted with it, in one
    transaction), or the review that refuses it.
    """
    checked = review(svc, precinct, draft)
    if checked.blocking or checked.toss is not None:
        return checked
    stored = svc.store.results.save(
        checked.report,
        channel="keypad",
        author=f"keypad:{mask_number(caller.number)}",
        now=svc.clock.now(),
        findings=checked.findings,
        idempotency_key=idempotency_key,
        draft_of=caller.call_sid,
    )
    return stored
