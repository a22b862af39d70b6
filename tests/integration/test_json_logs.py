"""The log lines a webhook and a job write, as `hotline serve` and `hotline worker` write
them: JSON, about the call being handled, numbers masked, no secret in them.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from hotline.logging_setup import json_handler
from hotline.store import keys
from tests.integration.test_dispatch_flow import book_a_call_back, volunteer_calls_in
from tests.support.calls import PhoneCall
from tests.support.phone_night import VOLUNTEER_PIN, phone_night
from tests.support.roster import load_small_roster, pin_of
from tests.support.twilio import AUTH_TOKEN, SECRET_KEY
from workers.main import run_worker

TROLL = "+17125550666"
CHAIR = "+15155550101"


class Lines:
    def __init__(self) -> None:
        self.out = io.StringIO()

    @property
    def text(self) -> str:
        return self.out.getvalue()

    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]

    def of(self, logger: str) -> list[dict]:
        return [line for line in self.all() if line["logger"] == logger]


@pytest.fixture
def lines() -> Iterator[Lines]:
    """Every log line of the test, through the handler `hotline serve` and `hotline
    worker` write with, at the most talkative level.
    """
    found = Lines()
    root = logging.getLogger()
    handler, level = json_handler(found.out), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield found
    root.removeHandler(handler)
    root.setLevel(level)


def assert_no_secret_in(text: str, *pins: str) -> None:
    for secret in (AUTH_TOKEN, SECRET_KEY, *pins):
        assert secret not in text


def test_a_webhook_that_blocks_a_number_logs_it_about_its_call_number_masked(
    client, services, clock, lines
):
    for n in range(1, 10):  # the ninth call in the hour: blocked for an hour
        PhoneCall(client, f"CA{n}", TROLL).ring()
        clock.advance(60)

    [blocked] = lines.of("hotline.enforcement")
    assert blocked["message"] == (
        "blocked ••••••••0666 for 1h: 9 calls in 1h (temporary block at 9)"
    )
    assert (blocked["level"], blocked["call_sid"]) == ("INFO", "CA9")
    assert TROLL not in lines.text
    assert services.store.redis.hexists(keys.BLOCKS, TROLL)


def test_no_pin_and_no_secret_reaches_a_log_line(client, services, lines):
    load_small_roster(services)
    call = PhoneCall(client, "CA1", CHAIR)
    call.ring()
    call.press("1001")
    call.press("135790")  # wrong
    call.press(pin_of("1001"))

    assert "Thank you. Precinct 1 0 0 1 is verified." in call.last.get_data(as_text=True)
    assert_no_secret_in(lines.text, "135790", pin_of("1001"))


def test_a_job_logs_about_the_call_it_handles_numbers_masked_even_in_twilios_words(
    redis_url, clock, lines
):
    with phone_night(redis_url, clock) as (services, loop, network, _):
        book_a_call_back(network, loop, CHAIR, answer_after_s=6.0)
        network.undialable.add(CHAIR)  # Twilio's 21215, which names the number
        [refused_sid] = services.store.redis.hkeys(keys.WAITING)
        volunteer_calls_in(network, loop)

        run_worker(services, burst=True, fork=False)  # the dispatch, then the text it queues

    [parked] = lines.of("workers.dispatch")
    assert (parked["level"], parked["call_sid"]) == ("WARNING", refused_sid)
    assert parked["message"].startswith(
        f"parked precinct 1001 ({refused_sid}): call ••••••••0101: Twilio answered 400 "
        "(code 21215): Unable to create record: Account not authorized to call ••••••••0101."
    )
    # RQ describes each job with its arguments: the text message's number is masked too.
    assert [line for line in lines.of("rq.worker") if "send_sms(" in line["message"]]
    [sent] = [line for line in lines.of("hotline.telephony") if "sent message" in line["message"]]
    assert sent["message"].endswith(" to ••••••••0101")
    assert "call_sid" not in sent  # a text is about no call
    assert CHAIR not in lines.text
    assert_no_secret_in(lines.text, VOLUNTEER_PIN, pin_of("1001"))
