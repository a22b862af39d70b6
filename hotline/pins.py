"""Chair and volunteer PINs and backup codes: keyed digests, constant-time checks, generation.

Only HMAC-SHA256(PIN key, precinct + ":" + PIN) is ever stored, where the PIN
key is derived from HOTLINE_SECRET_KEY for PIN digests alone (Settings.pin_key).
The precinct is part of the message so that two precincts with the same PIN have
different digests; the separator keeps precinct 12 with PIN 34567 apart from
precinct 123 with PIN 4567.

A volunteer's PIN is kept the same way as HMAC-SHA256(PIN key,
"volunteer:" + volunteer id + ":" + PIN). A precinct code is digits only, so
no chair's message can ever start with "volunteer:": a chair's digest and a
volunteer's never stand for each other.

A backup code is the second secret on a chair's PIN sheet (and a volunteer's slip),
asked for together with the PIN once the PIN defence's budget is spent
(triage/pins.py). Its digests are kept under their own prefixes, "backup:" and
"volunteer-backup:", so no digest stands for another kind.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets

# ASCII digits only, matched whole: "\d" would accept other scripts' digits. A keyed PIN
# may be as short as 4 digits only because an admin can import short PINs on purpose
# (`--allow-short-pins`); the README's bound on guessing assumes MIN_PIN_LENGTH.
PIN_PATTERN = re.compile(r"[0-9]{4,8}")
MIN_PIN_LENGTH = 6
PRECINCT_PATTERN = re.compile(r"[0-9]{1,8}")
# Pressed alone at a call's first prompt, it switches the prompts' language: so no precinct
# may have it for its code.
LANGUAGE_KEY = "9"
GENERATED_PIN_LENGTH = 6
BACKUP_CODE_LENGTH = 8
BACKUP_CODE_PATTERN = re.compile(rf"[0-9]{{{BACKUP_CODE_LENGTH}}}")


def is_valid_pin(pin: str) -> bool:
    return bool(PIN_PATTERN.fullmatch(pin))


def is_valid_precinct_code(code: str) -> bool:
    return bool(PRECINCT_PATTERN.fullmatch(code))


def pin_digest(pin_key: bytes, precinct: str, pin: str) -> str:
    return _digest(pin_key, f"{precinct}:{pin}")


def pin_matches(pin_key: bytes, precinct: str, pin: str, stored_digest: str | None) -> bool:
    """Constant-time comparison; a missing digest never matches."""
    return _matches(pin_digest(pin_key, precinct, pin), stored_digest)


def backup_digest(pin_key: bytes, precinct: str, code: str) -> str:
    return _digest(pin_key, f"backup:{precinct}:{code}")


def volunteer_backup_digest(pin_key: bytes, volunteer_id: str, code: str) -> str:
    return _digest(pin_key, f"volunteer-backup:{volunteer_id}:{code}")


def is_valid_backup_code(code: str) -> bool:
    return bool(BACKUP_CODE_PATTERN.fullmatch(code))


def digests_match(candidate: str | None, stored_digest: str | None) -> bool:
    """Constant-time comparison of two stored-form digests; a missing one never matches."""
    return bool(candidate) and _matches(candidate, stored_digest)


def volunteer_pin_digest(pin_key: bytes, volunteer_id: str, pin: str) -> str:
    return _digest(pin_key, f"volunteer:{volunteer_id}:{pin}")


def volunteer_pin_matches(
    pin_key: bytes, volunteer_id: str, pin: str, stored_digest: str | None
) -> bool:
    """Constant-time comparison; a missing digest never matches."""
    return _matches(volunteer_pin_digest(pin_key, volunteer_id, pin), stored_digest)


def _digest(pin_key: bytes, message: str) -> str:
    return hmac.new(pin_key, message.encode(), hashlib.sha256).hexdigest()


def _matches(candidate: str, stored_digest: str | None) -> bool:
    # Both sides are computed digests of the same length, so compare_digest takes the same
    # time whatever the PIN; a missing or empty digest is refused without comparing.
    return bool(stored_digest) and hmac.compare_digest(candidate, stored_digest)


def generate_pin(rng: random.Random | None = None) -> str:
    """A fresh PIN; `rng` lets a seeded simulation repeat itself."""
    return _random_digits(GENERATED_PIN_LENGTH, rng)


def generate_backup_code(rng: random.Random | None = None) -> str:
    return _random_digits(BACKUP_CODE_LENGTH, rng)


def _random_digits(length: int, rng: random.Random | None) -> str:
    rng = rng or secrets.SystemRandom()
    return "".join(str(rng.randrange(10)) for _ in range(length))
