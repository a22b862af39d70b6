"""A small roster with known PINs, loaded straight into the store."""

from __future__ import annotations

from hotline.pins import backup_digest, pin_digest
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
