"""A night under fire: a live night over HTTP against real processes, with faults injected
on the scenario's schedule, beside the same night without them.

The stack is what production runs: a Redis server with an append-only file (fsync every
second), supervised (hotline/store/embedded.py: restarted from its file when it dies);
`hotline serve` with the production gunicorn configuration; two `hotline worker`
processes; the simulator's stand-in for Twilio's REST API; the simulator's chairs,
volunteers, nuisance callers and people asking for information over real HTTP. Faults
(the scenario's `[faults]` section, times into the night):

- `kill_worker_at`: SIGKILL to a worker's process group (the worker, the job it is
  running, its scheduler), as the kernel's out-of-memory killer or a lost machine would;
  a new worker is started `worker_restart_after` later, as a process supervisor would.
- `kill_redis_at`: SIGKILL to Redis; the supervisor restarts it from its append-only file
  (up to a second of writes lost); the workers' housekeeping sees the new run_id and
  reconciles the line.
- `twilio_outage_at` for `twilio_outage_for`: the REST stand-in answers every request
  503 (Twilio's error 20503), as during an outage of Twilio's API.
- `undialable_chair_calls_at`: the first chair to call from then on asks to be called
  back, from a phone Twilio will not dial: the stand-in answers 21215, and Hotline must
  park that chair (place kept, admins told) and go on with the line.
- `pollers`: that many signed-in console sessions, requesting `poll_path` every
  `poll_every` all night (signed in before the night opens).

The figures compared (see `outcome_figures`) and the targets (`TARGETS`) decide the exit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import redis
from rq import Worker
from rq.registry import FinishedJobRegistry

from hotline.durations import parse_duration
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.live import run_live
from hotline.sim.network import Network
from hotline.sim.night import Night
from hotline.sim.population import Population, draw_population, roster_precincts
from hotline.sim.report import clock_text, figures, percentile
from hotline.sim.rest import Outage
from hotline.sim.scenario import Scenario, find_scenario, load_scenario
from hotline.sim.serving import loopback_server
from hotline.store.embedded import EmbeddedRedis

log = logging.getLogger(__name__)

ACCOUNT_SID = "AC" + "f" * 32
PUBLIC_URL = "https://hotline.drill.invalid"
WORKERS = 2
STARTUP_LIMIT_S = 60.0
# Twilio waits 15 s for a webhook; the drill's promise is far tighter.
LATE_WEBHOOK_S = 2.0
# After the night, how long to wait for a worker to reconcile the line after Redis's
# restart (the housekeeping timer runs once a minute).
RECONCILE_LIMIT_S = 75.0
# After the night, chairs still trying are followed until they are through, for at most
# this long: a two-minute outage leaves a backlog the night's volunteers need time for.
FOLLOW_S = 300.0
POLLER_USER = "drill-console"
# How the chair's call ended, in the simulator's words (network.py), when it was the
# hotline's doing: a TwiML <Hangup> or <Reject>, a REST completion, a divert, or a webhook
# that failed (Twilio says "an application error has occurred" and hangs up).
ENDED_BY_HOTLINE = (
    "hung up by the hotline",
    "ended by the hotline",
    "rejected",
    "diverted",
    "application error",
)

# The figures that must be zero under fire, in the order reported.
TARGETS = ("chairs_lost", "chairs_connected_twice", "chairs_hung_up_by_hotline", "webhooks_late")


@dataclass(frozen=True)
class FaultPlan:
    kill_worker_at: float
    worker_restart_after: float
    kill_redis_at: float
    twilio_outage_at: float
    twilio_outage_for: float
    undialable_chair_calls_at: float
    pollers: int
    poll_every: float
    poll_path: str


def load_fault_plan(scenario_name: str) -> FaultPlan:
    """The `[faults]` section of the scenario's file (scenario.py reads the rest)."""
    path = find_scenario(scenario_name)
    section = tomllib.loads(path.read_text(encoding="utf-8")).get("faults")
    if section is None:
        raise ValueError(f"{path}: no [faults] section: nothing to inject")

    def seconds(key: str) -> float:
        try:
            return parse_duration(section[key])
        except KeyError:
            raise ValueError(f"{path}: missing setting faults.{key}") from None

    return FaultPlan(
        kill_worker_at=seconds("kill_worker_at"),
        worker_restart_after=seconds("worker_restart_after"),
        kill_redis_at=seconds("kill_redis_at"),
        twilio_outage_at=seconds("twilio_outage_at"),
        twilio_outage_for=seconds("twilio_outage_for"),
        undialable_chair_calls_at=seconds("undialable_chair_calls_at"),
        pollers=int(section.get("pollers", 100)),
        poll_every=parse_duration(section.get("poll_every", "5s")),
        poll_path=str(section.get("poll_path", "/console/")),
    )


