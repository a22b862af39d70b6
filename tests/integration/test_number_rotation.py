"""Rotating the hotline's number, end to end: the rotate step against the simulator's
stand-in for Twilio's REST API (served over HTTP), the texts sent by RQ jobs at the pace
one number may text, Twilio's status callbacks posted (signed) to the real app and
recorded per chair, the audit trail, and what callers hear on the old number.

The stand-in's network shares the services' ManualClock: running its loop moves time on
and delivers the texts; jobs queued for later are queued when that time comes (as RQ's
scheduler does) and run by a burst SimpleWorker.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace
from itertools import pairwise

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from hotline.caucus.report import CoinToss, PrecinctReport
from hotline.pins import backup_digest, pin_digest
from hotline.settings import Settings
from hotline.sim.jobs import drain, enqueue_due
from hotline.sim.loop import EventLoop
from hotline.sim.network import Network
from hotline.sim.rest import Outage, create_rest_app
from hotline.sim.serving import loopback_server
from hotline.sim.transport import WsgiTransport
from hotline.steps.numbers import (
    TEXT_RETRY_AFTER_S,
    TEXT_TRIES,
    RotationError,
    request_rotation,
    rotate_number,
)
from hotline.store import audit, keys
from hotline.store.numbers import HotlineNumber, Rotation, Text
from hotline.store.roster import Precinct
from hotline.telephony import IncomingNumber, Telephony
from tests.support import xml
from tests.support.calls import PhoneCall
from tests.support.env import settings_env
from tests.support.redis_state import snapshot
from tests.support.twilio import AUTH_TOKEN, PIN_KEY, PUBLIC_URL
from workers.housekeeping import TEXTS_STALLED_AFTER_S, Housekeeping
from workers.night_sample import sample_the_night
from workers.reconcile import reconcile_line
from workers.rotation import send_texts
from workers.sweep_blocks import sweep_blocks

ACCOUNT = settings_env()["TWILIO_ACCOUNT_SID"]
VOICE_URL = f"{PUBLIC_URL}/voice/incoming"
STATUS_URL = f"{PUBLIC_URL}/voice/status"
OLD = "+15155550000"
# The first local number the stand-in sells in Iowa.
NEW = "+15155550200"
HEADER = '<?xml version="1.0" encoding="UTF-8"?>'
# Said after a call's first prompt.
SPANISH_OFFER = '<Say language="es-US" voice="Polly.Lupe">Para español, oprima 9.</Say>'
# What an unknown caller hears on a number in use (and a known one on a retired number).
ASK_PRECINCT = (
    f"{HEADER}<Response>"
    f'<Gather action="{PUBLIC_URL}/voice/precinct?reprompts=0&amp;step=0" '
    'actionOnEmptyResult="true" finishOnKey="#" input="dtmf" method="POST" timeout="6">'
    '<Say language="en-US">Welcome to the caucus results hotline. Please enter your precinct '
    "number, then press pound.</Say>" + SPANISH_OFFER + "</Gather></Response>"
)
# code: (chair phone or None, PIN)
ROSTER = {
    "1001": ("+15155550111", "246813"),
    "1002": ("+15155550112", "135792"),
    "77001": ("+15155550113", "864213"),
    "77002": ("+15155550114", "975310"),
    "99010": (None, "112358"),
}
# 1001 has reported: its chair is texted last.
TEXT_ORDER = ["1002", "77001", "77002", "1001"]
ADAIR = PrecinctReport(
    precinct="1001",
    attendance=40,
    first={"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9},
    final={"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9},
    coin_tosses=(CoinToss(("buttigieg", "klobuchar"), "klobuchar"),),
)


@pytest.fixture
def rest_server():
    with loopback_server() as server:
        yield server


@pytest.fixture
def settings(rest_server) -> Settings:
    """Overrides conftest's: Telephony reaches the stand-in."""
    return Settings.load(env=settings_env(TWILIO_API_BASE_URL=rest_server.url))


@pytest.fixture
def outage() -> Outage:
    return Outage()


