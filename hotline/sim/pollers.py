"""Open consoles, held open all night: signed-in sessions asking for a console page again
and again, as volunteers' and admins' browsers do.

Run as its own process (`python -m hotline.sim.pollers`), so its threads do not share an
interpreter with the simulator that times the webhooks. Each poller signs in as a browser
does (the login page for its CSRF token and session cookie, then the form), keeps its
own kept-alive connection and cookies, and requests `--path` every `--every` seconds
(staggered) until stopped with SIGTERM or SIGINT. Sign-ins come first, one after another
(argon2 is slow on purpose); a line `ready N` says N are signed in and polling begins.
When stopped it prints what they did as JSON:
{"pollers", "signed_in", "requests", "ok", "failed", "by_status", "p50_ms", "p99_ms",
"max_ms"}. `--path` is any console URL: the page (`/console/`), or a polling endpoint.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import signal
import sys
import threading
import time
import urllib.parse
from collections import Counter

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT_S = 10.0


class Poller(threading.Thread):
    def __init__(
        self,
        base: str,
        name: str,
        password: str,
        path: str,
        every_s: float,
        offset_s: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(daemon=True, name=f"poller-{offset_s:.2f}")
        self._target = urllib.parse.urlsplit(base)
        self._name, self._password = name, password
        self._path, self._every, self._offset = path, every_s, offset_s
        self._halt = stop
        self._connection: http.client.HTTPConnection | None = None
        self._cookies: dict[str, str] = {}
        self.signed_in = False
        self.statuses: Counter[int] = Counter()
        self.failed = 0
        self.latencies: list[float] = []

    def sign_in(self) -> bool:
        for _ in range(3):
            try:
                self.signed_in = self._sign_in()
            except (OSError, http.client.HTTPException):
                self._drop()
            if self.signed_in or self._halt.wait(1.0):
                break
        return self.signed_in

    def run(self) -> None:
        if self._halt.wait(self._offset):
            return
        while not self._halt.is_set():
            started = time.perf_counter()
            try:
                status, _ = self._request("GET", self._path)
                self.statuses[status] += 1
                self.latencies.append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                self.failed += 1
                self._drop()
            self._halt.wait(max(self._every - (time.perf_counter() - started), 0.0))
        self._drop()

    def _sign_in(self) -> bool:
        status, page = self._request("GET", "/console/login")
        token = _CSRF.search(page)
        if status != 200 or token is None:
            return False
        form = urllib.parse.urlencode(
            {"name": self._name, "password": self._password, "csrf_token": token.group(1)}
        )
        status, _ = self._request("POST", "/console/login", form)
        return status == 303

    def _request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        """One request; a kept-alive connection the server has closed meanwhile (gunicorn
        closes idle ones after a few seconds) is opened again once, as a browser does.
        """
        reused = self._connection is not None
        try:
            return self._send(method, path, body)
        except (OSError, http.client.HTTPException):
            if not reused:
                raise
        return self._send(method, path, body)

    def _send(self, method: str, path: str, body: str | None) -> tuple[int, str]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self._target.netloc, timeout=TIMEOUT_S)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self._cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self._drop()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self._cookies[name.strip()] = value.strip()
        if response.getheader("Connection", "").lower() == "close":
            self._drop()
        return response.status, text

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _ms(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(int(p * len(ordered)), len(ordered) - 1)] * 1000, 1)


def summary(pollers: list[Poller]) -> dict[str, object]:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    for poller in pollers:
        statuses.update(poller.statuses)
        latencies.extend(poller.latencies)
    return {
        "pollers": len(pollers),
        "signed_in": sum(1 for p in pollers if p.signed_in),
        "requests": sum(statuses.values()) + sum(p.failed for p in pollers),
        "ok": statuses.get(200, 0),
        "failed": sum(p.failed for p in pollers),
        "by_status": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": _ms(latencies, 0.5),
        "p99_ms": _ms(latencies, 0.99),
        "max_ms": round(max(latencies, default=0.0) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the web server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--user", required=True)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between requests")
    parser.add_argument("--path", default="/console/")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n")  # never on the command line
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    pollers = [
        Poller(
            args.url,
            args.user,
            password,
            args.path,
            args.every,
            offset_s=args.every * n / max(args.count, 1),
            stop=stop,
        )
        for n in range(args.count)
    ]
    ready = sum(1 for poller in pollers if not stop.is_set() and poller.sign_in())
    print(f"ready {ready}", flush=True)
    for poller in pollers:
        poller.start()
    while not stop.wait(0.2):
        pass
    for poller in pollers:
        poller.join(timeout=TIMEOUT_S + 1)
    print(json.dumps(summary(pollers)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
