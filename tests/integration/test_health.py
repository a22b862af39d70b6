"""/healthz and `hotline doctor`: healthy only when Redis answers, a worker's heartbeat is
fresh and the queue moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner
from rq import Worker

from hotline.app import create_app
from hotline.cli import main
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from tests.support.env import settings_env
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY
from workers.call_end import process_call_end


@pytest.fixture
def worker(services) -> Iterator[Worker]:
    """A worker as RQ records one: born, and its heart beating (it runs no jobs here)."""
    built = Worker([services.queue], connection=services.queue.connection)
    built.register_birth()
    built.heartbeat()
    yield built
    built.register_death()


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.json


def test_healthy_with_redis_a_live_worker_and_a_moving_queue(client, worker):
    status, body = health(client)
    assert status == 200
    assert body["ok"] is True
    assert set(body["checks"]) == {"redis", "worker", "queue"}
    assert body["checks"]["queue"] == "0 job(s) waiting, the oldest for 0s"


def test_no_worker_is_not_healthy(client):
    """Finding 5: /healthz said OK with no worker running."""
    status, body = health(client)
    assert (status, body["ok"]) == (503, False)
    assert body["checks"]["worker"] == "no worker is running (start `hotline worker`)"


def test_a_worker_whose_heart_stopped_is_not_healthy(client, worker, services):
    worker.last_heartbeat -= timedelta(seconds=45)
    worker.connection.hset(
        worker.key, "last_heartbeat", worker.last_heartbeat.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )
    status, body = health(client)
    assert status == 503
    assert body["checks"]["worker"].startswith("no heartbeat for 45s")


def test_a_backed_up_queue_is_not_healthy(client, worker, services):
    """Finding 5: jobs piled up with nobody noticing."""
    job = services.queue.enqueue(process_call_end, "CA1")
    job.enqueued_at -= timedelta(seconds=90)
    job.save()
    status, body = health(client)
    assert status == 503
    assert body["checks"]["queue"] == "backed up: 1 job(s) waiting, the oldest for 90s"


def test_redis_gone_is_not_healthy():
    settings = Settings.load(env=settings_env())
    app = create_app(
        Services.build(settings, clock=ManualClock(), redis_url="redis://127.0.0.1:1/0")
    )
    status, body = health(app.test_client())
    assert (status, body) == (
        503,
        {"ok": False, "checks": {"redis": "unreachable (ConnectionError)"}},
    )


def test_doctor_prints_every_check_and_fails_without_a_worker(monkeypatch, redis_url, services):
    for name, value in {
        "REDIS_URL": redis_url,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_ENV": "development",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [line.split()[1] for line in lines] == [
        "redis",
        "persistence",
        "worker",
        "queue",
        "scheduler",
        "clock",
        "config",
    ]
    assert lines[0] == "ok    redis        answers"
    assert lines[2] == "FAIL  worker       no worker is running (start `hotline worker`)"
    assert lines[4] == "FAIL  scheduler    not running: failed jobs will not be retried"
