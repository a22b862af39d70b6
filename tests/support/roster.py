"""A small roster with known PINs, loaded straight into the store."""

from __future__ import annotations

from hotline.pins import pin_digest
from hotline.store.roster import Precinct
from tests.support.twilio import PIN_KEY

# code: (county, name, pin, registered chair phone)
SMALL_ROSTER = {
    "1001": ("Adair", "1NW ADAIR", "482913", None),
    "1002": ("Adair", "2NE STUART", "771204", None),
    "77001": ("Polk", "ANKENY 1", "905531", "+15155550177"),
}


def load_small_roster(services) -> None:
    services.store.roster.replace_all(
        Precinct(code=code, county=county, name=name,
                 pin_digest=pin_digest(PIN_KEY, code, pin), chair_phone=phone)
        for code, (county, name, pin, phone) in SMALL_ROSTER.items()
    )  # fmt: skip


def pin_of(code: str) -> str:
    return SMALL_ROSTER[code][2]
