"""A call arrives: checked against the blocks in force, counted, judged by the triage
policy, and the verdict's block applied. The routes (the chairs' line and the volunteer
line) turn the outcome into TwiML.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.enforcement import apply_block
from hotline.services import Services
from hotline.triage import Action, Verdict, decide

# The verdicts most calls get. Their record, and their count among the night's figures
# (store/night_figures.py), wait for the call-end job, keeping the common arrival to one Redis
# round trip.
COMMON_PATH = (Action.CHALLENGE, Action.FAST_TRACK)


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    # The language of a registered chair's precinct, when it has its own.
    chair_language: str | None = None


def judge(
    svc: Services, *, call_sid: str, number: str | None, request: dict[str, str]
) -> Judged | None:
    """The verdict on an arriving call, or None when a block is already in force (the
    call is refused without a verdict). It is judged by the policy in force, tonight's
    thresholds included (store/tonight.py), which the same round trip brought. A verdict
    off the common path is recorded and counted now, with any block it calls for.
    """
    arrival = svc.store.calls.arrive(
        now=svc.clock.now(), call_sid=call_sid, number=number, request=request
    )
    if arrival.block is not None:
        return None
    verdict = decide(arrival.facts, arrival.policy)
    if not verdict.enforced or verdict.effective_action not in COMMON_PATH:
        record(svc, call_sid, number, verdict)
    return Judged(verdict, arrival.chair_language)


def record(svc: Services, call_sid: str, number: str | None, verdict: Verdict) -> None:
    """Keep and count the call's verdict, and write the block it calls for, if any."""
    svc.store.calls.record_verdict(call_sid, verdict, arrived_at=svc.clock.now())
    apply_block(svc.store, number, verdict)
