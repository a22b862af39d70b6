"""One night of a scenario under one policy, in virtual time.

"triage" is Hotline itself (the real app, in this process, on a real Redis,
reading the simulation's clock); "fifo" is the 2020 hotline (one line, first
come first served); "calm" is Hotline on the same night without the nuisance
callers: the best the staffing allows.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hotline.app import create_app
from hotline.caucus.checks import check
from hotline.caucus.report import PrecinctReport
from hotline.clock import ManualClock
from hotline.pins import MIN_PIN_LENGTH, volunteer_backup_digest, volunteer_pin_digest
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.baseline import BASELINE_QUEUE, create_baseline_app
from hotline.sim.desks import VolunteerDesks
from hotline.sim.jobs import drain, enqueue_due, next_scheduled
from hotline.sim.loop import Event, EventLoop
from hotline.sim.network import Network
from hotline.sim.people import Chair, InfoCaller, NuisanceCaller, Volunteer
from hotline.sim.population import Population, roster_precincts, volunteer_spec
from hotline.sim.rest import create_rest_app
from hotline.sim.scenario import Scenario
from hotline.sim.serving import loopback_server
from hotline.sim.transport import HttpTransport, WsgiTransport
from hotline.steps.numbers import rotate_number
from hotline.steps.reporting import election_named
from hotline.store.numbers import Rotation, Text
from hotline.store.results import StoredReport
from hotline.telephony import Telephony
from hotline.triage import guess_bound
from workers import runtime

POLICIES = ("triage", "fifo", "calm")
# 7 pm in Iowa on caucus night, 3 February 2020.
NIGHT_STARTS_AT = 1_580_778_000.0
SIM_URL = "https://hotline.sim.invalid"
SIM_ACCOUNT_SID = "AC" + "5" * 32
# Made for the simulation only; nothing real is signed or keyed with them.
SIM_AUTH_TOKEN = "simulated-auth-token"
SIM_SECRET_KEY = "simulated-secret-key-for-one-night-only"
# After the night, those still waiting are followed until they are answered or give up.
OVERTIME_S = 4 * 3600
SAMPLE_EVERY_S = 60.0
# How soon after a webhook a worker picks up the job it queued.
JOB_LATENCY_S = 2.0


@dataclass
class Night:
    policy: str
    scenario: Scenario
    population: Population
    network: Network
    # The queue chairs wait in; the simulator's own volunteer desks, where the
    # line has no dispatch of its own (the 2020 line, and the live demo).
    queue_name: str
    desks: VolunteerDesks | None
    chairs: list[Chair]
    nuisance: list[NuisanceCaller]
    info: list[InfoCaller]
    volunteers: list[Volunteer] = field(default_factory=list)
    # Clock times the night starts, and stops being followed.
    starts_at: float = NIGHT_STARTS_AT
    ends_at: float = NIGHT_STARTS_AT
    # (minutes into the night, chairs still trying to get through, callers in the line)
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    wall_s: float = 0.0
    # Hotline's PIN checks by clock hour and target (precinct:code, volunteer:id), and the
    # PIN defence's bound on successful guesses over the night (None on the 2020 line).
    pin_checks: dict[int, dict[str, int]] = field(default_factory=dict)
    success_bound: float | None = None
    # Seconds each webhook took to answer, where they crossed a real socket (live nights).
    webhook_latencies: list[float] = field(default_factory=list)
    # Hotline's nights: every stored version of every precinct's report, read back from
    # the app's store after the night; and reports a volunteer's form would not save (a
    # blocking error on the worksheet: the checks hold them back for a follow-up).
    stored: dict[str, list[StoredReport]] = field(default_factory=dict)
    held_back: int = 0
    # Hotline's nights with a leak: the rotation, and its texts as the store has them after
    # the night.
    rotation: Rotation | None = None
    texts: list[Text] = field(default_factory=list)


def run_night(
    scenario: Scenario,
    population: Population,
    policy: str,
    *,
    redis_url: str,
    on_progress: Callable[[float], None] | None = None,
    over_http: bool = False,
) -> Night:
    """Run the night. With `over_http` the app is served on a loopback port and every
    webhook crosses a real socket, still in virtual time (the server shares the clock).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
    with contextlib.ExitStack() as stack:
        return _run(scenario, population, policy, redis_url, on_progress, stack, over_http)


