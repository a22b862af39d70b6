"""The callers: chairs, nuisance callers and people asking for information.

Each is an Agent (network.py): it answers prompts the way a person would,
from what it hears, and keeps its own account of the night (when it first
called, when a volunteer answered, whether it gave up). Random choices come
from the agent's own seeded generator, so one agent behaves the same in every
run of a night, whatever the others do.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.caucus.report import PrecinctReport
from hotline.sim.loop import Event
from hotline.sim.network import Network, Reply, SimCall
from hotline.sim.population import ChairSpec, InfoSpec, NuisanceSpec, VolunteerSpec
from hotline.sim.scenario import Chairs, InfoCallers, Nuisance
from hotline.sim.worksheets import keyed_count

# Seconds a person takes to find a key and press it, and to start after a prompt.
KEY_SECONDS = 0.4
THINK_SECONDS = 1.5
# How long someone told to expect a call back waits for it before calling again.
CALL_BACK_PATIENCE_S = 300.0
# What the hotline says when it will call a registered phone back to confirm someone
# (the prompts verify_by_call_back and volunteer_verify_by_call_back).
WILL_CALL_BACK = ("we will call that phone", "we will call your registered phone")
# A number to call, in a text from the hotline.
NUMBER_IN_TEXT = re.compile(r"\+1[2-9][0-9]{9}")


def _lognormal(rng: random.Random, mean: float, spread: float = 0.4) -> float:
    """A positive duration around `mean`: most near it, a few much longer."""
    sigma = spread
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma) if mean > 0 else 0.0


def _typing(rng: random.Random, keys: str) -> float:
    return THINK_SECONDS * rng.uniform(0.6, 1.6) + KEY_SECONDS * len(keys)


@dataclass
class Person:
    network: Network
    rng: random.Random
    calls: list[SimCall] = field(default_factory=list)
    # One patience timer per call on hold (a person may be on two calls at once: on hold,
    # and answering the hotline's call back).
    _hold_timers: dict[str, Event] = field(default_factory=dict)

    def hold_for(self, call: SimCall, seconds: float) -> None:
        """Stay on hold this long at most, then hang up."""
        self._hold_timers[call.sid] = self.network.hang_up_after(call, seconds)

    def stop_holding(self, call: SimCall) -> None:
        timer = self._hold_timers.pop(call.sid, None)
        if timer is not None:
            timer.cancel()

    def dial(
        self, caller_id: str, *, voice_url: str | None = None, to: str | None = None, **extra: str
    ) -> None:
        """Call the hotline's number, or `to` (or the line whose voice URL is `voice_url`)."""
        self.calls.append(
            self.network.place_inbound(self, caller_id, voice_url=voice_url, to=to, **extra)
        )

    def dial_at(self, when: float) -> None:
        self.network.loop.at(when, self.start_call)

    def start_call(self) -> None:  # overridden
        raise NotImplementedError

    def talk_seconds(self) -> float:
        return _lognormal(self.rng, self.behaviour.talk_s)  # type: ignore[attr-defined]

    def on_connected(self, call: SimCall) -> None:
        self.stop_holding(call)
        self.talk(call)

    def talk(self, call: SimCall) -> None:
        """Say what they called to say, then the conversation is over. (A simulator desk
        keeps that time itself; a volunteer who phoned in leaves it to the caller.)
        """
        if call.conference is not None and call.conference.desk is None:
            self.network.loop.after(self.talk_seconds(), self.network.finish_conversation, call)

    def on_enqueued(self, call: SimCall) -> None:
        pass

    def on_joined_room(self, call: SimCall) -> None:
        pass

    def on_ended(self, call: SimCall) -> None:
        self.stop_holding(call)

    @staticmethod
    def told_to_expect_a_call_back(call: SimCall) -> bool:
        last = call.heard[-1].lower() if call.heard else ""
        return any(words in last for words in WILL_CALL_BACK)


