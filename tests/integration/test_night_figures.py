"""The night's figures as Redis keeps them (store/night_figures.py): every call counted once,
under the minute it arrived in, by what it got; and tonight's thresholds as every process
reads them (store/tonight.py).
"""

from __future__ import annotations

from hotline.services import Services
from hotline.steps import admin
from hotline.store import keys, night_figures
from tests.support.calls import PhoneCall
from tests.support.roster import load_small_roster, pin_of
from tests.support.twilio import post_to_url, signed_post

TROLL = "+15155550166"
# The number the test calls dial (tests/support/calls.py).
HOTLINE_NUMBER = "+15155550000"


def minute_figures(services, at: float) -> dict[str, int]:
    minute = night_figures.minute_of(at)
    found = services.store.redis.hgetall(night_figures.hour_key(minute))
    return {
        name.partition(":")[2]: int(count)
        for name, count in found.items()
        if name.startswith(f"{minute}:")
    }


def test_a_call_twilio_posts_twice_is_counted_once(client, services, clock):
    services.store.blocks.block("+15155550177", reason="x", author="ann")
    for sid in ("CAone", "CAtwo"):
        for _ in range(2):
            PhoneCall(client, sid, TROLL).ring()
            PhoneCall(client, f"{sid}blocked", "+15155550177").ring()
    # Each call once for the number it dialled too, rejected or answered.
    assert minute_figures(services, clock.now()) == {
        "answered": 2,
        "rejected": 2,
        f"calls@{HOTLINE_NUMBER}": 4,
    }
    redis = services.store.redis
    assert redis.zrange(keys.TOP_CALLERS, 0, -1, withscores=True) == [(TROLL, 2.0)]


def test_a_call_blocked_for_its_failed_pins_is_counted_as_the_challenge_it_got(
    client, services, clock, run_jobs
):
    """Six failed PINs block the number (3 a call), and the second call's record says
    temp-block; the night's figures count what both calls got on arrival.
    """
    load_small_roster(services)
    calls = []
    for sid, precinct in (("CApin1", "1001"), ("CApin2", "1002")):
        call = PhoneCall(client, sid, TROLL)
        call.ring()
        call.press(precinct)
        for _ in range(3):
            call.press("000000")
        calls.append(call)
    assert services.store.calls.get("CApin2").verdict == "temp-block"
    arrived = clock.now()
    clock.advance(120)
    for call in calls:
        call.end(duration=60)
    run_jobs()
    # No chair verified on the number: every PIN was wrong.
    assert minute_figures(services, arrived) == {
        "answered": 2,
        "challenge": 2,
        f"calls@{HOTLINE_NUMBER}": 2,
    }
    assert services.store.calls.get("CApin2").verdict == "temp-block"
    assert minute_figures(services, clock.now()) == {}


def test_a_caller_on_the_volunteer_line_is_counted_once_as_diverted(client, services, clock):
    for n in range(1, 9):
        response = signed_post(
            client,
            "/voice/volunteer",
            {"CallSid": f"CAvol{n}", "From": TROLL, "To": "+15155550001"},
        )
        assert response.status_code == 200
    # The first six are challenges the line diverts; the seventh and eighth are diverted by
    # the rules (7 calls in 15 minutes) before the line diverts them again: once each.
    assert services.store.calls.get("CAvol7").reasons[0] == "not a registered volunteer"
    assert minute_figures(services, clock.now()) == {
        "answered": 8,
        "diverted": 8,
        "calls@+15155550001": 8,
    }


def test_another_process_judges_by_the_version_a_call_arrived_under(
    client, services, clock, settings, redis_url
):
    admin.change_threshold(
        services, "escalation.temp_block_calls_long", "8", author="ann", reason="busy night"
    )
    PhoneCall(client, "CAv", TROLL).ring()
    version = services.store.tonight.overlay().version
    assert services.store.calls.get("CAv").facts["policy_version"] == version
    admin.change_threshold(
        services, "escalation.temp_block_calls_long", "9", author="ann", reason="calmer"
    )
    worker = Services.build(settings, clock=clock, redis_url=redis_url)
    assert worker.store.tonight.policy_at(version).escalation.normal.temp_block_calls_long == 8
    assert worker.store.tonight.policy().escalation.normal.temp_block_calls_long == 9
    assert worker.store.tonight.policy_at("a version Redis never had") == settings.policy


OLD_NUMBER = "+15155550000"
NEW_NUMBER = "+15155550300"


def test_calls_and_chairs_verified_are_counted_for_the_number_they_dialled(client, services, clock):
    """One call on each number that verifies its chair (a keyed precinct and PIN on the
    old number, a registered chair's phone on the new one), one on the new number that
    keys a wrong PIN: each counted once for the number it dialled, in the round trips the
    inbound webhook and the PIN step make anyway.
    """
    load_small_roster(services)
    keyed = PhoneCall(client, "CAold", "+15155550142", To=OLD_NUMBER)
    keyed.ring()
    keyed.press("1001")
    keyed.press(pin_of("1001"))
    chair = PhoneCall(client, "CAnew", "+15155550177", To=NEW_NUMBER)
    chair.ring()
    chair.press(pin_of("77001"))
    wrong = PhoneCall(client, "CAwrong", "+15155550143", To=NEW_NUMBER)
    wrong.ring()
    wrong.press("1002")
    wrong.press("000000")
    # Twilio posts the PIN twice: the step is applied once, and counted once.
    post_to_url(client, chair.gather_action(), {**chair.params, "Digits": pin_of("77001")})

    assert minute_figures(services, clock.now()) == {
        "answered": 3,
        f"calls@{OLD_NUMBER}": 1,
        f"calls@{NEW_NUMBER}": 2,
        f"verified@{OLD_NUMBER}": 1,
        f"verified@{NEW_NUMBER}": 1,
    }
    minute = night_figures.minute_of(clock.now())
    assert services.store.redis.ttl(night_figures.hour_key(minute)) == night_figures.FIGURES_TTL_S


def test_a_chair_back_in_line_from_the_keypad_is_not_counted_again(services, clock):
    line = services.store.line
    services.store.calls.arrive(
        now=clock.now(), call_sid="CAkeypad", number="+15155550142", request={"to": NEW_NUMBER}
    )
    for how in ("keyed-precinct", "keypad-report"):
        line.join(
            now=clock.now(),
            precinct="1001",
            call_sid="CAkeypad",
            number="+15155550142",
            verified_how=how,
            hotline_number=NEW_NUMBER,
        )
        line.step_out("CAkeypad")
    # Put in line by the store with no number dialled (a test's chair): not counted.
    line.join(
        now=clock.now(),
        precinct="1002",
        call_sid="CAnowhere",
        number="+15155550143",
        verified_how="keyed-precinct",
    )
    assert minute_figures(services, clock.now()) == {
        "answered": 1,
        f"calls@{NEW_NUMBER}": 1,
        f"verified@{NEW_NUMBER}": 1,
    }
