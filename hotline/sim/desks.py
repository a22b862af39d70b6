"""The simulator's own volunteer desks, for a line with no dispatch of its own: the
2020 first-come first-served line, and the live demo. (In Hotline's runs the
volunteers phone the volunteer line and Hotline dispatches callers to them.)

Each volunteer sits in a conference room of their own. When one is free and a
caller waits in the queue, the caller is moved out of the queue with a Queue
Member update whose TwiML dials that room, the move Hotline's dispatch will
make through Twilio's REST API. They talk for as long as the caller needs
(the caller's agent says how long), then the volunteer is free again.

Callers are taken in queue order: first come, first served within the queue.
"""

from __future__ import annotations

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

    ending: Event | None = None

    def talk(self, call: SimCall) -> None:
        """As long as the caller needs (people.py), then the volunteer hangs up."""
        self.caller = call
        seconds = call.agent.talk_seconds()  # type: ignore[attr-defined]
        self.ending = self.desks.network.loop.after(
            seconds, self.desks.network.finish_conversation, call
        )

    def party_left(self, call: SimCall) -> None:
        if call is not self.caller:
            return
        if self.ending is not None:
            self.ending.cancel()
        self.caller = self.ending = None
        self.desks.free(self)


@dataclass
class VolunteerDesks:
    network: Network
    count: int
    queue_name: str
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
            self.network.update_queue_member(queue.sid, call.sid, twiml=conference_twiml(desk.name))
