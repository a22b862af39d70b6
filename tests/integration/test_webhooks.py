"""The voice webhooks through signed requests, against a real Redis."""

from __future__ import annotations

import json
import logging

import pytest

from hotline.app import create_app
from hotline.pins import pin_digest
from hotline.services import Services
from hotline.settings import Settings
from hotline.store import keys
from hotline.store.calls import CALL_RECORD_TTL_S
from tests.support.calls import PhoneCall
from tests.support.env import settings_env
from tests.support.redis_state import snapshot
from tests.support.roster import backup_code_of, load_small_roster, pin_of
from tests.support.twilio import PUBLIC_URL, SECRET_KEY, signature, signed_post
from tests.support.xml import shape, verbs

CHAIR = "+15155550101"
TROLL = "+17125550666"
SAY = {"language": "en-US"}
HEADER = '<?xml version="1.0" encoding="UTF-8"?>'


@pytest.fixture(autouse=True)
def roster(services):
    load_small_roster(services)


# A call's first prompt also offers Spanish, in Spanish.
SPANISH_OFFER = ("Say", {"language": "es-US", "voice": "Polly.Lupe"}, "Para español, oprima 9.", [])


def gather(
    action: str, prompt: str, preface: str | None = None, *, first: bool = False
) -> list[tuple]:
    steps = [("Say", SAY, preface, [])] if preface else []
    return steps + [
        (
            "Gather",
            {
                "action": action,
                "actionOnEmptyResult": "true",
                "finishOnKey": "#",
                "input": "dtmf",
                "method": "POST",
                "timeout": "6",
            },
            "",
            [("Say", SAY, prompt, []), *([SPANISH_OFFER] if first else [])],
        )
    ]


ASK_PRECINCT = (
    "Welcome to the caucus results hotline. Please enter your precinct number, then press pound."
)
ASK_PIN = "Please enter your chair PIN, then press pound."
OFFER_CALLBACK = "To hang up and be called back without losing your place, press 1."


# Signatures


@pytest.mark.parametrize(
    "path",
    [
        "/voice/incoming",
        "/voice/status",
        "/voice/precinct",
        "/voice/pin",
        "/voice/wait",
        "/voice/queue-exit",
    ],
)
def test_unsigned_and_badly_signed_requests_get_403(client, services, path):
    before = sorted(services.store.redis.keys("*"))
    params = {"CallSid": "CA1", "From": CHAIR, "CallStatus": "completed"}
    assert client.post(path, data=params).status_code == 403
    bad = {"X-Twilio-Signature": signature(PUBLIC_URL + path, params, token="wrong-token")}
    assert client.post(path, data=params, headers=bad).status_code == 403
    # Signed for another host: the app checks against HOTLINE_PUBLIC_URL, not its own.
    other = {"X-Twilio-Signature": signature("https://elsewhere.test" + path, params)}
    assert client.post(path, data=params, headers=other).status_code == 403
    tampered = {"X-Twilio-Signature": signature(PUBLIC_URL + path, params)}
    assert client.post(path, data={**params, "From": TROLL}, headers=tampered).status_code == 403
    assert sorted(services.store.redis.keys("*")) == before  # nothing was counted or stored


@pytest.mark.parametrize("header", ["é" * 28, "\u2603", "ÿ"])
@pytest.mark.parametrize("path", ["/voice/incoming", "/voice/status", "/voice/volunteer"])
def test_a_signature_that_is_not_ascii_is_a_plain_403_with_nothing_logged(
    client, services, caplog, path, header
):
    """Finding 8: a non-ASCII X-Twilio-Signature raised inside compare_digest, which logged
    a traceback (log flooding on demand) and answered 200; now it is a quiet 403.
    """
    before = sorted(services.store.redis.keys("*"))
    params = {"CallSid": "CA1", "From": CHAIR, "CallStatus": "completed"}
    response = client.post(path, data=params, headers={"X-Twilio-Signature": header})
    assert response.status_code == 403
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sorted(services.store.redis.keys("*")) == before