@pytest.fixture
def network(services, app, rest_server, outage) -> Network:
    """The phone network: it owns the hotline's number (OLD), posts to the real app."""
    network = Network(
        EventLoop(services.clock),
        WsgiTransport(app, AUTH_TOKEN),
        account_sid=ACCOUNT,
        voice_url=VOICE_URL,
        status_url=STATUS_URL,
        hotline_number=OLD,
    )
    rest_server.set_app(create_rest_app(network, auth_token=AUTH_TOKEN, outage=outage))
    return network


@pytest.fixture
def roster(services):
    services.store.roster.replace_all(
        Precinct(
            code=code,
            county="Adair" if code.startswith("1") else "Polk",
            name=f"PRECINCT {code}",
            pin_digest=pin_digest(PIN_KEY, code, pin),
            chair_phone=phone,
            backup_digest=backup_digest(PIN_KEY, code, "12345678"),
        )
        for code, (phone, pin) in ROSTER.items()
    )
    services.store.results.save(
        ADAIR,
        channel="keypad",
        author="keypad",
        now=services.clock.now(),
        findings=(),
        idempotency_key="CA0:1",
    )


@pytest.fixture
def telephony(services) -> Telephony:
    return Telephony.from_services(services)


def work(services, network, seconds: int) -> None:
    """`seconds` of the night, a second at a time: the jobs due run (in this process, as the
    simulator runs them: an RQ worker per second would spend more on starting than on the
    jobs), texts move on.
    """
    for _ in range(seconds):
        enqueue_due(services.queue, services.clock.now())
        drain(services.queue)
        network.loop.run(until=services.clock.now() + 1)


def phone_of(code: str) -> str:
    phone = ROSTER[code][0]
    assert phone is not None
    return phone


# --- the new number ---------------------------------------------------------------------


def test_a_new_number_is_bought_with_the_hotlines_webhooks_and_the_old_one_retired(
    services, network, roster, telephony
):
    t0 = services.clock.now()
    rotated = rotate_number(services, telephony, author="ann")

    old_line, new_line = network.numbers.owned[OLD], network.numbers.owned[NEW]
    assert rotated.bought is True
    assert rotated.number == IncomingNumber(new_line.sid, NEW, VOICE_URL, STATUS_URL)
    assert (new_line.voice_method, new_line.status_callback_method) == ("POST", "POST")
    assert (old_line.voice_url, old_line.status_callback) == (VOICE_URL, STATUS_URL)
    assert rotated.rotation == Rotation(id="r1", at=t0, author="ann", old=(OLD,), new=NEW, chairs=4)
    assert services.store.numbers.all() == [
        HotlineNumber(NEW, new_line.sid, "current", t0, None, VOICE_URL, STATUS_URL),
        HotlineNumber(OLD, old_line.sid, "retired", None, t0, VOICE_URL, STATUS_URL),
    ]
    assert snapshot(services.store.redis, keys.RETIRED_NUMBERS) == {
        keys.RETIRED_NUMBERS: ("hash", {OLD: repr(t0)})
    }
    [entry] = audit.recent(services.store.redis, 1)
    assert (entry.at, entry.action, entry.target, entry.author, entry.reason) == (
        t0,
        "number-rotated",
        NEW,
        "ann",
        "4 chairs to text",
    )
    assert entry.details == {"rotation": "r1", "old": [OLD], "new": NEW}
    assert services.store.redis.lrange(keys.rotation_outbox("r1"), 0, -1) == TEXT_ORDER
    assert services.store.numbers.texts("r1") == [
        Text(code, phone_of(code), "waiting", None, None, 0, None) for code in sorted(TEXT_ORDER)
    ]


def test_a_second_rotation_retires_the_current_number(services, network, roster, telephony):
    first = rotate_number(services, telephony, author="ann").number.phone_number
    services.clock.advance(600)
    second = rotate_number(services, telephony, author="bob", area_code="319")
    assert (first, second.number.phone_number) == (NEW, "+13195550200")
    assert second.rotation.old == (NEW,)
    assert [(n.number, n.state) for n in services.store.numbers.all()] == [
        ("+13195550200", "current"),
        (NEW, "retired"),
        (OLD, "retired"),
    ]
    assert sorted(services.store.redis.hkeys(keys.RETIRED_NUMBERS)) == [OLD, NEW]


