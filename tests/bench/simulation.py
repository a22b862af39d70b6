"""`make bench`, part two: how long the virtual-time `iowa-2020` night takes.

    python -m tests.bench.simulation [--scenario iowa-2020] [--seed 1]

Runs `hotline simulate`'s work (Hotline's triage, the 2020 line and a calm
night, in parallel processes) and prints the wall time of the whole and of
each run, the webhooks each run sent through the real app, and how many times
faster than real time the night went: the night's own length is the baseline
every figure is set against. Writes var/bench/simulation.json. It measures; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time

from hotline.sim.compare import simulate, simulation_redis
from hotline.sim.night import OVERTIME_S
from hotline.sim.scenario import load_scenario
from tests.bench.reporting import write_report
from tests.support.repo import REPO_ROOT

OUTPUT = REPO_ROOT / "var" / "bench" / "simulation.json"


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="iowa-2020")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    with simulation_redis() as redis_url:
        started = time.perf_counter()
        nights = simulate(scenario, seed=args.seed, redis_url=redis_url)
        wall = time.perf_counter() - started
    night_s = scenario.duration_s
    result = {
        "scenario": scenario.name,
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "night_s": night_s,
        "followed_up_to_s": night_s + OVERTIME_S,
        "wall_s": round(wall, 2),
        "times_faster_than_real_time": round(night_s / wall, 1),
        "runs": {
            policy: {
                "wall_s": n.figures["run"]["wall_s"],
                "webhooks": n.figures["run"]["webhooks"],
                "webhooks_per_s": round(
                    n.figures["run"]["webhooks"] / max(n.figures["run"]["wall_s"], 1e-9)
                ),
            }
            for policy, n in nights.items()
        },
    }
    print(
        f"{scenario.name} (seed {args.seed}), {scenario.duration_s / 3600:g} h night, "
        f"three runs in parallel on {os.cpu_count()} CPUs"
    )
    print(f"{'run':<8}{'wall s':>9}{'webhooks':>10}{'webhooks/s':>12}")
    for policy, figures in result["runs"].items():
        print(
            f"{policy:<8}{figures['wall_s']:>9.1f}{figures['webhooks']:>10,}"
            f"{figures['webhooks_per_s']:>12,}"
        )
    print(
        f"whole simulation: {wall:.1f} s of wall time, "
        f"{result['times_faster_than_real_time']}x faster than the night itself"
    )
    write_report(result, OUTPUT)
    return result


if __name__ == "__main__":
    main()
