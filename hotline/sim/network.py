"""The phone network in a box: Twilio's side of every call, as its documentation describes.

A call is placed by posting Twilio's webhook parameters, signed, to the
number's voice URL; the TwiML that comes back is run verb by verb, taking the
time each verb takes (timing.py), asking the caller (an Agent, people.py)
what they press at each <Gather>. <Enqueue> puts the call in a named queue
and cycles its wait URL until the call is moved out (a Queue Member update,
as the REST API does it) or hangs up. When a call ends the number's status
callback gets CallStatus, CallDuration and a SequenceNumber.

The REST operations that rest.py serves (Calls, Queue Members, Messages,
Conference participants) are methods here, so the simulator's own volunteer
desks and the app's telephony adapter move calls the same way. The account's
phone numbers (phone_numbers.py) say where a call to each number goes. A text
is sent, then delivered (or not) a few seconds later, its status posted to its
status callback, and a delivered text reaches the phone's handset, if a person
in the simulation holds that phone.
"""

from __future__ import annotations

import email.utils
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from hotline.sim.loop import Event, EventLoop
from hotline.sim.phone_numbers import NumberBook
from hotline.sim.timing import spoken_seconds
from hotline.sim.transport import Transport
from hotline.sim.twiml import WAIT_VERBS, TwimlError, Verb, parse

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
TERMINAL = frozenset({"completed", "busy", "no-answer", "canceled", "failed"})
# Twilio re-requests a wait URL as soon as its document ends; a document that
# takes no time still costs a moment of hold music: a cycle lasts at least this long.
MIN_WAIT_CYCLE_S = 1.0
# A call runs at most this many verbs (redirects included) in one moment of virtual
# time; more is a loop that would never let time pass, and the call is ended.
MAX_INSTANT_STEPS = 50
# Seconds after it is created that a text is sent, and then delivered (or not).
TEXT_SENT_AFTER_S = 1.0
TEXT_DELIVERED_AFTER_S = 2.0
# Twilio's errors for a text the carrier could not deliver (the phone is off, unreachable),
# and for a text to someone who unsubscribed (texted STOP to the sending number).
UNREACHABLE = 30003
UNSUBSCRIBED = 21610


class ApiError(Exception):
    """A REST error as Twilio answers it: HTTP status, Twilio error code, message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_resource(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


@dataclass(frozen=True)
class Reply:
    """What a caller does at a prompt: press `digits` (ending in "#" to submit) after
    `delay_s` once the prompt has been read, or stay silent (None), or hang up.
    """

    digits: str | None = None
    delay_s: float = 0.0
    hang_up: bool = False


class Agent(Protocol):
    kind: str

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply: ...
    def on_enqueued(self, call: SimCall) -> None: ...
    def on_joined_room(self, call: SimCall) -> None: ...
    def on_connected(self, call: SimCall) -> None: ...
    def on_ended(self, call: SimCall) -> None: ...


@dataclass
class Program:
    verbs: list[Verb]
    index: int = 0
    waiting: bool = False  # a wait URL's document, run while the call is in a queue
    url: str | None = None  # where the document came from (None: TwiML given inline)
    started_at: float = 0.0


# Compared by identity: every call has its own SID, so no two are ever equal, and finding
# one in a queue of hundreds (its position, on every wait URL cycle) must not compare
# every field of every call ahead of it.
@dataclass(eq=False)
class SimCall:
    sid: str
    from_: str
    to: str
    direction: str
    agent: Agent
    params: dict[str, str]
    created_at: float
    status: str = "ringing"
    answered_at: float | None = None
    ended_at: float | None = None
    sequence: int = 0
    heard: list[str] = field(default_factory=list)
    first_verbs: tuple[str, ...] = ()
    outcome: str = ""  # rejected, diverted, hung up by the hotline, caller hung up, talked
    program: Program | None = None
    after_enqueue: Program | None = None
    queue: SimQueue | None = None
    enqueue_verb: Verb | None = None
    enqueued_at: float | None = None
    wait_program: Program | None = None
    conference: Conference | None = None
    # The action of the <Dial> that put the call in its conference: fetched when the
    # conference ends with the call still up (Twilio's Dial semantics).
    dial_action: str = ""
    connected_at: float | None = None
    pending: Event | None = None
    status_callback: str | None = None
    requests: int = 0
    steps_at: float | None = None  # the moment verbs last ran, and how many ran then
    steps: int = 0

    @property
    def live(self) -> bool:
        return self.status not in TERMINAL

    def to_resource(self, account_sid: str) -> dict[str, object]:
        """The Call resource as Twilio's REST API returns it."""
        duration = None
        if self.ended_at is not None and self.answered_at is not None:
            duration = str(int(self.ended_at - self.answered_at))
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "to": self.to,
            "from": self.from_,
            "status": self.status,
            "direction": self.direction,
            "duration": duration,
            "api_version": API_VERSION,
            "uri": f"/{API_VERSION}/Accounts/{account_sid}/Calls/{self.sid}.json",
        }


