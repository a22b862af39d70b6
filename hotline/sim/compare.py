"""Running a scenario the three ways side by side, on a Redis of the simulation's own.

The runs are independent, so they run in parallel processes, one per core
(each on its own Redis database); a night's figures and its chart samples
come back, the people and the network stay in the process that ran them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from hotline.sim.night import POLICIES, run_night
from hotline.sim.population import draw_population
from hotline.sim.report import figures
from hotline.sim.scenario import Scenario
from hotline.store.embedded import EmbeddedRedis


@dataclass(frozen=True)
class NightSummary:
    policy: str
    figures: dict[str, Any]
    # (minutes into the night, chairs still trying to get through, callers in the line)
    samples: list[tuple[float, int, int]]


@contextlib.contextmanager
def simulation_redis() -> Iterator[str]:
    """A throw-away Redis server: a simulation flushes its databases, so never the real one."""
    with tempfile.TemporaryDirectory(prefix="hotline-sim-") as directory:
        server = EmbeddedRedis(directory)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


def simulate(
    scenario: Scenario,
    *,
    seed: int,
    redis_url: str,
    policies: tuple[str, ...] = POLICIES,
    on_progress: Callable[[str, float], None] | None = None,
    processes: int | None = None,
) -> dict[str, NightSummary]:
    processes = processes or min(len(policies), os.cpu_count() or 1)
    if on_progress is not None:
        for policy in policies:
            on_progress(policy, 0.0)
    if processes <= 1:
        return {policy: _run(scenario, seed, policy, redis_url, on_progress) for policy in policies}
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager, ProcessPoolExecutor(processes, mp_context=context) as pool:
        updates = manager.Queue()
        futures = {
            policy: pool.submit(
                _run_in_child, scenario, seed, policy, _database(redis_url, n + 1), updates
            )
            for n, policy in enumerate(policies)
        }
        while not all(future.done() for future in futures.values()):
            try:
                policy, fraction = updates.get(timeout=0.2)
            except queue.Empty:
                continue
            if on_progress is not None:
                on_progress(policy, fraction)
        return {policy: future.result() for policy, future in futures.items()}


def _run(
    scenario: Scenario,
    seed: int,
    policy: str,
    redis_url: str,
    on_progress: Callable[[str, float], None] | None,
) -> NightSummary:
    population = draw_population(scenario, seed)
    progress = None if on_progress is None else (lambda f: on_progress(policy, f))
    night = run_night(scenario, population, policy, redis_url=redis_url, on_progress=progress)
    return NightSummary(policy, figures(night), night.samples)


def _run_in_child(
    scenario: Scenario, seed: int, policy: str, redis_url: str, updates
) -> NightSummary:
    last = [-1]

    def report(_policy: str, fraction: float) -> None:
        step = int(fraction * 200)  # a few hundred updates a run is plenty for a bar
        if step != last[0]:
            last[0] = step
            updates.put((policy, fraction))

    return _run(scenario, seed, policy, redis_url, report)


def _database(redis_url: str, number: int) -> str:
    separator = "&" if "?" in redis_url else "?"
    return f"{redis_url}{separator}db={number}"