def _run(scenario, population, policy, redis_url, on_progress, stack, over_http) -> Night:
    started = time.perf_counter()
    clock = ManualClock(NIGHT_STARTS_AT)
    loop = EventLoop(clock)
    public_url = SIM_URL
    if over_http:
        server = stack.enter_context(loopback_server())
        public_url = server.url
    if policy == "fifo":
        app, queue_name, services = create_baseline_app(), BASELINE_QUEUE, None
    else:
        rest_server = stack.enter_context(loopback_server())
        services = _hotline_services(clock, redis_url, population, public_url, rest_server.url)
        app, queue_name = create_app(services), services.settings.queue_name
    if over_http:
        server.set_app(app)
        transport = HttpTransport(SIM_AUTH_TOKEN)
        stack.callback(transport.close)
    else:
        transport = WsgiTransport(app, SIM_AUTH_TOKEN)
    network = Network(
        loop,
        transport,
        account_sid=SIM_ACCOUNT_SID,
        voice_url=f"{public_url}/voice/incoming",
        status_url=f"{public_url}/voice/status",
    )
    desks = None
    if services is None:
        desks = VolunteerDesks(network, scenario.volunteers.count, queue_name)
    else:
        # Hotline's jobs (its dispatch, its calls back) reach this network through the
        # REST stand-in.
        rest_server.set_app(create_rest_app(network, auth_token=SIM_AUTH_TOKEN))
        jobs = _JobRunner(loop, services.queue)
        network.on_webhook.append(jobs.soon)
    night = populate(
        Night(
            policy,
            scenario,
            population,
            network,
            queue_name,
            desks,
            chairs=[],
            nuisance=[],
            info=[],
            starts_at=NIGHT_STARTS_AT,
            ends_at=NIGHT_STARTS_AT + scenario.duration_s + OVERTIME_S,
        ),
        with_nuisance=policy != "calm",
        volunteer_line_url=None if services is None else f"{public_url}/voice/volunteer",
    )
    if services is not None:
        volunteers_call_in(night, services, public_url)
        VolunteerForm.open_for(night, services)
        # The calm night has no flood, so no leak: only Hotline's own night rotates.
        if scenario.leak is not None and policy == "triage":
            loop.at(night.starts_at + scenario.leak.at_s, _rotate, night, services, jobs)
    span = night.ends_at - night.starts_at
    tick = (
        None if on_progress is None else (lambda now: on_progress((now - night.starts_at) / span))
    )
    loop.run(night.ends_at, tick)
    if services is not None:
        read_pin_defence(night, services)
        read_results(night, services)
        read_texts(night, services)
    night.wall_s = time.perf_counter() - started
    return night


class _JobRunner:
    """Runs the app's queued jobs shortly after the webhooks that queue them, as a worker
    would: at most once every JOB_LATENCY_S of virtual time, all that are waiting. Once
    jobs may be queued for later (a rotation's texts), it also runs those when their time
    comes, as a worker's scheduler queues them.
    """

    def __init__(self, loop: EventLoop, queue) -> None:
        self._loop = loop
        self._queue = queue
        self._pending = False
        self._scheduled = False
        self._wake: Event | None = None

    def soon(self, _call=None) -> None:
        if not self._pending:
            self._pending = True
            self._loop.after(JOB_LATENCY_S, self._run)

    def expect_scheduled(self) -> None:
        self._scheduled = True
        self.soon()

    def _run(self) -> None:
        self._pending = False
        self._drain()

    def _drain(self) -> None:
        if self._scheduled:
            enqueue_due(self._queue, self._loop.now())
        drain(self._queue)
        if self._scheduled:
            self._wake_when_due()

    def _wake_when_due(self) -> None:
        """Wake when the next scheduled job is due, unless a wake comes sooner."""
        due = next_scheduled(self._queue)
        if due is None:
            return
        now = self._loop.now()
        # A job already due was queued by the drain that just ran; should one not have
        # been, a second's wait keeps the loop from spinning on it.
        when = due if due > now else now + 1.0
        wake = self._wake
        if wake is not None and not wake.cancelled and now < wake.when <= when:
            return
        if wake is not None:
            wake.cancel()
        self._wake = self._loop.at(when, self._drain)