@dataclass
class Evidence:
    """What the faults did, as seen from outside Hotline."""

    timeline: list[tuple[float, str]] = field(default_factory=list)
    worker_killed_pid: int | None = None
    worker_restarted_pid: int | None = None
    workers_registered_after_restart: int = 0
    redis_run_id_before: str | None = None
    redis_run_id_after: str | None = None
    redis_restarts: int = 0
    redis_up_at: float | None = None  # wall clock
    reconciled_after_restart: bool = False
    rest_503s: int = 0
    undialable_precinct: str | None = None
    parked_precincts: list[str] = field(default_factory=list)
    pollers: dict[str, Any] = field(default_factory=dict)


@dataclass
class DrillRun:
    night: Night
    evidence: Evidence | None  # None: the night without faults
    parked_precincts: list[str]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
            return reply.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class Processes:
    """Hotline's processes for one night: one web server, WORKERS workers, each the leader
    of its own process group (as a platform runs each process in its own container).
    """

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.retired: list[subprocess.Popen[bytes]] = []

    def _start(self, command: str, name: str) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", command],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self) -> None:
        self.web = self._start("serve", "serve")
        self.workers = [self._start("worker", f"worker-{n}") for n in range(WORKERS)]

    def kill_worker(self, n: int) -> int:
        """SIGKILL worker `n`'s whole process group; its pid."""
        process = self.workers[n]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.retired.append(process)
        return process.pid

    def restart_worker(self, n: int) -> int:
        self.workers[n] = self._start("worker", f"worker-{n}")
        return self.workers[n].pid

    def all(self) -> list[subprocess.Popen[bytes]]:
        return ([self.web] if self.web else []) + self.workers

    def stop(self) -> None:
        for process in self.all():
            if process.poll() is None:
                process.terminate()
        for process in self.all() + self.retired:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def run_drill(
    scenario: Scenario,
    plan: FaultPlan,
    *,
    seed: int,
    with_faults: bool,
    workdir: Path,
    say: Callable[[str], None] = print,
) -> DrillRun:
    with contextlib.ExitStack() as stack:
        return _run_drill(stack, scenario, plan, seed, with_faults, workdir, say)