def test_a_number_the_account_owns_is_assigned_not_bought(services, network, roster, telephony):
    spare = network.numbers.own("+15155550999", voice_url=None)
    rotated = rotate_number(services, telephony, author="ann", number="+15155550999")
    assert rotated.bought is False
    assert rotated.number == IncomingNumber(spare.sid, "+15155550999", VOICE_URL, STATUS_URL)
    assert (spare.voice_url, spare.status_callback) == (VOICE_URL, STATUS_URL)
    assert NEW not in network.numbers.owned  # nothing was bought


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (
            "+15155550998",
            "the Twilio account does not own +15155550998: buy it first, or "
            "leave out --number to buy one",
        ),
        (OLD, f"{OLD} is the hotline's number already"),
    ],
)
def test_a_number_that_cannot_be_assigned_is_refused_and_nothing_changes(
    services, network, roster, telephony, number, message
):
    with pytest.raises(RotationError) as refused:
        rotate_number(services, telephony, author="ann", number=number)
    assert str(refused.value) == message
    assert services.store.numbers.all() == []
    assert [e.action for e in audit.recent(services.store.redis, 5)] == ["results-saved"]


def test_with_no_number_answering_at_the_hotline_there_is_nothing_to_retire(
    services, network, roster, telephony
):
    network.numbers.owned[OLD].voice_url = "https://elsewhere.example.test/voice"
    with pytest.raises(RotationError) as refused:
        rotate_number(services, telephony, author="ann")
    assert str(refused.value) == (
        f"no number of the account answers at {VOICE_URL}: there is no hotline number to retire"
    )
    assert NEW not in network.numbers.owned


def test_nowhere_to_buy_is_refused(services, network, roster, telephony):
    with pytest.raises(RotationError) as refused:
        rotate_number(services, telephony, author="ann", region="NE")
    assert str(refused.value) == "Twilio offers no local number in NE (US) to buy"


def test_the_console_queues_the_rotation_for_a_worker(services, network, roster, run_jobs):
    request_rotation(services, author="ann", area_code="563")
    assert services.store.numbers.current() is None  # the web request called nobody
    run_jobs()
    assert services.store.numbers.current().number == "+15635550200"
    assert services.store.numbers.rotations()[0].author == "ann"


# --- the texts ----------------------------------------------------------------------------


def test_an_rq_worker_sends_what_the_pace_allows_and_queues_the_rest_for_later(
    services, network, roster, telephony, run_jobs
):
    t0 = services.clock.now()
    rotate_number(services, telephony, author="ann")
    run_jobs()
    assert [m["to"] for m in network.messages] == [phone_of("1002"), phone_of("77001")]
    registry = ScheduledJobRegistry(queue=services.queue)
    [later] = registry.get_job_ids()
    assert Job.fetch(later, connection=services.queue.connection).func is send_texts
    # RQ keeps whole seconds: the next run is due at the next slot, rounded up.
    assert registry.get_scheduled_time(later).timestamp() == math.ceil(
        t0 + services.settings.numbers.text_every_s
    )
    assert services.queue.count == 0


def test_chairs_are_texted_from_the_new_number_at_the_pace_with_receipts(
    services, network, roster, telephony
):
    t0 = services.clock.now()
    rotate_number(services, telephony, author="ann")
    work(services, network, 8)

    every = services.settings.numbers.text_every_s
    body = services.settings.prompts["number_changed_sms"].format(number=NEW)
    assert body == (
        "Caucus results hotline: our number has changed. Call +15155550200 from now on. "
        "Please keep this number to yourself."
    )
    sent = [(m["to"], m["from"], m["body"], m["sent_at"] - t0) for m in network.messages]
    # Two at once (a late run catches up by one), then one every `every`.
    assert sent == [
        (phone_of(code), NEW, body, at)
        for code, at in zip(TEXT_ORDER, [0, 0, every, 2 * every], strict=True)
    ]
    assert [m["status_callback"] for m in network.messages] == [
        f"{PUBLIC_URL}/voice/text-status?rotation=r1&precinct={code}" for code in TEXT_ORDER
    ]
    texts = {text.precinct: text for text in services.store.numbers.texts("r1")}
    by_sid = {m["to"]: m["sid"] for m in network.messages}
    assert texts == {
        code: Text(
            code, phone_of(code), "delivered", by_sid[phone_of(code)], None, 1, texts[code].at
        )
        for code in TEXT_ORDER
    }
    # Delivered two seconds after each was sent (the stand-in's delay).
    assert sorted(t.at - t0 for t in texts.values()) == [3.0, 3.0, 4.0, 5.0]
    assert services.store.redis.llen(keys.rotation_outbox("r1")) == 0


