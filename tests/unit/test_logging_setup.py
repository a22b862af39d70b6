"""Log lines as JSON: the fields, the call they are about, and numbers masked whatever
wrote them.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from hotline.log_context import about_call
from hotline.logging_setup import json_handler, log_level, mask_numbers

CHAIR = "+15155550101"
CALL_SID = "CA" + "0123456789" * 3 + "12"


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own writing through the JSON handler to a string."""
    out = io.StringIO()
    logger = logging.getLogger("tests.json-lines")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = json_handler(out)
    logger.addHandler(handler)
    yield logger, out
    logger.removeHandler(handler)


def written(out: io.StringIO) -> list[dict]:
    text = out.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_a_line_is_one_json_object_with_time_level_logger_and_message(lines):
    logger, out = lines
    logger.warning("queue %s has %d calls", "chairs", 3)

    [line] = written(out)
    assert set(line) == {"time", "level", "logger", "message"}
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "tests.json-lines",
        "queue chairs has 3 calls",
    )
    assert line["time"].endswith("+00:00") and "T" in line["time"]


def test_a_line_written_while_a_call_is_handled_names_the_call(lines):
    logger, out = lines
    with about_call(CALL_SID):
        logger.info("inside")
    logger.info("after")

    inside, after = written(out)
    assert inside["call_sid"] == CALL_SID
    assert "call_sid" not in after


def test_a_number_in_the_arguments_is_masked_but_its_last_four_digits(lines):
    logger, out = lines
    logger.info("placed call %s to %s", CALL_SID, CHAIR)

    [line] = written(out)
    assert line["message"] == f"placed call {CALL_SID} to ••••••••0101"
    assert CHAIR not in out.getvalue()


def test_a_number_in_the_message_itself_and_in_a_traceback_is_masked(lines):
    logger, out = lines
    try:
        raise ValueError(f"Twilio answered 400 (code 21215): cannot call {CHAIR}")
    except ValueError:
        logger.exception("call back to %s refused; 100%% sure", "+447700900123")

    [line] = written(out)
    assert line["message"] == "call back to •••••••••0123 refused; 100% sure"
    assert "cannot call ••••••••0101" in line["exception"]
    assert "ValueError" in line["exception"]
    assert CHAIR not in out.getvalue() and "+447700900123" not in out.getvalue()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("from +15155550101.", "from ••••••••0101."),
        ("+15155550101,+15155550102", "••••••••0101,••••••••0102"),
        ("withheld as +266696687", "withheld as ••••••6687"),
        # Not numbers: SIDs, counts, PIN sheet lines, a "+" with too few digits.
        (CALL_SID, CALL_SID),
        ("precinct 1001, 3 tries", "precinct 1001, 3 tries"),
        ("+12345 and +0155550101", "+12345 and +0155550101"),
    ],
)
def test_what_looks_like_an_e164_number_is_masked_and_nothing_else(text, masked):
    assert mask_numbers(text) == masked


@pytest.mark.parametrize(("value", "level"), [(None, "info"), ("DEBUG", "debug"), ("", "info")])
def test_the_level_comes_from_hotline_log_level(value, level):
    env = {} if value is None else {"HOTLINE_LOG_LEVEL": value}
    assert log_level(env) == level