def _key(rng: random.Random, digits: str) -> Reply:
    """Key `digits` and pound, at a person's pace."""
    return Reply(digits + "#", _typing(rng, digits))


class Chair(Person):
    kind = "chair"

    def __init__(self, network: Network, spec: ChairSpec, behaviour: Chairs, seed: int) -> None:
        super().__init__(network, random.Random(f"{seed}:chair:{spec.index}"))
        self.spec = spec
        self.behaviour = behaviour
        self.first_call_at: float | None = None
        self.answered_at: float | None = None
        self.gave_up_at: float | None = None
        self.pin_entries = 0
        self.booked_callback = False
        # Times put through to a volunteer: once, on any night (twice is double pairing).
        self.connections = 0
        # When the chair was first on hold in the line: proved, in at last.
        self.verified_at: float | None = None
        # When the hotline first said the chair was proved (and gave them their place in
        # the line), before they chose between the keypad and a volunteer.
        self.proved_at: float | None = None
        self.awaiting_call_back = False
        # Calls back to confirm the precinct that this chair did not ask for, and hung up on.
        self._declined: set[str] = set()
        # The call on which the chair pressed 1 to be called back: the hotline ends it, as
        # the chair asked.
        self.booked_on: str | None = None
        # Their report: when it was taken (stored, or given to a volunteer), and how.
        self.reported_at: float | None = None
        self.report_channel: str | None = None
        # Where a volunteer's form stores what the chair reads out (night.py sets it on
        # Hotline's nights; the 2020 line stores nothing).
        self.volunteer_form: Callable[[PrecinctReport], object] | None = None
        self.keypad = KeypadEntry(
            self, spec, behaviour, random.Random(f"{seed}:keypad:{spec.index}")
        )
        # The number the chair calls: the hotline's published one, until a text from the
        # hotline names another.
        self.number: str | None = None

    def start(self) -> None:
        self.dial_at(self.spec.first_call_at)
        # The hotline's call back reaches this chair's phone; they answer within seconds.
        self.network.callees[self.spec.phone] = lambda: (self, 5.0)
        # So do its texts.
        self.network.handsets[self.spec.phone] = self.read_text

    def read_text(self, from_: str, body: str) -> None:
        """A text from the hotline naming a number to call: the chair's next call goes there
        (a call in progress carries on where it is).
        """
        found = NUMBER_IN_TEXT.search(body)
        if found:
            self.number = found.group(0)

    def start_call(self) -> None:
        if self.first_call_at is None:
            self.first_call_at = self.network.loop.now()
        self.dial(
            self.spec.phone,
            to=self.number,
            FromState="IA",
            FromCountry="US",
            StirVerstat="TN-Validation-Passed-A",
        )

    @property
    def waiting(self) -> bool:
        """Has called and is still trying to get through (or to report on the keypad)."""
        return (
            self.first_call_at is not None
            and self.answered_at is None
            and self.gave_up_at is None
            and self.reported_at is None
        )

    def reported(self, channel: str) -> None:
        if self.reported_at is None:
            self.reported_at = self.network.loop.now()
            self.report_channel = channel

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        text = " ".join(heard).lower()
        if call.direction == "outbound-api":
            if "pin" in text:  # the hotline calling back to confirm the precinct
                if not self.awaiting_call_back:
                    # Not asked for: someone else called as this precinct. Hang up.
                    self._declined.add(call.sid)
                    return Reply(hang_up=True, delay_s=THINK_SECONDS)
                self.awaiting_call_back = False
                return _key(self.rng, self.spec.pin)
            return Reply("1", _typing(self.rng, "1"))  # the hotline calling back: put me through
        if holding:
            if self.spec.asks_callback and "called back" in text and not self.booked_callback:
                self.booked_callback = True
                self.booked_on = call.sid
                return Reply("1", _typing(self.rng, "1"))
            return Reply()  # listening to the hold message
        if "to speak to a volunteer again, press 1" in text:
            # The volunteer's line dropped mid-conversation: back in line, unless reported.
            if self.reported_at is None:
                return Reply("1", _typing(self.rng, "1"))
            return Reply(hang_up=True, delay_s=THINK_SECONDS)
        if "to speak to a volunteer, press 2" in text:
            # The report choice after the PIN: the keypad (1) or a volunteer (2).
            if self.proved_at is None:
                self.proved_at = self.network.loop.now()
            if self.keypad.wanted:
                if self.verified_at is None:
                    self.verified_at = self.network.loop.now()
                self.keypad.on_call = call.sid
                return Reply("1", _typing(self.rng, "1"))
            return Reply("2", _typing(self.rng, "2"))
        if self.keypad.on_call == call.sid:
            reply = self.keypad.answer(text)
            if reply is not None:
                return reply
        if "backup code" in text:
            return _key(self.rng, self.spec.backup_code)
        if "pin" in text:
            self.pin_entries += 1
            pin = self.spec.pin
            if self.spec.mistypes_pin and self.pin_entries == 1:
                pin = pin[:-1] + str((int(pin[-1]) + 1) % 10)
            return _key(self.rng, pin)
        if "precinct" in text:
            return _key(self.rng, self.spec.precinct)
        return Reply()

    def on_enqueued(self, call: SimCall) -> None:
        if self.verified_at is None:
            self.verified_at = self.network.loop.now()
        self.hold_for(call, _lognormal(self.rng, self.behaviour.patience_s, 0.6))

    def on_connected(self, call: SimCall) -> None:
        if self.answered_at is None:
            self.answered_at = self.network.loop.now()
        self.connections += 1
        super().on_connected(call)

    def on_ended(self, call: SimCall) -> None:
        super().on_ended(call)
        if call.sid in self._declined:
            return  # a call back nobody here asked for: it changes nothing
        if call.connected_at is not None and self.reported_at is None:
            self._volunteer_took_report()
        elif self.keypad.confirmed_on == call.sid:
            self.reported("keypad")  # the receipt heard, the hotline hung up
        if self.reported_at is not None or self.answered_at is not None or self.booked_callback:
            return  # done, or waiting for the hotline to call back
        if self.told_to_expect_a_call_back(call):
            # The PIN alone was not enough tonight: the hotline rings the registered phone.
            self.awaiting_call_back = True
            self.network.loop.after(CALL_BACK_PATIENCE_S, self._call_back_overdue)
            return
        self._try_again_later()

    def _volunteer_took_report(self) -> None:
        """The conversation with a volunteer is over: the report is taken. On Hotline's
        nights the simulator stands in for the volunteer's browser here, storing the report
        through the app's store as the console's results form would.
        """
        if self.volunteer_form is not None and self.spec.worksheet is not None:
            self.volunteer_form(self.spec.worksheet)
        self.reported("volunteer")

    def _call_back_overdue(self) -> None:
        if self.awaiting_call_back and self.verified_at is None:
            self.awaiting_call_back = False
            self._try_again_later()

    def _try_again_later(self) -> None:
        if len(self.calls) >= self.behaviour.max_calls:
            self.gave_up_at = self.network.loop.now()
            return
        self.network.loop.after(
            _lognormal(self.rng, self.behaviour.call_back_after_s), self.start_call
        )


