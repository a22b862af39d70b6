"""Pure triage decisions: facts about a caller in, a verdict with reasons out.

Nothing in this package talks to Flask, Redis or Twilio, so every rule can be
tested with plain values.
"""

from hotline.triage.facts import CallerFacts
from hotline.triage.pins import (
    AlarmLevel,
    GuessBound,
    PinAlarm,
    PinDefence,
    SecondFactor,
    guess_bound,
    pin_alarm,
)
from hotline.triage.policy import (
    Action,
    Escalation,
    Policy,
    Thresholds,
    Verdict,
    decide,
    decide_after_pin_failure,
)

__all__ = [
    "Action",
    "AlarmLevel",
    "GuessBound",
    "PinAlarm",
    "PinDefence",
    "SecondFactor",
    "guess_bound",
    "pin_alarm",
    "CallerFacts",
    "Escalation",
    "Policy",
    "Thresholds",
    "Verdict",
    "decide",
    "decide_after_pin_failure",
]
