"""How the simulated network reaches the app: signed form posts, in-process or over HTTP."""

from __future__ import annotations

import http.client
import io
import itertools
import sys
import time
import urllib.parse
from functools import lru_cache
from typing import Protocol

from twilio.request_validator import RequestValidator

from hotline.voice.signature import FormValues


class Transport(Protocol):
    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        """POST `params` to `url`, signed; returns (status, body)."""
        ...


# A night's webhooks carry the same few thousand names and values over and over (the
# account, the numbers, each call's SID on each of its requests): each is quoted once.
_quoted = lru_cache(maxsize=1 << 16)(urllib.parse.quote_plus)


def form_body(params: dict[str, str]) -> str:
    """`urllib.parse.urlencode(params)` for a form of strings, byte for byte."""
    return "&".join(f"{_quoted(str(name))}={_quoted(str(value))}" for name, value in params.items())


class _Signer:
    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)

    def signature(self, url: str, params: dict[str, str]) -> str:
        return self._validator.compute_signature(url, FormValues(params))

    def headers(self, url: str, params: dict[str, str]) -> dict[str, str]:
        return {
            "X-Twilio-Signature": self.signature(url, params),
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
        }


class WsgiTransport:
    """Calls a WSGI app in this process: virtual time, no sockets between sim and app.

    The environ is built by hand, as a server would build it: a night sends
    hundreds of thousands of webhooks, and a test client's request builder
    would cost more than the app's answer.
    """

    def __init__(self, app, auth_token: str) -> None:
        self._app = app
        self._signer = _Signer(auth_token)

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        parts = urllib.parse.urlsplit(url)
        body = form_body(params).encode()
        signature = self._signer.signature(url, params)
        secure = parts.scheme == "https"
        environ = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": urllib.parse.unquote(parts.path),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or (443 if secure else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": parts.netloc,
            "HTTP_X_TWILIO_SIGNATURE": signature,
            "HTTP_USER_AGENT": "TwilioProxy/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        status: list[str] = []

        def start_response(line: str, headers, exc_info=None):
            status.append(line)

        chunks = self._app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return int(status[0].split(" ", 1)[0]), payload.decode()


class HttpTransport:
    """Real HTTP to a running server, one kept-alive connection per host.

    With `backends`, requests go round-robin to those servers instead of the URL's host,
    still signed for the URL: what a load balancer in front of several web processes
    does. Each request's time to its answer is kept in `latencies` (seconds).
    """

    def __init__(
        self, auth_token: str, *, timeout_s: float = 15.0, backends: list[str] | None = None
    ) -> None:
        self._signer = _Signer(auth_token)
        self._timeout = timeout_s
        self._connections: dict[str, http.client.HTTPConnection] = {}
        self._backends = [urllib.parse.urlsplit(url) for url in backends or []]
        self._turn = itertools.count()
        self.latencies: list[float] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            return self._post(url, params)
        finally:
            self.latencies.append(time.perf_counter() - started)

    def _post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = form_body(params)
        headers = self._signer.headers(url, params)
        if self._backends:
            backend = self._backends[next(self._turn) % len(self._backends)]
            parts = parts._replace(scheme=backend.scheme, netloc=backend.netloc)
        for attempt in (1, 2):  # a kept-alive connection the server closed is opened again
            connection = self._connection(parts)
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read().decode()
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                self._connections.pop(parts.netloc, None)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def _connection(self, parts: urllib.parse.SplitResult) -> http.client.HTTPConnection:
        connection = self._connections.get(parts.netloc)
        if connection is None:
            factory = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = factory(parts.netloc, timeout=self._timeout)
            self._connections[parts.netloc] = connection
        return connection
