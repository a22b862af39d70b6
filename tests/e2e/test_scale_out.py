"""Scale-out, tested: two `hotline serve` and two `hotline worker` processes on one Redis,
the webhooks shared between the web servers in turn as a load balancer would share them,
the workers dispatching through the simulator's stand-in for Twilio's REST API. A short
busy night of chairs, volunteers and a flood runs through them in real time: no chair is
put through twice, none is lost, and the line's order holds.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from rq import Worker
from rq.job import Job
from rq.registry import FinishedJobRegistry

from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.live import run_live
from hotline.sim.night import Night
from hotline.sim.population import draw_population, roster_precincts
from hotline.sim.scenario import load_scenario
from hotline.sim.serving import loopback_server
from tests.e2e.conftest import (
    ACCOUNT_SID,
    STARTUP_LIMIT_S,
    free_port,
    healthy,
    log_tail,
    stop,
    wait_for,
)
from tests.support.repo import REPO_ROOT
from tests.support.twilio import AUTH_TOKEN, SECRET_KEY

SCENARIO = Path(__file__).parent / "scenarios" / "scale-out.toml"
PUBLIC_URL = "https://hotline.scale-out.test"
# Two chairs' order in the line may come out swapped by the time two workers take to
# move them at the same moment; no more.
SAME_MOMENT_S = 2.0


@dataclass
class Outcome:
    night: Night
    services: Services


@pytest.fixture(scope="module")
def outcome(redis_url, tmp_path_factory) -> Iterator[Outcome]:
    redis.Redis.from_url(redis_url).flushdb()
    logs = tmp_path_factory.mktemp("scale-out")
    scenario = load_scenario(str(SCENARIO))
    population = draw_population(scenario, 7)
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen[bytes]] = []
    with loopback_server() as rest:
        env = {
            "HOTLINE_ENV": "development",
            "REDIS_URL": redis_url,
            "HOTLINE_PUBLIC_URL": PUBLIC_URL,
            "HOTLINE_SECRET_KEY": SECRET_KEY,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_API_BASE_URL": rest.url,
            "HOTLINE_BIND": "127.0.0.1",
            "HOTLINE_DATA_DIR": str(logs / "data"),
            "WEB_CONCURRENCY": "1",
            "PATH": "/usr/bin:/bin",
        }
        services = Services.build(Settings.load(env=env), redis_url=redis_url)
        services.store.roster.replace_all(roster_precincts(population, services.settings.pin_key()))
        commands = [("serve", ports[0]), ("serve", ports[1]), ("worker", 0), ("worker", 0)]
        try:
            for n, (command, port) in enumerate(commands):
                with open(logs / f"{command}-{n}.log", "wb") as log:
                    processes.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "hotline.cli", command],
                            env={**env, "HOTLINE_PORT": str(port or 5000)},
                            cwd=REPO_ROOT,
                            stdin=subprocess.DEVNULL,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
            raw = redis.Redis.from_url(redis_url)
            up = wait_for(
                lambda: all(healthy(p) for p in ports) and len(Worker.all(connection=raw)) == 2,
                STARTUP_LIMIT_S,
            )
            assert up, f"the processes did not come up\n{log_tail(logs)}"
            night = run_live(
                scenario,
                population,
                public_url=PUBLIC_URL,
                auth_token=AUTH_TOKEN,
                account_sid=ACCOUNT_SID,
                queue_name=services.settings.queue_name,
                rest=rest,
                services=services,
                backends=[f"http://127.0.0.1:{p}" for p in ports],
            )
            yield Outcome(night, services)
        finally:
            for process in processes:
                stop(process)
            redis.Redis.from_url(redis_url).flushdb()


def test_both_workers_ran_jobs(outcome):
    queue = outcome.services.queue
    finished = FinishedJobRegistry(queue=queue).get_job_ids()
    workers = {Job.fetch(job_id, connection=queue.connection).worker_name for job_id in finished}
    assert len(finished) > 20
    assert len(workers) == 2


def test_every_chair_is_put_through_once(outcome):
    chairs = outcome.night.chairs
    assert [chair.answered_at is not None for chair in chairs] == [True] * len(chairs)
    assert [chair.connections for chair in chairs] == [1] * len(chairs)
    rooms = [
        room
        for name, room in outcome.night.network.conferences.items()
        if name.startswith("volunteer-")
    ]
    assert rooms and all(room.peak_parties <= 2 for room in rooms)


def test_no_nuisance_call_reaches_a_volunteer(outcome):
    calls = [call for caller in outcome.night.nuisance for call in caller.calls]
    assert calls and all(call.connected_at is None for call in calls)


def test_the_line_keeps_its_order(outcome):
    """Chairs are put through in the order they joined the line, across both workers.

    A chair joins the line when proved, and can be put through once on hold; a chair
    still choosing between the keypad and a volunteer is not on hold yet, and the next
    one is served meanwhile. So the order holds among chairs on hold together.
    """

    def proved(chair):
        return chair.proved_at or chair.verified_at

    chairs = sorted(outcome.night.chairs, key=proved)
    for earlier, later in zip(chairs, chairs[1:], strict=False):
        if proved(later) - proved(earlier) < SAME_MOMENT_S:
            continue  # proved at the same moment on two servers: either may come first
        # Both were on hold at once.
        if max(earlier.verified_at, later.verified_at) < earlier.answered_at:
            assert earlier.answered_at <= later.answered_at + SAME_MOMENT_S


def test_nothing_is_left_behind_in_redis(outcome):
    store = outcome.services.store
    assert store.line.size() == 0
    assert store.redis.hlen("hotline:pairings") == 0
