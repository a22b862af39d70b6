"""Logs as JSON lines, for `hotline serve` (gunicorn's own lines too, web_server.py) and
`hotline worker`.

One JSON object a line: `time` (UTC), `level`, `logger`, `message`, `call_sid` when the
line was written while a webhook or a job handled a call (log_context.py), and
`exception` with the traceback, if any. A log processor reads them without guessing at
formats, and finds every line of one call by its CallSid.

Phone numbers are masked but for their last four digits. The code masks the numbers it
logs (phone.mask_number); a filter masks whatever is left that looks like an E.164
number, in the message and the traceback alike: Twilio's error messages and RQ's
description of a job's arguments carry numbers the code does not choose.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from hotline.log_context import current_call_sid
from hotline.phone import mask_number

LEVEL_ENV = "HOTLINE_LOG_LEVEL"
DEFAULT_LEVEL = "info"
# "+", then 7 to 15 digits: any E.164 number, and the keypad spellings Twilio sends for a
# withheld caller ID ("+266696687") with them.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Formats a traceback for the filter, which masks it before the line's formatter sees it.
_TRACEBACKS = logging.Formatter()


def log_level(env: Mapping[str, str]) -> str:
    """HOTLINE_LOG_LEVEL (debug, info, warning, error), or info."""
    return (env.get(LEVEL_ENV) or DEFAULT_LEVEL).lower()


def mask_numbers(text: str) -> str:
    return _E164.sub(lambda found: mask_number(found.group()), text)


class MaskNumbers(logging.Filter):
    """Masks every E.164 number in a record's message and traceback, before any handler
    formats it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_numbers(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        call_sid = current_call_sid()
        if call_sid is not None:
            line["call_sid"] = call_sid
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line)


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A handler writing JSON lines to `stream` (standard error), numbers masked."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskNumbers())
    return handler


def configure(level: str) -> None:
    """JSON lines on standard error for this process's loggers. Like logging.basicConfig,
    whose rule it keeps, it does nothing to a process whose logging is set up already.
    """
    logging.basicConfig(level=level.upper(), handlers=[json_handler()])
    logging.captureWarnings(True)
    if logging.getLevelName(level.upper()) != logging.DEBUG:
        # Twilio's client writes a dozen lines about every request it makes, at INFO.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