def test_a_precinct_with_a_language_of_its_own_is_texted_in_it(
    services, network, roster, telephony
):
    precincts = [services.store.roster.get(code) for code in ROSTER]
    services.store.roster.replace_all(
        replace(p, language="es") if p.code == "77001" else p for p in precincts
    )
    rotate_number(services, telephony, author="ann")
    work(services, network, 8)
    english = (
        "Caucus results hotline: our number has changed. Call +15155550200 from now on. "
        "Please keep this number to yourself."
    )
    spanish = (
        "Linea de resultados del caucus: nuestro numero cambio. Llame al +15155550200 desde "
        "ahora. No comparta este numero."
    )
    assert [(m["to"], m["body"]) for m in network.messages] == [
        (phone_of(code), spanish if code == "77001" else english) for code in TEXT_ORDER
    ]


def test_no_two_texts_closer_than_the_pace_after_the_first_pair(
    services, network, roster, telephony
):
    services.store.roster.replace_all(
        Precinct(
            code=f"{2000 + n}",
            county="Polk",
            name=f"P{n}",
            pin_digest="x",
            chair_phone=f"+1515555{3000 + n}",
        )
        for n in range(20)
    )
    rotate_number(services, telephony, author="ann")
    work(services, network, 25)
    times = [m["sent_at"] for m in network.messages]
    every = services.settings.numbers.text_every_s
    assert len(times) == 20
    assert all(later - earlier >= every for earlier, later in pairwise(times[1:]))
    assert Counter(t.status for t in services.store.numbers.texts("r1")) == {"delivered": 20}


def test_undelivered_and_refused_texts_are_recorded_and_the_rest_go_on(
    services, network, roster, telephony
):
    network.unreachable.add(phone_of("77001"))
    network.unsubscribed.add(phone_of("1002"))
    rotate_number(services, telephony, author="ann")
    work(services, network, 8)
    statuses = {t.precinct: (t.status, t.error_code) for t in services.store.numbers.texts("r1")}
    assert statuses == {
        "1002": ("failed", 21610),
        "77001": ("undelivered", 30003),
        "77002": ("delivered", None),
        "1001": ("delivered", None),
    }


def test_while_twilio_is_down_a_text_waits_and_goes_once_it_is_back(
    services, network, roster, telephony, run_jobs, outage
):
    rotate_number(services, telephony, author="ann")
    outage.start()
    t0 = services.clock.now()
    run_jobs()
    [first] = [t for t in services.store.numbers.texts("r1") if t.precinct == "1002"]
    assert (first.status, first.tries) == ("waiting", 1)
    assert services.store.redis.lrange(keys.rotation_outbox("r1"), 0, -1) == TEXT_ORDER
    outage.end()
    work(services, network, int(TEXT_RETRY_AFTER_S) - 1)
    assert network.messages == []  # the run waits out its pause
    work(services, network, 8)
    assert network.messages[0]["to"] == phone_of("1002")
    assert network.messages[0]["sent_at"] == t0 + TEXT_RETRY_AFTER_S
    assert Counter(t.status for t in services.store.numbers.texts("r1")) == {"delivered": 4}


def test_a_text_twilio_never_takes_is_failed_after_its_tries(
    services, network, roster, telephony, outage
):
    rotate_number(services, telephony, author="ann")
    outage.start()
    work(services, network, int(TEXT_RETRY_AFTER_S) * (TEXT_TRIES - 1) + 2)
    texts = {t.precinct: t for t in services.store.numbers.texts("r1")}
    assert (texts["1002"].status, texts["1002"].error_code, texts["1002"].tries) == (
        "failed",
        20503,
        TEXT_TRIES,
    )
    assert texts["77001"].status == "waiting"  # the next waits for Twilio to come back


