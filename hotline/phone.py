"""Caller ID normalisation: whatever Twilio sends in From, as E.164 or None."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

import phonenumbers

# ASCII digits only, matched whole: a prefix that can never match E.164 must be refused.
_PREFIX = re.compile(r"\+[1-9][0-9]{0,14}")
# A North American number already in E.164, as Twilio sends nearly every caller ID: "+1",
# then ten ASCII digits whose first (the area code's) is 2-9. phonenumbers gives such a
# number back unchanged (a test sweeps every area code and exchange digit to hold it to
# that), so it skips the library, whose parse was the inbound webhook's costliest pure
# step: the cache below rarely helps a number calling a second time, as each web worker
# process keeps its own.
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def normalise_caller_id(
    raw: str | None,
    *,
    region: str = "US",
    withheld_numbers: Collection[str] = (),
    withheld_words: Collection[str] = (),
) -> str | None:
    """E.164 form of `raw`, or None when there is no usable caller ID.

    Withheld IDs arrive as words ("Anonymous", "Restricted") or as Twilio's
    keypad spellings of them ("+266696687" is ANONYMOUS); both mean "no caller
    ID", as does anything that does not parse as a possible number.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text or text.lower() in withheld_words or text in withheld_numbers:
        return None
    number = text if _NANP_E164.fullmatch(text) else _parse(text, region)
    if number is None or number in withheld_numbers:
        return None
    return number


@lru_cache(maxsize=65536)
def _parse(text: str, region: str) -> str | None:
    # Cached: a flood is the same few thousand numbers calling again and again,
    # and parsing is the most expensive pure step on the inbound path.
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_block_target(raw: str, *, region: str = "US") -> str:
    """A number (to E.164) or a prefix ending in "*" ("+1900*"), as stored in the block list.

    Raises ValueError with the reason when it is neither.
    """
    text = raw.strip().replace(" ", "").replace("-", "")
    if text.endswith("*"):
        prefix = text[:-1]
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"{raw!r} is not a prefix: write it as + and digits, then *")
        return prefix + "*"
    number = _parse(text, region)
    if number is None:
        raise ValueError(f"{raw!r} is not a phone number")
    return number


def mask_number(number: str | None) -> str:
    """A number with all but its last four digits hidden, for screens and logs."""
    if not number:
        return "withheld"
    return "•" * max(len(number) - 4, 0) + number[-4:]
