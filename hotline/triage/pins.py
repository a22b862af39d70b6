"""The PIN defence: how many guesses anyone gets, and what proves a person once they are spent.

Caller ID can be spoofed (a registered chair's or volunteer's number included) and a troll
can use any number of numbers, so limits per calling number cannot bound guessing. The
bound comes from budgets on what is guessed at: at most `per_target` failed PIN evaluations
per precinct (and per volunteer) in any `window_s`, and at most `hotline_wide` across the
whole hotline. A budget is reserved atomically before a PIN is checked, so parallel calls
cannot overrun it.

Once a budget is spent the PIN alone is not checked at all, so a guess made then learns
nothing. The person is proved another way that a spoofer cannot pass: a call back to the
registered phone (he cannot answer a phone he does not hold), or, when that is not possible,
the backup code printed beside the PIN on the PIN sheet, checked together with the PIN.
A precinct is never locked: the real chair always has a way in, at most one step longer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class PinDefence:
    # Failed PIN evaluations allowed per precinct or volunteer, and hotline-wide, in any window.
    window_s: float = 3600.0
    per_target: int = 5
    hotline_wide: int = 1000
    # Failed PINs hotline-wide within alarm_window_s that raise the admins' alarm, and that
    # switch flood mode on by themselves.
    alarm_window_s: float = 600.0
    alarm_failures: int = 60
    flood_failures: int = 120
    # Calls back to one registered phone: at least this far apart, at most so many a window.
    callback_spacing_s: float = 180.0
    callbacks_per_window: int = 4


class SecondFactor(StrEnum):
    CALL_BACK = "call-back"  # the registered phone is called, and the PIN keyed there
    BACKUP_CODE = "backup-code"  # the PIN sheet's backup code, checked with the PIN


class AlarmLevel(StrEnum):
    QUIET = "quiet"
    ALARM = "alarm"  # admins see a banner
    FLOOD = "flood"  # and flood mode goes on by itself


@dataclass(frozen=True)
class PinAlarm:
    level: AlarmLevel
    failures: int
    window_s: float

    @property
    def raised(self) -> bool:
        return self.level is not AlarmLevel.QUIET


def pin_alarm(failures_in_window: int, defence: PinDefence) -> PinAlarm:
    """The alarm state from the hotline-wide failed PINs within the alarm window."""
    if failures_in_window >= defence.flood_failures:
        level = AlarmLevel.FLOOD
    elif failures_in_window >= defence.alarm_failures:
        level = AlarmLevel.ALARM
    else:
        level = AlarmLevel.QUIET
    return PinAlarm(level, failures_in_window, defence.alarm_window_s)


@dataclass(frozen=True)
class GuessBound:
    """What the budgets allow a guesser over a night, and the expected successes."""

    hours: float
    pin_digits: int
    windows: int  # budget windows the night spans
    evaluations: int  # failed PIN evaluations hotline-wide, at most
    per_target: int  # of which against one precinct or volunteer, at most
    expected_successes: float


def guess_bound(defence: PinDefence, *, hours: float, pin_digits: int) -> GuessBound:
    """The most a guesser can get in `hours`, against PINs of `pin_digits` random digits.

    Any stretch of one window holds at most `hotline_wide` failed evaluations (a check is
    made only while fewer are on record), so a night spanning k windows holds at most
    k * hotline_wide. A guesser who never repeats a guess against one target raises his
    odds only as far as 1 / (10^d - k * per_target) a guess. By the union bound the
    expected number of successes anywhere is at most the evaluations times that.
    """
    windows = math.ceil(hours * 3600.0 / defence.window_s)
    evaluations = windows * defence.hotline_wide
    per_target = windows * defence.per_target
    space = 10**pin_digits - per_target
    return GuessBound(
        hours=hours,
        pin_digits=pin_digits,
        windows=windows,
        evaluations=evaluations,
        per_target=per_target,
        expected_successes=evaluations / space,
    )