def test_without_an_auth_token_every_webhook_is_refused(services, redis_url, clock):
    settings = Settings.load(env=settings_env(TWILIO_AUTH_TOKEN=""))
    app = create_app(Services.build(settings, clock=clock, redis_url=redis_url))
    response = signed_post(app.test_client(), "/voice/incoming", {"CallSid": "CA1", "From": CHAIR})
    assert response.status_code == 403


# A chair's call


def test_chair_call_from_ring_to_enqueue(client, services, clock):
    call = PhoneCall(client, "CA100", CHAIR)
    ring = call.ring()
    assert ring.mimetype == "text/xml"
    assert ring.data.decode() == (
        f'{HEADER}<Response><Gather action="{PUBLIC_URL}/voice/precinct?reprompts=0&amp;step=0" '
        'actionOnEmptyResult="true" finishOnKey="#" input="dtmf" method="POST" timeout="6">'
        f'<Say language="en-US">{ASK_PRECINCT}</Say>'
        '<Say language="es-US" voice="Polly.Lupe">Para español, oprima 9.</Say></Gather>'
        "</Response>"
    )
    pin_prompt = call.press("1001")
    assert shape(pin_prompt.data) == gather(
        f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=0&reprompts=0&step=1",
        ASK_PIN,
    )
    clock.advance(20)
    choice = call.press(pin_of("1001"))
    assert choice.data.decode() == (
        f'{HEADER}<Response><Say language="en-US">Thank you. Precinct 1 0 0 1 is verified.</Say>'
        f'<Gather action="{PUBLIC_URL}/voice/report-choice?precinct=1001&amp;reprompts=0&amp;'
        'step=2" actionOnEmptyResult="true" input="dtmf" method="POST" numDigits="1" '
        'timeout="6"><Say language="en-US">To report your results on the keypad, press 1. '
        "To speak to a volunteer, press 2.</Say></Gather></Response>"
    )
    held = call.press("2")
    assert held.data.decode() == (
        f'{HEADER}<Response><Say language="en-US">Please hold for the next volunteer.</Say>'
        f'<Enqueue action="{PUBLIC_URL}/voice/queue-exit" method="POST" '
        f'waitUrl="{PUBLIC_URL}/voice/wait?precinct=1001" waitUrlMethod="POST">chairs</Enqueue>'
        "</Response>"
    )
    assert shape(call.hold().data) == [
        (
            "Gather",
            {
                "action": f"{PUBLIC_URL}/voice/hold-key?precinct=1001",
                "input": "dtmf",
                "method": "POST",
                "numDigits": "1",
                "timeout": "60",
            },
            "",
            [("Say", SAY, f"You are next in line. {OFFER_CALLBACK}", [])],
        )
    ]
    redis = services.store.redis
    assert redis.zrange(keys.LINE, 0, -1, withscores=True) == [("CA100", clock.now())]
    assert json.loads(redis.hget(keys.WAITING, "CA100")) == {
        "precinct": "1001",
        "call_sid": "CA100",
        "number": CHAIR,
        "verified_how": "keyed-precinct",
        "since": clock.now(),
        "to": "+15155550000",
    }
    assert redis.hgetall(keys.PRECINCT_PLACES) == {"1001": repr(clock.now())}
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "1"}
    record = services.store.calls.get("CA100")
    assert (record.precinct, record.verified_at) == ("1001", clock.now())
    assert redis.hget(keys.caller(CHAIR), "verified_at") == repr(clock.now())


def test_registered_chair_phone_is_asked_only_for_the_pin(client, services):
    call = PhoneCall(client, "CA1", "+15155550177")
    assert shape(call.ring().data) == gather(
        f"{PUBLIC_URL}/voice/pin?precinct=77001&how=registered-phone&tries=0&reprompts=0&step=0",
        "Welcome, chair of precinct 7 7 0 0 1. Please enter your PIN, then press pound.",
        first=True,
    )
    assert verbs(call.press(pin_of("77001")).data) == ["Say", "Gather"]  # report choice
    assert verbs(call.press("2").data) == ["Say", "Enqueue"]
    assert services.store.line.waiting()[0].verified_how == "registered-phone"


