"""A small roster with known PINs, loaded straight into the store."""

from __future__ import annotations

from pathlib import Path

from hotline.pins import backup_digest, pin_digest
from hotline.roster_file import RosterRow
from hotline.roster_import import ImportResult, import_roster
from hotline.store.roster import Precinct
from tests.support.twilio import PIN_KEY

# code: (county, name, pin, registered chair phone, backup code)
SMALL_ROSTER = {
    "1001": ("Adair", "1NW ADAIR", "482913", None, "30571946"),
    "1002": ("Adair", "2NE STUART", "771204", None, "88213407"),
    "77001": ("Polk", "ANKENY 1", "905531", "+15155550177", "61029384"),
}


def load_small_roster(services) -> None:
    services.store.roster.replace_all(
        Precinct(
            code=code,
            county=county,
            name=name,
            pin_digest=pin_digest(PIN_KEY, code, pin),
            chair_phone=phone,
            backup_digest=backup_digest(PIN_KEY, code, backup),
        )
        for code, (county, name, pin, phone, backup) in SMALL_ROSTER.items()
    )


def pin_of(code: str) -> str:
    return SMALL_ROSTER[code][2]


def backup_code_of(code: str) -> str:
    return SMALL_ROSTER[code][4]


# Adair 1NW, whose chair keys the worked case of the caucus math end to end.
ADAIR_1NW, ADAIR_1NW_PIN = "1001", "482913"


def import_precinct(
    services, pin_sheet: Path, *, code: str, county: str, name: str, pin: str, backup_code: str
) -> ImportResult:
    """A roster of one precinct, imported as `hotline precincts import` does."""
    row = RosterRow(line=2, code=code, county=county, name=name, pin=pin, backup_code=backup_code)
    return import_roster(services.store.roster, [row], pin_key=PIN_KEY, pin_sheet=pin_sheet)


def import_adair_1nw(services, pin_sheet: Path) -> None:
    """A roster of Adair 1NW alone."""
    import_precinct(
        services,
        pin_sheet,
        code=ADAIR_1NW,
        county="Adair",
        name="1NW ADAIR",
        pin=ADAIR_1NW_PIN,
        backup_code="30571946",
    )