class KeypadEntry:
    """A chair keying their worksheet into the keypad flow (hotline/voice/keypad_report.py),
    prompt by prompt: attendance; each first, then final, group as candidate number, star,
    count, pound, and pound alone when done; the coin toss when asked; at the read-back 1
    to confirm, 2 to correct a count they notice is wrong, 3 for a volunteer when the
    hotline refuses numbers they cannot change (their worksheet's).
    """

    def __init__(
        self, chair: Chair, spec: ChairSpec, behaviour: Chairs, rng: random.Random
    ) -> None:
        self.chair, self.behaviour, self.rng = chair, behaviour, rng
        self.sheet = spec.worksheet
        self.wanted = spec.keypad and spec.worksheet is not None
        self.on_call: str | None = None
        self.confirmed_on: str | None = None
        self.gave_up = False
        # Counts keyed wrong, as (stage, candidate key), and the ones the chair noticed.
        self.mistakes: list[tuple[str, str]] = []
        self.noticed: list[tuple[str, str]] = []
        self.judged: set[tuple[str, str]] = set()
        self.made_mistakes = 0
        self._stage = "first"
        self._todo: list[tuple[int, str, int]] = []
        self._fixing: str | None = None

    def _groups(self, stage: str) -> list[tuple[int, str, int]]:
        counts = getattr(self.sheet, stage)
        return [
            (c.keypad, c.key, keyed_count(counts[c.key]))
            for c in _election().candidates
            if keyed_count(counts.get(c.key, 0))
        ]

    def _entry(self, keys: str) -> Reply:
        seconds = self.behaviour.keypad_seconds_per_entry * self.rng.uniform(0.7, 1.5)
        return Reply(keys + "#", seconds)

    def _press(self, key: str) -> Reply:
        return Reply(key, _typing(self.rng, key))

    def answer(self, text: str) -> Reply | None:
        if self.gave_up:
            return Reply()  # waiting for the hotline to put them through to a volunteer
        sheet = self.sheet
        assert sheet is not None
        if "cannot have" in text or "there is no candidate" in text or "too many" in text:
            # The hotline refused a number off the worksheet: the chair stays silent, and
            # after the reprompts the hotline puts them through to a volunteer.
            self._give_up()
            return Reply()
        if "press 1 to continue it" in text:  # a report part keyed on an earlier call
            return self._press("1")
        if "won the coin toss" in text:
            return self._press(self._toss(text))
        if "to confirm these results, press 1" in text:
            return self._review()
        if "to correct an entry, press 2" in text:
            # A blocking error read out: the chair looks again at any count keyed wrong;
            # numbers that are the worksheet's they cannot change: a volunteer, then.
            if self.mistakes:
                self.noticed.extend(m for m in self.mistakes if m not in self.noticed)
                return self._fix_next()
            self._give_up()
            return self._press("3")
        if "enter the candidate number to correct" in text:
            return self._entry(str(_election().candidate(self._fixing or "").keypad))
        if "alignment count for" in text:
            stage = "first" if "first alignment count" in text else "final"
            key = self._fixing or ""
            if stage == "final":
                self.mistakes = [m for m in self.mistakes if m[1] != key]
            return self._entry(str(keyed_count(getattr(sheet, stage).get(key, 0))))
        if "number of attendees" in text:
            return self._entry(str(keyed_count(sheet.attendance)))
        if "first alignment. for each group" in text:
            self._stage, self._todo = "first", self._groups("first")
            return self._next_group()
        if "final alignment. for each group" in text:
            self._stage, self._todo = "final", self._groups("final")
            return self._next_group()
        if "next group, or pound alone" in text:
            return self._next_group()
        return None

    def _give_up(self) -> None:
        """The keypad will not take this worksheet: a volunteer, now and on any later call."""
        self.gave_up, self.wanted = True, False

    def _next_group(self) -> Reply:
        if not self._todo:
            return Reply("#", THINK_SECONDS * self.rng.uniform(0.6, 1.6))
        number, key, count = self._todo.pop(0)
        if self.rng.random() < self.behaviour.keypad_mistake_rate:
            wrong = _off_by_a_digit(self.rng, count, keyed_count(self.sheet.attendance))
            if wrong != count:
                self.made_mistakes += 1
                self.mistakes.append((self._stage, key))
                count = wrong
        return self._entry(f"{number}*{count}")

    def _review(self) -> Reply:
        for mistake in self.mistakes:
            if mistake not in self.judged:
                self.judged.add(mistake)
                if self.rng.random() < self.behaviour.readback_catch_share:
                    self.noticed.append(mistake)
        if any(m in self.mistakes for m in self.noticed):
            return self._fix_next()
        self.confirmed_on = self.on_call
        return self._press("1")

    def _fix_next(self) -> Reply:
        mistake = next(m for m in self.noticed if m in self.mistakes)
        self._fixing = mistake[1]
        return self._press("2")

    def _toss(self, text: str) -> str:
        names = {c.key: c.name.lower() for c in _election().candidates}
        for toss in self.sheet.coin_tosses if self.sheet else ():
            found = re.search(rf"press (\d) if {re.escape(names.get(toss.winner, '?'))} won", text)
            if found:
                return found.group(1)
        return str(self.rng.randint(1, max(text.count("won the coin toss"), 1)))