def _run_drill(
    stack: contextlib.ExitStack,
    scenario: Scenario,
    plan: FaultPlan,
    seed: int,
    with_faults: bool,
    workdir: Path,
    say,
) -> DrillRun:
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    logs = workdir / "logs"
    logs.mkdir()
    population = draw_population(scenario, seed)
    # Both nights have this chair ask to be called back; only under fire is its phone one
    # Twilio refuses.
    population, chosen = _with_undialable_chair(population, plan.undialable_chair_calls_at)
    undialable = chosen if with_faults else None
    redis_server = EmbeddedRedis(workdir / "redis")
    redis_server.start()
    stack.callback(redis_server.stop)
    redis_server.supervise()
    rest = stack.enter_context(loopback_server())
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HOTLINE_", "TWILIO_", "REDIS_", "WEB_CONCURRENCY"))
    }
    # Production (HOTLINE_ENV unset), with keys made for the run.
    env.update(
        {
            "REDIS_URL": redis_server.url,
            "HOTLINE_DATA_DIR": str(workdir / "data"),
            "HOTLINE_PORT": str(port),
            "HOTLINE_BIND": "127.0.0.1",
            "HOTLINE_PUBLIC_URL": PUBLIC_URL,
            "HOTLINE_SECRET_KEY": secrets.token_hex(32),
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_API_BASE_URL": rest.url,
        }
    )
    services = Services.build(Settings.load(env=env), redis_url=redis_server.url)
    services.store.roster.replace_all(roster_precincts(population, services.settings.pin_key()))
    processes = Processes(env, logs)
    stack.callback(processes.stop)
    processes.start()
    _wait_up(port, processes, services, WORKERS, logs)
    pollers = None
    if with_faults and plan.pollers:
        pollers = _start_pollers(stack, services, port, plan, logs, say)
    outage = Outage()
    evidence = Evidence(undialable_precinct=undialable[0] if undialable else None)
    title = "under fire" if with_faults else "without faults"
    say(
        f"  {title}: Hotline up on 127.0.0.1:{port}; the night begins "
        f"({clock_text(scenario.duration_s)})"
    )

    def on_network(network: Network) -> None:
        if undialable is not None:
            network.undialable.add(undialable[1])
        if with_faults:
            _schedule(
                network,
                network.loop.now() + 1.0,
                plan,
                processes,
                redis_server,
                services,
                outage,
                evidence,
                say,
            )

    night = run_live(
        scenario,
        population,
        public_url=PUBLIC_URL,
        auth_token=env["TWILIO_AUTH_TOKEN"],
        account_sid=ACCOUNT_SID,
        queue_name=services.settings.queue_name,
        rest=rest,
        services=services,
        on_network=on_network,
        outage=outage,
        follow_s=FOLLOW_S,
        backends=[f"http://127.0.0.1:{port}"],
    )
    outage.end()
    if pollers is not None:
        evidence.pollers = _stop_pollers(pollers)
    if with_faults:
        evidence.rest_503s = outage.refused
        evidence.redis_restarts = redis_server.restarts
        evidence.redis_run_id_after = _run_id(services)
        evidence.reconciled_after_restart = _wait_for_reconcile(services, evidence)
    parked = sorted(chair.precinct for chair in services.store.parked.all())
    if with_faults:
        evidence.parked_precincts = parked
    return DrillRun(
        night=night, evidence=evidence if with_faults else None, parked_precincts=parked
    )


def _with_undialable_chair(
    population: Population, calls_at: float
) -> tuple[Population, tuple[str, str] | None]:
    """The first chair to call at or after `calls_at` asks to be called back, from a phone
    Twilio will not dial; (precinct, phone) of that chair.
    """
    later = [spec for spec in population.chairs if spec.first_call_at >= calls_at]
    if not later:
        return population, None
    chosen = min(later, key=lambda spec: spec.first_call_at)
    changed = replace(chosen, asks_callback=True)
    chairs = tuple(changed if spec is chosen else spec for spec in population.chairs)
    return replace(population, chairs=chairs), (chosen.precinct, chosen.phone)


def _wait_up(port: int, processes: Processes, services: Services, workers: int, logs: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes.all()):
            break
        if _healthy(port) and _live_workers(services) >= workers:
            return
        time.sleep(0.2)
    tail = "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in sorted(logs.glob("*.log"))
    )
    raise RuntimeError(f"Hotline's processes did not come up\n{tail}")


def _live_workers(services: Services) -> int:
    return len(Worker.all(connection=services.queue.connection))


def _run_id(services: Services) -> str | None:
    try:
        return str(services.store.redis.info("server")["run_id"])
    except redis.RedisError:
        return None


