"""The report: nearest-rank percentiles, durations as a clock reads them, the side-by-side
table, and the figures written as JSON.
"""

from __future__ import annotations

import json

import pytest

from hotline.sim.report import clock_text, percentile, render, write_json

# Wikipedia's worked example of the nearest-rank method.
FIVE = [15, 20, 35, 40, 50]


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0, 15), (5, 15), (20, 15), (30, 20), (40, 20), (50, 35), (80, 40), (81, 50), (100, 50)],
)
def test_percentile_is_the_nearest_rank(p, expected):
    assert percentile(FIVE, p) == expected


def test_percentile_sorts_its_input_and_leaves_it_alone():
    values = [50, 15, 40, 20, 35]

    assert (percentile(values, 50), percentile(values, 90)) == (35, 50)
    assert values == [50, 15, 40, 20, 35]


def test_percentile_of_nothing_is_zero_and_of_one_value_that_value():
    assert percentile([], 90) == 0.0
    assert [percentile([7.5], p) for p in (0, 50, 99, 100)] == [7.5] * 4


def test_percentile_ranks_are_whole_where_they_should_be():
    # 7 / 100 * 100 is a hair above 7 in floating point; the 7th percentile of 1..100 is 7.
    hundred = list(range(1, 101))

    assert [percentile(hundred, p) for p in (1, 7, 14, 28, 29, 56, 57, 90, 99)] == [
        1,
        7,
        14,
        28,
        29,
        56,
        57,
        90,
        99,
    ]
    assert percentile(list(range(1, 26)), 28) == 7  # rank 28 * 25 / 100 = 7, exactly


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.4, "0s"),
        (0.6, "1s"),
        (42, "42s"),
        (59.4, "59s"),
        (59.6, "1m00s"),
        (60, "1m00s"),
        (845, "14m05s"),
        (3599, "59m59s"),
        (3600, "1h00m"),
        (3720, "1h02m"),
        (3779, "1h02m"),
        (7199.6, "2h00m"),
        (114_000, "31h40m"),
    ],
)
def test_clock_text(seconds, text):
    assert clock_text(seconds) == text


def night(**sections) -> dict:
    figures = {
        "chairs": {
            "count": 0,
            "answered": 0,
            "abandoned": 0,
            "calls": 0,
            "called_back": 0,
            "wait_p50_s": 0.0,
            "wait_p90_s": 0.0,
            "wait_p99_s": 0.0,
            "wait_max_s": 0.0,
            "get_in_p50_s": 0.0,
            "get_in_p90_s": 0.0,
            "get_in_max_s": 0.0,
        },
        "nuisance": {
            "numbers": 0,
            "calls": 0,
            "rejected": 0,
            "diverted": 0,
            "reached_volunteer": 0,
        },
        "info": {"calls": 0, "reached_volunteer": 0},
        "volunteers": {
            "count": 0,
            "chair_seconds": 0.0,
            "nuisance_seconds": 0.0,
            "info_seconds": 0.0,
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
            "taken": 0,
            "keypad": 0,
            "volunteer": 0,
            "volunteer_minutes_per_report": 0.0,
            "stored": None,
            "held_back": None,
            "stored_blocking": None,
            "keypad_mistakes": 0,
            "keypad_uncaught": None,
            "time_p50_s": 0.0,
            "time_p90_s": 0.0,
            "time_max_s": 0.0,
        },
        "run": {"wall_s": 1.5, "webhooks": 10},
    }
    for section, values in sections.items():
        figures[section] = {**figures[section], **values}
    return figures


