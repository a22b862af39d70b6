"""Nights in the simulator: simulate a scenario, plan its staffing, drill it under fire."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from hotline.cli.common import (
    duration_option,
)

# `simulate` and `plan` take the same assumption about the keypad, checked the same way.
_keypad_share_option = click.option(
    "--keypad-share",
    type=click.FloatRange(0, 1),
    help="Share of chairs who report on the keypad (default: the scenario's).",
)


@click.command(help="Simulate a caucus night: Hotline's triage, the 2020 line and a calm night.")
@click.argument("scenario")
@click.option("--seed", default=1, show_default=True, help="Draws the same night again.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the figures as JSON.",
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the chart of chairs waiting (default under var/sim/).",
)
@_keypad_share_option
def simulate(
    scenario: str,
    seed: int,
    json_path: Path | None,
    chart_path: Path | None,
    keypad_share: float | None,
) -> None:
    from hotline.sim.chart import render_chart, write_chart
    from hotline.sim.compare import simulate as run_all
    from hotline.sim.compare import simulation_redis
    from hotline.sim.report import POLICY_TITLES, render, write_json

    loaded = _scenario(scenario, keypad_share)
    click.echo(f"Simulating {loaded.name}: {loaded.description} (seed {seed})", err=True)
    with simulation_redis() as redis_url, _progress_bars() as on_progress:
        nights = run_all(loaded, seed=seed, redis_url=redis_url, on_progress=on_progress)
    results = {policy: night.figures for policy, night in nights.items()}
    click.echo(render(results, title=f"{loaded.name}, seed {seed}"))
    if json_path:
        write_json(
            json_path, {p: {k: v for k, v in r.items() if k != "run"} for p, r in results.items()}
        )
        click.echo(f"\nFigures: {json_path}")
    chart_path = chart_path or Path("var") / "sim" / f"{loaded.name}-seed{seed}.html"
    series = {
        POLICY_TITLES[p]: [(minute, waiting) for minute, waiting, _ in n.samples]
        for p, n in nights.items()
    }
    write_chart(
        chart_path,
        render_chart(
            series,
            title=f"Chairs waiting: {loaded.name}",
            subtitle=loaded.description,
            x_label="time into the night (h:mm)",
        ),
    )
    click.echo(f"Chart: {chart_path}")
    wall = sum(r["run"]["wall_s"] for r in results.values())
    click.echo(f"Simulated in {wall:.1f} s of wall time.", err=True)


@click.command(
    help="Find the fewest volunteers that keep the chairs' 90th-percentile wait "
    "under a target (a chair on the keypad waits until their report is "
    "stored)."
)
@click.argument("scenario")
@click.option("--target-wait", required=True, help="e.g. 5m")
@click.option("--seed", default=1, show_default=True)
@click.option("--max-volunteers", default=400, show_default=True, type=click.IntRange(1, 5000))
@_keypad_share_option
def plan(
    scenario: str, target_wait: str, seed: int, max_volunteers: int, keypad_share: float | None
) -> None:
    from hotline.sim.compare import simulation_redis
    from hotline.sim.planner import plan_staffing
    from hotline.sim.report import clock_text

    loaded = _scenario(scenario, keypad_share)
    target = duration_option(target_wait, "--target-wait")
    click.echo(f"Planning {loaded.name} for a 90th-percentile wait under {clock_text(target)}:")
    click.echo(
        f"Keypad share {loaded.chairs.keypad_share:g}: a chair on the keypad waits until "
        "their report is stored, the others until a volunteer answers."
    )
    with simulation_redis() as redis_url:
        result = plan_staffing(
            loaded,
            target_wait_s=target,
            seed=seed,
            redis_url=redis_url,
            ceiling=max_volunteers,
            on_try=lambda n, p90: click.echo(f"  {n:>4} volunteers: p90 wait {clock_text(p90)}"),
        )
    click.echo("\nVolunteers  p90 wait")
    for count, p90 in result.curve.items():
        bar = "#" * min(int(p90 / 60), 60)
        click.echo(f"{count:>10}  {clock_text(p90):>8}  {bar}")
    if result.volunteers is None:
        click.echo(f"\nNot reachable with {max_volunteers} volunteers.")
    else:
        click.echo(
            f"\n{result.volunteers} volunteers keep the chairs' 90th-percentile wait under "
            f"{clock_text(target)}."
        )


@click.command(
    help="A night under fire: the scenario live over HTTP against real processes, "
    "with a worker and Redis killed, Twilio's API down, an undialable chair and "
    "open consoles, beside the same night without faults. Exits 1 if a target "
    "is missed or a fault did not happen."
)
@click.argument("scenario", default="night-under-fire")
@click.option("--seed", default=1, show_default=True, help="Draws the same night again.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the figures and what the faults did as JSON.",
)
@click.option("--no-baseline", is_flag=True, help="Skip the night without faults.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var") / "drill",
    show_default=True,
    help="Redis's files and the processes' logs, emptied first.",
)
def drill(
    scenario: str, seed: int, json_path: Path | None, no_baseline: bool, workdir: Path
) -> None:
    from hotline.sim.drill import drill as run_drill
    from hotline.sim.report import write_json

    try:
        report, status = run_drill(
            scenario,
            seed=seed,
            workdir=workdir.resolve(),
            baseline=not no_baseline,
            say=lambda text: click.echo(text),
        )
    except (ValueError, RuntimeError) as error:
        raise click.ClickException(str(error)) from None
    if json_path:
        write_json(json_path, report)
        click.echo(f"\nFigures: {json_path}")
    sys.exit(status)


def _scenario(name: str, keypad_share: float | None = None):
    """The scenario, at `--keypad-share` when given instead of its own share."""
    from hotline.sim.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(name)
    except ScenarioError as error:
        raise click.ClickException(str(error)) from None
    return loaded if keypad_share is None else loaded.with_keypad_share(keypad_share)


@contextlib.contextmanager
def _progress_bars():
    """One line of progress bars, one per simulated policy, redrawn on a terminal."""
    fractions: dict[str, float] = {}
    live = sys.stderr.isatty()

    def draw() -> None:
        bars = "  ".join(
            f"{policy} [{'#' * int(f * 20):<20}] {f:4.0%}" for policy, f in fractions.items()
        )
        sys.stderr.write("\r" + bars)
        sys.stderr.flush()

    def update(policy: str, fraction: float) -> None:
        fractions[policy] = min(max(fraction, 0.0), 1.0)
        if live:
            draw()

    try:
        yield update
    finally:
        if live and fractions:
            fractions.update(dict.fromkeys(fractions, 1.0))
            draw()
            sys.stderr.write("\n")


COMMANDS = (simulate, plan, drill)
