"""The 2020 satellite caucuses, read from the party's published results file.

Iowa's 2020 caucuses added 87 satellite caucuses for people who could not attend their
own precinct's: 60 in Iowa (by congressional district, "CD1 Satellite" to "CD4
Satellite") and 27 out of state, three of them abroad (Tbilisi, Paris, Glasgow). The
published results file lists each by its district (or "Out of State Satellite") and a
name that says where it met: "Tucson, AZ - Flowing Wells Library", "Paris, France -
CIEE Student Housing". They join the roster as satellites, with where they meet
(ISO 3166: US-IA, US-AZ, FR), so that a satellite chair calling from there is not taken
for a foreign or out-of-state caller (triage/policy.py).
"""

from __future__ import annotations

import csv
import io
import re

from hotline.roster_file import Problem, RosterError, RosterRow

# County numbers stop at 99 and Iowa codes are the county's number and three digits, so
# six-digit codes from 100001 on cannot be a precinct's.
FIRST_CODE = 100_001
IN_IOWA = "US-IA"
# The countries the 2020 satellites abroad met in, as the file names them.
ABROAD = {"Republic of Georgia": "GE", "France": "FR", "Scotland": "GB"}
_US_STATE = re.compile(r"^[^,]+, ([A-Z]{2}) - ")
_WASHINGTON = re.compile(r"^Washington DC - ")
_COUNTRY = re.compile(r"^[^,]+, ([^-]+?) - ")


def read_satellites(text: str, *, first_code: int = FIRST_CODE) -> list[RosterRow]:
    """The satellite caucuses of a results file in the party's 2020 shape, numbered from
    `first_code` in file order; raises RosterError naming every line it cannot place.
    """
    rows: list[RosterRow] = []
    problems: list[Problem] = []
    for line, record in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        if len(record) < 2 or not record[0].endswith(" Satellite") or record[1] == "Total":
            continue
        district, name = record[0].strip(), record[1].strip()
        try:
            place = IN_IOWA if district.startswith("CD") else _where(name)
        except ValueError as reason:
            problems.append(Problem(line, str(reason)))
            continue
        code = str(first_code + len(rows))
        rows.append(RosterRow(line=line, code=code, county=district, name=name, satellite=place))
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError([Problem(1, "the file lists no satellite caucuses")])
    return rows


def _where(name: str) -> str:
    """Where an out-of-state satellite met, from its name: US-AZ, US-DC, FR."""
    if _WASHINGTON.match(name):
        return "US-DC"
    state = _US_STATE.match(name)
    if state:
        return f"US-{state.group(1)}"
    country = _COUNTRY.match(name)
    if country and country.group(1).strip() in ABROAD:
        return ABROAD[country.group(1).strip()]
    raise ValueError(f"cannot tell where the satellite caucus {name!r} met")
