"""The plain `vote-count` kind: votes per candidate plus ballots cast (a primary).

A report's `attendance` is the ballots cast and its `final` mapping the votes per
candidate; `first` is not used. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hotline.caucus.findings import Finding
from hotline.caucus.report import PrecinctReport


def votes(report: PrecinctReport) -> Mapping[str, int]:
    return {key: count for key, count in report.final.items() if _whole(count) and count > 0}


def leaders(report: PrecinctReport) -> tuple[str, ...]:
    """The candidates with the most votes (more than one on a tie), in key order."""
    counted = votes(report)
    if not counted:
        return ()
    top = max(counted.values())
    return tuple(sorted(key for key, count in counted.items() if count == top))


def check_votes(report: PrecinctReport, name: Callable[[str], str]) -> list[Finding]:
    """Findings of the vote-count rules; `name` turns a candidate key into a display name."""
    findings = []
    ballots = report.attendance
    counted = votes(report)
    total = sum(counted.values())
    if not _whole(ballots) or ballots <= 0:
        if counted:
            findings.append(
                Finding.of("no-attendance", blocking=True, wording="no-ballots", total=total)
            )
        return findings
    for key, count in counted.items():
        if count > ballots:
            findings.append(
                Finding.of(
                    "count-above-attendance",
                    blocking=True,
                    wording="candidate-above-ballots",
                    name=name(key),
                    count=count,
                    ballots=ballots,
                )
            )
    if total > ballots:
        findings.append(
            Finding.of("votes-above-ballots", blocking=True, total=total, ballots=ballots)
        )
    if report.first:
        findings.append(Finding.of("first-not-used", blocking=False))
    return findings


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
