"""The Redis server Hotline starts for itself when REDIS_URL is not set."""

from __future__ import annotations

import redis

from hotline.services import Services, ensure_redis
from hotline.settings import Settings
from hotline.store.embedded import EmbeddedRedis
from tests.support.env import settings_env


def test_starts_on_a_socket_persists_and_stops(tmp_path):
    server = EmbeddedRedis(tmp_path)
    assert not server.is_running()
    assert server.ensure_running()
    try:
        assert server.url == f"unix://{tmp_path}/redis.sock"
        client = redis.Redis.from_url(server.url, decode_responses=True)
        client.set("hotline:probe", "kept")
        info = client.info("persistence")
        assert info["aof_enabled"] == 1
        # A second process finds it running and reuses it instead of starting another.
        assert not EmbeddedRedis(tmp_path).ensure_running()
    finally:
        server.stop()
    assert not server.is_running()
    assert not (tmp_path / "redis.sock").exists()
    # The append-only file brings the data back on the next start.
    again = EmbeddedRedis(tmp_path)
    again.start()
    try:
        client = redis.Redis.from_url(again.url, decode_responses=True)
        assert client.get("hotline:probe") == "kept"
    finally:
        again.stop()


def test_services_use_the_embedded_server_without_redis_url(tmp_path):
    settings = Settings.load(env=settings_env(HOTLINE_DATA_DIR=str(tmp_path)))
    assert settings.redis_url is None
    started = ensure_redis(settings)
    try:
        assert started is not None
        services = Services.build(settings)
        assert services.store.redis.ping()
        assert services.store.redis.connection_pool.connection_kwargs["path"] == str(
            tmp_path / "redis.sock"
        )
        assert ensure_redis(settings) is None  # already running: reused, not owned
    finally:
        started.stop()


def test_redis_url_wins_over_the_embedded_server(redis_url, tmp_path):
    settings = Settings.load(env=settings_env(REDIS_URL=redis_url, HOTLINE_DATA_DIR=str(tmp_path)))
    assert ensure_redis(settings) is None
    assert not (tmp_path / "redis.sock").exists()
