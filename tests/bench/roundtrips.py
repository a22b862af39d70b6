"""Redis round trips per webhook, counted on the wire.

The app is built by the real Services.build; only the connection class of its
Redis clients is swapped for one that counts every send. A round trip is one
send followed by its replies (a pipeline is one send), so sends per request are
round trips per request.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import redis
from redis.connection import UnixDomainSocketConnection

from hotline.app import create_app
from hotline.services import Services
from hotline.settings import Settings
from tests.bench.loadgen import classify
from tests.bench.traffic import PATH, Call
from tests.support.twilio import signature


class CountsSends:
    """Mixed in before the pool's own connection class (the deadline's bounded one), so
    that every send is counted and the rest behaves as in production.
    """

    sends = 0

    def send_packed_command(self, command: object, check_health: bool = True) -> None:
        CountsSends.sends += 1
        return super().send_packed_command(command, check_health)


@dataclass(frozen=True)
class RoundTrips:
    requests: int
    by_answer: dict[str, list[int]]  # answer -> round trips of each request that got it
    first_request: int  # on fresh connections: handshake and script load included

    @property
    def per_request(self) -> float:
        total = sum(sum(trips) for trips in self.by_answer.values())
        return total / self.requests if self.requests else float("nan")

    def answer_means(self) -> dict[str, float]:
        return {answer: sum(t) / len(t) for answer, t in sorted(self.by_answer.items())}

    @property
    def always_one(self) -> bool:
        return all(t == 1 for trips in self.by_answer.values() for t in trips)


def _counting(client: redis.Redis) -> None:
    pool = client.connection_pool
    if not issubclass(pool.connection_class, UnixDomainSocketConnection) or (
        pool._created_connections
    ):
        raise RuntimeError("round trips are counted on a fresh Unix-socket pool only")
    pool.connection_class = type(
        "Counting" + pool.connection_class.__name__, (CountsSends, pool.connection_class), {}
    )


def count(settings: Settings, warmup: list[Call], measured: list[Call]) -> RoundTrips:
    """Drive every call through /voice/incoming in-process; round trips of the measured ones."""
    services = Services.build(settings)
    _counting(services.store.redis)
    _counting(services.queue.connection)
    client = create_app(services).test_client()
    url = settings.public_url + PATH
    token = settings.twilio_auth_token or ""
    by_answer: dict[str, list[int]] = defaultdict(list)
    statuses: Counter[int] = Counter()
    first = 0
    try:
        for i, call in enumerate([*warmup, *measured]):
            headers = {"X-Twilio-Signature": signature(url, call.params, token)}
            before = CountsSends.sends
            response = client.post(PATH, data=call.params, headers=headers)
            trips = CountsSends.sends - before
            if i == 0:
                first = trips
            if i >= len(warmup):
                statuses[response.status_code] += 1
                by_answer[classify(response.data)].append(trips)
    finally:
        services.store.redis.close()
        services.queue.connection.close()
    if set(statuses) != {200}:
        raise RuntimeError(f"in-process /voice/incoming answered {dict(statuses)}")
    return RoundTrips(requests=len(measured), by_answer=dict(by_answer), first_request=first)
