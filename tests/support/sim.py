"""The `smoke` scenario's figures for seed 1, as hotline.sim.report.figures gives them
(without the "run" section, which is the run's wall time and webhook count): read from a
run once and pinned here. Any change in the app, the simulator or the scenario that
changes what a chair lives through on that night shows up as a difference.
"""

from __future__ import annotations

from typing import Any

SMOKE_SEED = 1

SMOKE_FIGURES: dict[str, dict[str, Any]] = {
    "triage": {
        "chairs": {"count": 40, "answered": 40, "abandoned": 0, "calls": 45,
                   "wait_p50_s": 284.5, "wait_p90_s": 604.0, "wait_p99_s": 949.9,
                   "wait_max_s": 949.9},
        "nuisance": {"numbers": 6, "calls": 81, "rejected": 20, "diverted": 9,
                     "reached_volunteer": 0},
        "info": {"calls": 8, "reached_volunteer": 0},
        "volunteers": {"count": 3, "chair_seconds": 7106.5, "nuisance_seconds": 0,
                       "info_seconds": 0},
        "attacks": {"pin_successes": 0},
    },
    "fifo": {
        "chairs": {"count": 40, "answered": 40, "abandoned": 0, "calls": 53,
                   "wait_p50_s": 507.2, "wait_p90_s": 1199.2, "wait_p99_s": 1849.8,
                   "wait_max_s": 1849.8},
        "nuisance": {"numbers": 6, "calls": 36, "rejected": 0, "diverted": 0,
                     "reached_volunteer": 36},
        "info": {"calls": 8, "reached_volunteer": 4},
        "volunteers": {"count": 3, "chair_seconds": 7175.1, "nuisance_seconds": 1127.3,
                       "info_seconds": 247.7},
        "attacks": {"pin_successes": 0},
    },
    "calm": {
        "chairs": {"count": 40, "answered": 40, "abandoned": 0, "calls": 45,
                   "wait_p50_s": 284.5, "wait_p90_s": 604.0, "wait_p99_s": 949.9,
                   "wait_max_s": 949.9},
        "nuisance": {"numbers": 0, "calls": 0, "rejected": 0, "diverted": 0,
                     "reached_volunteer": 0},
        "info": {"calls": 8, "reached_volunteer": 0},
        "volunteers": {"count": 3, "chair_seconds": 7106.5, "nuisance_seconds": 0,
                       "info_seconds": 0},
        "attacks": {"pin_successes": 0},
    },
}  # fmt: skip


def without_run(figures: dict[str, Any]) -> dict[str, Any]:
    """A night's figures without the "run" section (wall time varies from run to run)."""
    return {section: values for section, values in figures.items() if section != "run"}


# A small night for the staffing planner: 30 chairs in an hour, two nuisance numbers.
SMALL_SCENARIO = """\
[night]
name = "small"
description = "30 chairs in an hour, two nuisance numbers"
duration = "1h"

[roster]
file = "data/iowa-2020/precincts.csv"
format = "iowa-2020"

[chairs]
count = 30
arrival = { shape = "normal", start = "0m", end = "50m", peak = "25m", spread = "10m" }
registered_phone_share = 0.3
mistype_pin_share = 0.1
patience = "15m"
call_back_after = "2m"
max_calls = 4
talk = "3m"

[nuisance]
numbers = 2
start = "10m"
end = "50m"
redial_every = "3m"
hang_up_after = "5s"
hold_patience = "20m"
talk = "30s"
gives_up_after_busy = 3

[volunteers]
count = 1
wrap_up = "15s"
"""
# The chairs' 90th-percentile wait on that night with seed 1, by volunteers on duty
# (under Hotline's triage); whatever counts a search tries, these are their waits.
SMALL_P90 = {1: 3319.9, 2: 1387.9, 3: 376.8, 4: 109.7, 5: 33.0, 6: 31.2, 7: 31.2, 8: 31.2}
# A target of a minute: five volunteers meet it, four do not.
SMALL_TARGET_S = 60.0
SMALL_VOLUNTEERS = 5