def test_render_lays_the_policies_side_by_side():
    results = {
        "triage": night(
            chairs={
                "count": 1681,
                "answered": 1650,
                "abandoned": 31,
                "calls": 2012,
                "called_back": 120,
                "wait_p50_s": 95.4,
                "wait_p90_s": 754.6,
                "wait_p99_s": 3725.0,
                "wait_max_s": 7199.6,
                "get_in_p90_s": 31.2,
                "get_in_max_s": 240.0,
            },
            nuisance={"calls": 25000, "rejected": 20000, "diverted": 4000},
            info={"calls": 1200, "reached_volunteer": 950},
            volunteers={"count": 50, "info_seconds": 114000.0, "get_in_max_s": 75.0},
            attacks={
                "guesses": 10412,
                "pin_checks": 4870,
                "pin_checks_peak": 6,
                "success_bound": 0.0050001,
            },
            reports={
                "taken": 1660,
                "keypad": 990,
                "volunteer": 670,
                "volunteer_minutes_per_report": 5.04,
                "stored": 1600,
                "held_back": 60,
                "stored_blocking": 0,
                "keypad_mistakes": 80,
                "keypad_uncaught": 31,
                "time_p50_s": 400.0,
                "time_p90_s": 1500.0,
                "time_max_s": 7300.0,
            },
        ),
        "fifo": night(
            chairs={
                "count": 1681,
                "answered": 900,
                "abandoned": 781,
                "calls": 5400,
                "wait_p50_s": 5400.0,
                "wait_p90_s": 10800.0,
                "wait_p99_s": 12000.0,
                "wait_max_s": 14400.0,
            },
            nuisance={"calls": 3000, "reached_volunteer": 2900},
            info={"calls": 1200, "reached_volunteer": 600},
            volunteers={"count": 50, "nuisance_seconds": 130500.0, "info_seconds": 72000.0},
            attacks={"pin_successes": 3},
            reports={
                "taken": 900,
                "volunteer": 900,
                "volunteer_minutes_per_report": 5.0,
                "time_p50_s": 5700.0,
                "time_p90_s": 11100.0,
                "time_max_s": 14700.0,
            },
        ),
        "staffed": night(volunteers={"count": 80}),
    }

    text = render(results, title="iowa-2020, seed 1")

    assert text.split("\n") == [
        "iowa-2020, seed 1",
        "",
        "                                       Hotline     2020 line       staffed",
        "--------------------------------------------------------------------------",
        "Chairs who called                        1,681         1,681             0",
        "  answered by a volunteer                1,650           900             0",
        "  gave up                                   31           781             0",
        "  calls placed                           2,012         5,400             0",
        "  asked to be called back                  120             0             0",
        "  wait, median                           1m35s         1h30m            0s",
        "  wait, 90th percentile                 12m35s         3h00m            0s",
        "  wait, 99th percentile                  1h02m         3h20m            0s",
        "  wait, longest                          2h00m         4h00m            0s",
        "  time to get in, 90th pct                 31s            0s            0s",
        "  time to get in, longest                4m00s            0s            0s",
        "Reports taken                            1,660           900             0",
        "  on the keypad                            990             0             0",
        "  by a volunteer                           670           900             0",
        "  volunteer minutes per report             5.0           5.0           0.0",
        "  stored                                 1,600             -             -",
        "  held back by the checks                   60             -             -",
        "  stored with a blocking error               0             -             -",
        "  keypad mistakes made                      80             0             0",
        "  keypad mistakes stored                    31             -             -",
        "  time to report, median                 6m40s         1h35m            0s",
        "  time to report, 90th pct              25m00s         3h05m            0s",
        "  time to report, longest                2h01m         4h05m            0s",
        "Nuisance calls placed                   25,000         3,000             0",
        "  rejected unanswered                   20,000             0             0",
        "  diverted to a message                  4,000             0             0",
        "  reached a volunteer                        0         2,900             0",
        "Information calls                        1,200         1,200             0",
        "  reached a volunteer                      950           600             0",
        "Volunteers                                  50            50            80",
        "  time on nuisance calls                    0s        36h15m            0s",
        "  time on information calls             31h40m        20h00m            0s",
        "  time to get on duty, longest           1m15s            0s            0s",
        "PINs and backup codes guessed           10,412             0             0",
        "PIN checks made                          4,870             0             0",
        "  most on one target in an hour              6             0             0",
        "PIN guesses that got in                      0             3             0",
        "  expected at most (the bound)          0.0050             -             -",
    ]


def test_write_json_writes_sorted_indented_figures_and_makes_the_folder(tmp_path):
    results = {"triage": {"chairs": {"count": 2, "answered": 1}, "attacks": {"pin": 0}}}
    path = tmp_path / "out" / "deeper" / "figures.json"

    written = write_json(path, results)

    assert written == path
    assert path.read_text() == (
        "{\n"
        '  "triage": {\n'
        '    "attacks": {\n'
        '      "pin": 0\n'
        "    },\n"
        '    "chairs": {\n'
        '      "answered": 1,\n'
        '      "count": 2\n'
        "    }\n"
        "  }\n"
        "}\n"
    )
    assert json.loads(path.read_text()) == results
