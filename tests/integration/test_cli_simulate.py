"""`hotline simulate` and `hotline plan` through click, as an admin runs them: each starts a
throw-away Redis of its own (a simulation flushes its databases), so no environment is
needed. The figures are the pinned ones of tests/support/sim.py.
"""

from __future__ import annotations

import json
import numbers

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.sim.report import clock_text, render
from tests.support.sim import (
    SMALL_P90,
    SMALL_SCENARIO,
    SMOKE_FIGURES,
    SMOKE_SEED,
    assert_report_figures_hold_together,
)

# The figures a caller of `simulate --json` can rely on.
FIGURE_KEYS = {
    "chairs": {
        "count",
        "answered",
        "abandoned",
        "wait_p50_s",
        "wait_p90_s",
        "wait_p99_s",
        "wait_max_s",
    },
    "nuisance": {"calls", "rejected", "diverted", "reached_volunteer"},
    "volunteers": {"nuisance_seconds"},
    "attacks": {"pin_successes"},
    "reports": {
        "taken",
        "keypad",
        "volunteer",
        "volunteer_minutes_per_report",
        "keypad_mistakes",
        "time_p50_s",
        "time_p90_s",
        "time_max_s",
    },
}
# The bar beside each count in `plan`'s curve: a "#" a minute of p90 wait.
BARS = {1: "#" * 50, 2: "#" * 15, 3: "#####", 4: "##", 5: "", 6: "", 7: "", 8: ""}
# What `plan` says it assumed about the keypad: the small night has no keypad chairs.
SMALL_SHARE_LINE = (
    "Keypad share 0: a chair on the keypad waits until their report is stored, "
    "the others until a volunteer answers."
)


@pytest.fixture
def hotline(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), prog_name="hotline", catch_exceptions=False)

    return run


def test_simulate_smoke_writes_the_figures_and_the_chart(hotline, tmp_path):
    figures_path = tmp_path / "out" / "smoke.json"
    chart_path = tmp_path / "out" / "smoke.html"

    result = hotline(
        "simulate",
        "smoke",
        "--seed",
        str(SMOKE_SEED),
        "--json",
        str(figures_path),
        "--chart",
        str(chart_path),
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        render(SMOKE_FIGURES, title="smoke, seed 1") + "\n"
        f"\nFigures: {figures_path}\n"
        f"Chart: {chart_path}\n"
    )
    assert result.stderr.startswith(
        "Simulating smoke: 40 chairs in an hour, 6 nuisance numbers, 3 volunteers (seed 1)\n"
        "Simulated in "
    )
    figures = json.loads(figures_path.read_text())
    assert set(figures) == {"triage", "fifo", "calm"}
    for policy, night in figures.items():
        for section, names in FIGURE_KEYS.items():
            assert names <= set(night[section]), (policy, section)
            for name in names:
                value = night[section][name]
                assert isinstance(value, numbers.Real) and not isinstance(value, bool)
    assert figures == SMOKE_FIGURES
    for night in figures.values():
        assert_report_figures_hold_together(night)
    chart = chart_path.read_text()
    assert chart.lower().startswith("<!doctype html>")
    assert "<svg" in chart and "</svg>" in chart
    assert all(name in chart for name in ("Hotline", "2020 line", "calm night"))


def test_simulate_takes_the_keypad_share_from_the_command_line(hotline, tmp_path):
    figures_path = tmp_path / "smoke.json"

    result = hotline(
        "simulate",
        "smoke",
        "--keypad-share",
        "0",
        "--json",
        str(figures_path),
        "--chart",
        str(tmp_path / "chart.html"),
    )

    assert result.exit_code == 0, result.output
    figures = json.loads(figures_path.read_text())
    for night in figures.values():
        assert_report_figures_hold_together(night)
        assert night["reports"]["keypad"] == 0
        assert night["reports"]["volunteer"] == night["reports"]["taken"] == 40
    # The same people as at the scenario's share: only who keys their report changed.
    assert figures["fifo"] == SMOKE_FIGURES["fifo"]
    assert hotline("simulate", "smoke", "--keypad-share", "2").exit_code == 2


