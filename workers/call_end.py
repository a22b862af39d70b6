"""Job: the bookkeeping after a call ends, off the webhook's path.

It records the verdict of calls that took the common path (the webhook
leaves that to keep a challenge at one Redis round trip), and feeds the
caller's reputation: a call that ended within seconds, unverified, is an
instant hang-up.
"""

from __future__ import annotations

from hotline.log_context import about_call
from hotline.store.calls import facts_from_script
from hotline.triage import Action, decide
from workers import runtime


def process_call_end(call_sid: str) -> dict[str, object]:
    with about_call(call_sid):
        return _process(call_sid)


def _process(call_sid: str) -> dict[str, object]:
    services = runtime.current()
    store, policy = services.store, services.settings.policy
    record = store.calls.get(call_sid)
    if record is None or record.ended_at is None:
        return {"call_sid": call_sid, "skipped": "no ended call"}

    verdict_name = record.verdict
    if verdict_name is None and record.facts:
        verdict = decide(facts_from_script(record.facts, record.request), policy)
        store.calls.record_verdict(call_sid, verdict)
        verdict_name = verdict.action.value

    instant_hangup = (
        record.number is not None
        and record.verified_at is None
        and verdict_name in (Action.CHALLENGE.value, Action.FAST_TRACK.value)
        and record.started_at is not None
        and _call_length(record) <= policy.escalation.instant_hangup_within_s
    )
    hangups = None
    if instant_hangup:
        hangups = store.reputation.record_instant_hangup(
            record.number, call_sid, policy.long_window_s, now=record.ended_at
        )
    return {"call_sid": call_sid, "verdict": verdict_name, "instant_hangups": hangups}


def _call_length(record) -> float:
    # Twilio's CallDuration when it sent one, else our own start and end times.
    if record.duration_s is not None:
        return record.duration_s
    return record.ended_at - record.started_at
