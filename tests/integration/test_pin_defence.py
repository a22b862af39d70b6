"""The PIN defence and replay protection through signed webhooks, against a real Redis.

Each test covers one finding of the attack on Hotline; its docstring names the finding.
Those that say what the attack did failed on the code before the fix; the others hold
the same promise where it already held.
"""

from __future__ import annotations

import pytest

from hotline.pins import volunteer_pin_digest
from hotline.sim.jobs import drain
from hotline.store import audit, keys
from hotline.store.roster import Precinct
from tests.support.calls import PhoneCall
from tests.support.console import (
    add_admin,
    add_volunteer,
    csrf_from,
    signed_in,
    volunteer_ready,
)
from tests.support.phone_night import (
    VOLUNTEER_BACKUP_CODE,
    VOLUNTEER_LINE,
    VOLUNTEER_PHONE,
    VOLUNTEER_PIN,
    Person,
    phone_night,
)
from tests.support.redis_state import snapshot
from tests.support.roster import backup_code_of, load_small_roster, pin_of
from tests.support.twilio import PIN_KEY, PUBLIC_URL, post_to_url, signed_post
from tests.support.xml import shape, verbs

REGISTERED = "+15155550177"  # precinct 77001's registered chair phone
TROLL = "+17125550666"
HOUR = 3600
WRONG = ("000001", "000002", "000003")
CALL_BACK_77001 = (
    "For your security, precinct 7 7 0 0 1 is confirmed on its registered "
    "phone, the one ending in 0 1 7 7. Please hang up now. We will call that "
    "phone within a minute: answer it and enter your PIN. If that phone is not "
    "with you, call this number again now, and you will be asked for the "
    "backup code from your PIN sheet instead."
)


@pytest.fixture(autouse=True)
def roster(services):
    load_small_roster(services)


def guess(client, sid: str, number: str | None, precinct: str | None, guesses, **extra):
    """A call that keys `precinct` (unless the number is fast-tracked) and then each guess;
    returns the call and the last answer.
    """
    call = PhoneCall(client, sid, number, **extra)
    call.ring()
    if precinct is not None:
        call.press(precinct)
    last = None
    for digits in guesses:
        last = call.press(digits)
        if "Gather" not in verbs(last.data):
            break
    return call, last


def failures(services, key: str) -> int:
    return services.store.redis.zcard(key)


# Finding 1: a spoofed registered chair number


