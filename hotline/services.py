"""The long-lived things a process needs, built once and handed to whoever needs them.

The web app, the worker and the command line each build one Services; tests
build theirs against a throw-away Redis and a ManualClock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue

from hotline.clock import Clock, SystemClock
from hotline.settings import Settings
from hotline.store import Store, keys
from hotline.store.deadline import bounded_connection_class
from hotline.store.embedded import EmbeddedRedis


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    store: Store
    # RQ pickles job payloads, so its client must not decode replies.
    queue: Queue
    # Where Redis is (a URL may hold a password: kept out of every repr).
    redis_url: str = field(default="", repr=False)

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Clock | None = None, redis_url: str | None = None
    ) -> Services:
        url = redis_url or settings.redis_url or embedded_url(settings)
        clock = clock or SystemClock()
        timeouts = {
            "socket_connect_timeout": settings.redis_connect_timeout_s,
            "socket_timeout": settings.redis_read_timeout_s,
            # One immediate retry: a blip (a failover, a dropped connection) is survived,
            # a Redis that is gone costs at most two timeouts.
            "retry": Retry(NoBackoff(), 1),
            # Honours a webhook's time limit (store/deadline.py); nothing else is bound.
            "connection_class": bounded_connection_class(url),
        }
        client = redis.Redis.from_url(
            url, decode_responses=True, health_check_interval=30, **timeouts
        )
        raw = redis.Redis.from_url(url, **timeouts)
        return cls(
            settings=settings,
            clock=clock,
            store=Store.open(client, clock, settings.policy),
            queue=Queue(keys.QUEUE_DEFAULT, connection=raw),
            redis_url=url,
        )


def embedded_url(settings: Settings) -> str:
    """URL of the embedded Redis, which must already be running (see ensure_redis)."""
    return EmbeddedRedis(settings.data_dir).url


def ensure_redis(settings: Settings) -> EmbeddedRedis | None:
    """With no REDIS_URL, start (or find) the embedded server; returns it if started here."""
    if settings.redis_url:
        return None
    server = EmbeddedRedis(settings.data_dir)
    return server if server.ensure_running() else None