@dataclass
class SimQueue:
    sid: str
    name: str
    members: list[SimCall] = field(default_factory=list)
    total_wait_s: float = 0.0
    dequeued: int = 0

    def position(self, call: SimCall) -> int:
        return self.members.index(call) + 1

    def average_wait_s(self) -> int:
        return int(self.total_wait_s / self.dequeued) if self.dequeued else 0


@dataclass
class Conference:
    """A conference room. A volunteer desk (the simulator's own volunteers, until they
    call in themselves) sits in it without a call leg.
    """

    sid: str
    name: str
    participants: list[SimCall] = field(default_factory=list)
    desk: object | None = None
    end_on_exit: set[str] = field(default_factory=set)
    # The most parties it ever held at once: a volunteer and one caller is two.
    peak_parties: int = 0


class Network:
    def __init__(
        self,
        loop: EventLoop,
        transport: Transport,
        *,
        account_sid: str,
        voice_url: str,
        status_url: str | None,
        hotline_number: str = "+15155550000",
    ) -> None:
        self.loop = loop
        self.transport = transport
        self.account_sid = account_sid
        self.voice_url = voice_url
        self.status_url = status_url
        self.hotline_number = hotline_number
        self.calls: dict[str, SimCall] = {}
        self.queues: dict[str, SimQueue] = {}
        self.conferences: dict[str, Conference] = {}
        self.messages: list[dict[str, object]] = []
        # The account's numbers, and those for sale; it owns the hotline's number.
        self.numbers = NumberBook(loop.now)
        self.numbers.own(hotline_number, voice_url=voice_url, status_callback=status_url)
        # Who reads the texts sent to a phone: phone -> callable(from, body). Texts to
        # `unreachable` phones are never delivered (Twilio's status "undelivered", 30003);
        # Twilio refuses to text `unsubscribed` phones at all (21610).
        self.handsets: dict[str, Callable[[str, str], None]] = {}
        self.unreachable: set[str] = set()
        self.unsubscribed: set[str] = set()
        # Every request made to the app: TwiML fetches and status callbacks.
        self.webhooks = 0
        # Who answers a number the REST API is asked to call: a factory returning the
        # callee's agent and when it answers (None: it never does). Unknown numbers ring out.
        self.callees: dict[str, Callable[[], tuple[Agent, float | None]]] = {}
        # Numbers the account may not call: creating a call to one is refused, as Twilio
        # refuses a number outside the account's geographic permissions.
        self.undialable: set[str] = set()
        self._sids = itertools.count(1)
        # Hooks for whoever runs the night (volunteer desks, the job runner, metrics).
        self.on_enqueued: list[Callable[[SimCall], None]] = []
        self.on_dequeued: list[Callable[[SimCall], None]] = []
        self.on_ended: list[Callable[[SimCall], None]] = []
        self.on_status_posted: list[Callable[[SimCall], None]] = []
        # Called after every request to the app (TwiML fetches and status callbacks).
        self.on_webhook: list[Callable[[], None]] = []

    # Placing calls

    def place_inbound(
        self,
        agent: Agent,
        caller_id: str,
        *,
        voice_url: str | None = None,
        to: str | None = None,
        **extra: str,
    ) -> SimCall:
        """A caller dials `to` (the hotline's number unless told): Twilio posts that
        number's voice URL (or `voice_url`, for a line the account's numbers do not list:
        the volunteer line) and runs its TwiML.
        """
        dialled = to or self.hotline_number
        line = self.numbers.owned.get(dialled)
        url = voice_url or (line.voice_url if line else None) or self.voice_url
        sid = self._sid("CA")
        call = SimCall(
            sid=sid,
            from_=caller_id,
            to=dialled,
            direction="inbound",
            agent=agent,
            created_at=self.loop.now(),
            params={
                "From": caller_id,
                "To": dialled,
                "Caller": caller_id,
                "Called": dialled,
                **extra,
            },
            status_callback=line.status_callback if line else self.status_url,
        )
        self.calls[sid] = call
        self._fetch_and_run(call, url, first=True)
        return call

    def hang_up(self, call: SimCall) -> None:
        """The caller puts the phone down."""
        if not call.live:
            return
        if call.outcome == "":
            call.outcome = "caller hung up"
        self._end(call, "completed" if call.answered_at is not None else "canceled")

    def hang_up_after(self, call: SimCall, seconds: float) -> Event:
        return self.loop.after(seconds, self.hang_up, call)

    def finish_conversation(self, call: SimCall) -> None:
        """The volunteer ends the conversation: the caller's call is over."""
        if call.live:
            self._end(call, "completed")

    # REST operations (served over HTTP by rest.py)

    def get_call(self, sid: str) -> SimCall:
        call = self.calls.get(sid)
        if call is None:
            raise ApiError(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
        return call

    def update_call(
        self,
        sid: str,
        *,
        url: str | None = None,
        twiml: str | None = None,
        status: str | None = None,
    ) -> SimCall:
        call = self.get_call(sid)
        if not call.live:
            raise ApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
        if status == "completed" or (status == "canceled" and call.answered_at is None):
            # As Twilio: "canceled" ends a call that is not answered yet, "completed" any call.
            call.outcome = call.outcome or "ended by the hotline"
            self._end(call, "completed" if call.answered_at is not None else "canceled")
            return call
        if status == "canceled":
            return call
        if url is None and twiml is None:
            raise ApiError(400, 21205, "Url or Twiml is required to redirect a call.")
        self._leave_queue(call, "redirected")
        self._leave_conference(call)
        if twiml is not None:
            self._run_document(call, twiml, waiting=False)
        else:
            self._fetch_and_run(call, url)
        return call

    def queue_by_sid(self, sid: str) -> SimQueue:
        for queue in self.queues.values():
            if queue.sid == sid:
                return queue
        raise ApiError(404, 20404, f"The requested resource /Queues/{sid}.json was not found")

    def update_queue_member(
        self, queue_sid: str, call_sid: str, *, url: str | None = None, twiml: str | None = None
    ) -> dict[str, object]:
        """Move a call out of a queue to `url` (or, inside the simulator, to `twiml`).

        "Front" names the first member, as it does in Twilio's API.
        """
        queue = self.queue_by_sid(queue_sid)
        if call_sid == "Front":
            if not queue.members:
                raise ApiError(404, 20404, "The queue is empty.")
            call = queue.members[0]
        else:
            call = next((c for c in queue.members if c.sid == call_sid), None)
            if call is None:
                raise ApiError(
                    404, 20404, f"The requested resource /Members/{call_sid}.json was not found"
                )
        member = self.member_resource(queue, call)
        self._leave_queue(call, "redirected")
        if twiml is not None:
            self._run_document(call, twiml, waiting=False)
        else:
            self._fetch_and_run(call, url or "")
        return member

    def member_resource(self, queue: SimQueue, call: SimCall) -> dict[str, object]:
        return {
            "call_sid": call.sid,
            "queue_sid": queue.sid,
            "position": queue.position(call),
            "wait_time": int(self.loop.now() - (call.enqueued_at or self.loop.now())),
            "date_enqueued": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Queues/{queue.sid}/Members/"
            f"{call.sid}.json",
        }

    def create_call(
        self,
        agent: Agent,
        *,
        to: str,
        from_: str,
        url: str | None = None,
        twiml: str | None = None,
        status_callback: str | None = None,
        answer_after_s: float | None = None,
        timeout_s: float = 60.0,
    ) -> SimCall:
        """Phone someone (a callback to a chair). The callee's agent answers after
        `answer_after_s`, or never (None, or later than `timeout_s`, Twilio's Timeout):
        then the call ends no-answer when the timeout runs out.
        """
        if url is None and twiml is None:
            raise ApiError(400, 21205, "Url or Twiml is required to create a call.")
        if to in self.undialable:
            raise ApiError(
                400,
                21215,
                f"Account not authorized to call {to}. Perhaps you need "
                "to enable some international permissions: https://"
                "www.twilio.com/console/voice/calls/geo-permissions/"
                "low-risk",
            )
        sid = self._sid("CA")
        call = SimCall(
            sid=sid,
            from_=from_,
            to=to,
            direction="outbound-api",
            agent=agent,
            created_at=self.loop.now(),
            params={"From": from_, "To": to, "Caller": from_, "Called": to},
            status_callback=status_callback,
            status="queued",
        )
        self.calls[sid] = call
        if answer_after_s is None or answer_after_s > timeout_s:
            call.pending = self.loop.after(timeout_s, self._end, call, "no-answer")
        else:
            call.pending = self.loop.after(answer_after_s, self._answer_outbound, call, url, twiml)
        return call

    def create_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> dict[str, object]:
        """Send a text: queued now, sent a second later, delivered a second after that
        (undelivered to an unreachable phone), each change posted to `status_callback`.
        """
        if to in self.unsubscribed:
            raise ApiError(400, UNSUBSCRIBED, "Attempt to send to unsubscribed recipient")
        sid = self._sid("SM")
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": from_,
            "body": body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "api_version": API_VERSION,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "sent_at": self.loop.now(),
            "status_callback": status_callback,
            "error_code": None,
        }
        self.messages.append(message)
        self.loop.after(TEXT_SENT_AFTER_S, self._text_moves_on, message, "sent")
        return message

    def conference_by_sid(self, sid: str) -> Conference:
        for conference in self.conferences.values():
            if conference.sid == sid:
                return conference
        raise ApiError(404, 20404, f"The requested resource /Conferences/{sid}.json was not found")

    def remove_participant(self, conference_sid: str, call_sid: str) -> None:
        conference = self.conference_by_sid(conference_sid)
        call = next((c for c in conference.participants if c.sid == call_sid), None)
        if call is None:
            raise ApiError(
                404, 20404, f"The requested resource /Participants/{call_sid}.json was not found"
            )
        call.outcome = call.outcome or "ended by the hotline"
        self._end(call, "completed")

    def _text_moves_on(self, message: dict[str, object], status: str) -> None:
        to, from_ = str(message["to"]), str(message["from"])
        if status == "sent":
            final = "undelivered" if to in self.unreachable else "delivered"
            self.loop.after(TEXT_DELIVERED_AFTER_S, self._text_moves_on, message, final)
        elif status == "undelivered":
            message["error_code"] = UNREACHABLE
        message["status"] = status
        if status == "delivered" and to in self.handsets:
            self.handsets[to](from_, str(message["body"]))
        callback = message.get("status_callback")
        if not callback:
            return
        # What Twilio posts about a text: MessageStatus, with the older SmsStatus beside it.
        params = {
            "MessageSid": str(message["sid"]),
            "SmsSid": str(message["sid"]),
            "AccountSid": self.account_sid,
            "From": from_,
            "To": to,
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": API_VERSION,
        }
        if message["error_code"] is not None:
            params["ErrorCode"] = str(message["error_code"])
        try:
            self.webhooks += 1
            self.transport.post(str(callback), params)
            for hook in self.on_webhook:
                hook()
        except OSError as error:
            log.warning("status callback for text %s failed: %s", message["sid"], error)

    # Running TwiML

    def _fetch_and_run(
        self,
        call: SimCall,
        url: str,
        *,
        first: bool = False,
        extra: dict[str, str] | None = None,
        waiting: bool = False,
    ) -> None:
        document = self._request(call, url, extra)
        if document is None:
            call.outcome = call.outcome or "application error"
            self._end(call, "failed" if first else "completed")
            return
        self._run_document(call, document, waiting=waiting, first=first, url=url)

    def _request(self, call: SimCall, url: str, extra: dict[str, str] | None = None) -> str | None:
        params = {
            "CallSid": call.sid,
            "AccountSid": self.account_sid,
            "CallStatus": call.status,
            "Direction": call.direction,
            "ApiVersion": API_VERSION,
            **call.params,
            **(extra or {}),
        }
        call.requests += 1
        self.webhooks += 1
        for hook in self.on_webhook:
            hook()
        try:
            status, body = self.transport.post(url, params)
        except OSError as error:
            log.warning("request to %s failed: %s", url, error)
            return None
        if status != 200:
            log.warning("%s answered %s for call %s", url, status, call.sid)
            return None
        return body

    def _run_document(
        self,
        call: SimCall,
        document: str,
        *,
        waiting: bool,
        first: bool = False,
        url: str | None = None,
    ) -> None:
        try:
            verbs = parse(document)
        except TwimlError as error:
            log.warning("call %s got bad TwiML: %s", call.sid, error)
            call.outcome = call.outcome or "application error"
            self._end(call, "failed" if first else "completed")
            return
        if first:
            call.first_verbs = tuple(v.name for v in verbs)
            if verbs and verbs[0].name == "Reject":
                call.outcome = "rejected"
                reason = verbs[0].attr("reason", "rejected")
                self._end(call, "busy" if reason == "busy" else "no-answer")
                return
            call.status = "in-progress"
            call.answered_at = self.loop.now()
        program = Program(verbs, waiting=waiting, url=url, started_at=self.loop.now())
        if waiting:
            call.wait_program = program
        else:
            call.program = program
        self._step(call, program)

    def _step(self, call: SimCall, program: Program) -> None:
        """Run verbs until one takes time or hands control elsewhere."""
        if call.steps_at != self.loop.now():
            call.steps_at, call.steps = self.loop.now(), 0
        while call.steps < MAX_INSTANT_STEPS:
            if not call.live or not self._current(call, program):
                return
            if program.index >= len(program.verbs):
                self._document_ended(call, program)
                return
            call.steps += 1
            verb = program.verbs[program.index]
            program.index += 1
            if program.waiting and verb.name not in WAIT_VERBS:
                log.warning("call %s: <%s> is not allowed in a wait URL", call.sid, verb.name)
                continue
            if self._run_verb(call, program, verb):
                return
        log.warning("call %s: too many steps without time passing", call.sid)
        self._end(call, "completed")

    def _current(self, call: SimCall, program: Program) -> bool:
        return program is (call.wait_program if program.waiting else call.program)

    def _continue_after(self, call: SimCall, program: Program, seconds: float) -> None:
        call.pending = self.loop.after(seconds, self._step, call, program)

    def _run_verb(self, call: SimCall, program: Program, verb: Verb) -> bool:
        """Carry out one verb; True when the program pauses (time passes or control moves)."""
        name = verb.name
        if name in ("Say", "Play", "Pause"):
            if name == "Say":
                call.heard.append(verb.text)
            self._continue_after(call, program, spoken_seconds(verb))
            return True
        if name == "Gather":
            self._gather(call, program, verb)
            return True
        if name == "Redirect":
            self._fetch_and_run(call, verb.text, waiting=program.waiting)
            return True
        if name == "Hangup" or name == "Reject":
            call.outcome = call.outcome or (
                "diverted" if self._diverted(call) else "hung up by the hotline"
            )
            self._end(call, "completed")
            return True
        if name == "Enqueue":
            self._enqueue(call, program, verb)
            return True
        if name == "Leave":
            if call.queue is not None:
                self._leave_queue(call, "leave", run_action=True)
            return True
        if name == "Dial":
            return self._dial(call, program, verb)
        return False

    @staticmethod
    def _diverted(call: SimCall) -> bool:
        # The hotline's first answer only spoke and hung up: a divert.
        return call.requests == 1 and set(call.first_verbs) <= {"Say", "Play", "Pause", "Hangup"}

    def _document_ended(self, call: SimCall, program: Program) -> None:
        if program.waiting:
            # Twilio runs the wait URL again for as long as the caller waits.
            elapsed = self.loop.now() - program.started_at
            call.pending = self.loop.after(
                max(MIN_WAIT_CYCLE_S - elapsed, 0.0), self._fetch_wait, call
            )
            return
        call.outcome = call.outcome or "hung up by the hotline"
        self._end(call, "completed")

    def _gather(self, call: SimCall, program: Program, verb: Verb) -> None:
        heard = [child.text for child in verb.children if child.name == "Say"]
        call.heard.extend(heard)
        prompt_s = sum(spoken_seconds(child) for child in verb.children)
        reply = call.agent.on_gather(call, heard, program.waiting)
        if reply.hang_up:
            call.pending = self.loop.after(reply.delay_s, self.hang_up, call)
            return
        timeout = verb.number("timeout", 5.0)
        finish = verb.attr("finishOnKey", "#")
        num_digits = int(verb.number("numDigits", 0))
        digits = reply.digits or ""
        finished_on = ""
        if num_digits and len(digits.rstrip(finish)) >= num_digits:
            submit_at, entered = prompt_s + reply.delay_s, digits[:num_digits]
        elif finish and digits.endswith(finish):
            submit_at, entered = prompt_s + reply.delay_s, digits[: -len(finish)]
            finished_on = finish  # Twilio posts FinishedOnKey: "#" alone is not silence
        else:
            # Silence, or digits without the finishing key: Twilio waits out the timeout.
            submit_at, entered = prompt_s + reply.delay_s + timeout, digits
        call.pending = self.loop.after(
            submit_at, self._gathered, call, program, verb, entered, finished_on
        )

    def _gathered(
        self, call: SimCall, program: Program, verb: Verb, digits: str, finished_on: str = ""
    ) -> None:
        if not call.live or not self._current(call, program):
            return
        if not digits and verb.attr("actionOnEmptyResult") != "true":
            self._step(call, program)  # no input: on to the next verb
            return
        # Without an action Twilio posts the input to the URL of the document it came from.
        action = verb.attr("action") or program.url
        if not action:
            self._step(call, program)
            return
        extra = {"Digits": digits, **({"FinishedOnKey": finished_on} if finished_on else {})}
        self._fetch_and_run(call, action, extra=extra, waiting=program.waiting)

    # Queues

    def queue(self, name: str) -> SimQueue:
        if name not in self.queues:
            self.queues[name] = SimQueue(sid=self._sid("QU"), name=name)
        return self.queues[name]

    def _enqueue(self, call: SimCall, program: Program, verb: Verb) -> None:
        queue = self.queue(verb.text or "default")
        queue.members.append(call)
        call.queue = queue
        call.enqueue_verb = verb
        call.enqueued_at = self.loop.now()
        call.after_enqueue = program
        call.program = None
        call.agent.on_enqueued(call)
        for hook in self.on_enqueued:
            hook(call)
        if call.queue is queue and call.live:
            self._fetch_wait(call)

    def _fetch_wait(self, call: SimCall) -> None:
        if call.queue is None or not call.live:
            return
        wait_url = call.enqueue_verb.attr("waitUrl") if call.enqueue_verb else ""
        if not wait_url:
            call.wait_program = None  # Twilio's own hold music: nothing to fetch
            return
        queue = call.queue
        self._fetch_and_run(
            call,
            wait_url,
            waiting=True,
            extra={
                "QueueSid": queue.sid,
                "QueuePosition": str(queue.position(call)),
                "QueueTime": str(int(self.loop.now() - call.enqueued_at)),
                "AvgQueueTime": str(queue.average_wait_s()),
                "CurrentQueueSize": str(len(queue.members)),
                "MaxQueueSize": "1000",
            },
        )

    def _leave_queue(self, call: SimCall, result: str, *, run_action: bool = False) -> None:
        queue = call.queue
        if queue is None:
            return
        queue.members.remove(call)
        queue.dequeued += 1
        waited = self.loop.now() - (call.enqueued_at or self.loop.now())
        queue.total_wait_s += waited
        call.queue = None
        call.wait_program = None
        if call.pending is not None:
            call.pending.cancel()
        for hook in self.on_dequeued:
            hook(call)
        action = call.enqueue_verb.attr("action") if call.enqueue_verb else ""
        extra = {"QueueResult": result, "QueueSid": queue.sid, "QueueTime": str(int(waited))}
        if result == "leave" and run_action:
            if action:
                self._fetch_and_run(call, action, extra=extra)
            elif call.after_enqueue is not None:
                call.program = call.after_enqueue
                self._step(call, call.program)
        elif action and result in ("redirected", "hangup"):
            # Twilio notifies the action URL; the call itself goes where it was sent.
            self._request(call, action, extra)

    # Conferences

    def conference(self, name: str) -> Conference:
        if name not in self.conferences:
            self.conferences[name] = Conference(sid=self._sid("CF"), name=name)
        return self.conferences[name]

    def _dial(self, call: SimCall, program: Program, verb: Verb) -> bool:
        room = next((c for c in verb.children if c.name == "Conference"), None)
        if room is None:
            log.warning("call %s: <Dial> without <Conference> is not simulated", call.sid)
            return False
        conference = self.conference(room.text)
        conference.participants.append(call)
        call.dial_action = verb.attr("action")
        if room.attr("endConferenceOnExit") == "true":
            conference.end_on_exit.add(call.sid)
        call.conference = conference
        conference.peak_parties = max(
            conference.peak_parties,
            len(conference.participants) + (1 if conference.desk is not None else 0),
        )
        call.agent.on_joined_room(call)
        self._connect_if_paired(conference)
        return True

    def _connect_if_paired(self, conference: Conference) -> None:
        """Two parties in one room (a caller and a volunteer) are talking."""
        parties = len(conference.participants) + (1 if conference.desk is not None else 0)
        if parties < 2:
            return
        for call in conference.participants:
            if call.connected_at is None:
                call.connected_at = self.loop.now()
                call.outcome = "talked"
                call.agent.on_connected(call)
                desk = conference.desk
                if desk is not None:
                    desk.talk(call)  # type: ignore[attr-defined]

    def _leave_conference(self, call: SimCall) -> None:
        conference = call.conference
        if conference is None:
            return
        conference.participants.remove(call)
        call.conference = None
        if call.sid in conference.end_on_exit:
            for other in list(conference.participants):
                self._room_ended(other)
        if conference.desk is not None:
            conference.desk.party_left(call)  # type: ignore[attr-defined]

    def _room_ended(self, call: SimCall) -> None:
        """The conference ended under `call` (a party with endConferenceOnExit left): as
        Twilio, its <Dial> ends, and the call goes on to the Dial's action, or else to the
        rest of its document (nothing after the Dial: the call ends).
        """
        self._leave_conference(call)
        action, call.dial_action = call.dial_action, ""
        if action:
            self._fetch_and_run(call, action, extra={"DialCallStatus": "completed"})
        elif call.program is not None:
            self._step(call, call.program)

    def _answer_outbound(self, call: SimCall, url: str | None, twiml: str | None) -> None:
        if not call.live:
            return
        call.status = "in-progress"
        call.answered_at = self.loop.now()
        if twiml is not None:
            self._run_document(call, twiml, waiting=False)
        else:
            self._fetch_and_run(call, url or "")

    # The end of a call

    def _end(self, call: SimCall, status: str) -> None:
        if not call.live:
            return
        if call.pending is not None:
            call.pending.cancel()
        call.status = status
        call.ended_at = self.loop.now()
        self._leave_queue(call, "hangup")
        self._leave_conference(call)
        call.program = call.wait_program = None
        call.agent.on_ended(call)
        for hook in self.on_ended:
            hook(call)
        self._post_status(call)

    def _post_status(self, call: SimCall) -> None:
        if not call.status_callback:
            return
        duration = 0 if call.answered_at is None else int(call.ended_at - call.answered_at)
        # SequenceNumber counts from 0; Timestamp is RFC 2822, in UTC.
        ended = datetime.fromtimestamp(int(call.ended_at), UTC)
        params = {
            "CallSid": call.sid,
            "AccountSid": self.account_sid,
            "From": call.from_,
            "To": call.to,
            "Direction": call.direction,
            "ApiVersion": API_VERSION,
            "CallStatus": call.status,
            "CallDuration": str(duration),
            "Duration": str((duration + 59) // 60),
            "SequenceNumber": str(call.sequence),
            "Timestamp": email.utils.format_datetime(ended),
            "CallbackSource": "call-progress-events",
        }
        call.sequence += 1
        try:
            self.webhooks += 1
            self.transport.post(call.status_callback, params)
            for hook in self.on_webhook:
                hook()
        except OSError as error:
            log.warning("status callback for %s failed: %s", call.sid, error)
        for hook in self.on_status_posted:
            hook(call)

    def _sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._sids):032x}"