def _rotate(night: Night, services: Services, jobs: _JobRunner) -> None:
    """The rotation in virtual time: the jobs runner also runs the texts' later runs."""
    rotate_leaked_number(night, services)
    jobs.expect_scheduled()


def rotate_leaked_number(night: Night, services: Services) -> None:
    """The number leaked: the admins rotate it, as `hotline number rotate` does, through
    the REST stand-in. The texts to the chairs are a job for the workers, paced: each run
    queues the next for later, and a scheduler queues it when due (`hotline worker` runs
    RQ's; in virtual time, _JobRunner stands in for it).
    """
    telephony = Telephony.from_services(services)
    night.rotation = rotate_number(services, telephony, author="simulation").rotation


def read_texts(night: Night, services: Services) -> None:
    """The rotation's texts, as the store has them after the night."""
    if night.rotation is not None:
        night.texts = services.store.numbers.texts(night.rotation.id)


def _hotline_services(
    clock: ManualClock, redis_url: str, population: Population, public_url: str, rest_url: str
) -> Services:
    settings = Settings.load(
        env={
            "HOTLINE_ENV": "development",
            "HOTLINE_PUBLIC_URL": public_url,
            "TWILIO_API_BASE_URL": rest_url,
            "HOTLINE_SECRET_KEY": SIM_SECRET_KEY,
            "TWILIO_AUTH_TOKEN": SIM_AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": SIM_ACCOUNT_SID,
        }
    )
    services = Services.build(settings, clock=clock, redis_url=redis_url)
    services.store.redis.flushdb()
    services.store.roster.replace_all(roster_precincts(population, settings.pin_key()))
    runtime.install(services)
    return services


class VolunteerForm:
    """The simulator standing in for the volunteer's browser: at the end of a conversation
    it stores what the chair read out through the app's store, as the console's results
    form does (the same checks first: a blocking error is never saved, warnings are
    accepted as a volunteer ticks them after checking with the chair).
    """

    def __init__(self, night: Night, services: Services) -> None:
        self.night, self.services = night, services
        self.saves = 0

    @classmethod
    def open_for(cls, night: Night, services: Services) -> None:
        """Every chair of the night reports through one form at the end of a conversation."""
        form = cls(night, services)
        for chair in night.chairs:
            chair.volunteer_form = form.save

    def save(self, report: PrecinctReport) -> StoredReport | None:
        findings = check(report, election_named(self.services.settings.election))
        if any(finding.blocking for finding in findings):
            self.night.held_back += 1
            return None
        self.saves += 1
        return self.services.store.results.save(
            report,
            channel="volunteer",
            author="simulated volunteer",
            now=self.services.clock.now(),
            findings=findings,
            idempotency_key=f"sim-console:{report.precinct}:{self.saves}",
        )


def read_results(night: Night, services: Services) -> None:
    """Every version of every report stored over the night."""
    results = services.store.results
    for precinct in results.reported_precincts():
        night.stored[precinct] = results.versions(precinct)


