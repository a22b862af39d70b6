"""The Grafana dashboard queries the metrics GET /metrics carries, by their exact names,
and shows every one of them.
"""

from __future__ import annotations

import json
import math
import re

from hotline.metrics import WebMetrics, redis_families
from hotline.store.figures import DISPATCH_BUCKETS_S, Snapshot
from tests.support.repo import REPO_ROOT

DASHBOARD = REPO_ROOT / "config" / "grafana" / "hotline-dashboard.json"
# A name in PromQL: a metric's, or a function's (rate, histogram_quantile, ...).
NAME = re.compile(r"\bhotline_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def families():
    snapshot = Snapshot(
        line_depth=0,
        oldest_since=None,
        job_failures={},
        job_retries={},
        dispatch_buckets=tuple((bound, 0) for bound in (*DISPATCH_BUCKETS_S, math.inf)),
        dispatch_sum_s=0.0,
    )
    return [*WebMetrics().registry.collect(), *redis_families(snapshot, now=0.0)]


def series_names(family) -> set[str]:
    """The names a query can use for a family's samples."""
    return {family.name + suffix for suffix in SUFFIXES[family.type]}


def queried() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert exprs and all(expr.strip() for expr in exprs)
    return {name for expr in exprs for name in NAME.findall(expr)}


def test_every_metric_the_dashboard_queries_is_in_the_registry():
    exposed = set().union(*(series_names(family) for family in families()))
    assert queried() - exposed == set()


def test_every_metric_in_the_registry_is_on_the_dashboard():
    shown = queried()
    assert [family.name for family in families() if not series_names(family) & shown] == []


def test_every_panel_reads_the_chosen_prometheus_and_has_a_place_of_its_own():
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    assert {panel["datasource"]["uid"] for panel in panels} == {"${datasource}"}
    cells = [
        (panel["gridPos"]["x"] + dx, panel["gridPos"]["y"] + dy)
        for panel in panels
        for dx in range(panel["gridPos"]["w"])
        for dy in range(panel["gridPos"]["h"])
    ]
    assert len(cells) == len(set(cells))  # no two panels overlap
    assert max(x for x, _ in cells) < 24  # Grafana's grid is 24 wide
