"""The figures GET /metrics carries, in Prometheus' text format.

What the web servers' webhooks do is counted in memory, never in Redis: a webhook must not
spend a round trip on a counter. Under gunicorn each web worker is a process of its own,
so the counters use prometheus_client's multiprocess mode: each process writes its
counts to files of its own under PROMETHEUS_MULTIPROC_DIR (made ready by gunicorn's
config, hotline/metrics_dir.py), and a scrape, whichever worker answers it, adds up the
files of every worker. Without that directory (one process: the Flask test client) the
counts live in this app's own registry.

The line's depth and longest wait, and what the RQ workers counted (store/figures.py),
are read from Redis when the scrape comes, in one round trip.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.utils import floatToGoString
from redis.exceptions import RedisError

from hotline.metrics_dir import MULTIPROCESS_ENV
from hotline.store.figures import Snapshot
from hotline.triage import Action, Verdict

log = logging.getLogger(__name__)

# Prometheus' text format, as every Prometheus server reads it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# A webhook answers in milliseconds; Twilio gives up on it at 15 seconds.
WEBHOOK_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)
# The verdict of a call on the chairs' line: the policy's, or "reject" when a block was in
# force already (the call is refused before any verdict).
REJECTED = "reject"
VERDICTS = (*(action.value for action in Action), REJECTED)
# Whose secret a failed check was against: a precinct's (its chair) or a volunteer's.
PIN_KINDS = ("precinct", "volunteer")
# The route of a request under /voice/ that matched none.
UNMATCHED = "unmatched"
REDIS_UP = "1 when this scrape could read Redis, 0 when it could not."


class WebMetrics:
    """The web server's own counters, in this app's registry."""

    def __init__(self) -> None:
        multiprocess = getattr(values.ValueClass, "_multiprocess", True)
        if os.environ.get(MULTIPROCESS_ENV) and not multiprocess:
            # The library picks where values live when it is first imported; imported
            # before the directory was named, each worker would count alone and unseen.
            raise RuntimeError(
                f"prometheus_client was imported before {MULTIPROCESS_ENV} was set: the web "
                "workers' counts would not add up"
            )
        self.registry = CollectorRegistry()
        self.webhook_seconds = Histogram(
            "hotline_webhook_duration_seconds",
            "Time to answer a Twilio webhook, by route.",
            ["route"],
            buckets=WEBHOOK_BUCKETS_S,
            registry=self.registry,
        )
        self.calls = Counter(
            "hotline_calls",
            "Calls on the chairs' line, by the verdict they got.",
            ["verdict"],
            registry=self.registry,
        )
        self.pin_failures = Counter(
            "hotline_pin_failures",
            "PINs and backup codes keyed that did not match, by whose they were meant to be.",
            ["kind"],
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "hotline_webhook_redis_errors",
            "Webhooks that failed on Redis (answered with their fallback TwiML), by route.",
            ["route"],
            registry=self.registry,
        )
        # Every series exists from the start, at 0, so that rates over them are defined.
        for verdict in VERDICTS:
            self.calls.labels(verdict)
        for kind in PIN_KINDS:
            self.pin_failures.labels(kind)

    def observe_webhook(self, route: str, seconds: float) -> None:
        self.webhook_seconds.labels(route).observe(seconds)

    def count_call(self, verdict: Verdict | None) -> None:
        """A call on the chairs' line got `verdict` (None: refused by a block in force).
        In log-only mode, what was done: the effective action.
        """
        self.calls.labels(REJECTED if verdict is None else verdict.effective_action.value).inc()

    def count_pin_failure(self, kind: str) -> None:
        self.pin_failures.labels(kind).inc()

    def count_redis_error(self, route: str) -> None:
        self.redis_errors.labels(route).inc()

    def collect(self) -> Iterator[Metric]:
        return self.registry.collect()


class RedisFigures:
    """A collector reading the line and the workers' counts from Redis at scrape time."""

    def __init__(self, services) -> None:
        self._services = services

    def collect(self) -> Iterator[Metric]:
        try:
            snapshot = self._services.store.figures.snapshot()
        except RedisError as error:
            # The webhooks' figures are still worth the scrape.
            log.warning("metrics: Redis unavailable (%s)", type(error).__name__)
            yield GaugeMetricFamily("hotline_redis_up", REDIS_UP, value=0)
            return
        yield from redis_families(snapshot, now=self._services.clock.now())


def redis_families(snapshot: Snapshot, *, now: float) -> list[Metric]:
    """The metric families of what was read from Redis (which answered)."""
    oldest_wait = 0.0 if snapshot.oldest_since is None else max(now - snapshot.oldest_since, 0.0)
    failures = CounterMetricFamily(
        "hotline_job_failures",
        "Background jobs that failed for good, by job function.",
        labels=["function"],
    )
    for function, count in sorted(snapshot.job_failures.items()):
        failures.add_metric([function], count)
    retries = CounterMetricFamily(
        "hotline_job_retries",
        "Background job runs that failed and were queued again, by job function.",
        labels=["function"],
    )
    for function, count in sorted(snapshot.job_retries.items()):
        retries.add_metric([function], count)
    return [
        GaugeMetricFamily("hotline_redis_up", REDIS_UP, value=1),
        GaugeMetricFamily(
            "hotline_line_depth", "Calls waiting in the line.", value=snapshot.line_depth
        ),
        GaugeMetricFamily(
            "hotline_line_oldest_wait_seconds",
            "How long the call at the front of the line has waited.",
            value=oldest_wait,
        ),
        HistogramMetricFamily(
            "hotline_dispatch_latency_seconds",
            "From the moment a free volunteer and a waiting chair could be paired to "
            "Twilio's acceptance of the chair's move into the volunteer's room.",
            buckets=[(floatToGoString(bound), count) for bound, count in snapshot.dispatch_buckets],
            sum_value=snapshot.dispatch_sum_s,
        ),
        failures,
        retries,
    ]


def scrape(metrics: WebMetrics, services) -> bytes:
    """The text of one scrape: every web worker's counts, and what Redis holds."""
    registry = CollectorRegistry()
    directory = os.environ.get(MULTIPROCESS_ENV)
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(metrics)
    registry.register(RedisFigures(services))
    return generate_latest(registry)
