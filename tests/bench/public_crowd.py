"""What a crowd on the public results page costs Twilio's webhooks, with nothing in front.

    python -m tests.bench.public_crowd [--crowds 0,50,200] [--webhooks 300] [--every 0.02]

GET /results is public: on the night the press and the campaigns refresh it, and anyone
may hammer it. The page is built at most every 30 s per web process, but every request
still takes a turn on the same gunicorn threads as the chairs' webhooks. This serves the
real app through gunicorn with the Procfile's settings (hotline/config/gunicorn_conf.py)
against a Redis of its own, and for each crowd size (client processes fetching /results
back to back, each on a new connection) sends the same signed /voice/incoming webhooks at
a steady pace from one more client, timing each. Crowd 0, measured in the same run, is
the baseline: the report gives each crowd's webhook latency percentiles, their ratio to
the baseline's, the webhooks slower than Twilio's patience allows the hotline (2 s), and
the crowd's own pace. Writes var/bench/public_crowd.json; exits 0 whatever it measures.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any

import redis

from hotline.clock import SystemClock
from hotline.store import Store
from hotline.store.embedded import EmbeddedRedis
from tests.bench import loadgen, servers, traffic
from tests.bench.apps import bench_settings
from tests.bench.reporting import percentile_ms, progress, write_report
from tests.support.repo import REPO_ROOT
from tests.support.twilio import AUTH_TOKEN

HOST = "127.0.0.1"  # loopback only
APP = "tests.bench.apps:triage_app()"
WEBHOOK_LIMIT_S = 2.0
WARMUP = 100  # webhooks sent untimed before each measurement
OUTPUT = REPO_ROOT / "var" / "bench" / "public_crowd.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.public_crowd",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--crowds", default="0,50,200", help="crowd sizes, comma-separated (0: the baseline)")
    add("--webhooks", type=int, default=300, help="signed webhooks timed per crowd size")
    add("--every", type=float, default=0.02, help="seconds between webhooks")
    add("--output", type=Path, default=OUTPUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    crowds = sorted({int(n) for n in args.crowds.split(",")} | {0})
    with servers.own_redis("hotline-bench-") as (workdir, redis_server):
        report = run(args, crowds, workdir, redis_server)
    print_report(report)
    write_report(report, args.output)
    return 0


def run(
    args: argparse.Namespace, crowds: list[int], workdir: Path, redis_server: EmbeddedRedis
) -> dict[str, Any]:
    port = servers.free_port(HOST)
    env = servers.app_env(redis_server, workdir, f"http://{HOST}:{port}", traffic.ACCOUNT_SID)
    settings = bench_settings(env)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    page = f"GET /results HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
    server = servers.Gunicorn(APP, host=HOST, port=port, env=env, log=workdir / "gunicorn.log")
    runs = []
    try:
        server.start()
        for crowd in crowds:
            client.flushdb()
            Store.open(client, SystemClock(), settings.policy).roster.replace_all(
                traffic.roster(settings.pin_key())
            )
            calls = traffic.calls(WARMUP + args.webhooks, seed=crowd)
            wire = [
                traffic.http_request(c, host=HOST, port=port, auth_token=AUTH_TOKEN) for c in calls
            ]
            progress(f"{args.webhooks} webhooks, {crowd} clients on /results")
            for request in wire[:WARMUP]:  # every worker connected and its script loaded
                loadgen.exchange(server.address, request, timeout_s=15.0)
            runs.append(measure(server.address, wire[WARMUP:], page, crowd, args.every))
    finally:
        server.stop()
    return {
        "gunicorn": {
            key: value
            for key, value in servers.gunicorn_config(env).items()
            if key in ("worker_class", "workers", "threads")
        },
        "webhook_every_s": args.every,
        "runs": runs,
    }


def measure(
    address: tuple[str, int], webhooks: list[bytes], page: bytes, crowd: int, every_s: float
) -> dict[str, Any]:
    """The webhooks' latencies while `crowd` clients fetch the page, and the crowd's pace."""
    done = threading.Event()
    crowd_result: dict[str, loadgen.RunResult] = {}
    if crowd:
        # More page fetches than the crowd can make before the webhooks are done: the
        # crowd is stopped by its deadline, kept just past the webhooks' own time.
        deadline_s = len(webhooks) * every_s + 5.0

        def hammer() -> None:
            crowd_result["page"] = loadgen.run(
                address, [page] * 1_000_000, concurrency=crowd, deadline_s=deadline_s
            )
            done.set()

        threading.Thread(target=hammer, daemon=True).start()
        time.sleep(2.0)  # every client is fetching by now
    latencies, failures = [], 0
    for request in webhooks:
        began = time.perf_counter()
        try:
            status, _ = loadgen.exchange(address, request, timeout_s=15.0)
        except OSError:
            status = 0
        latencies.append(time.perf_counter() - began)
        failures += status != 200
        time.sleep(max(0.0, every_s - (time.perf_counter() - began)))
    if crowd:
        done.wait(timeout=120)
    latencies.sort()
    page_run = crowd_result.get("page")
    return {
        "crowd": crowd,
        "webhooks": len(latencies),
        "webhooks_failed": failures,
        "webhooks_over_limit": sum(s > WEBHOOK_LIMIT_S for s in latencies),
        "webhook_p50_ms": percentile_ms(latencies, 50),
        "webhook_p99_ms": percentile_ms(latencies, 99),
        "webhook_max_ms": latencies[-1] * 1000,
        "page_rps": page_run.rps if page_run else 0.0,
        "page_errors": sum(page_run.errors.values()) if page_run else 0,
    }


def print_report(report: dict[str, Any]) -> None:
    g = report["gunicorn"]
    print(
        f"\n/voice/incoming while a crowd fetches /results ({g['workers']} x {g['threads']} "
        f"{g['worker_class']}; a webhook every {report['webhook_every_s'] * 1000:.0f} ms)"
    )
    print("  crowd   p50 ms   p99 ms   max ms  p99/baseline  over 2 s  failed  page req/s")
    base = report["runs"][0]["webhook_p99_ms"]
    for r in report["runs"]:
        print(
            f"  {r['crowd']:>5} {r['webhook_p50_ms']:>8.0f} {r['webhook_p99_ms']:>8.0f} "
            f"{r['webhook_max_ms']:>8.0f} {r['webhook_p99_ms'] / base:>13.1f} "
            f"{r['webhooks_over_limit']:>9} {r['webhooks_failed']:>7} {r['page_rps']:>11.0f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