def read_pin_defence(night: Night, services: Services) -> None:
    """What the PIN defence did over the night, and the bound it promises."""
    for hour in range(int(night.starts_at // 3600), int(night.ends_at // 3600) + 1):
        checks = services.store.pin_guard.checks(hour)
        if checks:
            night.pin_checks[hour] = checks
    night.success_bound = guess_bound(
        services.settings.policy.pin_defence,
        hours=night.scenario.duration_s / 3600,
        pin_digits=MIN_PIN_LENGTH,
    ).expected_successes


def volunteers_call_in(night: Night, services: Services, public_url: str) -> None:
    """Register the night's volunteers with Hotline; each calls the volunteer line when
    the scenario says (by default as the night opens, a second apart).
    """
    key = services.settings.pin_key()
    # The scenario's count, not the population's: the planner runs one night's people
    # with more or fewer volunteers.
    drawn = night.population.volunteers
    for n in range(1, night.scenario.volunteers.count + 1):
        spec = drawn[n - 1] if n <= len(drawn) else volunteer_spec(n)
        services.store.volunteers.add(
            f"Volunteer {spec.index}",
            spec.phone,
            lambda vid, pin=spec.pin: volunteer_pin_digest(key, vid, pin),
            backup_digest=lambda vid, code=spec.backup_code: volunteer_backup_digest(
                key, vid, code
            ),
            author="simulation",
        )
        volunteer = Volunteer(
            night.network,
            spec=spec,
            voice_url=f"{public_url}/voice/volunteer",
            starts_at=night.starts_at + spec.calls_in_at,
            seed=night.population.seed,
        )
        night.volunteers.append(volunteer)
        volunteer.start()


def populate(
    night: Night,
    *,
    with_nuisance: bool,
    sample_every_s: float = SAMPLE_EVERY_S,
    on_sample: Callable[[Night], None] | None = None,
    volunteer_line_url: str | None = None,
) -> Night:
    """Bring the night's people to life, and sample the line as the night goes.

    `volunteer_line_url`: where nuisance callers spoofing a volunteer's phone call (a line
    without a volunteer line takes them on its one number).
    """
    scenario, population, network = night.scenario, night.population, night.network
    seed = population.seed

    def at_night(when: float) -> float:
        return night.starts_at + when

    for spec in population.chairs:
        chair = Chair(network, _shift(spec, at_night), scenario.chairs, seed)
        night.chairs.append(chair)
        chair.start()
    if with_nuisance and scenario.nuisance is not None:
        precincts = [row[0] for row in population.roster]
        behaviour = _shift_nuisance(scenario.nuisance, at_night)
        for spec in population.nuisance:
            caller = NuisanceCaller(
                network,
                _shift(spec, at_night),
                behaviour,
                precincts,
                seed,
                volunteer_line_url=volunteer_line_url,
            )
            night.nuisance.append(caller)
            caller.start()
    if scenario.info is not None:
        for spec in population.info:
            caller = InfoCaller(network, _shift(spec, at_night), scenario.info, seed)
            night.info.append(caller)
            caller.start()
    _sample(night, network.loop, sample_every_s, on_sample)
    return night


def _shift(spec, at_night):
    """A person's spec with their first call moved from night time to clock time."""
    return replace(spec, first_call_at=at_night(spec.first_call_at))


def _shift_nuisance(behaviour, at_night):
    return replace(behaviour, end_s=at_night(behaviour.end_s))


def _sample(
    night: Night, loop: EventLoop, every_s: float, on_sample: Callable[[Night], None] | None
) -> None:
    """Every `every_s`: how many chairs are still trying, and how long the line is."""
    queue_name = night.queue_name
    end = night.starts_at + night.scenario.duration_s

    def sample() -> None:
        now = loop.now()
        waiting = sum(1 for chair in night.chairs if chair.waiting)
        queue = night.network.queues.get(queue_name)
        night.samples.append(
            ((now - night.starts_at) / 60, waiting, len(queue.members) if queue else 0)
        )
        if on_sample is not None:
            on_sample(night)
        if now < end or waiting:
            loop.after(every_s, sample)

    loop.at(night.starts_at, sample)
