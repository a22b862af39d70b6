"""`hotline number rotate` and `hotline number status`, as an admin runs them: settings from
the environment, pointed at the test Redis and at the simulator's stand-in for Twilio's
REST API (served over HTTP). The `services` fixture reads back what the command left.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.sim.loop import EventLoop
from hotline.sim.network import Network
from hotline.sim.rest import create_rest_app
from hotline.sim.serving import loopback_server
from hotline.sim.transport import WsgiTransport
from hotline.store.roster import Precinct
from tests.support.env import settings_env
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY

ACCOUNT = settings_env()["TWILIO_ACCOUNT_SID"]
VOICE_URL = f"{PUBLIC_URL}/voice/incoming"
STATUS_URL = f"{PUBLIC_URL}/voice/status"
OLD, NEW = "+15155550000", "+15155550200"
PHONES = {"1001": "+15155550111", "1002": "+15155550112", "77001": "+15155550113"}


@pytest.fixture
def rest_server():
    with loopback_server() as server:
        yield server


@pytest.fixture
def network(services, app, rest_server) -> Network:
    network = Network(
        EventLoop(services.clock),
        WsgiTransport(app, AUTH_TOKEN),
        account_sid=ACCOUNT,
        voice_url=VOICE_URL,
        status_url=STATUS_URL,
        hotline_number=OLD,
    )
    rest_server.set_app(create_rest_app(network, auth_token=AUTH_TOKEN))
    services.store.roster.replace_all(
        Precinct(code=code, county="Polk", name=code, pin_digest="x", chair_phone=phone)
        for code, phone in PHONES.items()
    )
    return network


@pytest.fixture
def hotline(monkeypatch, redis_url, tmp_path, services, rest_server):
    """Run `hotline ARGS...` with the environment pointed at the test Redis and stand-in."""
    env = {
        "REDIS_URL": redis_url,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_API_BASE_URL": rest_server.url,
        "HOTLINE_DATA_DIR": str(tmp_path / "data"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(
            main, list(args), prog_name="hotline", input=input, catch_exceptions=False
        )

    return run


def test_rotate_says_what_it_did(hotline, services, network):
    result = hotline("number", "rotate", "--yes", "--by", "ann")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Bought {NEW} for the hotline (voice {VOICE_URL}, status {STATUS_URL}).\n"
        f"Retired {OLD}: it still answers registered chairs' phones and numbers that "
        "verified a PIN in the last 1h; anyone else hears that the number changed and gets "
        "one short chance (precinct, PIN and backup code).\n"
        f"Texting 3 chairs from {NEW}, one every 1s (about 1 min). `hotline number status` "
        "shows the receipts.\n"
    )
    assert services.store.numbers.current().number == NEW
    assert services.store.numbers.rotations()[0].author == "ann"


def test_rotate_asks_first_and_does_nothing_when_told_no(hotline, services, network):
    result = hotline("number", "rotate", input="n\n")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Retire the hotline's number (unknown callers on it get one short chance) and text every "
        "chair the new one? [y/N]: n\nAborted!"
    )
    assert services.store.numbers.all() == []
    assert NEW not in network.numbers.owned


def test_rotate_to_a_number_the_account_owns(hotline, services, network):
    network.numbers.own("+13195550999")
    result = hotline("number", "rotate", "--yes", "--number", "(319) 555-0999")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Assigned +13195550999 for the hotline (voice {VOICE_URL}, status {STATUS_URL}).\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--number", "12"), "Invalid value for --number: '12' is not a phone number"),
        (("--number", "+1515*"), "Invalid value for --number: a whole number, not a prefix"),
        (
            ("--number", OLD, "--area-code", "515"),
            "Invalid value for --number: name a number, or where to buy one, not both",
        ),
        (("--area-code", "51"), "Invalid value for --area-code: three digits, e.g. 515"),
        (("--region", "Iowa"), "Invalid value for --region: two letters, e.g. IA"),
    ],
)
def test_rotate_refuses_bad_input_clearly(hotline, services, network, args, message):
    result = hotline("number", "rotate", "--yes", *args)
    assert result.exit_code == 2
    assert result.output.rstrip().endswith(message)
    assert services.store.numbers.all() == []


def test_a_rotation_that_cannot_be_done_is_an_error_not_a_traceback(hotline, services, network):
    result = hotline("number", "rotate", "--yes", "--number", "+15155550998")
    assert result.exit_code == 1
    assert result.output == (
        "Error: the Twilio account does not own +15155550998: buy it first, or leave out "
        "--number to buy one\n"
    )


def test_rotate_when_twilio_refuses_the_account(hotline, monkeypatch, services, network):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-wrong-token-0123456789abcdef")
    result = hotline("number", "rotate", "--yes")
    assert result.exit_code == 1
    assert result.output.startswith("Error: list the account's numbers: Twilio answered 401")


def test_status_before_any_rotation(hotline, services, network):
    assert hotline("number", "status").output == (
        "No number is recorded yet: the first `hotline number rotate` records the number in "
        "use and the new one.\n"
    )


def test_status_lists_the_numbers_and_the_receipts(hotline, services, network):
    from hotline.cli.common import utc_time

    hotline("number", "rotate", "--yes", "--by", "ann")
    numbers = services.store.numbers
    rotation = numbers.rotations()[0]
    at = rotation.at
    numbers.text_status("r1", "1001", "delivered", now=at, sid="SM1")
    numbers.text_status("r1", "1002", "failed", now=at, error_code=21610)
    numbers.text_status("r1", "77001", "undelivered", now=at, sid="SM3", error_code=30003)
    output = hotline("number", "status").output
    when = utc_time(at)
    assert output == (
        "NUMBER           STATE    SINCE (UTC)          RETIRED (UTC)        WEBHOOKS\n"
        f"{NEW}     current  {when}  -                    voice {VOICE_URL}, status "
        f"{STATUS_URL}\n"
        f"{OLD}     retired  -                    {when}  voice {VOICE_URL}, status "
        f"{STATUS_URL}\n"
        "\n"
        "The current number answers everyone. A retired number answers registered chairs' "
        "phones, numbers an admin allowed and numbers that verified a PIN in the last 1h; "
        "anyone else hears that the number changed and gets one short chance (precinct, PIN "
        "and backup code).\n"
        "\n"
        f"Rotation r1, {when} UTC, by ann: {OLD} -> {NEW}\n"
        "  texts to 3 chairs: 1 delivered, 2 failed, 0 sent, 0 queued, 0 sending, 0 waiting\n"
        "  failed: precinct 1002 (••••••••0112), error 21610\n"
        "  undelivered: precinct 77001 (••••••••0113), error 30003\n"
    )
    assert hotline("number", "status", "--failed", "1").output.endswith(
        "  failed: precinct 1002 (••••••••0112), error 21610\n  ... and 1 more failed\n"
    )


def test_status_counts_the_texts_a_later_rotation_canceled(hotline, services, network):
    hotline("number", "rotate", "--yes", "--by", "ann")
    assert services.store.numbers.cancel_texts("r1") == 3
    assert (
        "  texts to 3 chairs: 0 delivered, 0 failed, 0 sent, 0 queued, 0 sending, 0 waiting, "
        "3 canceled (a later rotation texts them)\n" in hotline("number", "status").output
    )