def test_spoofed_chair_number_failing_stir_must_key_the_precinct(client):
    call = PhoneCall(client, "CA1", "+15155550177", StirVerstat="TN-Validation-Failed-B")
    assert shape(call.ring().data) == gather(
        f"{PUBLIC_URL}/voice/precinct?reprompts=0&step=0", ASK_PRECINCT, first=True
    )


def test_second_place_is_announced(client, services):
    for sid, precinct in (("CA1", "1001"), ("CA2", "1002")):
        call = PhoneCall(client, sid, CHAIR if sid == "CA1" else "+15155550102")
        call.ring()
        call.press(precinct)
        call.press(pin_of(precinct))
        call.press("2")  # a volunteer, please
    assert shape(call.hold().data)[0][3] == [
        ("Say", SAY, f"You are number 2 in line. {OFFER_CALLBACK}", [])
    ]


def test_mistyped_pin_is_asked_again_then_accepted(client, services):
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    call.press("1001")
    again = call.press("000000")
    assert shape(again.data) == gather(
        f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=1&reprompts=0&step=2",
        ASK_PIN,
        preface="That PIN did not match.",
    )
    assert verbs(call.press(pin_of("1001")).data) == ["Say", "Gather"]  # report choice
    assert verbs(call.press("2").data) == ["Say", "Enqueue"]
    assert services.store.calls.get("CA1").pin_failures == 1


def test_a_digest_keyed_with_the_secret_itself_no_longer_matches(client, services):
    """Finding 8: the PIN webhook checks digests under the key derived for PINs, so a digest
    made before (keyed with HOTLINE_SECRET_KEY itself) does not let the chair in.
    """
    old_digest = pin_digest(SECRET_KEY.encode(), "1001", pin_of("1001"))
    services.store.redis.hset(keys.precinct("1001"), "pin_digest", old_digest)
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    call.press("1001")
    refused = call.press(pin_of("1001"))
    assert shape(refused.data) == gather(
        f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=1&reprompts=0&step=2",
        ASK_PIN,
        preface="That PIN did not match.",
    )
    assert services.store.calls.get("CA1").pin_failures == 1
    assert services.store.line.size() == 0


def test_three_wrong_pins_end_the_call_politely(client, services):
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    call.press("1001")
    call.press("1111")
    call.press("2222")
    last = call.press("3333")
    assert shape(last.data) == [
        (
            "Say",
            SAY,
            "We could not verify your PIN. Please check your PIN sheet and call again. Goodbye.",
            [],
        ),
        ("Hangup", {}, "", []),
    ]
    assert services.store.line.size() == 0


def test_unknown_precinct_and_silence_reprompt_a_bounded_number_of_times(client):
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    unknown = call.press("4242")
    assert shape(unknown.data) == gather(
        f"{PUBLIC_URL}/voice/precinct?reprompts=1&step=1",
        ASK_PRECINCT,
        preface="We could not find precinct 4 2 4 2.",
    )
    silence = call.press("")
    assert shape(silence.data) == gather(
        f"{PUBLIC_URL}/voice/precinct?reprompts=2&step=2",
        ASK_PRECINCT,
        preface="Sorry, we did not get that.",
    )
    assert shape(call.press("12ab").data) == [
        (
            "Say",
            SAY,
            "We did not receive your entry. Please call again when you are ready. Goodbye.",
            [],
        ),
        ("Hangup", {}, "", []),
    ]


def test_silence_at_the_pin_prompt_does_not_cost_a_try(client):
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    call.press("1001")
    assert shape(call.press("").data) == gather(
        f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=0&reprompts=1&step=2",
        ASK_PIN,
        preface="Sorry, we did not get that.",
    )


# Nuisance callers


