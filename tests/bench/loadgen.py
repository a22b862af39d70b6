"""A small closed-loop load generator: N client processes on loopback.

Each process sends its share of pre-built requests one after another, each on a
new connection (the requests say `Connection: close`, so gunicorn's gthread
workers close it after the response, as sync workers always did), and times each
exchange from connect to the server closing the connection. Every server pays the
same for the connections, so they weigh alike in every ratio. Bounded in count
and in time.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

_RECV = 65536


@dataclass
class ClientResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    finished: float = 0.0
    cpu_s: float = 0.0
    timed_out: bool = False


@dataclass(frozen=True)
class RunResult:
    requests: int  # answered with any HTTP status
    ok: int  # answered 200
    elapsed_s: float
    latencies_s: list[float]  # of every answered request, sorted
    statuses: dict[int, int]
    answers: dict[str, int]
    errors: dict[str, int]
    client_cpu_s: float
    timed_out: bool

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0


def classify(body: bytes) -> str:
    """Which answer the caller got, from the TwiML."""
    if b"/voice/precinct" in body:
        return "challenge"
    if b"/voice/pin" in body:
        return "fast-track"
    if b"<Reject" in body:
        return "reject"
    if b"<Hangup" in body:
        return "divert"
    return "other"


def exchange(address: tuple[str, int], request: bytes, timeout_s: float) -> tuple[int, bytes]:
    """Send one request on a new connection; (status, body) once the server closes it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        sock.connect(address)
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(_RECV):
            chunks.append(chunk)
    finally:
        sock.close()
    response = b"".join(chunks)
    head, _, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        raise ConnectionError("not an HTTP response")
    return int(head[9:12]), body


def _client(
    requests: list[bytes],
    address: tuple[str, int],
    go: Event,
    deadline_s: float,
    timeout_s: float,
    results: Queue,
) -> None:
    result = ClientResult()
    go.wait()
    cpu = os.times()
    result.started = time.perf_counter()
    stop_at = result.started + deadline_s
    for request in requests:
        begin = time.perf_counter()
        if begin > stop_at:
            result.timed_out = True
            break
        try:
            status, body = exchange(address, request, timeout_s)
        except (OSError, ValueError) as error:
            result.errors[type(error).__name__] += 1
            continue
        result.latencies_s.append(time.perf_counter() - begin)
        result.statuses[status] += 1
        result.answers[classify(body)] += 1
    result.finished = time.perf_counter()
    done = os.times()
    result.cpu_s = (done.user - cpu.user) + (done.system - cpu.system)
    results.put(result)


def run(
    address: tuple[str, int],
    requests: list[bytes],
    *,
    concurrency: int,
    deadline_s: float,
    timeout_s: float = 10.0,
    on_start: Callable[[], None] | None = None,  # called just before the clients are let go
) -> RunResult:
    """Send every request in `requests` (split over `concurrency` processes)."""
    context = multiprocessing.get_context("fork")
    go = context.Event()
    results = context.Queue()
    procs = [
        context.Process(
            target=_client,
            args=(requests[i::concurrency], address, go, deadline_s, timeout_s, results),
            daemon=True,
        )
        for i in range(min(concurrency, len(requests)))
    ]
    for proc in procs:
        proc.start()
    try:
        time.sleep(0.2)  # let every client reach the starting line
        if on_start is not None:
            on_start()
        go.set()
        collected = [results.get(timeout=deadline_s + timeout_s + 30) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
    return _merge(collected)


def _merge(parts: list[ClientResult]) -> RunResult:
    latencies = sorted(x for part in parts for x in part.latencies_s)
    statuses: Counter[int] = Counter()
    answers: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for part in parts:
        statuses.update(part.statuses)
        answers.update(part.answers)
        errors.update(part.errors)
    return RunResult(
        requests=len(latencies),
        ok=statuses.get(200, 0),
        elapsed_s=max(p.finished for p in parts) - min(p.started for p in parts),
        latencies_s=latencies,
        statuses=dict(statuses),
        answers=dict(answers),
        errors=dict(errors),
        client_cpu_s=sum(p.cpu_s for p in parts),
        timed_out=any(p.timed_out for p in parts),
    )
