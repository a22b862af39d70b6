"""The call a log line is about: set while a webhook or a job handles one call, so that
every line written meanwhile carries its CallSid (hotline/logging_setup.py).

A context variable, like the webhooks' Redis budget (store/deadline.py): each of a web
worker's threads handles its own request, and each sees its own call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token

_call_sid: ContextVar[str | None] = ContextVar("call_sid", default=None)


def current_call_sid() -> str | None:
    return _call_sid.get()


def bind_call_sid(call_sid: str | None) -> Token:
    """From now, lines are about `call_sid` (None: about no call), until `unbind(token)`."""
    return _call_sid.set(call_sid)


def unbind(token: Token) -> None:
    _call_sid.reset(token)


@contextlib.contextmanager
def about_call(call_sid: str | None) -> Iterator[None]:
    token = bind_call_sid(call_sid)
    try:
        yield
    finally:
        unbind(token)
