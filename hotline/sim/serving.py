"""A real HTTP server on a loopback port, in a thread, for one simulation.

Its WSGI app is set after it starts: the app needs the server's address (its
public URL, or the REST base URL it is told to use) before it can be built.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # a night is thousands of requests
        pass


class LoopbackServer:
    def __init__(self, server: BaseWSGIServer) -> None:
        self._server = server
        self._app = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def server_port(self) -> int:
        return self._server.server_port

    def set_app(self, app) -> None:
        self._app = app

    def __call__(self, environ, start_response):
        if self._app is None:
            # Up before its app: a server that is not ready yet, as a client would find one.
            start_response(
                "503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "1")]
            )
            return [b"not ready"]
        return self._app(environ, start_response)


@contextlib.contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    holder: dict[str, LoopbackServer] = {}
    server = make_server(
        "127.0.0.1", 0, lambda e, s: holder["app"](e, s), threaded=False, request_handler=_Quiet
    )
    holder["app"] = LoopbackServer(server)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-http", daemon=True
    )
    thread.start()
    try:
        yield holder["app"]
    finally:
        server.shutdown()
        thread.join(timeout=5)
