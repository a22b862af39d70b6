"""Pacing sign-in attempts: which failures an attempt is judged by, and the bookkeeping
around the password check.

With a valid device cookie for the name tried, an attempt is counted against that
browser alone. Without one it is counted against the name's untrusted clients and
against the client's address. The attempt is recorded first and the counts come back
in the same atomic step (store/sign_in_attempts.py), then the pure rule
(hotline/sign_in_pace.py) says whether it may be evaluated now. A refused attempt is
withdrawn, so hammering does not push the next slot further away; a wrong password
stays counted; a right one clears its browser's or its name's failures.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from hotline import sign_in_pace as pace
from hotline.services import Services
from hotline.store import keys

# Longer names are not user names (see store/users.py); this only bounds the key.
_NAME_IN_KEY = 64


@dataclass(frozen=True)
class Attempt:
    id: str
    # The key a success clears: the device's, or the name's untrusted clients'.
    own_key: str
    counted: tuple[str, ...]
    # Seconds too early; 0 when the password may be checked now.
    wait_s: float


def _counted(name: str, address: str, device: str | None) -> list[tuple[str, pace.Budget]]:
    if device is not None:
        # Neither the name's nor the address's failures: a troll sharing the address
        # (or a proxy hiding every address) cannot slow a browser that proved itself.
        return [(keys.login_attempts_by_device(device), pace.BY_DEVICE)]
    return [
        (keys.login_attempts_untrusted(name[:_NAME_IN_KEY]), pace.UNTRUSTED_BY_NAME),
        (keys.login_attempts_by_address(address), pace.BY_ADDRESS),
    ]


def begin(services: Services, *, name: str, address: str, device: str | None) -> Attempt:
    """Record an attempt (as a failure, until it succeeds) and judge it by what came before.

    `device` is the nonce of a valid device cookie for `name`, or None.
    """
    now = services.clock.now()
    counted = _counted(name, address, device)
    attempt_id = secrets.token_hex(8)
    store = services.store.sign_in_attempts
    earlier = store.record([key for key, _ in counted], attempt_id, now=now, window_s=pace.WINDOW_S)
    wait = max(
        pace.wait_s(before, budget, now)
        for before, (_, budget) in zip(earlier, counted, strict=True)
    )
    attempt = Attempt(
        id=attempt_id, own_key=counted[0][0], counted=tuple(key for key, _ in counted), wait_s=wait
    )
    if wait > 0:
        store.withdraw(attempt.counted, attempt.id)
    return attempt


def succeeded(services: Services, attempt: Attempt) -> None:
    """The password was right: forget its browser's or name's failures, and this attempt."""
    services.store.sign_in_attempts.succeeded(attempt.own_key, attempt.counted, attempt.id)
