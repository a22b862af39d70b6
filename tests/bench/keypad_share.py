"""How the chairs' time to report moves with the share of chairs who key their results.

    python -m tests.bench.keypad_share [--scenario iowa-2020] [--seed 11]
                                       [--shares 0,0.25,0.5,0.75,1]

Runs the scenario under Hotline's triage once per keypad share (everything else as the
scenario says, the same people for every share: the share has a stream of its own), and
the 2020 line once, and prints per share the reports by channel, volunteer minutes per
report, and the time to report, median, 90th percentile and longest, with the 90th
percentile as a fraction of the 2020 line's. Writes var/bench/keypad_share.json. It
measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from hotline.sim.compare import simulate, simulation_redis
from hotline.sim.report import clock_text
from hotline.sim.scenario import load_scenario
from tests.bench.reporting import write_report
from tests.support.repo import REPO_ROOT

OUTPUT = REPO_ROOT / "var" / "bench" / "keypad_share.json"


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="iowa-2020")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--shares", default="0,0.25,0.5,0.75,1")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    shares = [float(share) for share in args.shares.split(",")]
    rows = []
    with simulation_redis() as redis_url:
        line = simulate(scenario, seed=args.seed, redis_url=redis_url, policies=("fifo",))
        line_p90 = line["fifo"].figures["reports"]["time_p90_s"]
        for share in shares:
            at = replace(scenario, chairs=replace(scenario.chairs, keypad_share=share))
            night = simulate(at, seed=args.seed, redis_url=redis_url, policies=("triage",))
            reports = night["triage"].figures["reports"]
            rows.append(
                {
                    "keypad_share": share,
                    **reports,
                    "of_2020_line": round(reports["time_p90_s"] / line_p90, 3),
                }
            )
            print(
                f"keypad share {share:4.2f}: {reports['keypad']:>5} keypad "
                f"{reports['volunteer']:>5} volunteer, "
                f"{reports['volunteer_minutes_per_report']:.1f} min each; time to report "
                f"p50 {clock_text(reports['time_p50_s'])}, "
                f"p90 {clock_text(reports['time_p90_s'])} "
                f"({rows[-1]['of_2020_line']:.2f} of the 2020 line's "
                f"{clock_text(line_p90)}), longest {clock_text(reports['time_max_s'])}",
                flush=True,
            )
    result = {"scenario": scenario.name, "seed": args.seed, "line_p90_s": line_p90, "shares": rows}
    write_report(result, OUTPUT)
    return result


if __name__ == "__main__":
    main()
