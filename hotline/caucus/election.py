"""An election definition: the race, the rules kind, the candidates and the precincts.

A definition is a TOML file shipped in hotline/elections/ (by name), or anywhere (by path):

    race = "..."
    rules = "iowa-caucus-2020"          # or "vote-count"
    candidates = [{ key = "biden", name = "Joe Biden", keypad = 2 }, ...]
    [precincts]
    file = "data/iowa-2020/precincts.csv"   # a roster CSV (beside, or shipped) ...
    format = "iowa-2020"
    rows = [{ code = "1001", county = "Adair", name = "1NW ADAIR",
              delegates = 8, sde_ratio = 0.0784 }]   # ... or the precincts inline

Every problem is raised as an ElectionError naming the file and the reason.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hotline.roster_file import RosterError, read_roster
from hotline.shipped import named_file, shipped
from hotline.text_files import NotUtf8Error, read_utf8

ELECTION_DIR = shipped("elections")
RULES = ("iowa-caucus-2020", "vote-count")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")
SDE_COLUMN = "Precinct SDE (IDP)"
# Two precincts of one county whose SDE ratios differ by more than this disagree.
RATIO_TOLERANCE = 1e-9


class ElectionError(ValueError):
    pass


@dataclass(frozen=True)
class Candidate:
    key: str
    name: str
    keypad: int


@dataclass(frozen=True)
class PrecinctRules:
    code: str
    county: str
    name: str
    delegates: int
    sde_ratio: float


@dataclass(frozen=True)
class Election:
    name: str
    race: str
    rules: str
    candidates: tuple[Candidate, ...]
    precincts: Mapping[str, PrecinctRules]

    def candidate(self, key: str) -> Candidate | None:
        return next((c for c in self.candidates if c.key == key), None)

    def by_keypad(self, n: int) -> Candidate | None:
        return next((c for c in self.candidates if c.keypad == n), None)

    def precinct(self, code: str) -> PrecinctRules | None:
        return self.precincts.get(code)


def find_election(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if path.exists():
            return path
        raise ElectionError(f"{path}: no such file")
    candidate = ELECTION_DIR / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    known = ", ".join(sorted(p.stem for p in ELECTION_DIR.glob("*.toml")))
    raise ElectionError(f"no election {str(name_or_path)!r} (known: {known or 'none'})")


def load_election(name_or_path: str | Path) -> Election:
    path = find_election(name_or_path)
    try:
        data = tomllib.loads(read_utf8(path))
    except NotUtf8Error as error:
        raise ElectionError(f"{path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ElectionError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ElectionError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        return _election(data, path)
    except KeyError as missing:
        raise ElectionError(f"{path}: missing setting {missing}") from None
    except (TypeError, ValueError) as bad:
        raise ElectionError(f"{path}: {bad}") from None


def _election(data: dict[str, Any], path: Path) -> Election:
    race = data["race"]
    if not isinstance(race, str) or not race.strip():
        raise ValueError("race must be a non-empty string")
    rules = data["rules"]
    if rules not in RULES:
        raise ValueError(f"rules must be one of {', '.join(RULES)}, not {rules!r}")
    candidates = _candidates(data["candidates"])
    precincts = _precincts(data["precincts"], path)
    return Election(
        name=path.stem,
        race=race.strip(),
        rules=rules,
        candidates=candidates,
        precincts=MappingProxyType(precincts),
    )


def _candidates(rows: Any) -> tuple[Candidate, ...]:
    if not isinstance(rows, list) or not rows:
        raise ValueError("candidates must be a non-empty list")
    candidates = []
    for number, row in enumerate(rows, start=1):
        where = f"candidates[{number}]"
        if not isinstance(row, dict):
            raise ValueError(f"{where} must be a table with key, name and keypad")
        key, name, keypad = row.get("key"), row.get("name"), row.get("keypad")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ValueError(f"{where}.key must be lowercase letters, digits, - or _, not {key!r}")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name must be a non-empty string")
        if isinstance(keypad, bool) or not isinstance(keypad, int) or keypad < 1:
            raise ValueError(f"{where}.keypad must be a whole number of at least 1, not {keypad!r}")
        candidates.append(Candidate(key, name.strip(), keypad))
    for attribute in ("key", "keypad"):
        seen: dict[Any, str] = {}
        for candidate in candidates:
            value = getattr(candidate, attribute)
            if value in seen:
                raise ValueError(
                    f"candidates {seen[value]!r} and {candidate.key!r} share {attribute} {value!r}"
                )
            seen[value] = candidate.key
    return tuple(candidates)


def _precincts(section: Any, path: Path) -> dict[str, PrecinctRules]:
    if not isinstance(section, dict):
        raise ValueError("precincts must be a table with file and format, or rows")
    if "file" in section:
        if "rows" in section:
            raise ValueError("precincts: give file or rows, not both")
        return _precincts_from_file(section, path)
    rows = section["rows"]
    if not isinstance(rows, list) or not rows:
        raise ValueError("precincts.rows must be a non-empty list")
    precincts: dict[str, PrecinctRules] = {}
    for number, row in enumerate(rows, start=1):
        where = f"precincts.rows[{number}]"
        try:
            rules = PrecinctRules(
                code=str(row["code"]),
                county=str(row["county"]),
                name=str(row["name"]),
                delegates=row["delegates"],
                sde_ratio=float(row.get("sde_ratio", 0.0)),
            )
        except KeyError as missing:
            raise ValueError(f"{where} lacks {missing}") from None
        if not rules.code.isdigit() or not 1 <= len(rules.code) <= 8:
            raise ValueError(f"{where}.code {rules.code!r} must be 1 to 8 digits")
        _check_numbers(rules, where)
        if rules.code in precincts:
            raise ValueError(f"{where}: precinct {rules.code} appears twice")
        precincts[rules.code] = rules
    return precincts


def _check_numbers(rules: PrecinctRules, where: str) -> None:
    delegates = rules.delegates
    if isinstance(delegates, bool) or not isinstance(delegates, int) or delegates < 0:
        raise ValueError(
            f"{where}.delegates must be a whole number of at least 0, not {delegates!r}"
        )
    if not math.isfinite(rules.sde_ratio) or rules.sde_ratio < 0:
        raise ValueError(f"{where}.sde_ratio must be a number of at least 0")


def _precincts_from_file(section: dict[str, Any], path: Path) -> dict[str, PrecinctRules]:
    layout = section.get("format", "iowa-2020")
    if layout != "iowa-2020":
        raise ValueError(f'precincts.format must be "iowa-2020", not {layout!r}')
    file = named_file(section["file"], path)
    try:
        text = read_utf8(file)
    except OSError as error:
        raise ValueError(f"precincts.file {str(file)!r} cannot be read: {error.strerror}") from None
    except NotUtf8Error as error:
        raise ValueError(f"precincts.file {file}: {error}") from None
    try:
        roster = read_roster(text, layout="iowa-2020")
    except RosterError as error:
        raise ValueError(f"precincts.file {file}:\n{error}") from None
    sdes = _sde_column(text, file)
    # A county's SDE ratio is its state delegate equivalents per county delegate. The party
    # gives each precinct's SDEs; summed over the county and divided by the county's
    # delegates, they give the ratio, which must agree with every precinct's own.
    county_delegates: dict[str, int] = {}
    county_sdes: dict[str, float] = {}
    for row in roster:
        county_delegates[row.county] = county_delegates.get(row.county, 0) + (row.delegates or 0)
        county_sdes[row.county] = county_sdes.get(row.county, 0.0) + sdes[row.line]
    ratios = {
        county: (county_sdes[county] / delegates if delegates else 0.0)
        for county, delegates in county_delegates.items()
    }
    precincts: dict[str, PrecinctRules] = {}
    for row in roster:
        ratio = ratios[row.county]
        if row.delegates and not math.isclose(
            sdes[row.line] / row.delegates, ratio, rel_tol=RATIO_TOLERANCE
        ):
            raise ValueError(
                f"{file} line {row.line}: {row.county} {row.name}'s SDE ratio "
                f"{sdes[row.line] / row.delegates:.6f} differs from its county's {ratio:.6f}"
            )
        precincts[row.code] = PrecinctRules(
            code=row.code,
            county=row.county,
            name=display_name(row.name),
            delegates=row.delegates or 0,
            sde_ratio=ratio,
        )
    return precincts


def _sde_column(text: str, file: Path) -> dict[int, float]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if SDE_COLUMN not in (reader.fieldnames or []):
        raise ValueError(f"{file} line 1: header lacks column {SDE_COLUMN!r}")
    sdes = {}
    for record in reader:
        value = (record.get(SDE_COLUMN) or "").strip()
        try:
            sde = float(value)
        except ValueError:
            raise ValueError(
                f"{file} line {reader.line_num}: {SDE_COLUMN} {value!r} is not a number"
            ) from None
        if not math.isfinite(sde) or sde < 0:
            raise ValueError(f"{file} line {reader.line_num}: {SDE_COLUMN} must not be negative")
        sdes[reader.line_num] = sde
    return sdes


def display_name(name: str) -> str:
    """A precinct name with the HTML escapes some party files carry (`&amp;amp;`) undone."""
    for _ in range(3):
        unescaped = html.unescape(name)
        if unescaped == name:
            break
        name = unescaped
    return name
