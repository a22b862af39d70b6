"""Redis servers in trouble, real in the only ways a troubled one can be: a port nobody
listens on, a socket that accepts and never answers, and a proxy that delays replies.
And a request helper that turns a hang into a failed test instead of a stuck run.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from redis.connection import parse_url

from tests.support.twilio import signed_post

# A hang guard, not a measure: with no time limits these requests would never end.
HANG_GUARD_S = 30.0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never says a word; yields its URL."""
    held: list[socket.socket] = []
    with _accepting(held.append) as url:
        yield url
    for connection in held:
        connection.close()


@contextmanager
def slow_proxy(redis_url: str, reply_delay_s: float) -> Iterator[str]:
    """The Redis at `redis_url` behind a proxy that holds every reply for `reply_delay_s`;
    yields the proxy's URL.
    """

    def relay(client: socket.socket) -> None:
        upstream = _connect(redis_url)
        _start(_pump, client, upstream, 0.0)
        _start(_pump, upstream, client, reply_delay_s)

    with _accepting(relay) as url:
        yield url


def post_or_fail(client, path: str, form: dict[str, str], query: dict | None = None):
    """A signed POST, in a thread, so that a hang fails the test instead of the run."""
    answer: list = []
    thread = threading.Thread(
        target=lambda: answer.append(signed_post(client, path, form, query=query))
    )
    thread.start()
    thread.join(HANG_GUARD_S)
    assert answer, f"{path} did not answer: no Redis time limit?"
    return answer[0]


@contextmanager
def _accepting(on_connection) -> Iterator[str]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            on_connection(connection)

    thread = _start(accept)
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join()
        server.close()


def _connect(url: str) -> socket.socket:
    options = parse_url(url)
    if "path" in options:
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(options["path"])
        return sock
    return socket.create_connection((options.get("host", "127.0.0.1"), options["port"]))


def _pump(source: socket.socket, sink: socket.socket, delay_s: float) -> None:
    try:
        while chunk := source.recv(65536):
            time.sleep(delay_s)
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        sink.close()


def _start(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread
