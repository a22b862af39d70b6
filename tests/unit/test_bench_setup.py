"""Issue 8, finding 8: the inbound benchmark must measure the server production runs.

The Procfile's web process is gunicorn with hotline/config/gunicorn_conf.py; the benchmark
starts gunicorn with that same module and reports the worker class it reads from it,
rather than a description typed beside it.
"""

from __future__ import annotations

import shlex

from tests.bench import servers
from tests.support.repo import REPO_ROOT


def procfile_web_command() -> list[str]:
    lines = (REPO_ROOT / "Procfile").read_text().splitlines()
    web = next(line for line in lines if line.startswith("web:"))
    return shlex.split(web.split(":", 1)[1])


def test_the_bench_serves_with_the_procfiles_gunicorn_config():
    command = procfile_web_command()
    assert command[0] == "gunicorn"
    assert command[command.index("--config") + 1] == servers.GUNICORN_CONFIG


def test_the_bench_reports_the_worker_class_the_config_gives():
    config = servers.gunicorn_config({"HOTLINE_THREADS": "6"})
    assert (config["worker_class"], config["threads"]) == ("gthread", 6)