def _start_pollers(
    stack: contextlib.ExitStack, services: Services, port: int, plan: FaultPlan, logs: Path, say
) -> subprocess.Popen[str]:
    password = secrets.token_urlsafe(18)
    services.store.users.add(POLLER_USER, "admin", password, author="drill")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hotline.sim.pollers",
            "--url",
            f"http://127.0.0.1:{port}",
            "--user",
            POLLER_USER,
            "--count",
            str(plan.pollers),
            "--every",
            str(plan.poll_every),
            "--path",
            plan.poll_path,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(logs / "pollers.log", "ab"),  # noqa: SIM115
        text=True,
    )

    def stop() -> None:
        if process.poll() is None:
            process.kill()
            process.wait()

    stack.callback(stop)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(password + "\n")
    process.stdin.close()
    process.stdin = None  # communicate() would flush it
    ready = process.stdout.readline().strip()
    say(
        f"  {plan.pollers} console pollers: {ready or 'no answer'} (GET {plan.poll_path} "
        f"every {clock_text(plan.poll_every)})"
    )
    return process


def _stop_pollers(process: subprocess.Popen[str]) -> dict[str, Any]:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _schedule(
    network: Network,
    starts_at: float,
    plan: FaultPlan,
    processes: Processes,
    redis_server: EmbeddedRedis,
    services: Services,
    outage: Outage,
    evidence: Evidence,
    say,
) -> None:
    """Put the faults on the night's loop, at their times into the night. Each runs in a
    thread of its own, so the night's calls go on while a fault takes its time.
    """
    loop = network.loop

    def note(text: str) -> None:
        at = loop.now() - starts_at
        evidence.timeline.append((round(at, 1), text))
        say(f"  {clock_text(max(at, 0.0)):>6}  {text}")

    def in_thread(action: Callable[[], None]) -> Callable[[], None]:
        return lambda: threading.Thread(target=action, daemon=True).start()

    def kill_worker() -> None:
        evidence.worker_killed_pid = processes.kill_worker(0)
        note(f"SIGKILL worker (pid {evidence.worker_killed_pid} and its group)")
        time.sleep(plan.worker_restart_after)
        evidence.worker_restarted_pid = processes.restart_worker(0)
        note(f"worker restarted (pid {evidence.worker_restarted_pid})")
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while time.monotonic() < deadline:
            # The killed worker stays registered until its heartbeat expires: count the
            # live processes' registrations by pid.
            pids = {w.pid for w in Worker.all(connection=services.queue.connection)}
            if evidence.worker_restarted_pid in pids:
                evidence.workers_registered_after_restart = len(
                    pids & {p.pid for p in processes.workers}
                )
                note("restarted worker registered with RQ")
                return
            time.sleep(0.2)

    def kill_redis() -> None:
        evidence.redis_run_id_before = _run_id(services)
        pid = int(redis_server.pid_path.read_text().strip())
        os.kill(pid, signal.SIGKILL)
        note(f"SIGKILL Redis (pid {pid}, run_id {str(evidence.redis_run_id_before)[:8]})")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now_id = _run_id(services)
            if now_id and now_id != evidence.redis_run_id_before:
                evidence.redis_run_id_after = now_id
                evidence.redis_up_at = services.clock.now()
                note(f"Redis restarted from its append-only file (run_id {now_id[:8]})")
                return
            time.sleep(0.1)

    def outage_starts() -> None:
        outage.start()
        note(f"Twilio's REST API answers 503 for {clock_text(plan.twilio_outage_for)}")

    def outage_ends() -> None:
        outage.end()
        note(f"Twilio's REST API is back ({outage.refused} requests refused with 503)")

    loop.at(starts_at + plan.kill_worker_at, in_thread(kill_worker))
    loop.at(starts_at + plan.kill_redis_at, in_thread(kill_redis))
    loop.at(starts_at + plan.twilio_outage_at, outage_starts)
    loop.at(starts_at + plan.twilio_outage_at + plan.twilio_outage_for, outage_ends)
    if evidence.undialable_precinct:
        loop.at(
            starts_at + plan.undialable_chair_calls_at,
            note,
            f"precinct {evidence.undialable_precinct}'s chair calls; Twilio will not "
            "dial their phone (21215)",
        )


