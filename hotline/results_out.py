"""Results out: the stored reports as the party publishes them, and the totals of /results.

- `export_rows` / `to_csv` / `to_json`: one row per reported precinct (its latest version),
  in the shape of hotline/data/iowa-2020/results-2020-02-08.csv: three header rows (the stage:
  First Expression, Final Expression, SDE; the candidate; then County, Precinct), then per
  precinct the first and final expression and the SDEs of every candidate in worksheet
  order. One column is added at the end, Status: keypad, volunteer, verified (a volunteer
  checked the keypad report) or flagged (its latest version carries findings, warnings a
  person accepted). SDEs are computed by the caucus math (hotline/caucus/iowa2020.py) from
  the stored report and written to 4 decimals, as the party writes them.
- `totals`: by county, precincts reporting of the total, and first, final and SDEs per
  candidate statewide: what the public page shows. No caller data is read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hotline.caucus import iowa2020
from hotline.caucus.election import Election
from hotline.caucus.published import STAGES
from hotline.store.results import StoredReport

STATUSES = ("keypad", "volunteer", "verified", "flagged")


def status(stored: StoredReport) -> str:
    if stored.findings:
        return "flagged"
    if stored.verified_by is not None:
        return "verified"
    return stored.channel


@dataclass(frozen=True)
class ExportRow:
    code: str
    county: str
    precinct: str
    status: str
    version: int
    first: dict[str, int]
    final: dict[str, int]
    sde: dict[str, float]


def export_rows(election: Election, reports: Iterable[StoredReport]) -> list[ExportRow]:
    """One row per reported precinct, by county and precinct name (the party's order)."""
    rows = []
    for stored in reports:
        rules = election.precinct(stored.precinct)
        report = stored.report
        sdes: dict[str, float] = {}
        if rules is not None and election.rules == "iowa-caucus-2020":
            sdes = dict(iowa2020.allocate(report, rules).sdes)
        keys = [c.key for c in election.candidates]
        rows.append(
            ExportRow(
                code=stored.precinct,
                county=rules.county if rules else "",
                precinct=rules.name if rules else stored.precinct,
                status=status(stored),
                version=stored.version,
                first={key: _count(report.first.get(key)) for key in keys},
                final={key: _count(report.final.get(key)) for key in keys},
                sde={key: sdes.get(key, 0.0) for key in keys},
            )
        )
    return sorted(rows, key=lambda row: (row.county, row.precinct, row.code))


def to_csv(election: Election, rows: list[ExportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [c.name for c in election.candidates]
    n = len(names)
    writer.writerow(["", ""] + [stage for stage in STAGES for _ in range(n)] + [""])
    writer.writerow(["", ""] + names * len(STAGES) + [""])
    writer.writerow(["County", "Precinct"] + [""] * (n * len(STAGES)) + ["Status"])
    keys = [c.key for c in election.candidates]
    for row in rows:
        writer.writerow(
            [row.county, row.precinct]
            + [row.first[k] for k in keys]
            + [row.final[k] for k in keys]
            + [f"{row.sde[k]:.4f}" for k in keys]
            + [row.status]
        )
    return out.getvalue()


def to_json(election: Election, rows: list[ExportRow]) -> str:
    names = {c.key: c.name for c in election.candidates}

    def named(figures: dict[str, Any]) -> dict[str, Any]:
        return {names[key]: value for key, value in figures.items()}

    return json.dumps(
        [
            {
                "county": row.county,
                "precinct": row.precinct,
                "code": row.code,
                "status": row.status,
                "version": row.version,
                "first": named(row.first),
                "final": named(row.final),
                "sde": named({k: round(v, 4) for k, v in row.sde.items()}),
            }
            for row in rows
        ],
        indent=2,
    )


def totals(election: Election, reports: Iterable[StoredReport]) -> dict[str, Any]:
    """What the public page shows: by county, precincts reporting of the total; statewide,
    first, final and SDEs per candidate (worksheet order)."""
    counties: dict[str, dict[str, int]] = {}
    for rules in election.precincts.values():
        county = counties.setdefault(rules.county, {"reporting": 0, "total": 0})
        county["total"] += 1
    keys = [c.key for c in election.candidates]
    first = dict.fromkeys(keys, 0)
    final = dict.fromkeys(keys, 0)
    sde = dict.fromkeys(keys, 0.0)
    reporting = 0
    for row in export_rows(election, reports):
        if row.county in counties:
            counties[row.county]["reporting"] += 1
        reporting += 1
        for key in keys:
            first[key] += row.first[key]
            final[key] += row.final[key]
            sde[key] += row.sde[key]
    return {
        "race": election.race,
        "reporting": reporting,
        "total": len(election.precincts),
        "counties": [{"county": name, **figures} for name, figures in sorted(counties.items())],
        "candidates": [
            {"name": c.name, "first": first[c.key], "final": final[c.key], "sde": sde[c.key]}
            for c in election.candidates
        ],
    }


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
