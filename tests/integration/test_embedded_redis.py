"""The Redis server Hotline starts for itself when REDIS_URL is not set."""

from __future__ import annotations

import os
import signal
import stat
import threading
import time

import pytest
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


@pytest.fixture
def lax_umask():
    """A process umask that lets group and others read what it creates (022, the common
    default), whatever the test runner's own is; restored after.
    """
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_what_the_server_writes_is_its_owners_alone(tmp_path, lax_umask):
    """Finding 9: the append-only file, which holds PIN digests and password hashes, was
    created world-readable (0644); the data directory is now 0700 and every file the server
    writes 0600.
    """
    data_dir = tmp_path / "data"
    server = EmbeddedRedis(data_dir)
    server.start()
    try:
        redis.Redis.from_url(server.url).set("hotline:probe", "kept")
        aof = data_dir / "appendonly.aof"
        deadline = time.monotonic() + 5
        while b"hotline:probe" not in aof.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.05)  # appendfsync everysec: written within a second
        assert b"hotline:probe" in aof.read_bytes()
        assert mode(data_dir) == 0o700
        assert {path.name: mode(path) for path in data_dir.iterdir()} == {
            "appendonly.aof": 0o600,
            "redis.log": 0o600,
            "redis.pid": 0o600,
            "redis.sock": 0o700,  # --unixsocketperm: the owner connects, nobody else
        }
    finally:
        server.stop()


def test_an_existing_data_directory_is_made_owners_only(tmp_path, lax_umask):
    """Finding 9: a data directory left open by an earlier version (0755) is tightened."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    assert mode(data_dir) == 0o755
    server = EmbeddedRedis(data_dir)
    server.start()
    try:
        assert mode(data_dir) == 0o700
    finally:
        server.stop()


def test_a_killed_server_is_restarted_from_its_append_only_file(tmp_path, caplog):
    """Finding 4: nothing restarted the embedded Redis if it died."""
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket_path))
        client.set("hotline:kept", "yes")
        client.execute_command("BGREWRITEAOF")  # what everysec fsync would have done by now
        wait_until(lambda: client.info("persistence")["aof_rewrite_in_progress"] == 0)
        server.supervise()
        os.kill(server._process.pid, signal.SIGKILL)
        wait_until(lambda: server.restarts == 1 and server.is_running())
        assert client.get("hotline:kept") == b"yes"  # the same socket, the same data
        assert "embedded Redis exited with -9; restarting it from its append-only file" in (
            caplog.text
        )
        client.close()
    finally:
        server.stop()
    assert not server.is_running()  # stopped on purpose: not restarted


def test_a_stop_during_a_restart_leaves_no_server_and_no_broken_supervisor(tmp_path):
    """The supervisor restarts a killed server while another thread stops it: the stop
    waits for the restart and shuts that server down, and the supervisor ends quietly
    (it used to find the process gone under it, and could leave the new server running).
    """
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    failures: list[BaseException] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)
    try:
        supervisor = server.supervise()
        os.kill(server._process.pid, signal.SIGKILL)
        wait_until(lambda: server.restarts == 1, limit_s=10.0, every_s=0.001)
        server.stop()  # while the restart is still starting the server, most likely
        supervisor.join(timeout=5)
        running_after_stop = server.is_running()
    finally:
        threading.excepthook = previous_hook
        server.stop()  # a server left behind would outlive the test
    assert not supervisor.is_alive()
    assert failures == []
    assert not running_after_stop


def wait_until(condition, limit_s: float = 20.0, every_s: float = 0.05) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(every_s)