def test_troll_who_redials_is_challenged_then_diverted_then_rejected(client, services):
    outcomes = []
    for n in range(1, 12):
        response = PhoneCall(client, f"CA{n}", TROLL).ring()
        outcomes.append(verbs(response.data))
    assert outcomes == [["Gather"]] * 6 + [["Say", "Hangup"]] * 2 + [["Reject"]] * 3
    divert = PhoneCall(client, "CAX", "+17125550667")
    block = services.store.blocks.get(TROLL)
    assert (block.author, block.reason) == ("triage", "9 calls in 1h (temporary block at 9)")
    assert block.expires_at == services.clock.now() + 3600
    assert services.store.calls.get("CA7").verdict == "divert"
    assert services.store.calls.get("CA7").reasons == ("7 calls in 15m (divert at 7)",)
    assert services.store.calls.get("CA10").verdict == "reject"
    assert divert.ring().status_code == 200  # another number is unaffected


def test_reject_is_the_first_and_only_verb(client, services):
    services.store.blocks.block(TROLL, reason="known troll", author="ann")
    response = PhoneCall(client, "CA1", TROLL).ring()
    assert response.data.decode() == f'{HEADER}<Response><Reject reason="busy" /></Response>'


def test_temp_blocked_again_after_expiry_becomes_a_lasting_block(client, services, clock):
    sid = 0
    for _round in range(3):
        for _ in range(9):
            sid += 1
            PhoneCall(client, f"CA{sid}", TROLL).ring()
        clock.advance(3601)  # the temporary block and the call window both lapse
    block = services.store.blocks.get(TROLL)
    assert block.expires_at is None
    assert block.reason == (
        "9 calls in 1h (temporary block at 9); already temporarily blocked 2 times"
    )


def test_one_number_guessing_pins_is_temporarily_blocked(client, services):
    for n, precinct in enumerate(("1001", "1002")):
        call = PhoneCall(client, f"CA{n}", TROLL)
        call.ring()
        call.press(precinct)
        for guess in ("111111", "222222", "333333"):
            last = call.press(guess)
    assert verbs(last.data) == ["Say", "Hangup"]
    block = services.store.blocks.get(TROLL)
    assert block.reason == "6 failed PINs in 1h (temporary block at 6)"
    assert services.store.calls.get("CA1").verdict == "temp-block"
    assert verbs(PhoneCall(client, "CA9", TROLL).ring().data) == ["Reject"]


def test_withheld_caller_id_is_challenged(client):
    for sid, raw in (("CA1", "Anonymous"), ("CA2", "+266696687"), ("CA3", None)):
        assert verbs(PhoneCall(client, sid, raw).ring().data) == ["Gather"]


FLOOD_CHALLENGE = (
    "This line is reserved for precinct chairs and is very busy. Chairs, "
    "enter your precinct number, then press pound."
)


def test_flood_mode_gives_unknown_callers_one_short_prompt_and_chairs_a_way_in(client, services):
    """In flood mode a caller who is not on a registered chair phone is not sent away (a
    chair without a registered phone would be shut out): one prompt, no second chance for
    silence, and the PIN alone is not enough.
    """
    services.store.reputation.set_flood(True, author="ann")
    troll = PhoneCall(client, "CA1", TROLL)
    assert shape(troll.ring().data) == gather(
        f"{PUBLIC_URL}/voice/precinct?reprompts=2&step=0&strict=1", FLOOD_CHALLENGE, first=True
    )
    assert verbs(troll.press("").data) == ["Say", "Hangup"]

    chair = PhoneCall(client, "CA2", CHAIR)
    chair.ring()
    assert shape(chair.press("1001").data) == gather(
        f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=0&reprompts=0&step=1"
        "&strict=1",
        ASK_PIN,
    )
    backup_prompt = chair.press(pin_of("1001"))
    assert shape(backup_prompt.data) == gather(
        f"{PUBLIC_URL}/voice/backup-code?precinct=1001&how=keyed-precinct&tries=0&reprompts=0"
        "&step=2&strict=1",
        "Precinct 1 0 0 1 needs one more check tonight. Please enter the eight digit backup "
        "code from your PIN sheet, then press pound.",
    )
    assert services.store.redis.zcard(keys.PIN_FAILURES) == 0  # the PIN was not checked alone
    assert verbs(chair.press(backup_code_of("1001")).data) == ["Say", "Gather"]  # report choice
    assert verbs(chair.press("2").data) == ["Say", "Enqueue"]
    assert services.store.line.waiting()[0].verified_how == "backup-code"
    # A registered chair phone keeps its fast track.
    assert verbs(PhoneCall(client, "CA3", "+15155550177").ring().data) == ["Gather"]


