"""What is known about a caller at the moment their call arrives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallerFacts:
    # E.164 number, or None when the caller ID is withheld.
    number: str | None
    # Calls from this number in the policy's short and long windows, this one included.
    calls_short: int = 1
    calls_long: int = 1
    instant_hangups_long: int = 0
    flags: int = 0
    temp_blocks: int = 0
    admin_allowed: bool = False
    # Precinct whose chair registered this number, if any.
    chair_precinct: str | None = None
    # Where that precinct meets, when it is a satellite caucus (ISO 3166: "FR", "US-AZ").
    chair_satellite: str | None = None
    # The number entered a correct PIN within the long window.
    verified_recently: bool = False
    # Twilio's StirVerstat, FromState and FromCountry as sent.
    stir_verstat: str | None = None
    from_state: str | None = None
    from_country: str | None = None
    # Admin's flood switch, and all inbound calls in the current minute.
    flood_switch: bool = False
    calls_this_minute: int = 1
    # Failed PINs from all withheld callers in the long window.
    withheld_pin_failures: int = 0
    # The call came in on a hotline number retired by a rotation (it leaked): only
    # registered chairs, numbers an admin allowed and callers verified recently get through.
    called_retired_number: bool = False

    @property
    def withheld(self) -> bool:
        return self.number is None