def _wait_for_reconcile(services: Services, evidence: Evidence) -> bool:
    """Whether a reconcile job finished after Redis came back (waiting for the workers'
    housekeeping round, once a minute, if it has not come yet).
    """
    if evidence.redis_up_at is None:
        return False
    restarted_at = evidence.redis_up_at
    deadline = time.monotonic() + RECONCILE_LIMIT_S
    while time.monotonic() < deadline:
        if _reconciled_since(services, restarted_at):
            return True
        time.sleep(1.0)
    return False


def _reconciled_since(services: Services, since: float) -> bool:
    from rq.job import Job

    registry = FinishedJobRegistry(queue=services.queue)
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=services.queue.connection)
        if (
            job.func_name.endswith("reconcile_line")
            and job.ended_at is not None
            and job.ended_at.timestamp() >= since
        ):
            return True
    return False


# The figures


def outcome_figures(run: DrillRun) -> dict[str, Any]:
    """What the night did to the chairs, defined precisely:

    - chairs_lost: chairs who called and neither stored their report on the keypad nor
      were put through to a volunteer (their call, or Hotline's call back, never joined
      a volunteer's room) by the time the
      drill stopped following them (FOLLOW_S after the night), whether they gave up or
      were still trying; not counting chairs Hotline parked because Twilio refused their
      number: those are in the admins' hands (listed on the console, told by text), and
      counted in chairs_parked.
    - chairs_connected_twice: chairs put through to a volunteer more than once (two
      pairings of one chair: a double dispatch).
    - chairs_hung_up_by_hotline: chairs with at least one call that ended by Hotline's
      doing and not their own choice: a TwiML <Hangup> or <Reject> (busy signals
      included), a divert, a REST completion or removal, or a webhook that failed so that
      Twilio hung up. A call the chair chose to end does not count: the call on which
      they pressed 1 to be called back (Hotline then says goodbye and hangs up, as asked),
      a call after which they were told the hotline would ring their phone to prove
      them, and the end of their report (the volunteer is done, or the keypad read the
      receipt and said goodbye).
    - webhooks_late: webhooks (TwiML fetches and status callbacks, every request the
      simulated Twilio made to Hotline) whose answer took longer than LATE_WEBHOOK_S, as
      HttpTransport timed them from the request's first byte to the answer's last; a
      request that failed outright counts as late too.
    - wait_p90_s: the chairs' 90th-percentile wait (report.py: from their first call until
      a volunteer answered, across hang-ups and calls back; a chair never answered counts
      with the time until they gave up or the drill stopped).
    """
    night = run.night
    parked = set(run.parked_precincts)
    called = [chair for chair in night.chairs if chair.first_call_at is not None]
    lost = [
        chair
        for chair in called
        if chair.answered_at is None
        and chair.reported_at is None
        and chair.spec.precinct not in parked
    ]
    hung_up = [chair for chair in called if _hung_up_by_hotline(chair)]
    latencies = night.webhook_latencies
    late = sum(1 for seconds in latencies if seconds > LATE_WEBHOOK_S)
    failed = max(night.network.webhooks - len(latencies), 0)
    base = figures(night)
    return {
        "chairs_called": len(called),
        "chairs_answered": sum(1 for chair in called if chair.answered_at is not None),
        "chairs_parked": sum(1 for chair in called if chair.spec.precinct in parked),
        "chairs_lost": len(lost),
        "chairs_lost_precincts": sorted(chair.spec.precinct for chair in lost),
        # Of the lost: those who gave up (their last call ended, no calls left in them).
        "chairs_gave_up": sum(1 for chair in lost if chair.gave_up_at is not None),
        "chairs_connected_twice": sum(1 for chair in called if chair.connections > 1),
        "chairs_hung_up_by_hotline": len(hung_up),
        "chairs_hung_up_precincts": sorted(chair.spec.precinct for chair in hung_up),
        "webhooks": len(latencies),
        "webhooks_late": late + failed,
        "webhook_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "webhook_max_ms": round(max(latencies, default=0.0) * 1000, 1),
        "wait_p50_s": base["chairs"]["wait_p50_s"],
        "wait_p90_s": base["chairs"]["wait_p90_s"],
        "wait_max_s": base["chairs"]["wait_max_s"],
        "nuisance_calls": base["nuisance"]["calls"],
        "nuisance_reached_volunteer": base["nuisance"]["reached_volunteer"],
    }