def test_out_of_state_callers_are_diverted_sooner(client):
    results = [
        verbs(PhoneCall(client, f"CA{n}", TROLL, FromState="NE", FromCountry="US").ring().data)
        for n in range(3)
    ]
    assert results == [["Gather"], ["Gather"], ["Say", "Hangup"]]


def test_log_only_mode_records_but_lets_everyone_through(redis_url, clock, tmp_path):
    override = tmp_path / "dry-run.toml"
    override.write_text('[triage]\nmode = "log-only"\n')
    settings = Settings.load(env=settings_env(HOTLINE_CONFIG=str(override)))
    services = Services.build(settings, clock=clock, redis_url=redis_url)
    services.store.redis.flushdb()
    client = create_app(services).test_client()
    outcomes = [verbs(PhoneCall(client, f"CA{n}", TROLL).ring().data) for n in range(1, 11)]
    assert outcomes == [["Gather"]] * 10
    record = services.store.calls.get("CA9")
    assert (record.verdict, record.enforced) == ("temp-block", False)
    assert record.reasons[-1] == "log-only mode: not enforced"
    assert services.store.blocks.active() == []
    services.store.redis.flushdb()


# Holding, leaving and the status callback


def test_abandoned_chair_leaves_the_line_and_keeps_the_place(client, services, clock, run_jobs):
    first = PhoneCall(client, "CA1", CHAIR)
    first.ring()
    first.press("1001")
    first.press(pin_of("1001"))
    first.press("2")  # a volunteer, please
    clock.advance(10)
    second = PhoneCall(client, "CA2", "+15155550102")
    second.ring()
    second.press("1002")
    second.press(pin_of("1002"))
    second.press("2")  # a volunteer, please
    clock.advance(600)
    assert first.end(duration=610, sequence=2).data.decode() == f"{HEADER}<Response />"
    assert [c.precinct for c in services.store.line.waiting()] == ["1002"]
    back = PhoneCall(client, "CA3", CHAIR)
    back.ring()
    back.press("1001")
    back.press(pin_of("1001"))
    back.press("2")  # a volunteer, please
    assert [c.precinct for c in services.store.line.waiting()] == ["1001", "1002"]


def test_status_callback_enqueues_one_call_end_job_and_records_the_verdict(
    client, services, run_jobs
):
    call = PhoneCall(client, "CA1", TROLL)
    call.ring()
    call.end(duration=2, sequence=1)
    call.end(duration=2, sequence=1)  # Twilio retried
    assert services.queue.count == 1
    run_jobs()
    record = services.store.calls.get("CA1")
    assert (record.verdict, record.reasons) == ("challenge", ("unknown caller",))
    assert services.store.redis.zrange(keys.caller_hangups(TROLL), 0, -1) == ["CA1"]


CALL_END_JOB = ("workers.call_end.process_call_end", ("CA1",))
DISPATCH_JOB = ("workers.dispatch.dispatch_callers", ())
EMPTY = f"{HEADER}<Response />"


def queued_jobs(services) -> list[tuple[str, tuple]]:
    return [(job.func_name, job.args) for job in services.queue.get_jobs()]


def verified_and_holding(client, services) -> PhoneCall:
    """A chair verified and on hold in Twilio's queue; the dispatch run that holding queues
    is dropped, so that only what the status callbacks queue is left to count.
    """
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    call.press("1001")
    call.press(pin_of("1001"))
    call.press("2")  # a volunteer, please
    call.hold()
    services.queue.empty()
    return call


