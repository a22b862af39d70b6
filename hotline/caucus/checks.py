"""Checking a precinct's report: every inconsistency as a reason an admin can read.

Blocking findings are impossible under the rules (the report cannot be stored as it is);
warnings are suspicious but possible, and a person may accept them. The 2020 Iowa rules
checked here are those of hotline/caucus/iowa2020.py (Iowa Democratic Party, 2020 Delegate
Selection Plan and Caucus Guide): the first alignment is locked for viable groups, only
members of non-viable groups realign, so the final total cannot exceed the first and a
group viable at first cannot shrink. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline.caucus import iowa2020, votecount
from hotline.caucus.election import Election, PrecinctRules
from hotline.caucus.findings import Finding
from hotline.caucus.report import PrecinctReport
from hotline.caucus.wording import SdeDifference

__all__ = ["Finding", "check", "check_counts"]

# Published SDEs carry 4 decimals; a difference beyond this is not rounding.
SDE_TOLERANCE = 0.00015


def check(
    report: PrecinctReport, election: Election, published: Mapping[str, float] | None = None
) -> tuple[Finding, ...]:
    """Every finding of `report` under the election's rules.

    `published`: SDEs per candidate as published (by the party, say); where given, a
    difference from the computed SDEs is a warning.
    """
    rules = election.precinct(report.precinct)
    findings: list[Finding] = []
    if rules is None:
        findings.append(
            Finding.of(
                "unknown-precinct",
                blocking=True,
                precinct=repr(report.precinct),
                election=election.name,
            )
        )
    findings.extend(check_counts(report, election, rules, published))
    return tuple(findings)


def check_counts(
    report: PrecinctReport,
    election: Election,
    rules: PrecinctRules | None,
    published: Mapping[str, float] | None = None,
) -> list[Finding]:
    """The findings under the election's rules; with no precinct rules (a satellite caucus
    not on the roster, say) only those that need no delegates."""
    name = _namer(election)
    findings = _bad_counts(report, election, name)
    if election.rules == "vote-count":
        return findings + votecount.check_votes(report, name)
    return findings + _iowa_2020(report, election, rules, published, name)


def _namer(election: Election):
    def name(key: str) -> str:
        candidate = election.candidate(key)
        return candidate.name if candidate else repr(key)

    return name


def _bad_counts(report: PrecinctReport, election: Election, name) -> list[Finding]:
    findings = []
    if (
        report.attendance is not None
        and not _whole(report.attendance)
        or (_whole(report.attendance) and report.attendance < 0)
    ):
        findings.append(
            Finding.of(
                "bad-count",
                blocking=True,
                wording="bad-attendance",
                attendance=repr(report.attendance),
            )
        )
    for stage, counts in (("first", report.first), ("final", report.final)):
        for key, count in sorted(counts.items()):
            if election.candidate(key) is None:
                findings.append(
                    Finding.of("unknown-candidate", blocking=True, stage=stage, key=repr(key))
                )
            if not _whole(count) or count < 0:
                findings.append(
                    Finding.of(
                        "bad-count", blocking=True, stage=stage, name=name(key), count=repr(count)
                    )
                )
    return findings


def _iowa_2020(
    report: PrecinctReport,
    election: Election,
    rules: PrecinctRules | None,
    published: Mapping[str, float] | None,
    name,
) -> list[Finding]:
    findings: list[Finding] = []
    first = _counted(report.first)
    final = _counted(report.final)
    first_total, final_total = sum(first.values()), sum(final.values())
    attendance = report.attendance if _whole(report.attendance) else None
    if not attendance or attendance < 0:
        if (first or final) and attendance is None:
            findings.append(Finding.of("no-attendance", blocking=True))
        elif first or final:
            findings.append(
                Finding.of(
                    "no-attendance", blocking=True, wording="zero-attendance", attendance=attendance
                )
            )
        return findings
    for stage, counts in (("first", first), ("final", final)):
        for key, count in counts.items():
            if count > attendance:
                findings.append(
                    Finding.of(
                        "count-above-attendance",
                        blocking=True,
                        stage=stage,
                        name=name(key),
                        count=count,
                        attendance=attendance,
                    )
                )
    if first_total > attendance:
        findings.append(
            Finding.of(
                "first-above-attendance",
                blocking=True,
                first_total=first_total,
                attendance=attendance,
            )
        )
    elif first_total < attendance:
        findings.append(
            Finding.of(
                "first-below-attendance",
                blocking=False,
                first_total=first_total,
                attendance=attendance,
            )
        )
    if final_total > first_total:
        findings.append(
            Finding.of(
                "final-above-first", blocking=True, final_total=final_total, first_total=first_total
            )
        )
    if rules is None or rules.delegates == 0:
        return findings
    threshold = iowa2020.viability_threshold(attendance, rules.delegates)
    if threshold is not None:
        findings.extend(_viability(first, final, threshold, name))
    allocation = iowa2020.allocate(report, rules)
    for tie in allocation.unsettled:
        findings.append(
            Finding.of(
                "unsettled-coin-toss",
                blocking=False,
                names=tuple(name(key) for key in tie.between),
                stake=tie.stake,
            )
        )
    given = sum(allocation.delegates.values())
    if allocation.viable and not allocation.unsettled and given != rules.delegates:
        crowded = len(allocation.viable) > rules.delegates
        findings.append(
            Finding.of(
                "delegate-total",
                blocking=False,
                wording="delegate-total-crowded" if crowded else "delegate-total",
                viable=len(allocation.viable),
                given=given,
                delegates=rules.delegates,
            )
        )
    if published is not None:
        findings.extend(_published(allocation, rules, published, name))
    return findings


def _viability(first: dict[str, int], final: dict[str, int], threshold: int, name) -> list[Finding]:
    findings = []
    # Only members of groups not viable at first may realign: that is all a group can gain.
    realigners = sum(count for count in first.values() if count < threshold)
    for key in sorted(set(first) | set(final)):
        before, after = first.get(key, 0), final.get(key, 0)
        if before >= threshold and after < before:
            findings.append(
                Finding.of(
                    "locked-group-shrank", blocking=True, name=name(key), before=before, after=after
                )
            )
        # Possible, not impossible: members of a group still not viable after realignment
        # may stay in it (the 2020 worksheet records them); they elect no delegate.
        if 0 < after < threshold:
            findings.append(
                Finding.of(
                    "final-below-threshold",
                    blocking=False,
                    name=name(key),
                    after=after,
                    threshold=threshold,
                )
            )
        if after - before > realigners:
            findings.append(
                Finding.of(
                    "grew-past-realigners",
                    blocking=False,
                    name=name(key),
                    before=before,
                    after=after,
                    realigners=realigners,
                )
            )
    return findings


def _published(
    allocation: iowa2020.Allocation, rules: PrecinctRules, published: Mapping[str, float], name
) -> list[Finding]:
    differences = []
    for key in sorted(set(published) | set(allocation.sdes)):
        shown, computed = published.get(key, 0.0), allocation.sdes.get(key, 0.0)
        if abs(shown - computed) > SDE_TOLERANCE:
            differences.append(
                SdeDifference(
                    name(key),
                    shown,
                    computed,
                    allocation.delegates.get(key, 0),
                    shown / rules.sde_ratio if rules.sde_ratio else None,
                )
            )
    if not differences:
        return []
    return [Finding.of("published-differs", blocking=False, differences=tuple(differences))]


def _counted(counts: Mapping[str, object]) -> dict[str, int]:
    return {key: count for key, count in counts.items() if _whole(count) and count > 0}


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