def _hung_up_by_hotline(chair) -> bool:
    for call in chair.calls:
        if call.outcome not in ENDED_BY_HOTLINE:
            continue
        if call.sid in (
            chair.booked_on,
            chair.keypad.confirmed_on,
        ) or chair.told_to_expect_a_call_back(call):
            continue  # the chair's own choice, a proof by call back, or a keypad report done
        return True
    return False


def evidence_figures(evidence: Evidence) -> dict[str, Any]:
    return dataclasses.asdict(evidence)


def missed_targets(under_fire: dict[str, Any]) -> list[str]:
    return [name for name in TARGETS if under_fire[name] != 0]


def missing_faults(evidence: Evidence, plan: FaultPlan) -> list[str]:
    """The faults that did not happen as planned (a drill that injected nothing proves
    nothing).
    """
    missing = []
    if (
        evidence.worker_killed_pid is None
        or evidence.worker_restarted_pid is None
        or evidence.workers_registered_after_restart < WORKERS
    ):
        missing.append("worker killed and restarted")
    if (
        not evidence.redis_run_id_after
        or evidence.redis_run_id_after == evidence.redis_run_id_before
    ):
        missing.append("Redis restarted (new run_id)")
    if not evidence.reconciled_after_restart:
        missing.append("line reconciled after Redis restarted")
    if evidence.rest_503s == 0:
        missing.append("REST 503s served")
    if evidence.undialable_precinct not in evidence.parked_precincts:
        missing.append("the undialable chair parked")
    if plan.pollers and (
        evidence.pollers.get("signed_in", 0) < plan.pollers or evidence.pollers.get("ok", 0) == 0
    ):
        missing.append("console pollers signed in and polling")
    return missing


ROWS = [
    ("Chairs who called", "chairs_called", "count"),
    ("  put through to a volunteer", "chairs_answered", "count"),
    ("  parked (Twilio refused number)", "chairs_parked", "count"),
    ("  lost (target 0)", "chairs_lost", "count"),
    ("    of whom gave up", "chairs_gave_up", "count"),
    ("  connected twice (target 0)", "chairs_connected_twice", "count"),
    ("  hung up by Hotline (target 0)", "chairs_hung_up_by_hotline", "count"),
    ("  wait, median", "wait_p50_s", "time"),
    ("  wait, 90th percentile", "wait_p90_s", "time"),
    ("  wait, longest", "wait_max_s", "time"),
    ("Webhooks", "webhooks", "count"),
    (f"  later than {LATE_WEBHOOK_S:g} s (target 0)", "webhooks_late", "count"),
    ("  99th percentile, ms", "webhook_p99_ms", "ms"),
    ("  slowest, ms", "webhook_max_ms", "ms"),
    ("Nuisance calls", "nuisance_calls", "count"),
    ("  reached a volunteer", "nuisance_reached_volunteer", "count"),
]


