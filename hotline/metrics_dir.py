"""The directory where a web server's workers keep their counts, one for each run.

prometheus_client's multiprocess mode has every process write its counts to files in
PROMETHEUS_MULTIPROC_DIR, and a scrape add up all the files there (hotline/metrics.py).
So the directory must be named before any web worker starts (the library decides where
counts live when it is first imported, and the workers inherit the environment), and it
must start empty (files of an earlier run would be added to this run's counts).
Gunicorn's config (hotline/config/gunicorn_conf.py) prepares it once the server has its socket,
before the first worker forks, so that a second server started on the same address by
mistake fails to bind before it can empty the first one's directory.

It is PROMETHEUS_MULTIPROC_DIR if the environment names one, otherwise
`$HOTLINE_DATA_DIR/metrics/web-<address>`: servers on other addresses sharing a data
directory keep apart. This module runs in gunicorn's master process, which must not
import prometheus_client before the directory is named: it imports it only once a
worker has exited.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from pathlib import Path

from hotline.settings import data_dir

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(env: MutableMapping[str, str], address: str) -> Path:
    """Create or empty the directory of the server listening on `address`, and name it in
    `env` for the workers to inherit.
    """
    given = env.get(MULTIPROCESS_ENV)
    name = "web-" + re.sub(r"[^A-Za-z0-9.]+", "-", address)
    directory = Path(given) if given else data_dir(env) / "metrics" / name
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    env[MULTIPROCESS_ENV] = str(directory.resolve())
    return directory


def process_ended(pid: int) -> None:
    """A web worker has exited: its gauges that count only while it lives are dropped
    (its counters stay: what it counted still happened).
    """
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
