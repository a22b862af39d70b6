"""`make bench`, memory: what Redis holds after the `iowa-2020` night, and after a flood of
100,000 numbers.

    python -m tests.bench.memory [--numbers 100000] [--seed 11]

Each figure comes from Redis's own accounting (INFO's used_memory, MEMORY USAGE per key)
on a throw-away embedded server, measured against the same server empty (the baseline).
Two figures each time: what Redis holds at the end, and what lasts: the keys with no time
to live, all that would be left once every expiring key had lapsed. The flood's numbers
each call once through the real app with signed webhooks, as a troll's SIP trunk would:
most ring and hang up at once, one in ten keys a precinct and guesses a PIN. What lasts
must not grow with the number of callers. Writes var/bench/memory.json; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

import redis

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.compare import simulation_redis
from hotline.sim.night import run_night
from hotline.sim.population import draw_population
from hotline.sim.scenario import load_scenario
from tests.bench.reporting import progress, write_report
from tests.support.calls import PhoneCall
from tests.support.env import settings_env
from tests.support.repo import REPO_ROOT
from tests.support.roster import load_small_roster
from workers import runtime
from workers.main import run_worker

OUTPUT = REPO_ROOT / "var" / "bench" / "memory.json"
FLOOD_SPREAD_S = 3600.0  # the flood's calls are spread over an hour of the manual clock
GUESSER_EVERY = 10
DRAIN_JOBS_EVERY = 500  # calls between rounds of a burst worker, as live workers keep up


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def held(client: redis.Redis, baseline: int) -> dict[str, Any]:
    """What the database holds above the empty server, and what of it never expires."""
    lasting_bytes, lasting_keys, keys_total = 0, 0, 0
    for key in client.scan_iter(count=1000):
        keys_total += 1
        if client.ttl(key) == -1:
            lasting_keys += 1
            lasting_bytes += client.memory_usage(key, samples=0) or 0
    return {
        "keys": keys_total,
        "used_bytes": used_memory(client) - baseline,
        "lasting_keys": lasting_keys,
        "lasting_bytes": lasting_bytes,
    }


def night(redis_url: str, seed: int) -> dict[str, Any]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    baseline = used_memory(client)
    scenario = load_scenario("iowa-2020")
    progress(f"iowa-2020, seed {seed}: running Hotline's night ...")
    started = time.perf_counter()
    run_night(scenario, draw_population(scenario, seed), "triage", redis_url=redis_url)
    progress(f"  done in {time.perf_counter() - started:.0f} s")
    return held(client, baseline)


def flood(redis_url: str, numbers: int) -> dict[str, Any]:
    clock = ManualClock()
    services = Services.build(Settings.load(env=settings_env()), clock=clock, redis_url=redis_url)
    client = services.store.redis
    client.flushdb()
    baseline = used_memory(client)
    runtime.install(services)
    load_small_roster(services)
    before = held(client, baseline)
    web = create_app(services).test_client()
    step = FLOOD_SPREAD_S / numbers
    progress(f"flood of {numbers:,} numbers through the webhooks ...")
    started = time.perf_counter()
    for n in range(numbers):
        call = PhoneCall(web, f"CA{n:032x}", f"+1{2015550000 + n * 7919 % 7_000_000_000}")
        call.ring()
        if n % GUESSER_EVERY == 0:
            call.press("1001")  # no registered phone: no call back to place
            call.press("000000")
        call.end(duration=3)
        clock.advance(step)
        if n % DRAIN_JOBS_EVERY == DRAIN_JOBS_EVERY - 1:
            run_worker(services, burst=True, fork=False)
        if n and n % 10_000 == 0:
            progress(f"  {n:,} numbers, {time.perf_counter() - started:.0f} s")
    run_worker(services, burst=True, fork=False)
    after = held(client, baseline)
    return {
        "numbers": numbers,
        "before": before,
        "after": after,
        "bytes_per_number": (after["used_bytes"] - before["used_bytes"]) / numbers,
        "lasting_growth_bytes": after["lasting_bytes"] - before["lasting_bytes"],
        "wall_s": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    logging.getLogger("rq.worker").setLevel(logging.WARNING)  # a line per burst otherwise
    with simulation_redis() as redis_url:
        report = {
            "iowa_2020_night": night(redis_url, args.seed),
            "flood": flood(redis_url, args.numbers),
        }
    mib = 1024 * 1024
    n, f = report["iowa_2020_night"], report["flood"]
    print(
        f"iowa-2020 night (seed {args.seed}): {n['keys']:,} keys, "
        f"{n['used_bytes'] / mib:.1f} MiB; lasting {n['lasting_keys']:,} keys, "
        f"{n['lasting_bytes'] / mib:.1f} MiB"
    )
    print(
        f"flood of {f['numbers']:,} numbers: {f['after']['keys']:,} keys, "
        f"{f['after']['used_bytes'] / mib:.1f} MiB ({f['bytes_per_number']:.0f} bytes a "
        f"number until it expires); lasting {f['after']['lasting_keys']:,} keys, "
        f"{f['after']['lasting_bytes'] / mib:.2f} MiB, "
        f"{f['lasting_growth_bytes']:,} bytes more than before the flood"
    )
    write_report(report, OUTPUT)
    return report


if __name__ == "__main__":
    main()