def test_a_repeated_completed_without_a_sequence_number_is_applied_once_for_a_chair_in_line(
    client, services, clock
):
    """Finding 10b: Twilio retries a status callback, and a callback may carry no
    SequenceNumber; a "completed" sent twice for a chair waiting in line ends the call once.
    """
    redis = services.store.redis
    joined_at = clock.now()
    call = verified_and_holding(client, services)
    record = redis.hgetall(keys.call("CA1"))
    clock.advance(600)
    ended_at = clock.now()

    assert call.end(duration=600).data.decode() == EMPTY
    once = snapshot(redis, "hotline:*")
    clock.advance(15)  # Twilio's retry comes later
    assert call.end(duration=600).data.decode() == EMPTY

    assert snapshot(redis, "hotline:*") == once
    assert redis.hgetall(keys.call("CA1")) == {
        **record,
        "status": "completed",
        "ended_at": repr(ended_at),
        "duration": "600",
    }
    assert redis.ttl(keys.call("CA1")) == CALL_RECORD_TTL_S
    # Out of the line, with the place kept for a call back.
    assert (redis.zcard(keys.LINE), redis.hlen(keys.WAITING), redis.scard(keys.HOLDING)) == (
        0,
        0,
        0,
    )
    assert float(redis.get(keys.kept_place("1001"))) == joined_at
    assert redis.ttl(keys.kept_place("1001")) == 7200
    assert queued_jobs(services) == [CALL_END_JOB]


def test_a_repeated_completed_without_a_sequence_number_is_applied_once_for_a_chair_put_through(
    client, services, clock
):
    """Finding 10b: a "completed" sent twice, without SequenceNumber, for a chair put
    through to a volunteer frees the volunteer once and queues one call-end job.
    """
    redis, store = services.store.redis, services.store
    store.volunteers.add("Ann", "+15155550999", lambda _vid: "0" * 64, author="test")
    store.dispatch.volunteer_ready("v1", call_sid="CAV", room="volunteer-v1", now=clock.now())
    call = verified_and_holding(client, services)
    clock.advance(30)
    pairing = store.dispatch.pair(now=clock.now())  # what dispatch does
    assert pairing.call_sid == "CA1"
    # Twilio follows the Queue Member update to the connect URL: the chair is in the room.
    connected = signed_post(
        client,
        "/voice/connect",
        call.params,
        query={"volunteer": "v1", "precinct": "1001", "pairing": pairing.id},
    )
    assert verbs(connected.data) == ["Say", "Dial"]
    services.queue.empty()
    record = redis.hgetall(keys.call("CA1"))
    assert record["volunteer"] == "v1"
    clock.advance(300)
    ended_at = clock.now()

    assert call.end(duration=330).data.decode() == EMPTY
    once = snapshot(redis, "hotline:*")
    clock.advance(15)
    assert call.end(duration=330).data.decode() == EMPTY

    assert snapshot(redis, "hotline:*") == once
    assert redis.hgetall(keys.call("CA1")) == {
        **record,
        "status": "completed",
        "ended_at": repr(ended_at),
        "duration": "330",
    }
    assert (redis.zcard(keys.LINE), redis.hlen(keys.WAITING), redis.scard(keys.HOLDING)) == (
        0,
        0,
        0,
    )
    assert redis.exists(keys.kept_place("1001")) == 0  # answered: no place to keep
    # The volunteer is free again, since the chair hung up.
    assert json.loads(redis.hget(keys.VOLUNTEER_STATES, "v1")) == {
        "precinct": None,
        "call_sid": "CAV",
        "status": "available",
        "caller_call_sid": None,
        "room": "volunteer-v1",
        "since": ended_at,
        "verified_how": None,
    }
    assert redis.zrange(keys.FREE_VOLUNTEERS, 0, -1, withscores=True) == [("v1", ended_at)]
    assert queued_jobs(services) == [DISPATCH_JOB, CALL_END_JOB]