def _off_by_a_digit(rng: random.Random, count: int, most: int) -> int:
    """`count` with one digit one off (never 0, never above `most`), as a slip of the finger."""
    digits = str(count)
    place = rng.randrange(len(digits))
    for step in rng.sample((1, -1), 2):
        digit = int(digits[place]) + step
        if 0 <= digit <= 9:
            wrong = int(digits[:place] + str(digit) + digits[place + 1 :])
            if 1 <= wrong <= most and wrong != count:
                return wrong
    return count


def _election():
    from hotline.sim.worksheets import election

    return election()


class NuisanceCaller(Person):
    """Redials all evening; hangs up at the prompt, or guesses precincts and PINs.

    Where a line lets everyone in (the 2020 hotline) they sit in it, and a
    volunteer spends time on them before hanging up.
    """

    kind = "nuisance"

    def __init__(
        self,
        network: Network,
        spec: NuisanceSpec,
        behaviour: Nuisance,
        precincts: list[str],
        seed: int,
        volunteer_line_url: str | None = None,
    ) -> None:
        super().__init__(network, random.Random(f"{seed}:nuisance:{spec.index}"))
        self.spec = spec
        self.behaviour = behaviour
        self.precincts = precincts
        # A volunteer's spoofer calls the volunteer line (where there is one).
        self.voice_url = volunteer_line_url if spec.spoofs == "volunteer" else None
        self.pin_successes = 0
        # Secrets keyed at a prompt (PINs and backup codes), each a guess.
        self.guesses = 0
        self._guessed_on: set[str] = set()
        self._busy_in_a_row = 0

    def start(self) -> None:
        self.dial_at(self.spec.first_call_at)

    def start_call(self) -> None:
        extra = {"StirVerstat": self.spec.stir_verstat, "FromCountry": "US"}
        if self.spec.from_state:
            extra["FromState"] = self.spec.from_state
        self.dial(self.spec.caller_id, voice_url=self.voice_url, **extra)

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        text = " ".join(heard).lower()
        if not self.spec.guesses_pins or holding:
            return Reply(hang_up=True, delay_s=self.behaviour.hang_up_after_s)
        if "backup code" in text:
            return self._guess(call, 8)
        if "pin" in text:
            return self._guess(call, 6)
        if "precinct" in text:
            precinct = self.rng.choice(self.precincts)
            return _key(self.rng, precinct)
        return Reply(hang_up=True, delay_s=self.behaviour.hang_up_after_s)

    def _guess(self, call: SimCall, digits: int) -> Reply:
        self.guesses += 1
        self._guessed_on.add(call.sid)
        return _key(self.rng, f"{self.rng.randrange(10**digits):0{digits}d}")

    def on_enqueued(self, call: SimCall) -> None:
        if call.sid in self._guessed_on:
            self.pin_successes += 1  # a guess got a troll into the chairs' line
        self.hold_for(call, self.behaviour.hold_patience_s)

    def on_joined_room(self, call: SimCall) -> None:
        if call.sid in self._guessed_on:
            self.pin_successes += 1  # a guess made a troll a volunteer

    def on_ended(self, call: SimCall) -> None:
        super().on_ended(call)
        self._busy_in_a_row = self._busy_in_a_row + 1 if call.outcome == "rejected" else 0
        if self._busy_in_a_row >= self.behaviour.gives_up_after_busy:
            return  # the line is dead to them: they stop for the night
        gap = self.rng.expovariate(1 / self.behaviour.redial_every_s)
        if self.network.loop.now() + gap < self.behaviour.end_s:
            self.network.loop.after(gap, self.start_call)


