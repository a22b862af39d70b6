"""Reading a precinct roster CSV into validated rows, or into a list of what is wrong.

Two layouts are understood:
- "hotline": columns precinct, county, name, and optionally chair_phone, pin,
  backup_code, delegates, satellite, language. A PIN is 6 to 8 digits (4 or 5 only when
  the admin says so: the README's bound on guessing assumes 6); a backup code is 8 digits.
  `satellite` marks a satellite caucus and says where it meets: a country ("FR") or a
  US state ("US-AZ"), ISO 3166 codes; `language` is the precinct's prompts' language
  ("es"), when not the hotline's first.
- "iowa-2020": the Iowa Democratic Party's 2020 precinct list (County, Precinct,
  Precinct Short Name, County Delegates, ...). Its precincts have no keypad
  code, so one is assigned: the county's number in alphabetical order (1-99,
  Iowa's own county numbering) followed by the precinct's 3-digit position
  within the county in file order: Adair's first precinct is 1001.

Nothing is imported from a file with any bad line: every problem is reported
with its line number, and the caller imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from hotline import pins
from hotline.phone import normalise_caller_id

FORMATS = ("hotline", "iowa-2020")
HOTLINE_REQUIRED = ("precinct", "county", "name")
IOWA_REQUIRED = ("County", "Precinct", "Precinct Short Name", "County Delegates")
MAX_REPORTED_PROBLEMS = 20
# A country, or a country and its subdivision (a US state): ISO 3166-1 and 3166-2.
SATELLITE_PLACE = re.compile(r"[A-Z]{2}(-[A-Z]{2})?")
LANGUAGE = re.compile(r"[a-z]{2}")
# A NUL, tab or line break inside a name is a broken export, and would reach the console,
# the board and the published results as it is.
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RosterRow:
    line: int
    code: str
    county: str
    name: str
    chair_phone: str | None = None
    pin: str | None = None
    delegates: int | None = None
    short_name: str | None = None
    backup_code: str | None = None
    # Where a satellite caucus meets (ISO 3166: "FR", "US-AZ"); None for a precinct.
    satellite: str | None = None
    # The language of the precinct's prompts ("es"); None for the hotline's first.
    language: str | None = None


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class RosterError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:MAX_REPORTED_PROBLEMS])
        more = len(problems) - MAX_REPORTED_PROBLEMS
        if more > 0:
            shown += f"\n... and {more} more"
        super().__init__(shown)


def read_roster(
    text: str, *, layout: str = "hotline", region: str = "US", allow_short_pins: bool = False
) -> list[RosterRow]:
    """Validated rows of a roster file's text; raises RosterError listing every problem.

    `allow_short_pins` accepts PINs of 4 and 5 digits, which weakens the bound on guessing.
    """
    if layout not in FORMATS:
        raise ValueError(f"unknown roster format {layout!r}; choose from {', '.join(FORMATS)}")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    required = HOTLINE_REQUIRED if layout == "hotline" else IOWA_REQUIRED
    missing = [column for column in required if column not in header]
    if missing:
        raise RosterError(
            [
                Problem(
                    1,
                    f"header lacks column(s): {', '.join(missing)}; "
                    f"found: {', '.join(header) or 'nothing'}",
                )
            ]
        )
    min_pin = 4 if allow_short_pins else pins.MIN_PIN_LENGTH
    if layout == "hotline":

        def parse(line: int, record: dict[str, str | None], region: str) -> RosterRow:
            return _hotline_row(line, record, region, min_pin)
    else:
        parse = _iowa_row_parser()
    rows: list[RosterRow] = []
    problems: list[Problem] = []
    for record in reader:
        line = reader.line_num
        if None in record:
            problems.append(Problem(line, "more fields than the header has columns"))
            continue
        try:
            rows.append(parse(line, record, region))
        except ValueError as reason:
            problems.append(Problem(line, str(reason)))
    if not rows and not problems:
        problems.append(Problem(1, "the file has a header but no precincts"))
    problems.extend(_duplicates(rows))
    if problems:
        raise RosterError(sorted(problems, key=lambda p: p.line))
    return rows


def _hotline_row(line: int, record: dict[str, str | None], region: str, min_pin: int) -> RosterRow:
    code = _field(record, "precinct")
    if not pins.is_valid_precinct_code(code):
        raise ValueError(f"precinct {code!r} must be 1 to 8 digits (what a chair keys in)")
    if code == pins.LANGUAGE_KEY:
        raise ValueError(
            f"precinct {code} cannot be keyed: {code} alone switches the "
            "language at a call's first prompt"
        )
    county = _required(record, "county")
    name = _required(record, "name")
    phone_text = _field(record, "chair_phone")
    chair_phone = None
    if phone_text:
        chair_phone = normalise_caller_id(phone_text, region=region)
        if chair_phone is None:
            raise ValueError(f"chair_phone {phone_text!r} is not a phone number")
    # Never echo a PIN or a backup code back: the reasons name the rule only.
    pin = _field(record, "pin") or None
    if pin is not None and not (pins.is_valid_pin(pin) and len(pin) >= min_pin):
        hint = "" if min_pin < pins.MIN_PIN_LENGTH else " (shorter only with --allow-short-pins)"
        raise ValueError(f"pin must be {min_pin} to 8 digits{hint}")
    backup_code = _field(record, "backup_code") or None
    if backup_code is not None and not pins.is_valid_backup_code(backup_code):
        raise ValueError(f"backup_code must be {pins.BACKUP_CODE_LENGTH} digits")
    delegates_text = _field(record, "delegates")
    satellite = _field(record, "satellite").upper() or None
    if satellite is not None and not SATELLITE_PLACE.fullmatch(satellite):
        raise ValueError(
            f"satellite {satellite!r} must be where it meets: a country (FR) or a US state (US-AZ)"
        )
    language = _field(record, "language").lower() or None
    if language is not None and not LANGUAGE.fullmatch(language):
        raise ValueError(f"language {language!r} must be a two-letter code (es)")
    return RosterRow(
        line=line,
        code=code,
        county=county,
        name=name,
        chair_phone=chair_phone,
        pin=pin,
        backup_code=backup_code,
        delegates=_whole_number(delegates_text, "delegates") if delegates_text else None,
        satellite=satellite,
        language=language,
    )


def _iowa_row_parser():
    """Iowa rows get codes from county order, so the parser remembers counties seen."""
    county_numbers: dict[str, int] = {}
    per_county: dict[str, int] = {}
    known = sorted(IOWA_COUNTIES)

    def parse(line: int, record: dict[str, str | None], region: str) -> RosterRow:
        county = _required(record, "County")
        # A few rows (Lee County's zero-delegate splits) have only a short name.
        name = _field(record, "Precinct") or _required(record, "Precinct Short Name")
        if county not in county_numbers:
            if county not in IOWA_COUNTIES:
                raise ValueError(f"County {county!r} is not one of Iowa's 99 counties")
            county_numbers[county] = known.index(county) + 1
        per_county[county] = per_county.get(county, 0) + 1
        if per_county[county] > 999:
            raise ValueError(f"County {county!r} has more than 999 precincts")
        return RosterRow(
            line=line,
            code=f"{county_numbers[county]}{per_county[county]:03d}",
            county=county,
            name=name,
            delegates=_whole_number(_field(record, "County Delegates"), "County Delegates"),
            short_name=_field(record, "Precinct Short Name") or None,
        )

    return parse


def with_satellites(precincts: list[RosterRow], satellites: list[RosterRow]) -> list[RosterRow]:
    """The precincts and the satellite caucuses as one roster; raises RosterError if a
    satellite's code is a precinct's.
    """
    codes = {row.code: row.line for row in precincts}
    clashes = [
        Problem(
            row.line,
            f"satellite code {row.code} is already a precinct's (line "
            f"{codes[row.code]} of the roster)",
        )
        for row in satellites
        if row.code in codes
    ]
    if clashes:
        raise RosterError(clashes)
    return precincts + satellites


def _duplicates(rows: list[RosterRow]) -> list[Problem]:
    problems = []
    codes: dict[str, int] = {}
    phones: dict[str, int] = {}
    for row in rows:
        if row.code in codes:
            problems.append(
                Problem(row.line, f"precinct {row.code} already appears on line {codes[row.code]}")
            )
        codes.setdefault(row.code, row.line)
        if row.chair_phone:
            if row.chair_phone in phones:
                problems.append(
                    Problem(
                        row.line,
                        f"chair_phone {row.chair_phone} already appears on line "
                        f"{phones[row.chair_phone]}",
                    )
                )
            phones.setdefault(row.chair_phone, row.line)
    return problems


def _field(record: dict[str, str | None], name: str) -> str:
    value = (record.get(name) or "").strip()
    control = CONTROL_CHARACTER.search(value)
    if control is not None:
        raise ValueError(f"{name} has a control character (U+{ord(control.group()):04X})")
    return value


def _required(record: dict[str, str | None], name: str) -> str:
    value = _field(record, name)
    if not value:
        raise ValueError(f"{name} is empty")
    return value


def _whole_number(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


# Iowa's 99 counties; their alphabetical order is the state's county numbering.
IOWA_COUNTIES = frozenset(
    (
        "Adair",
        "Adams",
        "Allamakee",
        "Appanoose",
        "Audubon",
        "Benton",
        "Black Hawk",
        "Boone",
        "Bremer",
        "Buchanan",
        "Buena Vista",
        "Butler",
        "Calhoun",
        "Carroll",
        "Cass",
        "Cedar",
        "Cerro Gordo",
        "Cherokee",
        "Chickasaw",
        "Clarke",
        "Clay",
        "Clayton",
        "Clinton",
        "Crawford",
        "Dallas",
        "Davis",
        "Decatur",
        "Delaware",
        "Des Moines",
        "Dickinson",
        "Dubuque",
        "Emmet",
        "Fayette",
        "Floyd",
        "Franklin",
        "Fremont",
        "Greene",
        "Grundy",
        "Guthrie",
        "Hamilton",
        "Hancock",
        "Hardin",
        "Harrison",
        "Henry",
        "Howard",
        "Humboldt",
        "Ida",
        "Iowa",
        "Jackson",
        "Jasper",
        "Jefferson",
        "Johnson",
        "Jones",
        "Keokuk",
        "Kossuth",
        "Lee",
        "Linn",
        "Louisa",
        "Lucas",
        "Lyon",
        "Madison",
        "Mahaska",
        "Marion",
        "Marshall",
        "Mills",
        "Mitchell",
        "Monona",
        "Monroe",
        "Montgomery",
        "Muscatine",
        "O'Brien",
        "Osceola",
        "Page",
        "Palo Alto",
        "Plymouth",
        "Pocahontas",
        "Polk",
        "Pottawattamie",
        "Poweshiek",
        "Ringgold",
        "Sac",
        "Scott",
        "Shelby",
        "Sioux",
        "Story",
        "Tama",
        "Taylor",
        "Union",
        "Van Buren",
        "Wapello",
        "Warren",
        "Washington",
        "Wayne",
        "Webster",
        "Winnebago",
        "Winneshiek",
        "Woodbury",
        "Worth",
        "Wright",
    )
)
