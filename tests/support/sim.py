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
        "chairs": {
            "count": 40,
            "answered": 19,
            "abandoned": 0,
            "calls": 40,
            "called_back": 5,
            "wait_p50_s": 188.7,
            "wait_p90_s": 321.1,
            "wait_p99_s": 395.7,
            "wait_max_s": 395.7,
            "get_in_p50_s": 22.4,
            "get_in_p90_s": 32.9,
            "get_in_max_s": 43.3,
        },
        "nuisance": {
            "numbers": 6,
            "calls": 81,
            "rejected": 20,
            "diverted": 9,
            "reached_volunteer": 0,
        },
        "info": {
            "calls": 8,
            "reached_volunteer": 0,
        },
        "volunteers": {
            "count": 3,
            "chair_seconds": 3402.2,
            "nuisance_seconds": 0,
            "info_seconds": 0,
            "get_in_max_s": 16.4,
        },
        "attacks": {
            "guesses": 6,
            "pin_checks": 56,
            "pin_checks_peak": 3,
            "pin_successes": 0,
            "success_bound": 0.001,
        },
        "reports": {
            "taken": 40,
            "keypad": 21,
            "volunteer": 19,
            "volunteer_minutes_per_report": 2.98,
            "stored": 35,
            "held_back": 5,
            "stored_blocking": 0,
            "keypad_mistakes": 16,
            "keypad_uncaught": 3,
            "time_p50_s": 224.6,
            "time_p90_s": 403.8,
            "time_max_s": 650.6,
        },
    },
    "fifo": {
        "chairs": {
            "count": 40,
            "answered": 40,
            "abandoned": 0,
            "calls": 47,
            "called_back": 0,
            "wait_p50_s": 319.5,
            "wait_p90_s": 937.6,
            "wait_p99_s": 1684.3,
            "wait_max_s": 1684.3,
            "get_in_p50_s": 5.2,
            "get_in_p90_s": 5.2,
            "get_in_max_s": 5.2,
        },
        "nuisance": {
            "numbers": 6,
            "calls": 43,
            "rejected": 0,
            "diverted": 0,
            "reached_volunteer": 43,
        },
        "info": {
            "calls": 8,
            "reached_volunteer": 5,
        },
        "volunteers": {
            "count": 3,
            "chair_seconds": 7309.6,
            "nuisance_seconds": 1316.5,
            "info_seconds": 296.8,
            "get_in_max_s": 0.0,
        },
        "attacks": {
            "guesses": 0,
            "pin_checks": 0,
            "pin_checks_peak": 0,
            "pin_successes": 0,
            "success_bound": None,
        },
        "reports": {
            "taken": 40,
            "keypad": 0,
            "volunteer": 40,
            "volunteer_minutes_per_report": 3.05,
            "stored": None,
            "held_back": None,
            "stored_blocking": None,
            "keypad_mistakes": 0,
            "keypad_uncaught": None,
            "time_p50_s": 562.0,
            "time_p90_s": 1239.9,
            "time_max_s": 1877.2,
        },
    },
    "calm": {
        "chairs": {
            "count": 40,
            "answered": 19,
            "abandoned": 0,
            "calls": 40,
            "called_back": 5,
            "wait_p50_s": 188.7,
            "wait_p90_s": 321.1,
            "wait_p99_s": 395.7,
            "wait_max_s": 395.7,
            "get_in_p50_s": 22.4,
            "get_in_p90_s": 32.9,
            "get_in_max_s": 43.3,
        },
        "nuisance": {
            "numbers": 0,
            "calls": 0,
            "rejected": 0,
            "diverted": 0,
            "reached_volunteer": 0,
        },
        "info": {
            "calls": 8,
            "reached_volunteer": 0,
        },
        "volunteers": {
            "count": 3,
            "chair_seconds": 3402.2,
            "nuisance_seconds": 0,
            "info_seconds": 0,
            "get_in_max_s": 16.4,
        },
        "attacks": {
            "guesses": 0,
            "pin_checks": 50,
            "pin_checks_peak": 2,
            "pin_successes": 0,
            "success_bound": 0.001,
        },
        "reports": {
            "taken": 40,
            "keypad": 21,
            "volunteer": 19,
            "volunteer_minutes_per_report": 2.98,
            "stored": 35,
            "held_back": 5,
            "stored_blocking": 0,
            "keypad_mistakes": 16,
            "keypad_uncaught": 3,
            "time_p50_s": 224.6,
            "time_p90_s": 403.8,
            "time_max_s": 650.6,
        },
    },
}


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
"""
# The chairs' 90th-percentile wait on that night with seed 1, by volunteers on duty
# (under Hotline's triage); whatever counts a search tries, these are their waits.
SMALL_P90 = {1: 2978.1, 2: 957.1, 3: 338.4, 4: 141.7, 5: 48.0, 6: 46.1, 7: 46.1, 8: 46.1}
# A target of a minute: five volunteers meet it, four do not.
SMALL_TARGET_S = 60.0
SMALL_VOLUNTEERS = 5


def assert_report_figures_hold_together(figures: dict[str, Any]) -> None:
    """What any night's report figures must satisfy, whatever the seed: every report taken
    is counted once by channel; on Hotline's nights every report taken is stored or held
    back by the checks, never stored with a blocking error; a chair's time to report is
    never shorter than their wait (the wait ends when a volunteer answers or the keypad
    report is stored; the report is taken at that moment or later).
    """
    chairs, reports = figures["chairs"], figures["reports"]
    assert reports["keypad"] + reports["volunteer"] == reports["taken"]
    assert reports["taken"] + chairs["abandoned"] == chairs["count"]
    if reports["stored"] is not None:
        assert reports["stored"] + reports["held_back"] == reports["taken"]
        assert reports["stored_blocking"] == 0
        assert 0 <= reports["keypad_uncaught"] <= reports["keypad_mistakes"]
    else:  # the 2020 line: no keypad, a volunteer takes every report
        assert reports["keypad"] == reports["keypad_mistakes"] == 0
    for p in ("p50", "p90"):
        assert reports[f"time_{p}_s"] >= chairs[f"wait_{p}_s"]
    assert reports["time_max_s"] >= chairs["wait_max_s"]
