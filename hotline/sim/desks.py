"""The simulator's volunteers, until volunteers phone in themselves.

Each volunteer sits in a conference room of their own. When one is free and a
caller waits in the queue, the caller is moved out of the queue with a Queue
Member update whose TwiML dials that room, the move Hotline's dispatch will
make through Twilio's REST API. They talk for as long as the caller needs
(the caller's agent says how long), then the volunteer hangs up and, after
wrapping up, is free again.

Callers are taken in queue order: first come, first served within the queue.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass, field

from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.sim.loop import Event
from hotline.sim.network import Network, SimCall


def conference_twiml(room: str) -> str:
    response = VoiceResponse()
    dial = Dial()
    dial.conference(room, start_conference_on_enter=True, end_conference_on_exit=False)
    response.append(dial)
    return response.to_xml()


@dataclass
class Desk:
    name: str
    desks: VolunteerDesks
    caller: SimCall | None = None
    talk_started: float | None = None
    ending: Event | None = None

    def talk(self, call: SimCall) -> None:
        self.caller = call
        self.talk_started = self.desks.network.loop.now()
        seconds = call.agent.talk_seconds()  # type: ignore[attr-defined]
        self.ending = self.desks.network.loop.after(seconds, self.desks.network.finish_conversation,
                                                    call)  # fmt: skip

    def party_left(self, call: SimCall) -> None:
        if call is not self.caller:
            return
        if self.ending is not None:
            self.ending.cancel()
        now = self.desks.network.loop.now()
        if self.talk_started is not None:
            self.desks.talk_seconds[call.agent.kind] += now - self.talk_started  # type: ignore
        self.caller = self.talk_started = self.ending = None
        self.desks.network.loop.after(self.desks.wrap_up_s, self.desks.free, self)


@dataclass
class VolunteerDesks:
    network: Network
    count: int
    wrap_up_s: float
    queue_name: str
    rng: random.Random
    talk_seconds: Counter = field(default_factory=Counter)
    answered: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._free: deque[Desk] = deque()
        for n in range(1, self.count + 1):
            desk = Desk(name=f"volunteer-{n:03d}", desks=self)
            self.network.conference(desk.name).desk = desk
            self._free.append(desk)
        self.network.on_enqueued.append(lambda _call: self.match())

    def free(self, desk: Desk) -> None:
        self._free.append(desk)
        self.match()

    @property
    def busy(self) -> int:
        return self.count - len(self._free)

    def match(self) -> None:
        queue = self.network.queues.get(self.queue_name)
        while self._free and queue is not None and queue.members:
            desk = self._free.popleft()
            call = queue.members[0]
            self.answered[call.agent.kind] += 1  # type: ignore[attr-defined]
            self.network.update_queue_member(queue.sid, call.sid,
                                             twiml=conference_twiml(desk.name))  # fmt: skip