def test_a_late_status_never_moves_a_text_back(services, network, roster, telephony):
    rotate_number(services, telephony, author="ann")
    work(services, network, 8)
    [message] = [m for m in network.messages if m["to"] == phone_of("1002")]
    numbers = services.store.numbers
    now = services.clock.now()
    assert numbers.text_status("r1", "1002", "sent", now=now, sid=str(message["sid"])) is False
    assert numbers.text_status("r1", "1002", "failed", now=now, sid=str(message["sid"])) is False
    assert numbers.text_status("r1", "1002", "delivered", now=now, sid="SMother") is False
    [text] = [t for t in numbers.texts("r1") if t.precinct == "1002"]
    assert text.status == "delivered"


def test_a_rotation_whose_texting_job_was_lost_is_started_again(
    services, network, roster, telephony
):
    t0 = services.clock.now()
    rotate_number(services, telephony, author="ann")
    services.queue.empty()  # the job is lost (a worker killed with it)
    numbers = services.store.numbers
    assert (
        numbers.stalled(now=t0 + TEXTS_STALLED_AFTER_S - 1, quiet_for_s=TEXTS_STALLED_AFTER_S) == []
    )
    services.clock.advance(TEXTS_STALLED_AFTER_S)
    assert numbers.stalled(now=services.clock.now(), quiet_for_s=TEXTS_STALLED_AFTER_S) == ["r1"]
    assert Housekeeping(services).tick() is True
    assert [job.func for job in services.queue.get_jobs()] == [
        reconcile_line,
        sweep_blocks,
        send_texts,
        sample_the_night,
    ]
    work(services, network, 8)
    assert Counter(t.status for t in numbers.texts("r1")) == {"delivered": 4}
    assert numbers.stalled(now=services.clock.now() + 600, quiet_for_s=TEXTS_STALLED_AFTER_S) == []


def test_a_later_rotation_cancels_the_texts_of_the_one_before(services, network, roster, telephony):
    rotate_number(services, telephony, author="ann")
    work(services, network, 1)  # two texts of the first rotation go
    services.clock.advance(60)
    rotate_number(services, telephony, author="bob", area_code="319")
    work(services, network, 8)
    first = {t.precinct: t.status for t in services.store.numbers.texts("r1")}
    assert first == {
        "1002": "delivered",
        "77001": "delivered",
        "77002": "canceled",
        "1001": "canceled",
    }
    assert services.store.redis.llen(keys.rotation_outbox("r1")) == 0
    second = Counter(t.status for t in services.store.numbers.texts("r2"))
    assert second == {"delivered": 4}
    assert [m["from"] for m in network.messages] == [NEW] * 2 + ["+13195550200"] * 4


# --- the text-status webhook --------------------------------------------------------------


def test_the_text_status_webhook_is_signed_and_checked(
    client, services, network, roster, telephony
):
    from tests.support.twilio import post_to_url

    rotate_number(services, telephony, author="ann")
    url = f"{PUBLIC_URL}/voice/text-status?rotation=r1&precinct=1002"
    form = {"MessageSid": "SM1", "MessageStatus": "delivered", "AccountSid": ACCOUNT}
    assert client.post("/voice/text-status?rotation=r1&precinct=1002", data=form).status_code == 403
    answer = post_to_url(client, url, form)
    assert answer.data.decode() == f"{HEADER}<Response />"
    [text] = [t for t in services.store.numbers.texts("r1") if t.precinct == "1002"]
    assert (text.status, text.sid) == ("delivered", "SM1")
    for bad in ("rotation=x1&precinct=1002", "rotation=r1&precinct=12a", "rotation=r1"):
        assert post_to_url(client, f"{PUBLIC_URL}/voice/text-status?{bad}", form).status_code == 400
    assert post_to_url(client, url, {**form, "MessageStatus": ""}).status_code == 400


# --- the old number -----------------------------------------------------------------------


