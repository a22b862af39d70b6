"""GET /metrics, behind a bearer token.

No HOTLINE_METRICS_TOKEN: /metrics is not served (404), so that no figure of the night is
open to whoever finds the address. With one, a scrape must send it as a bearer token
(`Authorization: Bearer <token>`), or gets 401.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, abort, request

from hotline.metrics import CONTENT_TYPE, WebMetrics, scrape
from hotline.services import Services


def init_metrics(app: Flask, services: Services) -> None:
    """Attach the web metrics to `app` and serve them. The voice webhooks time themselves
    (voice/common.py), from before their signature check to their end.
    """
    metrics = WebMetrics()
    app.extensions["metrics"] = metrics

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
