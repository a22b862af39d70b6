"""The party's published results file, read into reports and checked (`hotline results check`).

The shape is that of hotline/data/iowa-2020/results-2020-02-08.csv (Iowa Democratic Party,
8 February 2020): three header rows (the stage: First Expression, Final Expression, SDE;
the candidate names; then County, Precinct), then one row per precinct with, for each
candidate in worksheet order, the first and final expression and the SDEs. County total
rows (Precinct "Total") are skipped. A last column headed Status, as `hotline results
export` writes, is read past.

- Attendance is not published: it is taken as the first expression's total (so a report
  here can never have a first alignment below or above its attendance).
- Precincts are matched to the election's by county and name (HTML escapes undone).
  Satellite caucuses are not on the roster: their counts are checked, their delegates not.
- Coin tosses are not published: where a tie's outcome shows in the published SDEs (one
  delegate more for the toss's winner), that toss is taken as recorded; otherwise the tie
  stays unsettled, which is a warning.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from hotline.caucus import iowa2020
from hotline.caucus.checks import check_counts
from hotline.caucus.election import Election, PrecinctRules, display_name
from hotline.caucus.findings import Finding
from hotline.caucus.report import CoinToss, PrecinctReport

STAGES = ("First Expression", "Final Expression", "SDE")
HEADER_ROWS = 3
STATUS_COLUMN = "Status"


class PublishedFileError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}")


@dataclass(frozen=True)
class PublishedPrecinct:
    line: int
    county: str
    name: str
    report: PrecinctReport
    sdes: Mapping[str, float]  # as published
    rules: PrecinctRules | None  # None: not on the roster (a satellite caucus)

    @property
    def label(self) -> str:
        code = f" ({self.rules.code})" if self.rules else ""
        return f"{self.county} {self.name}{code}"


@dataclass(frozen=True)
class CheckedPrecinct:
    precinct: PublishedPrecinct
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class FileCheck:
    checked: tuple[CheckedPrecinct, ...]

    @property
    def flagged(self) -> tuple[CheckedPrecinct, ...]:
        return tuple(c for c in self.checked if c.findings)

    @property
    def off_roster(self) -> int:
        return sum(1 for c in self.checked if c.precinct.rules is None)

    def counts(self) -> Counter[str]:
        """Flagged precincts per finding code (a precinct counts once per code)."""
        return Counter(code for c in self.flagged for code in {f.code for f in c.findings})

    def to_dict(self) -> dict:
        return {
            "precincts": len(self.checked),
            "off_roster": self.off_roster,
            "flagged": len(self.flagged),
            "blocking": sum(1 for c in self.flagged if any(f.blocking for f in c.findings)),
            "counts": dict(sorted(self.counts().items())),
            "flagged_precincts": [
                {
                    "line": c.precinct.line,
                    "county": c.precinct.county,
                    "precinct": c.precinct.name,
                    "code": c.precinct.rules.code if c.precinct.rules else None,
                    "findings": [
                        {"code": f.code, "message": f.message, "blocking": f.blocking}
                        for f in c.findings
                    ],
                }
                for c in self.flagged
            ],
        }


def read_published(text: str, election: Election) -> list[PublishedPrecinct]:
    """The precincts of a published results file; PublishedFileError names the line."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [next(rows) for _ in range(HEADER_ROWS)]
    except StopIteration:
        raise PublishedFileError(1, f"the file needs {HEADER_ROWS} header rows") from None
    # `hotline results export` adds a Status column at the end: read past it.
    status = 1 if header[2] and header[2][-1].strip() == STATUS_COLUMN else 0
    columns = _columns([row[: len(row) - status] for row in header], election)
    width = 2 + len(columns) + status
    by_name = {(p.county, p.name): p for p in election.precincts.values()}
    precincts = []
    for line, row in enumerate(rows, start=HEADER_ROWS + 1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            raise PublishedFileError(line, f"{len(row)} fields, the header has {width}")
        county, name = row[0].strip(), display_name(row[1].strip())
        if not county or not name:
            raise PublishedFileError(line, "County or Precinct is empty")
        if name == "Total":
            continue
        figures: dict[str, dict[str, float | int]] = {stage: {} for stage in STAGES}
        for (stage, key), cell in zip(columns, row[2 : width - status], strict=True):
            value = _number(cell, stage, key, line)
            if value:
                figures[stage][key] = value
        rules = by_name.get((county, name))
        report = PrecinctReport(
            precinct=rules.code if rules else f"{county} / {name}",
            attendance=sum(figures["First Expression"].values()),
            first=figures["First Expression"],
            final=figures["Final Expression"],
        )
        precincts.append(PublishedPrecinct(line, county, name, report, figures["SDE"], rules))
    if not precincts:
        raise PublishedFileError(HEADER_ROWS, "the file has no precincts")
    return precincts


def check_published(text: str, election: Election) -> FileCheck:
    checked = []
    for precinct in read_published(text, election):
        report = precinct.report
        if precinct.rules is not None:
            report = with_inferred_tosses(report, precinct.rules, precinct.sdes)
        findings = check_counts(report, election, precinct.rules, precinct.sdes)
        checked.append(CheckedPrecinct(precinct, tuple(findings)))
    return FileCheck(tuple(checked))


def with_inferred_tosses(
    report: PrecinctReport, rules: PrecinctRules, sdes: Mapping[str, float]
) -> PrecinctReport:
    """The report with the coin tosses its published SDEs show the outcome of."""
    if not rules.sde_ratio:
        return report
    published = {key: round(sde / rules.sde_ratio) for key, sde in sdes.items()}
    for _ in range(len(rules.delegates and report.final) + 1):
        allocation = iowa2020.allocate(report, rules)
        if not allocation.unsettled:
            return report
        tosses = _tosses(allocation.unsettled[0], allocation.delegates, published)
        if not tosses:
            return report
        report = PrecinctReport(
            report.precinct,
            report.attendance,
            report.first,
            report.final,
            report.coin_tosses + tosses,
        )
    return report


def _tosses(
    tie: iowa2020.Tie, computed: Mapping[str, int], published: Mapping[str, int]
) -> tuple[CoinToss, ...]:
    def shown(key: str) -> int:
        return published.get(key, 0)

    between = tie.between
    if tie.stake == iowa2020.SINGLE:
        winners = [key for key in between if shown(key) == 1]
    elif tie.stake == iowa2020.EXTRA:
        winners = [key for key in between if shown(key) == computed.get(key, 0) + 1]
    else:
        # Too many: the one toss loser gives a delegate up; each other group won a toss.
        losers = [key for key in between if shown(key) == computed.get(key, 0) - 1]
        if len(losers) != 1:
            return ()
        keepers = [key for key in between if key != losers[0]]
        tosses, pool = [], list(between)
        for keeper in keepers:
            tosses.append(CoinToss(tuple(pool), keeper))
            pool.remove(keeper)
        return tuple(tosses)
    if len(winners) != 1:
        return ()
    return (CoinToss(between, winners[0]),)


def _columns(header: list[list[str]], election: Election) -> list[tuple[str, str]]:
    stages, names = header[0][2:], header[1][2:]
    if len(stages) != len(names) or not stages:
        raise PublishedFileError(2, "header rows 1 and 2 differ in length")
    by_name = {c.key: c.key for c in election.candidates}
    by_name.update({c.name.lower(): c.key for c in election.candidates})
    columns = []
    for stage, name in zip(stages, names, strict=True):
        if stage not in STAGES:
            raise PublishedFileError(1, f"column {stage!r} is not one of {', '.join(STAGES)}")
        key = by_name.get(name.strip().lower())
        if key is None:
            raise PublishedFileError(
                2, f"column {name!r} is not a candidate of the {election.name} election"
            )
        columns.append((stage, key))
    if len(set(columns)) != len(columns):
        raise PublishedFileError(2, "a candidate appears twice in one stage")
    return columns


def _number(cell: str, stage: str, key: str, line: int) -> int | float:
    text = cell.strip() or "0"
    try:
        if stage == "SDE":
            value: int | float = float(text)
            if not math.isfinite(value) or value < 0:
                raise ValueError
        else:
            value = int(text)
            if value < 0:
                raise ValueError
    except ValueError:
        kind = "a number of at least 0" if stage == "SDE" else "a whole number of at least 0"
        raise PublishedFileError(line, f"{stage} for {key}: {cell!r} is not {kind}") from None
    return value