def test_a_spoofed_chair_number_gets_five_pin_checks_then_not_the_pin_alone(client, services):
    """Finding 1: from precinct 77001's registered number, 10 calls of 3 wrong PINs were
    never limited, and the right PIN alone still let the caller in afterwards.
    """
    answers = []
    for n in range(10):
        _, last = guess(client, f"CA{n}", REGISTERED, None, WRONG)
        answers.append(shape(last.data)[0][2])
    # Five checks, then the PIN is no longer checked: first a call back to the real
    # phone (only one: they are spaced), then the backup code for every later call.
    assert failures(services, keys.precinct_pin_failures("77001")) == 5
    assert failures(services, keys.PIN_FAILURES) == 5
    hour = int(services.clock.now() // HOUR)
    assert services.store.redis.hgetall(keys.pin_checks(hour)) == {"precinct:77001": "5"}
    assert answers[1] == CALL_BACK_77001
    assert services.store.redis.zcard(keys.call_backs(REGISTERED)) == 1
    # The chair's number is never blocked for it.
    assert services.store.blocks.get(REGISTERED) is None
    # The right PIN alone is no longer enough; with the backup code it is (one step more).
    chair = PhoneCall(client, "CACHAIR", REGISTERED)
    chair.ring()
    backup_prompt = chair.press(pin_of("77001"))
    assert "backup code" in shape(backup_prompt.data)[0][3][0][2]
    assert verbs(chair.press(backup_code_of("77001")).data) == ["Say", "Gather"]  # report choice
    assert verbs(chair.press("2").data) == ["Say", "Enqueue"]


def test_a_call_back_to_the_registered_phone_proves_the_chair_with_their_place_kept(
    redis_url, clock
):
    """Finding 1: once the budget is spent, the registered phone is called back; a spoofer
    cannot answer it, the real chair keys the PIN there and holds in the line with the
    place of the call that asked for it.
    """
    with phone_night(redis_url, clock) as (services, loop, network, _):
        for _ in range(2):  # a spoofer spends 77001's budget from its own number
            troll = network.place_inbound(Person(*WRONG), REGISTERED)
            loop.run(loop.now() + 90)
            assert not troll.live
        drain(services.queue)  # the spoofer's call back goes out...
        nobody_there = [c for c in network.calls.values() if c.direction == "outbound-api"]
        assert [c.to for c in nobody_there] == [REGISTERED]  # ...and rings out unanswered
        loop.run(loop.now() + 600)  # past the spacing of calls back

        asking = network.place_inbound(Person(pin_of("77001")), REGISTERED)
        loop.run(loop.now() + 40)
        assert asking.heard[-1] == CALL_BACK_77001 and not asking.live
        answered = Person(pin_of("77001"))
        network.callees[REGISTERED] = lambda: (answered, 5.0)
        drain(services.queue)
        loop.run(loop.now() + 60)

        call_back = [c for c in network.calls.values() if c.direction == "outbound-api"][-1]
        assert call_back.heard[0] == (
            "This is the caucus results hotline, confirming precinct 7 7 0 0 1. If you did not "
            "just call the hotline, please hang up. Otherwise enter the precinct's PIN, then "
            "press pound."
        )
        assert call_back.queue is not None and call_back.queue.name == "chairs"
        [waiting] = services.store.line.waiting()
        assert (waiting.call_sid, waiting.precinct, waiting.verified_how) == (
            call_back.sid,
            "77001",
            "call-back",
        )
        assert waiting.score == asking.created_at  # the asking call's place, kept


# Finding 2: the volunteer line


def volunteer_line_call(network, loop, person):
    call = network.place_inbound(person, VOLUNTEER_PHONE, voice_url=VOLUNTEER_LINE)
    loop.run(loop.now() + 90)
    return call


def test_guessing_a_volunteers_pin_is_budgeted_and_never_blocks_their_phone(redis_url, clock):
    """Finding 2: 24 wrong PINs from a volunteer's number were not counted at all: no
    budget, no block, and a right guess would have made the caller a volunteer.
    """
    with phone_night(redis_url, clock) as (services, loop, network, _):
        for _ in range(8):
            volunteer_line_call(network, loop, Person(*WRONG))
        assert failures(services, keys.volunteer_pin_failures("v1")) == 5
        assert services.store.blocks.get(VOLUNTEER_PHONE) is None
        assert services.store.dispatch.state("v1") is None  # never on duty


def test_a_real_volunteer_gets_in_with_the_backup_code_after_a_spoofer(redis_url, clock):
    """Finding 2: the real volunteer gets in at most one step later: their PIN alone is not
    checked once the budget is spent, the backup code is.
    """
    with phone_night(redis_url, clock) as (services, loop, network, _):
        for _ in range(2):
            volunteer_line_call(network, loop, Person(*WRONG))  # books the one call back
        call = volunteer_line_call(network, loop, Person(VOLUNTEER_PIN, VOLUNTEER_BACKUP_CODE))
        assert "One more check tonight." in " ".join(call.heard)
        assert call.conference is not None and call.conference.name == "volunteer-v1"
        assert services.store.dispatch.state("v1").status == "available"


def test_a_real_volunteer_gets_in_by_the_call_back_a_spoofer_cannot_answer(redis_url, clock):
    """Finding 2: past the budget the volunteer's registered phone is called back."""
    with phone_night(redis_url, clock) as (services, loop, network, _):
        for _ in range(2):
            volunteer_line_call(network, loop, Person(*WRONG))
        drain(services.queue)  # the spoofer's call back rings the real phone: nobody answers
        loop.run(loop.now() + 300)  # past the spacing of calls back
        asking = volunteer_line_call(network, loop, Person(VOLUNTEER_PIN))
        assert asking.heard[-1].startswith("For your security, we will call your registered")
        answering = Person(VOLUNTEER_PIN)
        network.callees[VOLUNTEER_PHONE] = lambda: (answering, 5.0)
        drain(services.queue)
        loop.run(loop.now() + 60)
        call_back = [c for c in network.calls.values() if c.direction == "outbound-api"][-1]
        assert call_back.conference is not None and call_back.conference.name == "volunteer-v1"
        state = services.store.dispatch.state("v1")
        assert (state.status, state.call_sid) == ("available", call_back.sid)


def test_a_spoofed_volunteer_call_ending_does_not_take_the_volunteer_off_duty(redis_url, clock):
    """A spoofer calling the volunteer line with an on-duty volunteer's number, then
    hanging up, took the real volunteer off duty.
    """
    with phone_night(redis_url, clock) as (services, loop, network, _):
        network.place_inbound(Person(VOLUNTEER_PIN), VOLUNTEER_PHONE, voice_url=VOLUNTEER_LINE)
        loop.run(loop.now() + 30)
        assert services.store.dispatch.state("v1").status == "available"
        spoofer = network.place_inbound(Person("111111"), VOLUNTEER_PHONE, voice_url=VOLUNTEER_LINE)
        loop.run(loop.now() + 5)
        network.hang_up(spoofer)
        assert services.store.dispatch.state("v1").status == "available"
        assert services.store.redis.zscore(keys.FREE_VOLUNTEERS, "v1") is not None


# Finding 3: many numbers, one precinct; and the alarm


def test_guessing_one_precinct_from_many_numbers_is_capped_at_its_budget(client, services):
    """Finding 3: 10 numbers with 5 wrong PINs each against 1002 raised nothing, and every
    guess was checked. Now 5 are checked in the hour, the rest need the backup code too.
    """
    for n in range(10):
        guess(client, f"CA{n}", f"+1712555{n:04d}", "1002", WRONG[:2])
    assert failures(services, keys.precinct_pin_failures("1002")) == 5
    chair = PhoneCall(client, "CACHAIR", "+15155550102")
    chair.ring()
    chair.press("1002")
    chair.press(pin_of("1002"))
    assert verbs(chair.press(backup_code_of("1002")).data) == ["Say", "Gather"]  # report choice
    assert verbs(chair.press("2").data) == ["Say", "Enqueue"]


def test_guessing_across_the_hotline_raises_the_alarm_then_switches_flood_mode_on(
    client, services, app
):
    """Finding 3: guessing spread across precincts raised no alarm. Past 60 failed PINs in
    ten minutes the admins see one (console and `hotline calls`); past 120, flood mode goes
    on by itself, audited, though the automatic switch by call rate is off.
    """
    services.store.roster.replace_all(
        Precinct(code=f"{2000 + n}", county="Adair", name=f"P{n}", pin_digest="0" * 64)
        for n in range(80)
    )
    for n in range(31):  # 2 wrong PINs a call, each call a new number and precinct
        guess(client, f"CA{n}", f"+1712555{n:04d}", f"{2000 + n}", WRONG[:2])
    assert failures(services, keys.PIN_FAILURES) == 62
    assert services.store.reputation.flood() is False
    add_admin(services)
    page = admin_page(app)
    assert (
        "PIN alarm: 62 failed PINs across the hotline in the last 10 minutes (alarm at "
        "60, flood mode at 120)."
    ) in page
    # On the audit trail once, by the check that raised it, for the night's report.
    alarms = [e for e in audit_of(services) if e[0] == "pin-alarm"]
    assert alarms == [
        (
            "pin-alarm",
            "*",
            "pin-alarm",
            "60 failed PINs across the hotline in the last 10 minutes (alarm at 60)",
        )
    ]
    for n in range(31, 61):
        guess(client, f"CA{n}", f"+1712555{n:04d}", f"{2000 + n}", WRONG[:2])
    assert failures(services, keys.PIN_FAILURES) == 120
    assert services.store.reputation.flood_switched_by() == "pin-alarm"
    [entry] = [e for e in audit_of(services) if e[0] == "flood-on"]
    assert [e for e in audit_of(services) if e[0] == "pin-alarm"] == alarms
    assert entry[2] == "pin-alarm"
    assert entry[3] == (
        "120 failed PINs across the hotline in the last 10 minutes (flood mode at 120)"
    )
    assert "Flood mode was switched on by the alarm" in admin_page(app)


def admin_page(app) -> str:
    client = app.test_client()
    form = client.get("/console/login").get_data(as_text=True)
    client.post(
        "/console/login",
        data={
            "name": "boss",
            "password": "correct horse battery staple",
            "csrf_token": csrf_from(form),
        },
    )
    return client.get("/console/").get_data(as_text=True)


def audit_of(services) -> list[tuple[str, str, str, str]]:
    return [
        (e.action, e.target, e.author, e.reason) for e in audit.recent(services.store.redis, 100)
    ]


# Finding 4: shutting a real chair out


def test_a_spoofed_chair_number_failing_stir_is_never_blocked_for_pin_failures(client, services):
    """Finding 4: the chair's number, spoofed with a failed STIR/SHAKEN check, fell to the
    keyed-precinct path, and 6 wrong PINs blocked the real chair's number.
    """
    for n, precinct in enumerate(("1001", "1002", "1001")):
        guess(client, f"CA{n}", REGISTERED, precinct, WRONG, StirVerstat="TN-Validation-Failed-C")
    assert failures(services, keys.caller_pin_failures(REGISTERED)) >= 6
    assert services.store.blocks.get(REGISTERED) is None
    assert verbs(PhoneCall(client, "CACHAIR", REGISTERED).ring().data) == ["Gather"]


def test_an_allowed_number_is_never_blocked_for_pin_failures(client, services):
    """Finding 4: a number an admin had allowed was blocked by PIN failures."""
    services.store.reputation.allow(TROLL, author="ann")
    for n, precinct in enumerate(("1001", "1002", "77001")):
        guess(client, f"CA{n}", TROLL, precinct, WRONG)
    assert failures(services, keys.caller_pin_failures(TROLL)) == 9
    assert services.store.blocks.get(TROLL) is None


# Finding 5: two callers for one precinct


def test_two_verified_callers_for_one_precinct_are_both_served(client, services):
    """Finding 5: a second caller who verified the same precinct replaced the first, who
    heard a place in line but was never put through.
    """
    first = PhoneCall(client, "CA1", "+15155550101")
    second = PhoneCall(client, "CA2", "+15155550102")
    for call in (first, second):
        call.ring()
        call.press("1001")
        call.press(pin_of("1001"))
        call.press("2")  # a volunteer, please
        call.hold()
    assert [c.call_sid for c in services.store.line.waiting()] == ["CA1", "CA2"]
    vid = add_volunteer(services)
    volunteer_ready(services, vid)
    services.store.volunteers.add("Ben", "+15155550998", lambda _vid: "0" * 64, author="test")
    services.store.dispatch.volunteer_ready(
        "v2", call_sid="CAV2", room="volunteer-v2", now=services.clock.now()
    )
    paired = [services.store.dispatch.pair(now=services.clock.now()) for _ in range(2)]
    assert sorted(p.call_sid for p in paired) == ["CA1", "CA2"]
    assert {p.precinct for p in paired} == {"1001"}


def test_the_console_shows_both_callers_for_one_precinct(client, services, app):
    """Finding 5: the console shows both: the admins' waiting list counts them, and the
    volunteer talking to one sees that the other waits.
    """
    for n, phone in ((1, "+15155550101"), (2, "+15155550102")):
        call = PhoneCall(client, f"CA{n}", phone)
        call.ring()
        call.press("1001")
        call.press(pin_of("1001"))
        call.press("2")  # a volunteer, please
        call.hold()
    add_admin(services)
    assert "1001 <small>(2 calls)</small>" in admin_page(app)
    vid = add_volunteer(services)
    volunteer_ready(services, vid)
    pairing = services.store.dispatch.pair(now=services.clock.now())
    assert services.store.dispatch.confirm(
        vid, pairing.id, "CA1", precinct="1001", now=services.clock.now()
    )
    console = app.test_client()
    signed_in(console)
    card = console.get("/console/").get_data(as_text=True)
    assert '<td id="card-same-precinct">1 more waiting in line</td>' in card


# Finding 6: replays


def test_a_pin_request_replayed_after_the_call_ended_changes_nothing(client, services):
    """Finding 6: a captured signed /voice/pin request, replayed after its call had ended,
    put the dead call back in line.
    """
    call = PhoneCall(client, "CA1", "+15155550101")
    call.ring()
    call.press("1001")
    pin_url = call.gather_action()
    pin_form = {**call.params, "Digits": pin_of("1001")}
    call.press(pin_of("1001"))
    call.press("2")  # a volunteer, please
    call.end()
    before = snapshot(services.store.redis, "hotline:*")

    replayed = post_to_url(client, pin_url, pin_form)

    assert replayed.status_code == 409
    assert snapshot(services.store.redis, "hotline:*") == before
    assert services.store.line.size() == 0


def test_a_step_the_call_has_passed_is_refused_while_the_call_is_live(client, services):
    """Finding 6: each keypad step is applied once and in order."""
    call = PhoneCall(client, "CA1", "+15155550101")
    call.ring()
    precinct_url = call.gather_action()
    call.press("1001")
    before = snapshot(services.store.redis, "hotline:*")
    again = post_to_url(client, precinct_url, {**call.params, "Digits": "1002"})
    assert again.status_code == 409
    assert snapshot(services.store.redis, "hotline:*") == before
    assert verbs(call.press(pin_of("1001")).data) == ["Say", "Gather"]  # report choice
    assert verbs(call.press("2").data) == ["Say", "Enqueue"]  # the real call goes on


def test_a_volunteer_pin_replayed_after_their_call_ended_does_not_put_them_on_duty(
    client, services
):
    """Finding 6: a replayed /voice/volunteer-pin would mark a volunteer available on a call
    that had ended, and chairs would be sent to an empty room.
    """
    services.store.volunteers.add(
        "Ann",
        VOLUNTEER_PHONE,
        lambda vid: volunteer_pin_digest(PIN_KEY, vid, VOLUNTEER_PIN),
        author="test",
    )
    params = {"CallSid": "CAV", "From": VOLUNTEER_PHONE, "To": "+15155550000"}
    asked = signed_post(client, "/voice/volunteer", params)
    pin_url = shape(asked.data)[0][1]["action"]
    assert verbs(post_to_url(client, pin_url, {**params, "Digits": VOLUNTEER_PIN}).data) == [
        "Say",
        "Dial",
    ]
    signed_post(client, "/voice/status", {**params, "CallStatus": "completed"})
    assert services.store.dispatch.state("v1").status == "offline"

    replayed = post_to_url(client, pin_url, {**params, "Digits": VOLUNTEER_PIN})

    assert replayed.status_code == 409
    assert services.store.dispatch.state("v1").status == "offline"


def test_wait_and_hold_key_replayed_after_the_call_ended_change_nothing(client, services):
    """Finding 6: a chair who asked to be called back keeps a line entry after their call
    ends; replaying that call's wait request or key press changes nothing.
    """
    call = PhoneCall(client, "CA1", "+15155550101")
    call.ring()
    call.press("1001")
    call.press(pin_of("1001"))
    call.press("2")  # a volunteer, please
    wait_url = call.enqueue().get("waitUrl")
    hold = call.hold()
    hold_key = shape(hold.data)[0][1]["action"]
    assert verbs(post_to_url(client, hold_key, {**call.params, "Digits": "1"}).data) == [
        "Say",
        "Hangup",
    ]
    call.end()
    before = snapshot(services.store.redis, "hotline:*")
    assert post_to_url(client, wait_url, {**call.params, "QueuePosition": "1"}).status_code == 200
    assert post_to_url(client, hold_key, {**call.params, "Digits": "1"}).status_code == 200
    assert snapshot(services.store.redis, "hotline:*") == before


def test_a_connect_replayed_after_the_pairing_is_done_changes_nothing(client, services):
    """Finding 6: a replayed /voice/connect took a waiting chair out of the line."""
    first = PhoneCall(client, "CA1", "+15155550101")
    first.ring()
    first.press("1001")
    first.press(pin_of("1001"))
    first.press("2")  # a volunteer, please
    first.hold()
    vid = add_volunteer(services)
    volunteer_ready(services, vid)
    pairing = services.store.dispatch.pair(now=services.clock.now())
    query = {"volunteer": vid, "precinct": "1001", "pairing": pairing.id}
    assert verbs(signed_post(client, "/voice/connect", first.params, query=query).data) == [
        "Say",
        "Dial",
    ]
    second = PhoneCall(client, "CA2", "+15155550102")
    second.ring()
    second.press("1002")
    second.press(pin_of("1002"))
    second.press("2")  # a volunteer, please
    second.hold()
    before = snapshot(services.store.redis, "hotline:*")

    replayed = signed_post(client, "/voice/connect", first.params, query=query)

    assert verbs(replayed.data) == ["Say", "Enqueue"]  # back on hold, nothing changed
    assert snapshot(services.store.redis, "hotline:*") == before
    assert [c.call_sid for c in services.store.line.waiting()] == ["CA2"]


def test_a_call_back_is_used_by_the_call_that_answered_it_only(client, services):
    """Finding 6: the call-back URLs are applied once: a second call presenting the same
    verification is refused.
    """
    verification = services.store.verifications.book(
        now=services.clock.now(),
        kind="precinct",
        target="77001",
        phone=REGISTERED,
        from_number="+15155550000",
        arrived_at=services.clock.now(),
    )
    url = f"{PUBLIC_URL}/voice/verify-answer?verification={verification.id}"
    answer = {"CallSid": "CAOUT1", "From": "+15155550000", "To": REGISTERED}
    assert verbs(post_to_url(client, url, answer).data) == ["Gather"]
    other = post_to_url(client, url, {**answer, "CallSid": "CAOUT2"})
    assert other.status_code == 409


# Finding 10: one guard for every /voice/ route


def test_every_voice_route_refuses_unsigned_requests(app, client, services):
    """Finding 10: deleting the signature guard from one blueprint left every test green.
    The guard is one check for the whole of /voice/, and this walks every route there.
    """
    voice_rules = [
        rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/voice/")
    ]
    assert len(voice_rules) >= 15
    before = snapshot(services.store.redis, "hotline:*")
    for path in voice_rules:
        params = {"CallSid": "CA1", "From": REGISTERED, "Digits": "1"}
        assert client.post(path, data=params).status_code == 403, path
        wrong = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
        assert client.post(path, data=params, headers=wrong).status_code == 403, path
    assert client.post("/voice/no-such-route", data={}).status_code == 403
    assert snapshot(services.store.redis, "hotline:*") == before