def test_on_the_old_number_an_unknown_caller_hears_it_changed_and_not_the_new_one(
    client, services, network, roster, telephony
):
    rotate_number(services, telephony, author="ann")
    call = PhoneCall(client, "CA1", "+17125550667", To=OLD)
    answer = call.ring()
    question = services.settings.prompts["number_changed_challenge"]
    assert question == (
        "This hotline has moved to a new number, and precinct chairs have been sent it by "
        "text message. Chairs without it, enter your precinct number, then press pound."
    )
    # Flood mode's one short chance: no second prompt for a caller who keys nothing.
    assert answer.data.decode() == (
        f"{HEADER}<Response>"
        f'<Gather action="{PUBLIC_URL}/voice/precinct?reprompts=2&amp;step=0&amp;strict=1" '
        'actionOnEmptyResult="true" finishOnKey="#" input="dtmf" method="POST" timeout="6">'
        f'<Say language="en-US">{question}</Say>{SPANISH_OFFER}</Gather></Response>'
    )
    assert NEW not in answer.data.decode() and "5 5 5 0 2 0 0" not in answer.data.decode()
    call.end()
    drain(services.queue)  # the call-end job records a challenge's verdict
    record = services.store.calls.get("CA1")
    assert (record.verdict, record.reasons) == (
        "challenge",
        ("called a retired hotline number", "no PIN verified from this number in the last 1h"),
    )
    assert record.facts["called_retired_number"] is True


def test_on_the_old_number_a_chair_who_was_not_texted_still_gets_through(
    client, services, network, roster, telephony
):
    """A chair with no registered phone was never texted the new number: keying the
    precinct, the PIN and the backup code on the old one puts them on hold.
    """
    rotate_number(services, telephony, author="ann")
    chair = PhoneCall(client, "CA1", "+17125550669", To=OLD)
    chair.ring()
    chair.press("99010")
    chair.press(ROSTER["99010"][1])
    assert b"backup code" in chair.last.data
    chair.press("12345678")
    assert b"Precinct 9 9 0 1 0 is verified." in chair.last.data
    assert services.store.calls.get("CA1").verified_at == services.clock.now()


def test_on_the_old_number_a_registered_chair_is_asked_for_the_pin_as_today(
    client, services, network, roster, telephony
):
    rotate_number(services, telephony, author="ann")
    answer = PhoneCall(client, "CA1", phone_of("1002"), To=OLD).ring()
    assert answer.data.decode() == (
        f"{HEADER}<Response>"
        f'<Gather action="{PUBLIC_URL}/voice/pin?precinct=1002&amp;how=registered-phone&amp;'
        'tries=0&amp;reprompts=0&amp;step=0" actionOnEmptyResult="true" finishOnKey="#" '
        'input="dtmf" method="POST" timeout="6">'
        '<Say language="en-US">Welcome, chair of precinct 1 0 0 2. Please enter your PIN, '
        "then press pound.</Say>" + SPANISH_OFFER + "</Gather></Response>"
    )
    record = services.store.calls.get("CA1")
    assert record.facts["called_retired_number"] is True


def test_on_the_old_number_a_caller_who_verified_recently_gets_through(
    client, services, network, roster, telephony
):
    caller = "+17125550668"
    before = PhoneCall(client, "CA1", caller, To=OLD)
    before.ring()
    before.press("99010")
    before.press(ROSTER["99010"][1])
    assert b"is verified" in before.last.data
    before.end()
    services.clock.advance(600)
    rotate_number(services, telephony, author="ann")
    services.clock.advance(600)
    answer = PhoneCall(client, "CA2", caller, To=OLD).ring()
    assert answer.data.decode() == ASK_PRECINCT
    assert services.store.calls.get("CA2").facts["called_retired_number"] is True


def test_the_new_number_answers_everyone_as_the_old_one_did(
    client, services, network, roster, telephony
):
    rotate_number(services, telephony, author="ann")
    answer = PhoneCall(client, "CA1", "+17125550667", To=NEW).ring()
    assert answer.data.decode() == ASK_PRECINCT
    assert "called_retired_number" not in services.store.calls.get("CA1").facts


def test_a_retired_number_that_is_made_current_again_answers_everyone(
    client, services, network, roster, telephony
):
    rotate_number(services, telephony, author="ann")
    rotate_number(services, telephony, author="ann", number=OLD)
    assert services.store.redis.hkeys(keys.RETIRED_NUMBERS) == [NEW]
    answer = PhoneCall(client, "CA1", "+17125550667", To=OLD).ring()
    assert xml.verbs(answer.data) == ["Gather"]


def test_the_facts_stay_small_on_calls_to_the_current_number(client, services, network, roster):
    PhoneCall(client, "CA1", "+17125550667").ring()
    facts = json.loads(services.store.redis.hget(keys.call("CA1"), "facts"))
    assert "called_retired_number" not in facts
