"""The simulated account's phone numbers, and the numbers the simulated Twilio has for sale:
what the REST stand-in's IncomingPhoneNumbers and AvailablePhoneNumbers serve (rest.py),
and where a call to a number goes (its voice URL and status callback, network.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

# Twilio's errors for a number that cannot be bought.
NOT_AVAILABLE = 21422
NONE_IN_AREA_CODE = 21452


@dataclass(frozen=True)
class Exchange:
    """Where numbers are sold: an area code and the place its numbers ring in."""

    area_code: str
    region: str
    locality: str
    rate_center: str
    lata: str
    postal_code: str
    latitude: float
    longitude: float


# Iowa's five area codes. The simulated population's phones never use 5550xxx (population.py),
# so numbers for sale there are nobody's: +1AAA55502NN, ten in each.
IOWA = (
    Exchange("515", "IA", "Des Moines", "DESMOINES", "635", "50309", 41.59, -93.62),
    Exchange("319", "IA", "Cedar Rapids", "CEDARRAPDS", "637", "52401", 41.98, -91.67),
    Exchange("563", "IA", "Davenport", "DAVENPORT", "637", "52801", 41.52, -90.58),
    Exchange("641", "IA", "Mason City", "MASONCITY", "635", "50401", 43.15, -93.20),
    Exchange("712", "IA", "Sioux City", "SIOUXCITY", "636", "51101", 42.50, -96.40),
)
FOR_SALE_PER_EXCHANGE = 10


@dataclass(frozen=True)
class OfferedNumber:
    number: str
    exchange: Exchange

    @property
    def friendly_name(self) -> str:
        """As Twilio writes a US number for people: "(515) 555-0200"."""
        digits = self.number.removeprefix("+1")
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


@dataclass
class PhoneNumber:
    """A number the account owns, with what Twilio does with its calls."""

    sid: str
    number: str
    friendly_name: str
    created_at: float
    updated_at: float
    voice_url: str | None = None
    voice_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None
    sms_method: str = "POST"


# What IncomingPhoneNumbers create and update set: (form parameter, attribute).
SETTINGS = (
    ("FriendlyName", "friendly_name"),
    ("VoiceUrl", "voice_url"),
    ("VoiceMethod", "voice_method"),
    ("StatusCallback", "status_callback"),
    ("StatusCallbackMethod", "status_callback_method"),
    ("SmsUrl", "sms_url"),
    ("SmsMethod", "sms_method"),
)


class NumberBookError(Exception):
    """A request about numbers Twilio would refuse: HTTP status, Twilio code, message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class NumberBook:
    """The account's numbers (by number) and those for sale, in a fixed order."""

    def __init__(self, now: Callable[[], float], exchanges: tuple[Exchange, ...] = IOWA) -> None:
        self._now = now
        self._sids = itertools.count(1)
        self.owned: dict[str, PhoneNumber] = {}
        self.offered: list[OfferedNumber] = [
            OfferedNumber(f"+1{exchange.area_code}55502{n:02d}", exchange)
            for exchange in exchanges
            for n in range(FOR_SALE_PER_EXCHANGE)
        ]

    def own(self, number: str, **settings: str | None) -> PhoneNumber:
        """The account owns `number` (the hotline's own number, at the start of a night)."""
        now = self._now()
        line = PhoneNumber(
            sid=f"PN{next(self._sids):032x}",
            number=number,
            friendly_name=number,
            created_at=now,
            updated_at=now,
        )
        self._set(line, settings)
        self.offered = [offer for offer in self.offered if offer.number != number]
        self.owned[number] = line
        return line

    def for_sale(
        self, *, area_code: str | None = None, region: str | None = None
    ) -> list[OfferedNumber]:
        return [
            offer
            for offer in self.offered
            if area_code in (None, offer.exchange.area_code)
            and (region is None or region.upper() == offer.exchange.region)
        ]

    def buy(
        self, *, number: str | None = None, area_code: str | None = None, **settings: str | None
    ) -> PhoneNumber:
        """Buy `number`, or the first for sale in `area_code`."""
        if number is not None:
            offer = next((o for o in self.offered if o.number == number), None)
            if offer is None:
                raise NumberBookError(
                    400, NOT_AVAILABLE, f"+{number.lstrip('+')} is not available."
                )
        else:
            offers = self.for_sale(area_code=area_code)
            if not offers:
                raise NumberBookError(
                    400, NONE_IN_AREA_CODE, f"No phone numbers found in area code {area_code}."
                )
            offer = offers[0]
        line = self.own(offer.number, **settings)
        if "friendly_name" not in settings:
            line.friendly_name = offer.friendly_name
        return line

    def by_sid(self, sid: str) -> PhoneNumber:
        line = next((n for n in self.owned.values() if n.sid == sid), None)
        if line is None:
            raise NumberBookError(
                404, 20404, f"The requested resource /IncomingPhoneNumbers/{sid}.json was not found"
            )
        return line

    def update(self, sid: str, **settings: str | None) -> PhoneNumber:
        line = self.by_sid(sid)
        self._set(line, settings)
        line.updated_at = self._now()
        return line

    def _set(self, line: PhoneNumber, settings: dict[str, str | None]) -> None:
        for name, value in settings.items():
            if name not in {attribute for _, attribute in SETTINGS}:
                raise TypeError(f"not a phone number's setting: {name}")
            setattr(line, name, value)
