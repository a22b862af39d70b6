"""Job: the bookkeeping after a call ends, off the webhook's path.

It records and counts the verdict of calls that took the common path (the webhook
leaves that to keep a challenge at one Redis round trip), judged again from the facts
and by the thresholds the call was judged by (its record names their version), and feeds
the caller's reputation: a call that ended within seconds, unverified, is an instant
hang-up.
"""

from __future__ import annotations

from hotline.log_context import about_call
from hotline.store.calls import facts_from_script
from hotline.store.tonight import NO_VERSION
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
    if record.facts and (verdict_name is None or record.counted is None):
        judged_by = store.tonight.policy_at(record.facts.get("policy_version", NO_VERSION))
        verdict = decide(facts_from_script(record.facts, record.request), judged_by)
        arrived_at = record.started_at if record.started_at is not None else record.ended_at
        if verdict_name is None:
            store.calls.record_verdict(call_sid, verdict, arrived_at=arrived_at)
            verdict_name = verdict.action.value
        else:
            store.calls.count_verdict(call_sid, verdict, arrived_at=arrived_at)

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
