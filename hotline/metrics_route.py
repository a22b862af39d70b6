"""GET /metrics, behind a bearer token, and the timing of every webhook it reports.

No HOTLINE_METRICS_TOKEN: /metrics is not served (404), so that no figure of the night is
open to whoever finds the address. With one, a scrape must send it as a bearer token
(`Authorization: Bearer <token>`), or gets 401.
"""

from __future__ import annotations

import hmac
import time

from flask import Flask, Response, abort, g, request

from hotline.metrics import CONTENT_TYPE, WebMetrics, scrape
from hotline.services import Services
from hotline.voice.common import VOICE_PREFIX, route_of_request


def init_metrics(app: Flask, services: Services) -> None:
    """Attach the web metrics to `app`. Call it before the voice routes are registered:
    its timer must start before their signature check runs (hooks run in the order they
    were added), so that a webhook's time is all of it.
    """
    metrics = WebMetrics()
    app.extensions["metrics"] = metrics

    @app.before_request
    def start_webhook_timer() -> None:
        if request.path.startswith(VOICE_PREFIX):
            # Elapsed real time, not the injected clock: this is how long Twilio waited.
            g.webhook_started = time.perf_counter()

    @app.teardown_request
    def observe_webhook(_error: BaseException | None) -> None:
        started = g.pop("webhook_started", None)
        if started is not None:
            metrics.observe_webhook(route_of_request(), time.perf_counter() - started)

    @app.get("/metrics")
    def serve_metrics() -> Response:
        token = services.settings.metrics_token
        if not token:
            abort(404)
        if not bearer_matches(request.headers.get("Authorization", ""), token):
            return Response(
                "a bearer token is required\n",
                status=401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return Response(scrape(metrics, services), headers={"Content-Type": CONTENT_TYPE})


def bearer_matches(header: str, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