class InfoCaller(Person):
    """Someone who wants to know where their caucus is: not a chair, cannot verify."""

    kind = "info"

    def __init__(self, network: Network, spec: InfoSpec, behaviour: InfoCallers, seed: int) -> None:
        super().__init__(network, random.Random(f"{seed}:info:{spec.index}"))
        self.spec = spec
        self.behaviour = behaviour

    def start(self) -> None:
        self.dial_at(self.spec.first_call_at)

    def start_call(self) -> None:
        self.dial(
            self.spec.caller_id,
            FromState="IA",
            FromCountry="US",
            StirVerstat="TN-Validation-Passed-A",
        )

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        # Asked for a precinct number and a PIN they do not have, they hang up.
        return Reply(hang_up=True, delay_s=THINK_SECONDS * 3)

    def on_enqueued(self, call: SimCall) -> None:
        self.hold_for(call, _lognormal(self.rng, self.behaviour.patience_s, 0.6))


class Volunteer(Person):
    """A volunteer at their phone: calls the volunteer line at the start of the night,
    keys their PIN, and stays in their room taking whoever is put through.
    """

    kind = "volunteer"

    def __init__(
        self, network: Network, *, spec: VolunteerSpec, voice_url: str, starts_at: float, seed: int
    ) -> None:
        super().__init__(network, random.Random(f"{seed}:volunteer:{spec.index}"))
        self.spec, self.voice_url = spec, voice_url
        self.phone = spec.phone
        self.starts_at = starts_at
        # When they were first in their room, ready for callers: in at last.
        self.on_duty_at: float | None = None
        self.awaiting_call_back = False

    def start(self) -> None:
        self.dial_at(self.starts_at)
        # The hotline's call back to confirm them reaches this phone; they answer at once.
        self.network.callees[self.phone] = lambda: (self, 5.0)

    def start_call(self) -> None:
        self.dial(self.phone, voice_url=self.voice_url, FromState="IA", FromCountry="US")

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        if call.direction == "outbound-api":
            if not self.awaiting_call_back:
                # Not asked for: someone else called the volunteer line as them.
                return Reply(hang_up=True, delay_s=THINK_SECONDS)
            self.awaiting_call_back = False
        if "backup code" in " ".join(heard).lower():
            return _key(self.rng, self.spec.backup_code)
        return _key(self.rng, self.spec.pin)

    def on_joined_room(self, call: SimCall) -> None:
        if self.on_duty_at is None:
            self.on_duty_at = self.network.loop.now()

    @property
    def talking(self) -> bool:
        """With a caller in their room now."""
        return any(
            call.conference is not None and len(call.conference.participants) > 1
            for call in self.calls
            if call.live
        )

    def on_ended(self, call: SimCall) -> None:
        super().on_ended(call)
        if self.on_duty_at is None and self.told_to_expect_a_call_back(call):
            self.awaiting_call_back = True
            self.network.loop.after(CALL_BACK_PATIENCE_S, self._call_back_overdue)

    def _call_back_overdue(self) -> None:
        if self.awaiting_call_back and self.on_duty_at is None:
            self.awaiting_call_back = False
            self.start_call()

    def on_connected(self, call: SimCall) -> None:
        pass  # the caller says when the conversation is over

    def talk_seconds(self) -> float:
        return 0.0


class Listener:
    """Someone on the line who presses nothing and waits wherever they are put: the
    callers of tests and benchmarks that script the app's side themselves.
    """

    kind = "caller"

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        return Reply()

    def on_enqueued(self, call: SimCall) -> None:
        pass

    def on_joined_room(self, call: SimCall) -> None:
        pass

    def on_connected(self, call: SimCall) -> None:
        pass

    def on_ended(self, call: SimCall) -> None:
        pass
