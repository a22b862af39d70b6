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
from dataclasses import dataclass

from hotline.caucus import iowa2020, votecount
from hotline.caucus.election import Election, PrecinctRules
from hotline.caucus.findings import Finding
from hotline.caucus.report import PrecinctReport

__all__ = ["Finding", "SdeDifference", "check", "check_counts", "delegate_count"]

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
            Finding(
                "unknown-precinct",
                f"precinct {report.precinct!r} is not in the {election.name} election",
                blocking=True,
                figures={"precinct": repr(report.precinct), "election": election.name},
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
            Finding(
                "bad-count",
                f"attendance {report.attendance!r} is not a whole number of at least 0",
                blocking=True,
                wording="bad-attendance",
                figures={"attendance": repr(report.attendance)},
            )
        )
    for stage, counts in (("first", report.first), ("final", report.final)):
        for key, count in sorted(counts.items()):
            if election.candidate(key) is None:
                findings.append(
                    Finding(
                        "unknown-candidate",
                        f"{stage} alignment names {key!r}, not a candidate",
                        blocking=True,
                        figures={"stage": stage, "key": repr(key)},
                    )
                )
            if not _whole(count) or count < 0:
                findings.append(
                    Finding(
                        "bad-count",
                        f"{stage} alignment: {name(key)}'s count "
                        f"{count!r} is not a whole number of at least 0",
                        blocking=True,
                        figures={"stage": stage, "name": name(key), "count": repr(count)},
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
        if first or final:
            findings.append(
                Finding(
                    "no-attendance",
                    "groups are reported but attendance is "
                    f"{'missing' if attendance is None else attendance}",
                    blocking=True,
                    wording="no-attendance" if attendance is None else "zero-attendance",
                    figures={} if attendance is None else {"attendance": attendance},
                )
            )
        return findings
    for stage, counts in (("first", first), ("final", final)):
        for key, count in counts.items():
            if count > attendance:
                findings.append(
                    Finding(
                        "count-above-attendance",
                        f"{stage} alignment: "
                        f"{name(key)} has {count}, more than the {attendance} "
                        "attendees",
                        blocking=True,
                        figures={
                            "stage": stage,
                            "name": name(key),
                            "count": count,
                            "attendance": attendance,
                        },
                    )
                )
    if first_total > attendance:
        findings.append(
            Finding(
                "first-above-attendance",
                f"the first alignment adds up to "
                f"{first_total}, more than the {attendance} attendees",
                blocking=True,
                figures={"first_total": first_total, "attendance": attendance},
            )
        )
    elif first_total < attendance:
        findings.append(
            Finding(
                "first-below-attendance",
                f"the first alignment adds up to "
                f"{first_total}, fewer than the {attendance} attendees (people "
                "may leave)",
                blocking=False,
                figures={"first_total": first_total, "attendance": attendance},
            )
        )
    if final_total > first_total:
        findings.append(
            Finding(
                "final-above-first",
                f"the final alignment adds up to "
                f"{final_total}, more than the first's {first_total}",
                blocking=True,
                figures={"final_total": final_total, "first_total": first_total},
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
            Finding(
                "unsettled-coin-toss",
                f"{_names(tie.between, name)} tie for {tie.stake}: no coin toss recorded",
                blocking=False,
                figures={"names": tuple(name(key) for key in tie.between), "stake": tie.stake},
            )
        )
    given = sum(allocation.delegates.values())
    if allocation.viable and not allocation.unsettled and given != rules.delegates:
        crowded = len(allocation.viable) > rules.delegates
        more = " (more viable groups than delegates: each viable group gets one)" if crowded else ""
        findings.append(
            Finding(
                "delegate-total",
                f"{len(allocation.viable)} viable groups "
                f"get {given} delegates, not the precinct's "
                f"{rules.delegates}{more}",
                blocking=False,
                wording="delegate-total-crowded" if crowded else "delegate-total",
                figures={
                    "viable": len(allocation.viable),
                    "given": given,
                    "delegates": rules.delegates,
                },
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
                Finding(
                    "locked-group-shrank",
                    f"{name(key)} was viable at first "
                    f"with {before} but has {after} at the final alignment "
                    "(viable groups are locked)",
                    blocking=True,
                    figures={"name": name(key), "before": before, "after": after},
                )
            )
        # Possible, not impossible: members of a group still not viable after realignment
        # may stay in it (the 2020 worksheet records them); they elect no delegate.
        if 0 < after < threshold:
            findings.append(
                Finding(
                    "final-below-threshold",
                    f"{name(key)} has {after} at the "
                    f"final alignment, below the viability threshold of "
                    f"{threshold}: no delegate",
                    blocking=False,
                    figures={"name": name(key), "after": after, "threshold": threshold},
                )
            )
        if after - before > realigners:
            findings.append(
                Finding(
                    "grew-past-realigners",
                    f"{name(key)} grew from {before} "
                    f"to {after}, more than the {realigners} people in groups "
                    "not viable at first could give",
                    blocking=False,
                    figures={
                        "name": name(key),
                        "before": before,
                        "after": after,
                        "realigners": realigners,
                    },
                )
            )
    return findings


@dataclass(frozen=True)
class SdeDifference:
    """One candidate's published SDEs that differ from the computed ones (a figure of the
    published-differs finding)."""

    name: str
    shown: float
    computed: float
    delegates: int  # computed
    shown_delegates: float | None  # what the published SDEs come to; None without a ratio

    def __str__(self) -> str:
        shown_delegates = (
            f" ({_delegates(self.shown_delegates)})" if self.shown_delegates is not None else ""
        )
        return (
            f"{self.name} {self.shown:.4f}{shown_delegates} published, "
            f"{self.computed:.4f} ({_delegates(self.delegates)}) computed"
        )


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
    return [
        Finding(
            "published-differs",
            "published SDEs differ from the computed ones: "
            + "; ".join(str(difference) for difference in differences),
            blocking=False,
            figures={"differences": tuple(differences)},
        )
    ]


def delegate_count(n: float) -> int | str:
    """A number of delegates as it is told: whole when it is one (to rounding), else to
    hundredths ("2.50")."""
    return round(n) if abs(n - round(n)) < 0.01 else f"{n:.2f}"


def _delegates(n: float) -> str:
    count = delegate_count(n)
    return f"{count} delegate" if count == 1 else f"{count} delegates"


def _names(keys: tuple[str, ...], name) -> str:
    names = [name(key) for key in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _counted(counts: Mapping[str, object]) -> dict[str, int]:
    return {key: count for key, count in counts.items() if _whole(count) and count > 0}


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
