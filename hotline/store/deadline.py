"""A time limit on all the Redis work one request does.

Twilio gives up on a webhook after 15 seconds, and a chair's call must hear an answer
long before that. The per-call socket timeouts bound one slow command, not the sum of
several: a Redis that answers each command just inside its timeout would still hold a
webhook for seconds. So each webhook `start`s a budget, and every Redis command it
sends checks the time left: once the budget is spent, the command fails at once with
redis-py's own TimeoutError, and the route answers its degraded TwiML as it would for
any Redis trouble.

This is real elapsed time on purpose (sockets wait in real time), not the injected
clock. Outside a budget (jobs, the command line, the console) nothing changes.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

from redis.connection import Connection, SSLConnection, UnixDomainSocketConnection, parse_url
from redis.exceptions import TimeoutError as RedisTimeoutError

# Monotonic time at which the current request's Redis budget runs out; None: no limit.
_ends_at: ContextVar[float | None] = ContextVar("redis_deadline", default=None)


def start(seconds: float) -> Token:
    """From now, Redis commands in this context fail once `seconds` have passed, until
    `end(token)`.
    """
    return _ends_at.set(time.monotonic() + seconds)


def end(token: Token) -> None:
    _ends_at.reset(token)


def _time_left() -> float | None:
    ends_at = _ends_at.get()
    if ends_at is None:
        return None
    left = ends_at - time.monotonic()
    if left <= 0:
        raise RedisTimeoutError("this request's time for Redis has run out")
    return left


class _Bounded:
    """Mixed into redis-py's connection classes: connecting, sending and reading all stop
    at the deadline (a read waits no longer than the time left).
    """

    def connect(self) -> None:
        _time_left()
        super().connect()

    def send_packed_command(self, command, check_health=True) -> None:
        _time_left()
        super().send_packed_command(command, check_health)

    def read_response(self, *args, **kwargs):
        left = _time_left()
        if left is not None and self.socket_timeout is not None:
            kwargs["timeout"] = min(left, self.socket_timeout)
        return super().read_response(*args, **kwargs)


class BoundedConnection(_Bounded, Connection):
    pass


class BoundedSSLConnection(_Bounded, SSLConnection):
    pass


class BoundedUnixConnection(_Bounded, UnixDomainSocketConnection):
    pass


_BOUNDED = {
    Connection: BoundedConnection,
    SSLConnection: BoundedSSLConnection,
    UnixDomainSocketConnection: BoundedUnixConnection,
}


def bounded_connection_class(url: str) -> type[Connection]:
    """The connection class redis-py would use for `url`, made to honour `start`."""
    return _BOUNDED[parse_url(url).get("connection_class", Connection)]
