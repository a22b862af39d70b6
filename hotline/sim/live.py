"""A night in real time, against a Hotline running elsewhere, over HTTP.

The server keeps its own clock, its own Redis and its own workers; the simulator places
calls and follows the TwiML it gets back, as the phone network would. With a REST
stand-in (`rest`) and Hotline's `services`, the volunteers phone the volunteer line and
Hotline's own workers dispatch chairs to them through the stand-in, as on a real night;
without, the simulator's volunteer desks take callers from the queue themselves. With
both, a scenario's [leak] is played too: the admins rotate the number when it says, and
Hotline's worker texts the chairs the new one, as its scheduler queues the texts.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from hotline.services import Services
from hotline.sim.desks import VolunteerDesks
from hotline.sim.loop import RealTimeLoop
from hotline.sim.network import Network
from hotline.sim.night import (
    Night,
    VolunteerForm,
    populate,
    read_texts,
    rotate_leaked_number,
    volunteers_call_in,
)
from hotline.sim.population import Population
from hotline.sim.rest import Outage, create_rest_app
from hotline.sim.scenario import Scenario
from hotline.sim.serving import LoopbackServer
from hotline.sim.transport import HttpTransport

# After the night, chairs still waiting are followed until they are through,
# for at most this long.
FOLLOW_S = 75.0
LIVE_SAMPLE_EVERY_S = 5.0


def run_live(
    scenario: Scenario,
    population: Population,
    *,
    public_url: str,
    auth_token: str,
    account_sid: str,
    queue_name: str,
    on_sample: Callable[[Night], None] | None = None,
    rest: LoopbackServer | None = None,
    services: Services | None = None,
    on_network: Callable[[Network], None] | None = None,
    backends: list[str] | None = None,
    outage: Outage | None = None,
    follow_s: float = FOLLOW_S,
    store_volunteer_reports: bool = False,
) -> Night:
    """`on_network` sees the network once it is built (to break parts of it, say);
    `backends` are web servers that share the webhooks in turn, behind `public_url`;
    `outage` switches the REST stand-in to answering 503; `follow_s`: how long after the
    night chairs still waiting are followed; `store_volunteer_reports`: the simulator stands in
    for the volunteers' browsers and stores what each chair read out (the demo; a drill,
    whose faults would fail those saves, leaves it off).
    """
    loop = RealTimeLoop()
    transport = HttpTransport(auth_token, backends=backends)
    network = Network(
        loop,
        transport,
        account_sid=account_sid,
        voice_url=f"{public_url}/voice/incoming",
        status_url=f"{public_url}/voice/status",
    )
    dispatched = rest is not None and services is not None
    desks = None if dispatched else VolunteerDesks(network, scenario.volunteers.count, queue_name)
    if dispatched:
        rest.set_app(create_rest_app(network, auth_token=auth_token, outage=outage))
    if on_network is not None:
        on_network(network)
    starts_at = loop.now() + 1.0
    night = populate(
        Night(
            "triage",
            scenario,
            population,
            network,
            queue_name,
            desks,
            chairs=[],
            nuisance=[],
            info=[],
            starts_at=starts_at,
            ends_at=starts_at + scenario.duration_s + follow_s,
        ),
        with_nuisance=True,
        sample_every_s=LIVE_SAMPLE_EVERY_S,
        on_sample=on_sample,
        volunteer_line_url=f"{public_url}/voice/volunteer" if dispatched else None,
    )
    if dispatched:
        volunteers_call_in(night, services, public_url)
        if store_volunteer_reports:
            VolunteerForm.open_for(night, services)
    leak = None
    if dispatched and scenario.leak is not None:
        leak = _Leak(night, services, at=starts_at + scenario.leak.at_s)
    try:
        loop.run(starts_at + scenario.duration_s)
        while loop.now() < night.ends_at and any(chair.waiting for chair in night.chairs):
            loop.run(min(loop.now() + LIVE_SAMPLE_EVERY_S, night.ends_at))
    finally:
        transport.close()
        if leak is not None:
            leak.finish()
    night.ends_at = loop.now()
    night.webhook_latencies = transport.latencies
    if leak is not None:
        read_texts(night, services)
    return night


class _Leak:
    """The admins rotating the leaked number at the scenario's moment, from a thread of
    their own, as from a terminal of their own: the loop's thread holds the network while
    an event runs, and the rotation's requests to the REST stand-in need it.
    """

    def __init__(self, night: Night, services: Services, *, at: float) -> None:
        self._admins = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-admins")
        self._rotated: Future[None] | None = None
        night.network.loop.at(at, self._rotate, night, services)

    def _rotate(self, night: Night, services: Services) -> None:
        self._rotated = self._admins.submit(rotate_leaked_number, night, services)

    def finish(self) -> None:
        """Wait for the rotation; a rotation that failed raises its error here."""
        self._admins.shutdown(wait=True)
        if self._rotated is not None:
            self._rotated.result()
