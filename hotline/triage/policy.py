"""The triage policy: challenge -> divert -> temporary block -> block.

`decide` is called once per inbound call with the caller's facts and returns a
verdict whose reasons say, in words an admin can read, why. In log-only mode
the verdict still names what the rules wanted, but `enforced` is False and the
call proceeds to the PIN challenge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from hotline.durations import format_duration as _window
from hotline.triage.facts import CallerFacts
from hotline.triage.pins import PinDefence

STIR_FAILED_PREFIX = "TN-Validation-Failed"


class Action(StrEnum):
    FAST_TRACK = "fast-track"  # registered chair phone: PIN only
    CHALLENGE = "challenge"  # precinct number, then PIN
    DIVERT = "divert"  # short message, hang up
    TEMP_BLOCK = "temp-block"  # reject, and reject this number until the block expires
    BLOCK = "block"  # reject, and keep rejecting until an admin unblocks


class DivertMessage(StrEnum):
    NUISANCE = "diverted"
    WITHHELD = "diverted_withheld"


class ChallengeMessage(StrEnum):
    """The first question of a strict challenge (flood mode's one short chance)."""

    FLOOD = "flood_challenge"
    # The caller dialled a retired number: told it changed and that chairs were texted the
    # new one (never the new number itself); a chair without the text keys in as in flood
    # mode.
    NUMBER_CHANGED = "number_changed_challenge"


RETIRED_NUMBER = "called a retired hotline number"


@dataclass(frozen=True)
class Thresholds:
    divert_calls_short: int
    temp_block_calls_long: int


@dataclass(frozen=True)
class Escalation:
    normal: Thresholds = Thresholds(divert_calls_short=7, temp_block_calls_long=9)
    untrusted: Thresholds = Thresholds(divert_calls_short=3, temp_block_calls_long=5)
    temp_block_for_s: float = 3600.0
    block_after_temp_blocks: int = 2
    divert_instant_hangups: int = 3
    divert_flags: int = 1
    instant_hangup_within_s: float = 8.0


@dataclass(frozen=True)
class Policy:
    log_only: bool = False
    short_window_s: float = 900.0
    long_window_s: float = 3600.0
    remember_caller_for_s: float = 172800.0
    escalation: Escalation = field(default_factory=Escalation)
    pin_tries_per_call: int = 3
    pin_failures_per_number: int = 6
    pin_failures_withheld: int = 30
    pin_temp_block_for_s: float = 3600.0
    pin_defence: PinDefence = field(default_factory=PinDefence)
    flood_auto_calls_per_minute: int = 0
    home_state: str = "IA"
    home_country: str = "US"


@dataclass(frozen=True)
class Verdict:
    action: Action
    reasons: tuple[str, ...] = ()
    enforced: bool = True
    divert_message: DivertMessage = DivertMessage.NUISANCE
    # Seconds a TEMP_BLOCK lasts; None otherwise.
    block_for_s: float | None = None
    # Precinct to verify against when the action (or the fallback) is FAST_TRACK.
    chair_precinct: str | None = None
    # A challenge in flood mode: the caller is not on a registered chair phone, so the PIN
    # alone is never checked; it is asked with the backup code (or a call back). Trolls
    # hear one short prompt and go, and no chair is shut out.
    strict: bool = False
    # What a strict challenge asks first.
    challenge_message: ChallengeMessage = ChallengeMessage.FLOOD

    @property
    def effective_action(self) -> Action:
        """What the call actually gets: in log-only mode, never worse than a challenge."""
        if self.enforced or self.action in (Action.FAST_TRACK, Action.CHALLENGE):
            return self.action
        return Action.FAST_TRACK if self.chair_precinct else Action.CHALLENGE

    @property
    def rejects(self) -> bool:
        return self.effective_action in (Action.TEMP_BLOCK, Action.BLOCK)


def distrust_reasons(facts: CallerFacts, policy: Policy) -> tuple[str, ...]:
    """Signals that make a caller less trusted (lower escalation thresholds)."""
    reasons = []
    if facts.stir_verstat and facts.stir_verstat.startswith(STIR_FAILED_PREFIX):
        reasons.append(f"caller ID failed verification ({facts.stir_verstat})")
    country = (facts.from_country or "").upper()
    state = (facts.from_state or "").upper()
    if _calls_from_its_satellite(facts, country, state):
        # A registered satellite chair calling from where their caucus meets (Paris, or
        # Tucson) is where they should be, not a foreign or out-of-state caller.
        return tuple(reasons)
    if country and country != policy.home_country:
        reasons.append(f"calling from abroad ({country})")
    elif state and state != policy.home_state and country == policy.home_country:
        reasons.append(f"calling from out of state ({state})")
    return tuple(reasons)


def _calls_from_its_satellite(facts: CallerFacts, country: str, state: str) -> bool:
    if not facts.chair_satellite:
        return False
    place_country, _, place_state = facts.chair_satellite.partition("-")
    return country == place_country and (not place_state or state == place_state)


def decide(facts: CallerFacts, policy: Policy) -> Verdict:
    return _apply_mode(_decide_enforced(facts, policy), policy)


def _apply_mode(verdict: Verdict, policy: Policy) -> Verdict:
    """In log-only mode a verdict that would stop the call (or make it strict) is recorded,
    not enforced.
    """
    if policy.log_only and (
        verdict.strict or verdict.action not in (Action.FAST_TRACK, Action.CHALLENGE)
    ):
        return replace(
            verdict,
            reasons=verdict.reasons + ("log-only mode: not enforced",),
            enforced=False,
            strict=False,
        )
    return verdict


def _decide_enforced(facts: CallerFacts, policy: Policy) -> Verdict:
    distrust = distrust_reasons(facts, policy)
    chair = facts.chair_precinct

    # Named among the reasons of whoever still gets through on a retired number.
    retired = (RETIRED_NUMBER,) if facts.called_retired_number else ()

    if facts.admin_allowed:
        return _let_in(chair, ("allowed by an admin",) + retired + distrust)

    if chair is not None:
        # A registered chair number is never escalated: blocking it would let a
        # troll who spoofs the chair's number lock the chair out. The PIN is
        # still required; a caller ID that failed verification loses the fast
        # track and must also key in the precinct.
        registered = (
            (
                (
                    f"registered to satellite caucus {chair} (meets in {facts.chair_satellite})"
                    if facts.chair_satellite
                    else f"registered to precinct {chair}"
                ),
            )
            + retired
            + distrust
        )
        if distrust and facts.stir_verstat and facts.stir_verstat.startswith(STIR_FAILED_PREFIX):
            return Verdict(Action.CHALLENGE, registered)
        return Verdict(Action.FAST_TRACK, registered, chair_precinct=chair)

    flood = _flood_reason(facts, policy)

    if facts.withheld:
        if facts.withheld_pin_failures >= policy.pin_failures_withheld:
            return Verdict(
                Action.DIVERT,
                (
                    "caller ID withheld",
                    f"{facts.withheld_pin_failures} failed PINs from withheld callers in "
                    f"the last {_window(policy.long_window_s)} (at {policy.pin_failures_withheld})",
                )
                + distrust,
                divert_message=DivertMessage.WITHHELD,
            )
        if facts.called_retired_number:
            return _number_changed(("caller ID withheld",) + distrust)
        if flood:
            return Verdict(Action.CHALLENGE, (flood,) + distrust, strict=True)
        return Verdict(Action.CHALLENGE, ("caller ID withheld",) + distrust)

    if facts.verified_recently:
        return Verdict(Action.CHALLENGE, ("verified a PIN recently",) + retired + distrust)

    # Flood mode and a retired number make the challenge stricter; neither spares a
    # redialling number the escalation it has earned (a block costs less than a prompt).
    escalated = _escalate(facts, policy, distrust)
    if escalated is not None:
        return escalated
    if facts.called_retired_number:
        return _number_changed(
            (f"no PIN verified from this number in the last {_window(policy.long_window_s)}",)
            + distrust
        )
    if flood:
        return Verdict(Action.CHALLENGE, (flood,) + distrust, strict=True)
    return Verdict(Action.CHALLENGE, ("unknown caller",) + distrust)


def _flood_reason(facts: CallerFacts, policy: Policy) -> str | None:
    """Why flood mode applies to this caller, or None: it is off, or the caller verified a
    PIN recently.
    """
    if facts.verified_recently:
        return None
    if facts.flood_switch:
        return "flood mode switched on by an admin"
    auto = policy.flood_auto_calls_per_minute
    if auto > 0 and facts.calls_this_minute >= auto:
        return f"flood mode: {facts.calls_this_minute} calls this minute (at {auto})"
    return None


def _escalate(facts: CallerFacts, policy: Policy, distrust: tuple[str, ...]) -> Verdict | None:
    """A block or divert the number's own record calls for, or None."""
    escalation = policy.escalation
    limits = escalation.untrusted if distrust else escalation.normal
    if facts.calls_long >= limits.temp_block_calls_long:
        why = (
            f"{facts.calls_long} calls in {_window(policy.long_window_s)} "
            f"(temporary block at {limits.temp_block_calls_long})",
        ) + distrust
        if facts.temp_blocks >= escalation.block_after_temp_blocks:
            return Verdict(
                Action.BLOCK,
                why + (f"already temporarily blocked {facts.temp_blocks} times",),
            )
        return Verdict(Action.TEMP_BLOCK, why, block_for_s=escalation.temp_block_for_s)

    if facts.calls_short >= limits.divert_calls_short:
        return Verdict(
            Action.DIVERT,
            (
                f"{facts.calls_short} calls in {_window(policy.short_window_s)} "
                f"(divert at {limits.divert_calls_short})",
            )
            + distrust,
        )
    if facts.instant_hangups_long >= escalation.divert_instant_hangups:
        return Verdict(
            Action.DIVERT,
            (
                f"{facts.instant_hangups_long} instant hang-ups in "
                f"{_window(policy.long_window_s)} (divert at {escalation.divert_instant_hangups})",
            )
            + distrust,
        )
    if facts.flags >= escalation.divert_flags:
        return Verdict(
            Action.DIVERT,
            (f"flagged by volunteers {facts.flags} times (divert at {escalation.divert_flags})",)
            + distrust,
        )
    return None


def decide_after_pin_failure(
    failures_long: int, temp_blocks: int, policy: Policy, *, protected: bool
) -> Verdict | None:
    """Whether a number that just failed a PIN is now blocked; None if not.

    Only the number is ever blocked, never the precinct: a troll failing on
    purpose must not lock a chair out. A protected number (registered to a
    chair or a volunteer, or allowed by an admin) is never blocked either,
    whichever precinct it keyed: caller ID is easily spoofed, and blocking it
    would shut the real chair or volunteer out. Its failures still spend the
    budgets of the PIN defence (triage/pins.py), which bound guessing.
    """
    if protected or failures_long < policy.pin_failures_per_number:
        return None
    why = (
        f"{failures_long} failed PINs in {_window(policy.long_window_s)} "
        f"(temporary block at {policy.pin_failures_per_number})",
    )
    if temp_blocks >= policy.escalation.block_after_temp_blocks:
        verdict = Verdict(Action.BLOCK, why + (f"already temporarily blocked {temp_blocks} times",))
    else:
        verdict = Verdict(Action.TEMP_BLOCK, why, block_for_s=policy.pin_temp_block_for_s)
    return _apply_mode(verdict, policy)


def _number_changed(why: tuple[str, ...]) -> Verdict:
    """A caller on a retired number who is neither a chair nor known: told the number
    changed and that chairs were texted the new one (never the new number: a troll would
    simply call it), and given flood mode's one short chance to key a precinct, its PIN
    and its backup code. A chair without a registered phone, who was not texted, still
    gets through; a troll hears one prompt and goes.
    """
    return Verdict(
        Action.CHALLENGE,
        (RETIRED_NUMBER,) + why,
        strict=True,
        challenge_message=ChallengeMessage.NUMBER_CHANGED,
    )


def _let_in(chair: str | None, reasons: tuple[str, ...]) -> Verdict:
    if chair is not None:
        return Verdict(Action.FAST_TRACK, reasons, chair_precinct=chair)
    return Verdict(Action.CHALLENGE, reasons)