def test_simulate_an_unknown_scenario_names_the_known_ones(hotline, tmp_path):
    result = hotline("simulate", "nosuch", "--chart", str(tmp_path / "chart.html"))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: no scenario 'nosuch' (known: demo, demo-leak, iowa-2020, iowa-2020-leak, "
        "night-under-fire, pin-guessing, smoke, spoofer)\n"
    )
    assert not (tmp_path / "chart.html").exists()


def test_simulate_refuses_a_bad_roster_before_the_night_with_its_lines(hotline, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("precinct,county,name,pin\n1001,Adair,A,4829\n1001,Adair,B,771204\n")
    scenario = tmp_path / "mine.toml"
    scenario.write_text(f'extends = "smoke"\n[roster]\nfile = "{roster}"\nformat = "hotline"\n')

    result = hotline("simulate", str(scenario), "--chart", str(tmp_path / "chart.html"))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {scenario}: roster {roster}:\n"
        "line 2: pin must be 6 to 8 digits (shorter only with --allow-short-pins)\n"
    )
    assert not (tmp_path / "chart.html").exists()


def test_plan_prints_the_curve_and_the_answer(hotline, tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_SCENARIO, encoding="utf-8")

    result = hotline("plan", str(scenario), "--target-wait", "1m", "--seed", "1")

    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    # The share assumed, one line per count as it is tried (the order is the search's), then
    # the curve.
    tried = [int(line.split()[0]) for line in lines[2 : lines.index("")]]
    assert {4, 5} <= set(tried) <= set(SMALL_P90)
    assert len(set(tried)) == len(tried)
    assert lines == [
        "Planning small for a 90th-percentile wait under 1m00s:",
        SMALL_SHARE_LINE,
        *(f"  {n:>4} volunteers: p90 wait {clock_text(SMALL_P90[n])}" for n in tried),
        "",
        "Volunteers  p90 wait",
        *(f"{n:>10}  {clock_text(SMALL_P90[n]):>8}  {BARS[n]}" for n in sorted(tried)),
        "",
        "5 volunteers keep the chairs' 90th-percentile wait under 1m00s.",
        "",
    ]
    assert [clock_text(SMALL_P90[n]) for n in (1, 2, 3, 4, 5, 6)] == [
        "49m38s",
        "15m57s",
        "5m38s",
        "2m22s",
        "48s",
        "46s",
    ]


def test_plan_out_of_reach(hotline, tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_SCENARIO, encoding="utf-8")

    result = hotline("plan", str(scenario), "--target-wait", "1m", "--max-volunteers", "2")

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n\nNot reachable with 2 volunteers.\n")


def test_plan_says_the_keypad_share_it_assumed(hotline, tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_SCENARIO, encoding="utf-8")
    without_keypad = min(n for n, p90 in SMALL_P90.items() if p90 <= 600)

    keyed = hotline("plan", str(scenario), "--target-wait", "10m", "--keypad-share", "1")
    smoke = hotline("plan", "smoke", "--target-wait", "10m", "--max-volunteers", "1")

    assert keyed.exit_code == 0, keyed.output
    lines = keyed.stdout.split("\n")
    assert lines[1] == SMALL_SHARE_LINE.replace("share 0:", "share 1:")
    answer = lines[-2]
    assert answer.endswith(" volunteers keep the chairs' 90th-percentile wait under 10m00s.")
    assert int(answer.split()[0]) <= without_keypad
    # Without the option, the scenario's own share (smoke says 0.6).
    assert smoke.exit_code == 0, smoke.output
    assert smoke.stdout.split("\n")[1] == SMALL_SHARE_LINE.replace("share 0:", "share 0.6:")


@pytest.mark.parametrize(
    ("share", "why"),
    [
        ("2", "2.0 is not in the range 0<=x<=1."),
        ("-0.1", "-0.1 is not in the range 0<=x<=1."),
        ("lots", "'lots' is not a valid float range."),
    ],
)
def test_plan_refuses_a_keypad_share_outside_0_to_1(hotline, share, why):
    result = hotline("plan", "smoke", "--target-wait", "5m", "--keypad-share", share)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(f"Error: Invalid value for '--keypad-share': {why}\n")
