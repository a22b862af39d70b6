"""The real stack for end-to-end tests: `hotline serve` (gunicorn) and `hotline worker` (RQ)
run as processes against the test Redis, once per module that asks for `stack`.

Between tests only Hotline's own keys are cleared (the worker's RQ keys stay: the
worker is running on them), after the worker has finished what the test left it.
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
from urllib.parse import urlencode, urlsplit

import pytest
import redis
from rq import Worker
from rq.job import Job
from rq.registry import FinishedJobRegistry, StartedJobRegistry

from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.loop import EventLoop, RealTimeLoop
from hotline.sim.network import Network
from hotline.sim.rest import create_rest_app
from hotline.sim.serving import loopback_server
from hotline.sim.transport import HttpTransport
from hotline.store import keys
from hotline.store.embedded import EmbeddedRedis
from tests.support.repo import REPO_ROOT
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY

STARTUP_LIMIT_S = 30.0
JOB_LIMIT_S = 15.0
STOP_LIMIT_S = 10.0
ACCOUNT_SID = "AC" + "0" * 32

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
def own_redis_server(tmp_path_factory) -> Iterator[EmbeddedRedis]:
    """A Redis of the module's own, for a module that stops, kills or restarts it: the
    module overrides `redis_url` with its address, so that its stack runs on it and no
    other test is disturbed. The embedded server, as Hotline runs without REDIS_URL: a Unix
    socket in a directory of its own, `appendonly yes`, `appendfsync everysec`.
    """
    server = EmbeddedRedis(tmp_path_factory.mktemp("own-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack_env(request) -> dict[str, str]:
    """What a test module adds to the servers' environment: its STACK_ENV. A module that
    needs a value known only once it runs (the address of a server of its own) overrides
    this fixture instead.
    """
    return getattr(request.module, "STACK_ENV", {})


@pytest.fixture(scope="module")
def stack(redis_url, tmp_path_factory, stack_env) -> Iterator[Stack]:
    """The servers, with the environment the test module adds (stack_env)."""
    redis.Redis.from_url(redis_url).flushdb()
    port = free_port()
    base = tmp_path_factory.mktemp("e2e")
    logs = base / "logs"
    logs.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "HOTLINE_CONFIG",
            "TWILIO_API_BASE_URL",
            "HOTLINE_ACCESS_LOG",
            "HOTLINE_METRICS_TOKEN",
            "PROMETHEUS_MULTIPROC_DIR",
        )
    }
    env.update(
        {
            "HOTLINE_ENV": "development",
            "REDIS_URL": redis_url,
            "HOTLINE_PORT": str(port),
            "HOTLINE_BIND": "127.0.0.1",
            "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HOTLINE_DATA_DIR": str(base / "data"),
            "HOTLINE_SECRET_KEY": SECRET_KEY,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "WEB_CONCURRENCY": "2",
        }
    )
    env.update(stack_env)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in ("serve", "worker"):
            with open(logs / f"{command}.log", "wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "hotline.cli", command],
                        env=env,
                        cwd=REPO_ROOT,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
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


def worker_idle(services: Services) -> bool:
    """Nothing queued and nothing running on the stack's worker."""
    started = StartedJobRegistry(queue=services.queue)
    return services.queue.count == 0 and started.count == 0


def finished_jobs(services: Services) -> set[str]:
    return set(FinishedJobRegistry(queue=services.queue).get_job_ids())


@pytest.fixture
def stack_services(stack, redis_url) -> Iterator[Services]:
    """The test's own view of the stack's Redis (system clock, like the servers), with
    Hotline's keys cleared; after the test, the worker is given time to finish what the
    test queued before the keys are cleared again.
    """
    built = Services.build(Settings.load(env=stack.env), redis_url=redis_url)
    assert wait_for(lambda: worker_idle(built), JOB_LIMIT_S), "the worker is still busy"
    clear_hotline_keys(built.store.redis)
    yield built
    assert wait_for(lambda: worker_idle(built), JOB_LIMIT_S), (
        f"the worker did not finish the test's jobs\n{log_tail(stack.logs)}"
    )
    clear_hotline_keys(built.store.redis)


@dataclass
class WorkerJobs:
    """The jobs the stack's worker finishes during one test (RQ's registry of finished
    jobs outlives the test, and call SIDs repeat from one test's network to the next).
    """

    services: Services
    finished_before: set[str]

    def jobs(self) -> list[Job]:
        """Every job finished during the test, in the order the worker finished them."""
        new = finished_jobs(self.services) - self.finished_before
        found = [Job.fetch(job_id, connection=self.services.queue.connection) for job_id in new]
        return sorted(found, key=lambda job: job.ended_at)

    def finished(self, call_sid: str) -> Job | None:
        """The call-end job for `call_sid`, once the worker has finished it."""
        return next((job for job in self.jobs() if job.args == (call_sid,)), None)

    def wait(self, call_sid: str) -> Job | None:
        return wait_for(lambda: self.finished(call_sid), JOB_LIMIT_S)

    def settle(self) -> list[Job]:
        """Once the worker is idle: every job it finished during the test."""
        assert wait_for(lambda: worker_idle(self.services), JOB_LIMIT_S), "the worker is busy"
        return self.jobs()


@pytest.fixture
def worker_jobs(stack_services) -> WorkerJobs:
    return WorkerJobs(stack_services, finished_jobs(stack_services))


@pytest.fixture
def network(stack) -> Iterator[Network]:
    """The simulated phone network, wired to the stack as a Twilio number would be: its
    voice URL and status callback are the stack's, every webhook a signed post over HTTP.
    Time on the network's side is virtual, from ManualClock's start (calls take no wall
    time); the stack keeps its own.
    """
    transport = HttpTransport(AUTH_TOKEN)
    built = Network(
        EventLoop(ManualClock()),
        transport,
        account_sid=ACCOUNT_SID,
        voice_url=f"{stack.public_url}/voice/incoming",
        status_url=f"{stack.public_url}/voice/status",
    )
    yield built
    transport.close()


# The simulated phone network in real time against the stack, for modules that need
# Twilio's REST API served (a worker's dispatch) and calls driven over HTTP.


@dataclass
class Answer:
    """What PhoneCall reads of an answer."""

    status_code: int
    data: bytes


class HttpClient:
    """What PhoneCall needs of Flask's test client, over real HTTP to the stack: a new
    connection for every request, so that either web worker may take it.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.paths: list[str] = []

    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> Answer:
        self.paths.append(urlsplit(path).path)
        request = urllib.request.Request(
            self.base + path, data=urlencode(data).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())


class StackTransport:
    """The simulated network's way to the stack (its address known once it runs), keeping
    the path of every webhook it sends.
    """

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._http: HttpTransport | None = None

    def connect(self, backend: str) -> None:
        self._http = HttpTransport(AUTH_TOKEN, backends=[backend])

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        assert self._http is not None
        self.paths.append(urlsplit(url).path)
        return self._http.post(url, params)


@dataclass
class Phones:
    network: Network
    transport: StackTransport


@pytest.fixture(scope="module")
def phones():
    """The simulated phone network in real time, its REST stand-in served from the start
    (the worker asks it for Twilio's queues as soon as it runs).
    """
    transport = StackTransport()
    network = Network(
        RealTimeLoop(),
        transport,
        account_sid=ACCOUNT_SID,
        voice_url=f"{PUBLIC_URL}/voice/incoming",
        status_url=f"{PUBLIC_URL}/voice/status",
    )
    with loopback_server() as rest:
        rest.set_app(create_rest_app(network, auth_token=AUTH_TOKEN))
        yield Phones(network, transport), rest.url
