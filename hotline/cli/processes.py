"""Running the night's processes: the web server, a worker, the checks, the demo."""

from __future__ import annotations

import os
import sys

import click

from hotline.cli.common import (
    opened_services,
    settings_to_run,
)
from hotline.logging_setup import configure, log_level
from hotline.services import ensure_redis


@click.command(help="Run the web server for Twilio's webhooks on $HOTLINE_PORT (default 5000).")
def serve() -> None:
    from hotline.web_server import serve_forever

    # JSON lines from the start; gunicorn applies the same once it runs
    # (hotline/config/gunicorn_conf.py).
    configure(log_level(os.environ))
    settings = settings_to_run()
    server = ensure_redis(settings)
    if server is not None:
        server.supervise()
    try:
        serve_forever(settings)
    finally:
        if server is not None:
            server.stop()


@click.command(help="Run an RQ worker for Hotline's background jobs.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    from workers.main import run_worker

    configure(log_level(os.environ))
    with opened_services(settings_to_run(), supervise=not burst) as services:
        run_worker(services, burst=burst)


@click.command(help="Check what the night depends on: Redis, workers, the queue, the clock.")
def doctor() -> None:
    from hotline.health import every_check

    with opened_services() as services:
        checks = every_check(services)
    for check in checks:
        click.echo(f"{'ok' if check.ok else 'FAIL':<5} {check.name:<12} {check.detail}")
    if not all(check.ok for check in checks):
        raise SystemExit(1)


@click.command(help="Start Redis, the web server and a worker, and walk through a few calls.")
@click.option("--port", default=5055, show_default=True, type=int)
@click.option(
    "--scenario",
    default="demo",
    show_default=True,
    help="The night to play live: demo-leak rotates the leaked number a minute in.",
)
def demo(port: int, scenario: str) -> None:
    from hotline.demo import run_demo

    sys.exit(run_demo(port=port, scenario_name=scenario))


COMMANDS = (serve, worker, doctor, demo)
