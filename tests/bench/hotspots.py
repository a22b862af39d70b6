"""Where a webhook's CPU goes: cProfile over many requests in-process, bare route and
/voice/incoming side by side, against the benchmark's real Redis.

The requests are the load generator's own (the same signed bytes), turned into WSGI
environs before the clock starts, and handed to each app as gunicorn hands them: so
the profile holds the apps' own work and nothing of a test client. gunicorn's own
share (accepting, parsing, writing) is the same for both apps and is not here; the
benchmark's server CPU per request, read from /proc, holds it.

    python -m tests.bench.hotspots     (also part of `python -m tests.bench.incoming`)
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

TOP = int(os.environ.get("HOTLINE_PROFILE_TOP", "15"))


@dataclass(frozen=True)
class Hotspot:
    where: str  # file:line(function), shortened
    own_us: float  # per request, in the function itself
    total_us: float  # per request, with everything it calls
    calls: float  # per request


@dataclass(frozen=True)
class Profile:
    requests: int
    cpu_us: float  # per request, measured without the profiler
    profiled_us: float  # per request, under the profiler (its own cost inflates this)
    by_own: list[Hotspot]
    by_total: list[Hotspot]
    by_package: dict[str, float]  # own time per request, summed by top-level package

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "cpu_us_per_request": self.cpu_us,
            "profiled_us_per_request": self.profiled_us,
            "top_by_own_time": [vars(h) for h in self.by_own],
            "top_by_total_time": [vars(h) for h in self.by_total],
            "own_time_by_package_us": self.by_package,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        return cls(
            requests=data["requests"],
            cpu_us=data["cpu_us_per_request"],
            profiled_us=data["profiled_us_per_request"],
            by_own=[Hotspot(**h) for h in data["top_by_own_time"]],
            by_total=[Hotspot(**h) for h in data["top_by_total_time"]],
            by_package=data["own_time_by_package_us"],
        )


def environ_from_wire(request: bytes) -> dict[str, Any]:
    """A WSGI environ for one raw HTTP/1.1 request, as gunicorn builds it."""
    head, _, body = request.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ")
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
    }
    for line in header_lines:
        name, _, value = line.partition(":")
        key = name.strip().upper().replace("-", "_")
        if key == "HOST":
            host, _, port = value.strip().partition(":")
            environ.update(SERVER_NAME=host, SERVER_PORT=port or "80")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value.strip()
        else:
            environ[f"HTTP_{key}"] = value.strip()
    return environ


def _serve(app: Callable, environs: Iterable[dict[str, Any]]) -> None:
    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
        if not status.startswith("200"):
            raise RuntimeError(f"in-process request answered {status}")
        return lambda data: None

    for environ in environs:
        body = app(environ, start_response)
        try:
            for _chunk in body:
                pass
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


def profile(
    app: Callable,
    requests: list[bytes],
    *,
    warmup: int = 200,
    reset: Callable[[], None] | None = None,
) -> Profile:
    """Serve `requests` to `app` twice (after `reset()` each time, if given): once timed
    without the profiler, once under it.
    """
    _serve(app, [environ_from_wire(r) for r in requests[:warmup]])
    measured = requests[warmup:]

    if reset is not None:
        reset()
    environs = [environ_from_wire(r) for r in measured]
    began = time.process_time()
    _serve(app, environs)
    cpu_us = (time.process_time() - began) / len(measured) * 1e6

    if reset is not None:
        reset()
    environs = [environ_from_wire(r) for r in measured]
    # Wall time: a CPU-time timer costs a system call per event here and would swamp
    # what it measures. So the socket reads include the wait for Redis's answer.
    profiler = cProfile.Profile()
    began = time.process_time()
    profiler.enable()
    _serve(app, environs)
    profiler.disable()
    profiled_us = (time.process_time() - began) / len(measured) * 1e6
    return _summarise(pstats.Stats(profiler), len(measured), cpu_us, profiled_us)


def _summarise(stats: pstats.Stats, n: int, cpu_us: float, profiled_us: float) -> Profile:
    rows = []
    packages: dict[str, float] = {}
    for (filename, line, function), (_cc, calls, own, total, _callers) in stats.stats.items():
        where = f"{_short(filename)}:{line}({function})"
        rows.append(Hotspot(where, own / n * 1e6, total / n * 1e6, calls / n))
        package = _package(filename, function)
        packages[package] = packages.get(package, 0.0) + own / n * 1e6
    by_package = dict(sorted(packages.items(), key=lambda kv: -kv[1]))
    return Profile(
        requests=n,
        cpu_us=cpu_us,
        profiled_us=profiled_us,
        by_own=sorted(rows, key=lambda h: -h.own_us)[:TOP],
        by_total=sorted(rows, key=lambda h: -h.total_us)[:TOP],
        by_package=by_package,
    )


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3", "/work/"):
        if marker in filename:
            tail = filename.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3" else tail
    return filename


def _package(filename: str, function: str) -> str:
    """The top-level package a function belongs to: flask, werkzeug, redis, hotline, ..."""
    if filename == "~":
        if "_socket.socket" in function or "select.poll" in function:
            return "sockets"  # wall time: mostly the wait for Redis's answer
        return "builtins"  # C functions: dict lookups, hmac, json's C parts, ...
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/lib/python3" in filename:
        return "stdlib:" + filename.rsplit("/", 1)[1].removesuffix(".py")
    if "/hotline/" in filename:
        return "hotline"
    return _short(filename).split("/", 1)[0]


def print_profiles(profiles: dict[str, Profile], labels: dict[str, str]) -> None:
    for name, prof in profiles.items():
        print(
            f"\nprofile of {labels[name]} in-process, {prof.requests} requests: "
            f"{prof.cpu_us:.0f} µs CPU per request "
            f"({prof.profiled_us:.0f} µs under the profiler)"
        )
        print(f"  {'own µs':>7} {'total µs':>8} {'calls':>6}  function (top {TOP} by own time)")
        for h in prof.by_own:
            print(f"  {h.own_us:>7.1f} {h.total_us:>8.1f} {h.calls:>6.1f}  {h.where}")
        packages = ", ".join(f"{k} {v:.0f}" for k, v in list(prof.by_package.items())[:8])
        print(f"  own µs by package: {packages}")
    if len(profiles) == 2:
        bare, other = profiles.values()
        print(
            f"\nextra CPU per request over the bare route, in-process: "
            f"{other.cpu_us - bare.cpu_us:.0f} µs"
        )
        extra = {k: v - bare.by_package.get(k, 0.0) for k, v in other.by_package.items()}
        top = sorted(extra.items(), key=lambda kv: -kv[1])[:8]
        print(
            "  of which, by package (own µs, profiled): "
            + ", ".join(f"{k} {v:+.0f}" for k, v in top)
        )


def main() -> int:
    from tests.bench import incoming

    return incoming.main(["--profile-only"])


if __name__ == "__main__":
    sys.exit(main())
