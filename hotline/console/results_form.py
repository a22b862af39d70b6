"""The volunteer's results form: what it shows, and the report a posted form makes.

The form is in worksheet order (the election's candidates), shows the precinct's delegates
and viability threshold, and is pre-filled with what the chair keyed (the keypad draft),
else the precinct's latest stored version. The caucus math runs in the browser as the
volunteer types (static/caucus.js); the server checks again on save and decides.

Values are read as typed: blank is 0 (attendance blank is missing), 1 to 6 digits a whole
number, anything else stays text, so the checks name it ("attendance '4o' is not a whole
number"). The browser reads them the same way.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from hotline.caucus import iowa2020
from hotline.caucus.checks import check
from hotline.caucus.election import Election, load_election
from hotline.caucus.findings import Finding
from hotline.caucus.report import CoinToss, PrecinctReport

NUMBER = re.compile(r"^\d{1,6}$")
# How many coin tosses a form may carry (a precinct has at most a handful of ties).
MAX_TOSSES = 12


@functools.lru_cache(maxsize=4)
def election_named(name: str) -> Election:
    """The election definition, read once per process (it does not change while running)."""
    return load_election(name)


def read_value(text: str | None, *, blank: object = 0) -> object:
    text = (text or "").strip()
    if not text:
        return blank
    return int(text) if NUMBER.match(text) else text


def parse(form: Mapping[str, Any], election: Election, precinct: str) -> PrecinctReport:
    """The report a posted results form describes (counts of 0 left out)."""
    first: dict[str, object] = {}
    final: dict[str, object] = {}
    for candidate in election.candidates:
        for stage, counts in (("first", first), ("final", final)):
            value = read_value(form.get(f"{stage}-{candidate.key}"))
            if value != 0:
                counts[candidate.key] = value
    keys = {c.key for c in election.candidates}
    tosses = []
    getlist = getattr(form, "getlist", None)
    betweens = getlist("toss_between") if getlist else []
    winners = getlist("toss_winner") if getlist else []
    for between, winner in list(zip(betweens, winners, strict=False))[:MAX_TOSSES]:
        group = tuple(k for k in between.split(",") if k in keys)
        if len(group) > 1 and winner in group:
            tosses.append(CoinToss(group, winner))
    return PrecinctReport(
        precinct=precinct,
        attendance=read_value(form.get("attendance"), blank=None),  # type: ignore[arg-type]
        first=first,
        final=final,
        coin_tosses=tuple(tosses),
    )


def nonce(secret: bytes | str, *parts: object) -> str:
    """The form's idempotency key: the same form (same volunteer, call, precinct and latest
    version) gets the same one, so a double submit stores once and the page's polled
    section does not change with every render.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    message = "|".join(str(part) for part in parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def form_view(
    election: Election,
    precinct: str,
    report: PrecinctReport | None,
    *,
    mode: str,
    nonce: str,
    source: str = "",
    call_sid: str = "",
    findings: tuple[Finding, ...] | None = None,
    accepted: frozenset[str] = frozenset(),
    version: int | None = None,
    can_verify: bool = False,
) -> dict[str, Any]:
    """Everything the form template needs. With `report`, its figures are filled in and
    the server's allocation shown (what the page shows without JavaScript)."""
    rules = election.precinct(precinct)
    allocation = None
    if report is not None and rules is not None:
        allocation = iowa2020.allocate(report, rules)
    if findings is None:
        findings = check(report, election) if report is not None and _any(report) else ()
    rows = []
    for c in election.candidates:
        rows.append(
            {
                "key": c.key,
                "name": c.name,
                "first": _shown(report.first.get(c.key)) if report else "",
                "final": _shown(report.final.get(c.key)) if report else "",
                "delegates": allocation.delegates.get(c.key, 0) if allocation else 0,
                "sde": allocation.sdes.get(c.key, 0.0) if allocation else 0.0,
            }
        )
    names = {c.key: c.name for c in election.candidates}
    tosses = []
    for tie in allocation.ties if allocation else ():
        tosses.append(
            {
                "between": ",".join(tie.between),
                "label": " or ".join(names.get(k, k) for k in tie.between),
                "stake": tie.stake,
                "options": [(k, names.get(k, k)) for k in tie.between],
                "winner": tie.settled_by.winner if tie.settled_by else "",
            }
        )
    attendance = report.attendance if report is not None else None
    return {
        "mode": mode,
        "precinct": precinct,
        "name": rules.name if rules else None,
        "county": rules.county if rules else None,
        "delegates": rules.delegates if rules else None,
        "threshold": (
            iowa2020.viability_threshold(attendance, rules.delegates)
            if rules and isinstance(attendance, int) and attendance >= 0
            else None
        ),
        "attendance": "" if attendance is None else str(attendance),
        "rows": rows,
        "tosses": tosses,
        "findings": [
            {"message": f.message, "blocking": f.blocking, "accepted": f.message in accepted}
            for f in findings
        ],
        "nonce": nonce,
        "source": source,
        "call_sid": call_sid,
        "version": version,
        "can_verify": can_verify,
        "key": f"{mode}:{call_sid}:{precinct}:{nonce}",
        "math": json.dumps(
            {
                "name": election.name,
                "rules": election.rules,
                "candidates": [{"key": c.key, "name": c.name} for c in election.candidates],
                "precinct": precinct,
                "delegates": rules.delegates if rules else None,
                "sde_ratio": rules.sde_ratio if rules else None,
            }
        ),
    }


def _shown(value: object) -> str:
    return "" if value is None or value == 0 else str(value)


def _any(report: PrecinctReport) -> bool:
    return report.attendance not in (None, 0) or bool(report.first) or bool(report.final)


def call_form(services, user: str, card: Mapping[str, Any], secret: bytes | str) -> dict | None:
    """The form on the card of the chair a volunteer is serving, pre-filled with what the
    chair keyed (the keypad draft), else the precinct's latest stored version."""
    precinct = card.get("precinct")
    if not precinct:
        return None
    election = election_named(services.settings.election)
    results = services.store.results
    latest = results.latest(precinct)
    # This call's keying, else what a dropped call of the chair's left unfinished.
    draft = results.draft(precinct, card["call_sid"]) or results.unfinished_draft(
        precinct, other_than=card["call_sid"]
    )
    report, source = None, ""
    if draft is not None:
        report = draft.report(precinct)
        if draft.attendance is None:
            report = PrecinctReport(
                precinct,
                None,
                draft.first,
                draft.final,  # type: ignore[arg-type]
                draft.coin_tosses,
            )
        source = "Pre-filled with what the chair keyed on the phone."
    elif latest is not None:
        report = latest.report
        source = (
            f"Pre-filled with version {latest.version}, saved by {latest.author} "
            f"({latest.channel}): saving stores a new version."
        )
    version = latest.version if latest else 0
    return form_view(
        election,
        precinct,
        report,
        mode="call",
        source=source,
        call_sid=card["call_sid"],
        nonce=nonce(secret, user, card["call_sid"], precinct, version),
    )
