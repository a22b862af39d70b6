"""Issue 8, finding 6: Redis must not grow without bound when thousands of numbers call.

Every key a caller's number leaves behind expires: the numbers' call counts, hang-ups,
PIN failures and their reputation hash (flags, temporary blocks, last verification).
What lasts is what an admin decided (allows, lasting blocks) and the hotline's own
structures, whose number does not grow with the callers.
"""

from __future__ import annotations

import pytest

from hotline.store import keys
from tests.support.calls import PhoneCall
from tests.support.roster import load_small_roster, pin_of

REGISTERED = "+15155550177"  # precinct 77001's registered chair phone
WRONG_PINS = ("000001", "000002", "000003")


@pytest.fixture(autouse=True)
def roster(services):
    load_small_roster(services)


def troll_calls(client, number: str, first_sid: int) -> None:
    """What one nuisance number does: guesses PINs, hangs up at once, calls again and
    again until it is diverted and blocked for a while.
    """
    guesser = PhoneCall(client, f"CA{first_sid:032d}", number)
    guesser.ring()
    guesser.press("77001")
    for pin in WRONG_PINS:
        guesser.press(pin)
    guesser.end(duration=20)
    for n in range(1, 11):
        call = PhoneCall(client, f"CA{first_sid + n:032d}", number)
        call.ring()
        call.end(duration=2)


def flood(client, services, numbers: list[str], first_sid: int) -> None:
    for i, number in enumerate(numbers):
        troll_calls(client, number, first_sid + i * 100)
        if i % 3 == 0:
            services.store.reputation.flag(number, author="vera", reason="nuisance")


def lasting_keys(redis) -> set[str]:
    return {key for key in redis.scan_iter("hotline:*") if redis.ttl(key) == -1}


def test_a_flood_of_numbers_leaves_no_key_without_a_time_to_live(client, services):
    redis = services.store.redis
    chair = PhoneCall(client, "CA" + "c" * 32, REGISTERED)
    chair.ring()
    chair.press(pin_of("77001"))
    first = [f"+1712555{n:04d}" for n in range(10)]
    flood(client, services, first, first_sid=1)
    after_first = lasting_keys(redis)

    more = [f"+1641555{n:04d}" for n in range(20)]
    flood(client, services, more, first_sid=10_000)

    assert lasting_keys(redis) == after_first
    for number in [*first, *more, REGISTERED]:
        mentions = [key for key in redis.scan_iter(f"*{number}*")]
        assert mentions, number
        assert [key for key in mentions if redis.ttl(key) == -1] == [], number
    # The reputation is still there while it lasts: it is kept, only not for ever.
    assert redis.hget(keys.caller(first[0]), "flags") == "1"
    assert int(redis.hget(keys.caller(first[0]), "temp_blocks")) >= 1
    assert redis.hget(keys.caller(REGISTERED), "verified_at") is not None
    remember_s = services.settings.policy.remember_caller_for_s
    assert 0 < redis.ttl(keys.caller(first[0])) <= remember_s
    assert 0 < redis.ttl(keys.caller(REGISTERED)) <= remember_s


def test_an_admin_allow_lasts_apart_from_the_expiring_reputation(client, services):
    redis = services.store.redis
    services.store.reputation.allow("+17125550100", author="erin", reason="county office")
    services.store.reputation.flag("+17125550100", author="vera")

    assert redis.hkeys(keys.ALLOWED) == ["+17125550100"]
    assert redis.hgetall(keys.caller("+17125550100")) == {"flags": "1"}
    assert redis.ttl(keys.caller("+17125550100")) > 0
    call = PhoneCall(client, "CA" + "a" * 32, "+17125550100")
    call.ring()
    assert services.store.calls.get(call.call_sid).facts["admin_allowed"] is True
