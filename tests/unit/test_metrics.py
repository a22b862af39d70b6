"""The web metrics' registry and labels, and the families of what is read from Redis."""

from __future__ import annotations

import math

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from hotline.metrics import PIN_KINDS, VERDICTS, WebMetrics, redis_families
from hotline.store.figures import DISPATCH_BUCKETS_S, Snapshot
from hotline.triage import Action, Verdict

EMPTY = Snapshot(
    line_depth=0,
    oldest_since=None,
    job_failures={},
    job_retries={},
    dispatch_buckets=tuple((bound, 0) for bound in (*DISPATCH_BUCKETS_S, math.inf)),
    dispatch_sum_s=0.0,
)


def samples(collector) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape of `collector`, by name and labels, as Prometheus reads it."""
    text = generate_latest(collector).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def calls(metrics: WebMetrics) -> dict[str, float]:
    return {
        dict(labels)["verdict"]: value
        for (name, labels), value in samples(metrics).items()
        if name == "hotline_calls_total"
    }


def test_every_verdict_and_pin_kind_is_a_series_from_the_start():
    found = samples(WebMetrics())
    assert calls(WebMetrics()) == dict.fromkeys(
        ["fast-track", "challenge", "divert", "temp-block", "block", "reject"], 0.0
    )
    assert set(VERDICTS) == {action.value for action in Action} | {"reject"}
    assert {
        dict(labels)["kind"]: value
        for (name, labels), value in found.items()
        if name == "hotline_pin_failures_total"
    } == {kind: 0.0 for kind in PIN_KINDS}
    # Series labelled by route appear with their first webhook.
    assert [name for name, _ in found if "webhook" in name] == []


def test_a_call_is_counted_by_the_verdict_it_was_given():
    metrics = WebMetrics()
    metrics.count_call(Verdict(Action.CHALLENGE))
    metrics.count_call(Verdict(Action.CHALLENGE))
    metrics.count_call(Verdict(Action.DIVERT, ("7 calls in 15m (divert at 7)",)))
    metrics.count_call(None)  # refused by a block in force: no verdict

    assert calls(metrics) == {
        "fast-track": 0.0,
        "challenge": 2.0,
        "divert": 1.0,
        "temp-block": 0.0,
        "block": 0.0,
        "reject": 1.0,
    }


def test_in_log_only_mode_a_call_counts_as_what_it_got_not_what_was_recorded():
    metrics = WebMetrics()
    metrics.count_call(Verdict(Action.BLOCK, enforced=False))
    metrics.count_call(Verdict(Action.DIVERT, enforced=False, chair_precinct="1001"))

    counted = calls(metrics)
    assert (counted["challenge"], counted["fast-track"], counted["block"]) == (1.0, 1.0, 0.0)


def test_webhook_timings_are_kept_per_route():
    metrics = WebMetrics()
    metrics.observe_webhook("/voice/incoming", 0.00390625)
    metrics.observe_webhook("/voice/incoming", 0.125)
    metrics.observe_webhook("/voice/pin", 0.03125)

    found = samples(metrics)
    incoming = (("route", "/voice/incoming"),)
    assert found[("hotline_webhook_duration_seconds_count", incoming)] == 2.0
    assert found[("hotline_webhook_duration_seconds_sum", incoming)] == 0.12890625
    assert found[("hotline_webhook_duration_seconds_bucket", (("le", "0.005"),) + incoming)] == 1
    assert found[("hotline_webhook_duration_seconds_bucket", (("le", "0.25"),) + incoming)] == 2
    assert found[("hotline_webhook_duration_seconds_count", (("route", "/voice/pin"),))] == 1.0


def test_pin_failures_and_redis_errors_are_counted_by_their_labels():
    metrics = WebMetrics()
    metrics.count_pin_failure("precinct")
    metrics.count_pin_failure("precinct")
    metrics.count_pin_failure("volunteer")
    metrics.count_redis_error("/voice/wait")

    found = samples(metrics)
    assert found[("hotline_pin_failures_total", (("kind", "precinct"),))] == 2.0
    assert found[("hotline_pin_failures_total", (("kind", "volunteer"),))] == 1.0
    assert found[("hotline_webhook_redis_errors_total", (("route", "/voice/wait"),))] == 1.0


def test_two_apps_in_one_process_count_apart():
    first, second = WebMetrics(), WebMetrics()
    first.count_call(None)
    assert (calls(first)["reject"], calls(second)["reject"]) == (1.0, 0.0)


class Families:
    def __init__(self, families) -> None:
        self._families = families

    def collect(self):
        return iter(self._families)


def test_what_redis_holds_is_exposed_as_gauges_counters_and_a_histogram():
    snapshot = Snapshot(
        line_depth=3,
        oldest_since=1_000.0,
        job_failures={"hang_up_call": 2},
        job_retries={"dispatch_callers": 5, "send_sms": 1},
        dispatch_buckets=(
            (0.25, 1),
            (0.5, 3),
            *((b, 4) for b in DISPATCH_BUCKETS_S[2:]),
            (math.inf, 5),
        ),
        dispatch_sum_s=200.5,
    )

    found = samples(Families(redis_families(snapshot, now=1_090.0)))

    assert found[("hotline_line_depth", ())] == 3.0
    assert found[("hotline_line_oldest_wait_seconds", ())] == 90.0
    assert found[("hotline_job_failures_total", (("function", "hang_up_call"),))] == 2.0
    assert found[("hotline_job_retries_total", (("function", "dispatch_callers"),))] == 5.0
    assert found[("hotline_job_retries_total", (("function", "send_sms"),))] == 1.0
    buckets = {
        dict(labels)["le"]: value
        for (name, labels), value in found.items()
        if name == "hotline_dispatch_latency_seconds_bucket"
    }
    assert buckets == {
        "0.25": 1,
        "0.5": 3,
        "1.0": 4,
        "2.5": 4,
        "5.0": 4,
        "10.0": 4,
        "30.0": 4,
        "60.0": 4,
        "120.0": 4,
        "+Inf": 5,
    }
    assert found[("hotline_dispatch_latency_seconds_count", ())] == 5.0
    assert found[("hotline_dispatch_latency_seconds_sum", ())] == 200.5


def test_an_empty_line_has_waited_no_time():
    found = samples(Families(redis_families(EMPTY, now=1_090.0)))
    assert (found[("hotline_line_depth", ())], found[("hotline_line_oldest_wait_seconds", ())]) == (
        0.0,
        0.0,
    )
    assert [name for name, _ in found if name.startswith("hotline_job_")] == []
