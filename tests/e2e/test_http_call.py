"""End to end over real HTTP: `hotline serve` (gunicorn) and `hotline worker` (RQ)
run as processes against the test Redis, and HttpPhone places calls the way
Twilio does.

The servers start once for the module. Between tests only Hotline's own keys
are cleared (the worker's RQ keys stay: the worker is running on them).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import redis
from rq import Worker
from rq.job import Job
from rq.registry import FinishedJobRegistry

from hotline.roster_file import RosterRow
from hotline.roster_import import import_roster
from hotline.services import Services
from hotline.settings import PROJECT_ROOT, Settings
from hotline.sim.phone import HttpPhone
from hotline.store import keys
from tests.support.twilio import AUTH_TOKEN, SECRET_KEY

STARTUP_LIMIT_S = 30.0
JOB_LIMIT_S = 15.0
STOP_LIMIT_S = 10.0

CHAIR_PRECINCT = "1204"
CHAIR_PIN = "4321"

ASK_PRECINCT = (
    "Welcome to the caucus results hotline. Please enter your precinct number, then press pound."
)
ASK_PIN = "Please enter your chair PIN, then press pound."
VERIFIED = "Thank you. Precinct 1 2 0 4 is verified. Please hold for the next volunteer."
NEXT_IN_LINE = "You are next in line."
DIVERTED = (
    "This line is reserved for precinct chairs reporting results. For caucus information, "
    "please visit the party website. Goodbye."
)

T = TypeVar("T")


@dataclass
class Stack:
    public_url: str
    env: dict[str, str]
    logs: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_tail(logs: Path) -> str:
    return "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in sorted(logs.glob("*.log"))
    )


def wait_for(condition: Callable[[], T], limit_s: float) -> T:
    """Poll `condition` until it returns something truthy or `limit_s` runs out;
    returns its last value either way (the caller asserts on it).
    """
    deadline = time.monotonic() + limit_s
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.05)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200 and json.loads(response.read())["ok"] is True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (gunicorn and RQ both shut down warmly on it), then make sure the
    process group it leads (gunicorn's workers, RQ's scheduler) is gone.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def stack(redis_url, tmp_path_factory) -> Iterator[Stack]:
    redis.Redis.from_url(redis_url).flushdb()
    port = free_port()
    base = tmp_path_factory.mktemp("e2e")
    logs = base / "logs"
    logs.mkdir()
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("HOTLINE_CONFIG", "TWILIO_API_BASE_URL", "HOTLINE_ACCESS_LOG")
    }  # fmt: skip
    env.update({
        "REDIS_URL": redis_url,
        "HOTLINE_PORT": str(port),
        "HOTLINE_BIND": "127.0.0.1",
        "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOTLINE_DATA_DIR": str(base / "data"),
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "WEB_CONCURRENCY": "2",
    })  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in ("serve", "worker"):
            with open(logs / f"{command}.log", "wb") as log:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "hotline.cli", command], env=env, cwd=PROJECT_ROOT,
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                ))  # fmt: skip
        raw = redis.Redis.from_url(redis_url)

        def up() -> bool:
            if any(process.poll() is not None for process in processes):
                return True  # one has died: stop waiting, the assertion below says so
            return healthy(port) and len(Worker.all(connection=raw)) == 1

        wait_for(up, STARTUP_LIMIT_S)
        exited = [process.args[-1] for process in processes if process.poll() is not None]
        assert exited == [], f"{exited} exited early\n{log_tail(logs)}"
        assert healthy(port), f"no healthy web server on port {port}\n{log_tail(logs)}"
        assert len(Worker.all(connection=raw)) == 1, f"no worker registered\n{log_tail(logs)}"
        yield Stack(public_url=env["HOTLINE_PUBLIC_URL"], env=env, logs=logs)
    finally:
        for process in processes:
            stop(process)
        redis.Redis.from_url(redis_url).flushdb()


def clear_hotline_keys(client: redis.Redis) -> None:
    stale = list(client.scan_iter(f"{keys.PREFIX}:*"))
    if stale:
        client.delete(*stale)


@pytest.fixture
def services(stack, redis_url, tmp_path) -> Iterator[Services]:
    """The test's own view of the same Redis (system clock, like the servers),
    with Hotline's keys cleared and a one-precinct roster loaded.
    """
    built = Services.build(Settings.load(env=stack.env), redis_url=redis_url)
    clear_hotline_keys(built.store.redis)
    rows = [RosterRow(line=2, code=CHAIR_PRECINCT, county="Polk", name="DES MOINES-12",
                      pin=CHAIR_PIN)]  # fmt: skip
    result = import_roster(built.store.roster, rows, secret_key=SECRET_KEY.encode(),
                           pin_sheet=tmp_path / "unused-pin-sheet.csv")  # fmt: skip
    assert (result.imported, result.generated, result.pin_sheet) == (1, 0, None)
    yield built
    clear_hotline_keys(built.store.redis)


@pytest.fixture
def phone(stack) -> HttpPhone:
    return HttpPhone(stack.public_url, AUTH_TOKEN)


def finished_job(services: Services, call_sid: str) -> Job | None:
    """The call-end job for `call_sid`, once the worker has finished it."""
    registry = FinishedJobRegistry(queue=services.queue)
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=services.queue.connection)
        if job.args == (call_sid,):
            return job
    return None


def test_a_chair_rings_keys_in_precinct_and_pin_and_waits_in_line(services, phone):
    transcript = phone.call("CAE2E0101", "+15155550101", [CHAIR_PRECINCT, CHAIR_PIN])

    assert transcript.outcome == "holding"
    assert transcript.heard == [ASK_PRECINCT, ASK_PIN, VERIFIED, NEXT_IN_LINE]
    assert transcript.requests == 4  # incoming, precinct, PIN, wait URL
    client = services.store.redis
    record = services.store.calls.get("CAE2E0101")
    assert record is not None
    assert (record.number, record.precinct, record.status, record.ended_at) == (
        "+15155550101", CHAIR_PRECINCT, None, None,
    )  # fmt: skip
    assert record.verified_at is not None
    assert client.zrange(keys.LINE, 0, -1) == [CHAIR_PRECINCT]
    assert json.loads(client.hget(keys.WAITING, CHAIR_PRECINCT)) == {
        "call_sid": "CAE2E0101",
        "number": "+15155550101",
        "verified_how": "keyed-precinct",
        "since": record.verified_at,
    }
    assert client.hget(keys.caller("+15155550101"), "verified_at") == repr(record.verified_at)
    assert services.store.line.position(CHAIR_PRECINCT) == 1


def test_a_troll_redialling_is_diverted_then_rejected(services, phone):
    troll = "+17125550666"

    transcripts = [phone.call(f"CAE2E02{n:02d}", troll, []) for n in range(1, 12)]

    assert [t.outcome for t in transcripts] == (
        ["caller hung up"] * 6 + ["hung up by the hotline"] * 2 + ["rejected"] * 3
    )
    assert [t.heard for t in transcripts] == [[ASK_PRECINCT]] * 6 + [[DIVERTED]] * 2 + [[]] * 3
    block = json.loads(services.store.redis.hget(keys.BLOCKS, troll))
    assert (block["author"], block["reason"], block["expires_at"] - block["created_at"]) == (
        "triage", "9 calls in 1h (temporary block at 9)", 3600.0,
    )  # fmt: skip
    assert services.store.redis.hget(keys.caller(troll), "temp_blocks") == "1"
    verdicts = [services.store.calls.get(t.call_sid) for t in transcripts]
    assert [(v.verdict, v.reasons) for v in verdicts[6:]] == [
        ("divert", ("7 calls in 15m (divert at 7)",)),
        ("divert", ("8 calls in 15m (divert at 7)",)),
        ("temp-block", ("9 calls in 1h (temporary block at 9)",)),
        ("reject", (f"blocked ({troll}): 9 calls in 1h (temporary block at 9)",)),
        ("reject", (f"blocked ({troll}): 9 calls in 1h (temporary block at 9)",)),
    ]
    # A rejected call is refused before it is counted: the number's count stops at 9.
    assert services.store.redis.zcard(keys.caller_calls(troll)) == 9


def test_the_worker_processes_the_status_callback(services, phone):
    # An unknown caller who hangs up at the first prompt, three seconds in.
    quitter = phone.call("CAE2E0301", "+15155550303", [])
    assert quitter.outcome == "caller hung up"
    phone.end(quitter, duration_s=3, sequence=1)

    job = wait_for(lambda: finished_job(services, "CAE2E0301"), JOB_LIMIT_S)

    assert job is not None, "the worker did not finish the call-end job in time"
    assert job.return_value() == {
        "call_sid": "CAE2E0301", "verdict": "challenge", "instant_hangups": 1,
    }  # fmt: skip
    record = services.store.calls.get("CAE2E0301")
    assert (record.verdict, record.reasons, record.enforced) == ("challenge", ("unknown caller",),
                                                                  True)  # fmt: skip
    assert (record.status, record.duration_s) == ("completed", 3.0)
    assert services.store.redis.zrange(
        keys.caller_hangups("+15155550303"), 0, -1, withscores=True
    ) == [("CAE2E0301", record.ended_at)]

    # A verified chair who hangs up after four minutes in line: leaves the line
    # (keeping the place for a while), and is no instant hang-up.
    chair = phone.call("CAE2E0302", "+15155550101", [CHAIR_PRECINCT, CHAIR_PIN])
    assert chair.outcome == "holding"
    score = services.store.redis.zscore(keys.LINE, CHAIR_PRECINCT)
    phone.end(chair, duration_s=240, sequence=1)
    assert services.store.line.size() == 0
    assert float(services.store.redis.get(keys.kept_place(CHAIR_PRECINCT))) == score

    job = wait_for(lambda: finished_job(services, "CAE2E0302"), JOB_LIMIT_S)

    assert job is not None, "the worker did not finish the call-end job in time"
    assert job.return_value() == {
        "call_sid": "CAE2E0302", "verdict": "challenge", "instant_hangups": None,
    }  # fmt: skip
    record = services.store.calls.get("CAE2E0302")
    assert (record.verdict, record.precinct, record.status, record.duration_s) == (
        "challenge", CHAIR_PRECINCT, "completed", 240.0,
    )  # fmt: skip
    assert services.store.redis.exists(keys.caller_hangups("+15155550101")) == 0
