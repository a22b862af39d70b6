"""`hotline demo`: a caucus night, live, on this machine.

It starts a real Redis (embedded, under var/demo), `hotline serve` and
`hotline worker` as separate processes, loads the Iowa 2020 roster, then plays
the `demo` scenario against them in real time over HTTP: chairs keying in
their precinct and PIN, volunteers phoning the volunteer line and Hotline's
worker putting chairs through to them (through a stand-in for Twilio's REST
API, in this process), and a flood of nuisance callers that Hotline diverts
and then blocks. A live view shows the
line while it runs, and an admin login made for the run opens the admins' board
on it; in `demo-leak` the admins rotate the leaked number a minute in and the
texted chairs move to the new one. At the end the same night is replayed, in virtual time,
on the 2020 first-come first-served line and on a calm night, for comparison,
and the night's report is made from Hotline's own records of it.
No Twilio account is needed: calls are signed with a key made for the run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from hotline.night_report import night_report
from hotline.night_report.render import render_html, render_text
from hotline.night_report.window import Window
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.chart import render_chart, write_chart
from hotline.sim.compare import simulate
from hotline.sim.live import run_live
from hotline.sim.night import Night, read_pin_defence, read_results
from hotline.sim.population import draw_population, roster_precincts
from hotline.sim.report import POLICY_TITLES, clock_text, figures, render
from hotline.sim.scenario import load_scenario
from hotline.sim.serving import loopback_server
from hotline.store.embedded import EmbeddedRedis

DEMO_DIR = Path("var") / "demo"
ACCOUNT_SID = "AC" + "d" * 32
SEED = 2020
# The admins' board's login for the run; its password is made afresh each run.
ADMIN_NAME = "admin"


def run_demo(port: int, scenario_name: str = "demo") -> int:
    with contextlib.ExitStack() as stack:
        return _run_demo(stack, port, scenario_name)


def _run_demo(stack: contextlib.ExitStack, port: int, scenario_name: str) -> int:
    data_dir = DEMO_DIR.resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    scenario = load_scenario(scenario_name)
    population = draw_population(scenario, SEED)
    redis_server = EmbeddedRedis(data_dir / "redis")
    redis_server.start()
    redis_server.supervise()
    # Twilio's REST API, played by the simulator in this process: Hotline's workers move
    # chairs to volunteers and phone them back through it, as they would through Twilio.
    rest_stand_in = stack.enter_context(loopback_server())
    env = {
        **os.environ,
        # Loopback URLs and keys made for the run: a development setup by design.
        "HOTLINE_ENV": "development",
        "REDIS_URL": redis_server.url,
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_PORT": str(port),
        "HOTLINE_BIND": "127.0.0.1",
        "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOTLINE_SECRET_KEY": secrets.token_hex(32),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_API_BASE_URL": rest_stand_in.url,
        "WEB_CONCURRENCY": "2",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        settings = Settings.load(env=env)
        services = Services.build(settings)
        services.store.roster.replace_all(roster_precincts(population, services.settings.pin_key()))
        _say(
            f"Roster: {services.store.roster.count():,} Iowa precincts loaded; "
            f"{sum(1 for c in population.chairs)} of their chairs will call."
        )
        log = open(data_dir / "services.log", "ab")  # noqa: SIM115 - lives as long as the processes
        for command in ("serve", "worker"):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "hotline.cli", command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_until_healthy(port, processes)
        _say(
            f"Hotline is answering on {settings.public_url} (web server and worker running, "
            f"Redis at {redis_server.url})."
        )
        _say(
            f"Admins' board: {settings.public_url}/console/admin — sign in as {ADMIN_NAME} / "
            f"{_make_admin(services)} (a login made for this run)\n"
        )
        _say(f"Live: {scenario.description}. Watch the line (every 5 s):")
        started = services.clock.now()
        live = run_live(
            scenario,
            population,
            public_url=settings.public_url,
            auth_token=env["TWILIO_AUTH_TOKEN"],
            account_sid=ACCOUNT_SID,
            queue_name=settings.queue_name,
            on_sample=_LiveView(),
            rest=rest_stand_in,
            services=services,
            store_volunteer_reports=True,
        )
        time.sleep(2.0)  # the worker finishes the last call-end jobs
        read_pin_defence(live, services)
        read_results(live, services)
        _say("\nThe same night replayed in virtual time on the 2020 line and on a calm night...")
        others = simulate(
            scenario, seed=SEED, redis_url=redis_server.url, policies=("fifo", "calm")
        )
        results = {"triage": figures(live)} | {p: n.figures for p, n in others.items()}
        _say("")
        _say(
            render(results, title=f"{scenario.name}: Hotline live over HTTP, the others simulated")
        )
        chart = write_chart(
            data_dir / "demo-night.html",
            render_chart(
                {POLICY_TITLES["triage"]: [(m, w) for m, w, _ in live.samples]}
                | {POLICY_TITLES[p]: [(m, w) for m, w, _ in n.samples] for p, n in others.items()},
                title="Chairs waiting: the demo night",
                subtitle=scenario.description,
                x_label="time into the night (h:mm)",
            ),
        )
        _show_hotline_view(services)
        night_page = _show_night_report(
            services, Window(started, services.clock.now()), data_dir / "night-report.html"
        )
        _say(f"\nChart of the night: {chart}")
        _say(f"The night's report, with charts: {night_page}")
        _how_to_go_live()
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        redis_server.stop()


def _make_admin(services: Services) -> str:
    """An admin login for the run, as `hotline users add --role admin` makes one; returns
    its password, shown once on the terminal (the demo's Redis is thrown away each run).
    """
    password = secrets.token_urlsafe(12)
    services.store.users.add(ADMIN_NAME, "admin", password, author="hotline demo")
    return password


class _LiveView:
    """The line every 5 s; once the number is rotated, the rotation, and from then on how
    many chairs have called the new number.
    """

    def __init__(self) -> None:
        self._rotation_shown = False

    def __call__(self, night: Night) -> None:
        minute, waiting, in_line = night.samples[-1]
        answered = sum(1 for c in night.chairs if c.answered_at is not None)
        nuisance = [call for caller in night.nuisance for call in caller.calls]
        rejected = sum(1 for c in nuisance if c.outcome == "rejected")
        diverted = sum(1 for c in nuisance if c.outcome == "diverted")
        talking = sum(1 for volunteer in night.volunteers if volunteer.talking)
        rotation = night.rotation
        if rotation is not None and not self._rotation_shown:
            self._rotation_shown = True
            _say(
                f"  The number leaked: the admins rotated it at "
                f"{clock_text(rotation.at - night.starts_at)}. {rotation.new} is the hotline's "
                f"number, {', '.join(rotation.old)} retired; texting {rotation.chairs} chairs."
            )
        moved = ""
        if rotation is not None:
            on_new = sum(1 for c in night.chairs if any(x.to == rotation.new for x in c.calls))
            moved = f" | chairs on the new number {on_new:>2}"
        _say(
            f"  {clock_text(minute * 60):>6}  chairs answered {answered:>3}, "
            f"still trying {waiting:>3} (on hold {in_line:>2}) | volunteers talking "
            f"{talking}/{len(night.volunteers)} | nuisance calls {len(nuisance):>3}: "
            f"diverted {diverted:>3}, rejected {rejected:>3}{moved}"
        )


def _show_hotline_view(services: Services) -> None:
    """What an admin sees afterwards with `hotline blocks` and `hotline calls`."""
    blocks = services.store.blocks.active()
    _say(f"\nBlocks Hotline put in place ({len(blocks)}), as `hotline blocks` lists them:")
    for block in blocks[:8]:
        _say(f"  {block.target:<14} by {block.author}: {block.reason}")
    if len(blocks) > 8:
        _say(f"  ... and {len(blocks) - 8} more")


def _show_night_report(services: Services, window: Window, path: Path) -> Path:
    """The live night as `hotline report` tells it, from Hotline's own records: printed, and
    written as a page with charts.
    """
    report = night_report(services, window)
    _say("\nThe same night from Hotline's own records, as `hotline report` tells it:\n")
    _say(render_text(report))
    return write_chart(path, render_html(report))


def _how_to_go_live() -> None:
    _say("""
To put a real Twilio number in front of Hotline:
  1. export HOTLINE_PUBLIC_URL=https://your-host   (the address Twilio reaches)
     export TWILIO_AUTH_TOKEN=...  TWILIO_ACCOUNT_SID=...
     export HOTLINE_SECRET_KEY=$(openssl rand -hex 32)   (keep it: PINs are keyed with it)
  2. hotline precincts import your-roster.csv ; hotline serve ; hotline worker
  3. In the Twilio console, for the chairs' number set
       A call comes in:      Webhook  POST  $HOTLINE_PUBLIC_URL/voice/incoming
       Call status changes:            POST  $HOTLINE_PUBLIC_URL/voice/status
See README.md, "Going live".""")


def _wait_until_healthy(
    port: int, processes: list[subprocess.Popen[bytes]], timeout_s: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"the web server or worker did not come up on port {port}; see var/demo/services.log"
    )


def _say(text: str) -> None:
    print(text, flush=True)
