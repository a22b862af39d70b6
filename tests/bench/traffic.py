"""The benchmark's callers: a small roster and signed inbound-call webhooks.

Traffic looks like a busy night: distinct CallSids, mostly unknown callers
(each number calls twice, well under the divert threshold, so they get the
challenge: the common path), some registered chair phones (fast track), some
withheld caller IDs, some numbers an admin has blocked (rejected before anything is
counted), a share of out-of-state callers, and the full set of
parameters Twilio posts with a voice webhook, signed as Twilio signs them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import urlencode

from hotline.pins import pin_digest
from hotline.store.roster import Precinct
from tests.support.twilio import signature

HOTLINE_NUMBER = "+15155550100"
ACCOUNT_SID = "AC" + "0" * 32
ROSTER_SIZE = 200
IOWA_AREA_CODES = ("515", "319", "563", "641", "712")
CALLS_PER_UNKNOWN_NUMBER = 2
# Shares of the traffic (the rest are unknown callers with caller ID).
CHAIR_SHARE = 0.10
WITHHELD_SHARE = 0.08
BLOCKED_SHARE = 0.05
BLOCKED_NUMBERS = 50
OUT_OF_STATE_SHARE = 0.15


@dataclass(frozen=True)
class Call:
    params: dict[str, str]
    kind: str  # "unknown", "chair", "withheld" or "blocked": who calls, not the verdict


def roster(pin_key: bytes) -> list[Precinct]:
    return [
        Precinct(
            code=f"{i:04d}",
            county=f"County {i % 99 + 1}",
            name=f"Precinct {i}",
            pin_digest=pin_digest(pin_key, f"{i:04d}", f"{(i * 7919) % 1_000_000:06d}"),
            chair_phone=chair_phone(i),
        )
        for i in range(1, ROSTER_SIZE + 1)
    ]


def chair_phone(i: int) -> str:
    return f"+1515200{i:04d}"


def blocked_number(i: int) -> str:
    """The i-th of the numbers the benchmark blocks before it sends anything."""
    return f"+1900555{i:04d}"


def blocked_numbers() -> list[str]:
    return [blocked_number(i) for i in range(BLOCKED_NUMBERS)]


def calls(count: int, *, seed: int) -> list[Call]:
    """`count` inbound calls; a different seed gives different CallSids and numbers."""
    rng = random.Random(seed)
    unknown_pool: list[str] = []
    result = []
    for _ in range(count):
        roll = rng.random()
        if roll < CHAIR_SHARE:
            number, kind = chair_phone(rng.randrange(1, ROSTER_SIZE + 1)), "chair"
            state = "IA"
        elif roll < CHAIR_SHARE + WITHHELD_SHARE:
            number, kind = rng.choice(("Anonymous", "+266696687")), "withheld"
            state = ""
        elif roll < CHAIR_SHARE + WITHHELD_SHARE + BLOCKED_SHARE:
            number, kind = blocked_number(rng.randrange(BLOCKED_NUMBERS)), "blocked"
            state = rng.choice(("IA", "NJ"))
        else:
            kind = "unknown"
            if not unknown_pool:
                fresh = f"+1{rng.choice(IOWA_AREA_CODES)}{rng.randrange(2_000_000, 10_000_000)}"
                unknown_pool = [fresh] * CALLS_PER_UNKNOWN_NUMBER
            number = unknown_pool.pop()
            state = rng.choice(("NE", "IL", "MN")) if rng.random() < OUT_OF_STATE_SHARE else "IA"
        result.append(Call(_webhook_params(rng, number, state), kind))
    rng.shuffle(result)
    return result


def _webhook_params(rng: random.Random, number: str, state: str) -> dict[str, str]:
    """What Twilio posts to a voice URL when a call comes in."""
    where = {"City": "DES MOINES", "Country": "US", "State": state, "Zip": "50309"}
    if not state:
        where = {"City": "", "Country": "", "State": "", "Zip": ""}
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": f"CA{rng.getrandbits(128):032x}",
        "CallStatus": "ringing",
        "Called": HOTLINE_NUMBER,
        "Caller": number,
        "Direction": "inbound",
        "From": number,
        "StirVerstat": "TN-Validation-Passed-A" if state else "",
        "To": HOTLINE_NUMBER,
    }
    hotline = {"City": "", "Country": "US", "State": "IA", "Zip": ""}
    for prefix, place in (("Called", hotline), ("To", hotline), ("Caller", where), ("From", where)):
        params.update({f"{prefix}{k}": v for k, v in place.items()})
    return params


PATH = "/voice/incoming"


def http_request(call: Call, *, host: str, port: int, auth_token: str) -> bytes:
    """The whole HTTP/1.1 request, signed for http://host:port, ready for sendall()."""
    public_url = f"http://{host}:{port}"
    body = urlencode(call.params).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "User-Agent: TwilioProxy/1.1\r\n"
        "Accept: */*\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Twilio-Signature: {signature(public_url + PATH, call.params, auth_token)}\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode() + body