def render(results: dict[str, dict[str, Any]], *, title: str) -> str:
    names = list(results)
    lines = [title, "", f"{'':<36}" + "".join(f"{name:>16}" for name in names)]
    lines.append("-" * len(lines[-1]))
    for label, key, kind in ROWS:
        cells = []
        for name in names:
            value = results[name].get(key)
            cells.append(
                "-"
                if value is None
                else clock_text(value)
                if kind == "time"
                else f"{value:,.1f}"
                if kind == "ms"
                else f"{value:,}"
            )
        lines.append(f"{label:<36}" + "".join(f"{cell:>16}" for cell in cells))
    return "\n".join(lines)


def render_evidence(evidence: Evidence) -> str:
    polled = evidence.pollers
    lines = ["Faults injected:"]
    lines += [f"  {clock_text(max(at, 0.0)):>6}  {text}" for at, text in evidence.timeline]
    lines.append(
        f"  Redis run_id {str(evidence.redis_run_id_before)[:8]} -> "
        f"{str(evidence.redis_run_id_after)[:8]}, restarts {evidence.redis_restarts}, "
        f"line reconciled after: {'yes' if evidence.reconciled_after_restart else 'NO'}"
    )
    lines.append(f"  REST requests answered 503: {evidence.rest_503s}")
    lines.append(
        f"  parked: {', '.join(evidence.parked_precincts) or 'nobody'} "
        f"(undialable chair: precinct {evidence.undialable_precinct})"
    )
    if polled:
        lines.append(
            f"  console pollers: {polled.get('signed_in')}/{polled.get('pollers')} "
            f"signed in, {polled.get('requests'):,} requests, "
            f"{polled.get('ok'):,} answered 200, {polled.get('failed')} failed, "
            f"p50 {polled.get('p50_ms')} ms, p99 {polled.get('p99_ms')} ms"
        )
    return "\n".join(lines)


@contextlib.contextmanager
def _quiet_sim_logs() -> Iterator[None]:
    """The network logs each failed webhook; the drill counts them instead."""
    logger = logging.getLogger("hotline.sim.network")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def drill(
    scenario_name: str,
    *,
    seed: int,
    workdir: Path,
    baseline: bool = True,
    say: Callable[[str], None] = print,
) -> tuple[dict[str, Any], int]:
    """Run the night under fire (and, with `baseline`, without faults first); print the
    report; returns (everything as JSON-ready figures, exit status: 0 when every target is
    met and every fault happened).
    """
    scenario = load_scenario(scenario_name)
    plan = load_fault_plan(scenario_name)
    results: dict[str, dict[str, Any]] = {}
    with _quiet_sim_logs():
        if baseline:
            say(f"{scenario.name}: the night without faults (seed {seed})")
            calm = run_drill(
                scenario,
                plan,
                seed=seed,
                with_faults=False,
                workdir=workdir / "without-faults",
                say=say,
            )
            results["without faults"] = outcome_figures(calm)
        say(f"{scenario.name}: the same night under fire (seed {seed})")
        fire = run_drill(
            scenario, plan, seed=seed, with_faults=True, workdir=workdir / "under-fire", say=say
        )
        results["under fire"] = outcome_figures(fire)
    assert fire.evidence is not None
    say("")
    say(render(results, title=f"{scenario.name}, seed {seed}: {scenario.description}"))
    say("")
    say(render_evidence(fire.evidence))
    missed = missed_targets(results["under fire"])
    missing = missing_faults(fire.evidence, plan)
    for name in missed:
        extra = results["under fire"].get(name.replace("_connected_twice", "") + "_precincts") or ""
        say(f"MISSED: {name} = {results['under fire'][name]} {extra}".rstrip())
    for what in missing:
        say(f"FAULT NOT INJECTED: {what}")
    if not missed and not missing:
        say("Every target met, every fault injected.")
    report = {
        "figures": results,
        "evidence": evidence_figures(fire.evidence),
        "missed": missed,
        "faults_missing": missing,
    }
    return report, 1 if missed or missing else 0
