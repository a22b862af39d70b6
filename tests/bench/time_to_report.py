"""Who the slowest tenth of chairs to report are, and what their time is made of.

    python -m tests.bench.time_to_report [--scenario iowa-2020] [--seed 11]

Runs the scenario's night under Hotline's triage (at its own keypad share) and the 2020
line, and splits Hotline's chairs into those who reported on the keypad, those a volunteer
took, and those whose worksheet the caucus checks block (the keypad refuses it; a
volunteer takes the call and the form will not save it). For each group: how many there
are, how many are among the slowest tenth, and their time to report split into getting in
(first call until the PIN is verified), waiting (until a volunteer answers, or the keypad
report is stored) and the rest (the conversation). Writes var/bench/time_to_report.json.
It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse

from hotline.caucus.checks import check
from hotline.sim.compare import simulation_redis
from hotline.sim.night import run_night
from hotline.sim.population import draw_population
from hotline.sim.report import clock_text, figures, percentile
from hotline.sim.scenario import load_scenario
from hotline.sim.worksheets import election
from tests.bench.reporting import write_report
from tests.support.repo import REPO_ROOT

OUTPUT = REPO_ROOT / "var" / "bench" / "time_to_report.json"
GROUPS = ("keypad", "volunteer", "blocked by the checks")


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="iowa-2020")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    population = draw_population(scenario, args.seed)
    with simulation_redis() as redis_url:
        line = run_night(scenario, population, "fifo", redis_url=redis_url)
        night = run_night(scenario, population, "triage", redis_url=redis_url)
    line_p90 = figures(line)["reports"]["time_p90_s"]
    chairs = [chair for chair in night.chairs if chair.first_call_at is not None]
    timed = [(_time_to_report(chair, night.ends_at), _group(chair), chair) for chair in chairs]
    cut = percentile([time for time, _, _ in timed], 90)
    groups = {}
    for name in GROUPS:
        members = [(time, chair) for time, group, chair in timed if group == name]
        groups[name] = {
            "chairs": len(members),
            "above_p90": sum(1 for time, _ in members if time > cut),
            **{
                f"{part}_p50_s": percentile(
                    [_parts(c, t, night.ends_at)[part] for t, c in members], 50
                )
                for part in ("get_in", "wait", "rest")
            },
            "time_p50_s": percentile([time for time, _ in members], 50),
            "time_p90_s": percentile([time for time, _ in members], 90),
        }
    result = {
        "scenario": scenario.name,
        "seed": args.seed,
        "keypad_share": scenario.chairs.keypad_share,
        "time_p90_s": cut,
        "line_p90_s": line_p90,
        "a_tenth_of_the_line_s": round(line_p90 / 10, 1),
        "groups": groups,
    }
    print(
        f"{scenario.name} (seed {args.seed}, keypad share {scenario.chairs.keypad_share:g}): "
        f"time to report p90 {clock_text(cut)}, the 2020 line's {clock_text(line_p90)} "
        f"(a tenth: {clock_text(line_p90 / 10)})"
    )
    print(
        f"{'':<24}{'chairs':>7}{'above p90':>10}{'get in':>9}{'wait':>8}{'rest':>8}"
        f"{'p50':>8}{'p90':>8}   (medians of the parts)"
    )
    for name, g in groups.items():
        print(
            f"{name:<24}{g['chairs']:>7}{g['above_p90']:>10}{clock_text(g['get_in_p50_s']):>9}"
            f"{clock_text(g['wait_p50_s']):>8}{clock_text(g['rest_p50_s']):>8}"
            f"{clock_text(g['time_p50_s']):>8}{clock_text(g['time_p90_s']):>8}"
        )
    write_report(result, OUTPUT)
    return result


def _group(chair) -> str:
    sheet = chair.spec.worksheet
    if sheet is not None and any(f.blocking for f in check(sheet, election())):
        return "blocked by the checks"
    return "keypad" if chair.report_channel == "keypad" else "volunteer"


def _time_to_report(chair, end: float) -> float:
    return (chair.reported_at or chair.gave_up_at or end) - chair.first_call_at


def _parts(chair, total: float, end: float) -> dict[str, float]:
    """Getting in, waiting, and the rest of a chair's time to report (they sum to it)."""
    verified = chair.verified_at or chair.first_call_at
    waited_until = chair.answered_at or chair.reported_at or chair.gave_up_at or end
    get_in = verified - chair.first_call_at
    wait = max(waited_until - verified, 0.0)
    return {"get_in": get_in, "wait": wait, "rest": max(total - get_in - wait, 0.0)}


if __name__ == "__main__":
    main()
