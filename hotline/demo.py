"""`hotline demo`: the whole stack on this machine, and a few calls through it.

It starts a real Redis (embedded, under var/demo), the web server and a
worker as separate processes, loads the Iowa 2020 roster, then plays a short
evening over real HTTP: chairs who get through, a nuisance caller who redials
until the hotline stops answering, and a PIN guesser who never gets in.
No Twilio account is needed: the calls are signed with a key made for the run.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from hotline.roster_file import read_roster
from hotline.roster_import import import_roster
from hotline.services import Services
from hotline.settings import PROJECT_ROOT, Settings
from hotline.sim.phone import CallTranscript, HttpPhone
from hotline.store.embedded import EmbeddedRedis

IOWA_ROSTER = PROJECT_ROOT / "data" / "iowa-2020" / "precincts.csv"
DEMO_DIR = Path("var") / "demo"
# Two chairs registered their own phones; everyone else keys in the precinct.
REGISTERED = {"77001": "+15155550177", "52001": "+13195550152"}


def run_demo(port: int) -> int:
    data_dir = DEMO_DIR.resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    redis_server = EmbeddedRedis(data_dir / "redis")
    redis_server.start()
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_PORT": str(port),
        "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOTLINE_SECRET_KEY": secrets.token_hex(32),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "WEB_CONCURRENCY": "2",
        "HOTLINE_BIND": "127.0.0.1",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        settings = Settings.load(env=env)
        services = Services.build(settings)
        pins = _load_roster(services, data_dir)
        _say(f"Roster: {services.store.roster.count()} Iowa precincts loaded "
             f"(PIN sheet in {data_dir}).")  # fmt: skip
        log = open(data_dir / "services.log", "ab")  # noqa: SIM115 - lives as long as the processes
        for command in ("serve", "worker"):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", command], env=env,
                stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
            ))  # fmt: skip
        _wait_until_healthy(port, processes)
        _say(f"Web server on http://127.0.0.1:{port}, one worker, Redis at {redis_server.url}\n")
        phone = HttpPhone(settings.public_url, env["TWILIO_AUTH_TOKEN"])
        _play_evening(phone, pins)
        time.sleep(1.0)  # let the worker finish the call-end jobs
        _show_state(services)
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


def _load_roster(services: Services, data_dir: Path) -> dict[str, str]:
    rows = read_roster(IOWA_ROSTER.read_text(encoding="utf-8"), layout="iowa-2020")
    rows = [dataclasses.replace(r, chair_phone=REGISTERED.get(r.code)) for r in rows]
    sheet = data_dir / "pin-sheet.csv"
    import_roster(services.store.roster, rows,
                  secret_key=services.settings.require_secret_key(), pin_sheet=sheet)  # fmt: skip
    lines = sheet.read_text().splitlines()[1:]
    return {line.split(",")[0]: line.rsplit(",", 1)[1] for line in lines}


def _play_evening(phone: HttpPhone, pins: dict[str, str]) -> None:
    calls = 0

    def ring(title: str, caller: str, keys: list[str], **extra: str) -> CallTranscript:
        nonlocal calls
        calls += 1
        transcript = phone.call(f"CADEMO{calls:04d}", caller, keys, extra=extra)
        if transcript.outcome != "holding":
            phone.end(transcript, duration_s=40)
        _say(f"  {title}\n    from {caller}: {transcript.outcome}")
        for line in transcript.heard:
            _say(f"      hears: {line}")
        return transcript

    _say("1. A chair keys in precinct and PIN (Adair, 1NW ADAIR = precinct 1001):")
    ring("chair of 1001", "+15155550101", ["1001", pins["1001"]])
    _say("\n2. A chair calls from the phone registered for Polk precinct 77001: PIN only:")
    ring("chair of 77001", REGISTERED["77001"], [pins["77001"]])
    _say("\n3. A chair mistypes the PIN once:")
    wrong = "0000" if pins["52002"] != "0000" else "1111"
    ring("chair of 52002", "+13195550202", ["52002", wrong, pins["52002"]])
    _say("\n4. The number leaked: one nuisance caller redials ten times and hangs up at once:")
    for attempt in range(1, 11):
        transcript = phone.call(f"CATROLL{attempt:04d}", "+17125550666", [])
        phone.end(transcript, duration_s=3)
        _say(f"    call {attempt:>2}: {transcript.outcome}")
    _say("\n5. A withheld caller guesses PINs for precinct 1001:")
    ring("PIN guesser", "Anonymous", ["1001", "1234", "5678", "9999"])


def _show_state(services: Services) -> None:
    _say("\nThe priority line now:")
    for place, chair in enumerate(services.store.line.waiting(), start=1):
        _say(f"  {place}. precinct {chair.precinct} ({chair.verified_how})")
    _say("\nBlocks in force:")
    for block in services.store.blocks.active():
        _say(f"  {block.target} by {block.author}: {block.reason}")
    _say("\nRecent verdicts (hotline calls):")
    for record in services.store.calls.recent(8):
        _say(f"  {record.call_sid:<12} {record.number or 'withheld':<14} "
             f"{record.verdict or '(in progress)':<14} {'; '.join(record.reasons)}")  # fmt: skip


def _how_to_go_live() -> None:
    _say("""
To put a real Twilio number in front of Hotline:
  1. export HOTLINE_PUBLIC_URL=https://your-host   (the address Twilio reaches)
     export TWILIO_AUTH_TOKEN=...  TWILIO_ACCOUNT_SID=...  HOTLINE_SECRET_KEY=...
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
