"""Chair PINs: keyed digests, constant-time checks, generation.

Only HMAC-SHA256(secret key, precinct + ":" + PIN) is ever stored. The
precinct is part of the message so that two precincts with the same PIN have
different digests; the separator keeps precinct 12 with PIN 34567 apart from
precinct 123 with PIN 4567.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets

# ASCII digits only, matched whole: "\d" would accept other scripts' digits.
PIN_PATTERN = re.compile(r"[0-9]{4,8}")
PRECINCT_PATTERN = re.compile(r"[0-9]{1,8}")
GENERATED_PIN_LENGTH = 6


def is_valid_pin(pin: str) -> bool:
    return bool(PIN_PATTERN.fullmatch(pin))


def is_valid_precinct_code(code: str) -> bool:
    return bool(PRECINCT_PATTERN.fullmatch(code))


def pin_digest(secret_key: bytes, precinct: str, pin: str) -> str:
    return hmac.new(secret_key, f"{precinct}:{pin}".encode(), hashlib.sha256).hexdigest()


def pin_matches(secret_key: bytes, precinct: str, pin: str, stored_digest: str | None) -> bool:
    """Constant-time comparison; a missing digest never matches."""
    candidate = pin_digest(secret_key, precinct, pin)
    return stored_digest is not None and hmac.compare_digest(candidate, stored_digest)


def generate_pin(rng: random.Random | None = None) -> str:
    """A fresh PIN; `rng` lets a seeded simulation repeat itself."""
    rng = rng or secrets.SystemRandom()
    return "".join(str(rng.randrange(10)) for _ in range(GENERATED_PIN_LENGTH))