@pytest.mark.parametrize(
    "sequence", ["9" * 4000, "1234567890", "-5"], ids=["4000 digits", "10 digits", "negative"]
)
def test_a_sequence_number_twilio_could_not_have_sent_is_treated_as_absent(
    client, services, clock, sequence
):
    """Finding 7: a status callback with a 4,000-digit SequenceNumber stored `inf` as the
    call's last sequence number, and the call's later "completed" was then ignored: the
    chair stayed in line after hanging up. Twilio's sequence numbers are small and never
    negative; anything else is read as no sequence number at all.
    """
    redis = services.store.redis
    joined_at = clock.now()
    call = verified_and_holding(client, services)
    record = redis.hgetall(keys.call("CA1"))
    ringing = {**call.params, "CallStatus": "in-progress", "SequenceNumber": sequence}
    assert signed_post(client, "/voice/status", ringing).data.decode() == EMPTY
    assert redis.hgetall(keys.call("CA1")) == {**record, "status": "in-progress"}
    clock.advance(600)
    ended_at = clock.now()

    assert call.end(duration=600, sequence=3).data.decode() == EMPTY

    assert redis.hgetall(keys.call("CA1")) == {
        **record,
        "status": "completed",
        "last_seq": "3",
        "ended_at": repr(ended_at),
        "duration": "600",
    }
    assert (redis.zcard(keys.LINE), redis.hlen(keys.WAITING), redis.scard(keys.HOLDING)) == (
        0,
        0,
        0,
    )
    assert redis.hlen(keys.PRECINCT_CALLS) == 0 and redis.hlen(keys.PRECINCT_PLACES) == 0
    assert float(redis.get(keys.kept_place("1001"))) == joined_at
    assert queued_jobs(services) == [CALL_END_JOB]


def test_instant_hangups_divert_the_fourth_call(client, services, run_jobs):
    for n in range(3):
        call = PhoneCall(client, f"CA{n}", TROLL)
        call.ring()
        call.end(duration=3)
    run_jobs()
    response = PhoneCall(client, "CA9", TROLL).ring()
    assert verbs(response.data) == ["Say", "Hangup"]
    assert services.store.calls.get("CA9").reasons == ("3 instant hang-ups in 1h (divert at 3)",)


def test_verified_chair_hanging_up_is_not_an_instant_hangup(client, services, run_jobs):
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    call.press("1001")
    call.press(pin_of("1001"))
    call.press("2")  # a volunteer, please
    call.end(duration=5)
    run_jobs()
    assert services.store.redis.exists(keys.caller_hangups(CHAIR)) == 0


def test_status_for_an_unknown_call_is_acknowledged(client):
    response = signed_post(
        client, "/voice/status", {"CallSid": "CAnever", "CallStatus": "completed"}
    )
    assert response.data.decode() == f"{HEADER}<Response />"


def test_queue_exit_hangs_up_or_apologises(client):
    ok = signed_post(client, "/voice/queue-exit", {"CallSid": "CA1", "QueueResult": "hangup"})
    assert verbs(ok.data) == ["Hangup"]
    error = signed_post(client, "/voice/queue-exit", {"CallSid": "CA1", "QueueResult": "error"})
    assert verbs(error.data) == ["Say", "Hangup"]


# Bad input and failures


@pytest.mark.parametrize(
    "params", [{}, {"CallSid": ""}, {"CallSid": "CA:1"}, {"CallSid": "x" * 65}]
)
def test_missing_or_malformed_call_sid_is_a_400(client, params):
    assert signed_post(client, "/voice/incoming", params).status_code == 400


def test_rejected_and_diverted_calls_leave_no_job(client, services):
    services.store.blocks.block(TROLL, reason="known troll", author="ann")
    rejected = PhoneCall(client, "CA1", TROLL)
    rejected.ring()
    rejected.end(status="busy", duration=0)
    for n in range(7):  # the seventh call in 15 minutes is diverted
        diverted = PhoneCall(client, f"CA2{n}", "+17125550667")
        diverted.ring()
    services.queue.empty()
    diverted.end(duration=6)
    assert services.queue.count == 0
    assert services.store.calls.get("CA1").status == "busy"
    assert services.store.calls.get("CA26").verdict == "divert"
