"""The application factory: one Flask app per call, with its services attached."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.forms import HotlineRequest
from hotline.health import essential_checks
from hotline.security_headers import add_security_headers
from hotline.services import Services
from hotline.settings import ConfigError, Settings
from hotline.store.embedded import EmbeddedRedis

log = logging.getLogger(__name__)


def create_app(services: Services | None = None) -> Flask:
    """Build the web app. Without `services` (`hotline serve`, the Procfile's gunicorn),
    settings come from hotline/config/ and the environment and must pass the production checks;
    with no REDIS_URL the embedded Redis must already be running (`hotline serve` starts
    it before the web workers fork).
    """
    if services is None:
        settings = Settings.load()
        settings.check_for_production()
        if not settings.redis_url and not EmbeddedRedis(settings.data_dir).is_running():
            raise ConfigError(
                f"REDIS_URL is not set and no embedded Redis runs under {settings.data_dir}: "
                "start the web server with `hotline serve`, or set REDIS_URL"
            )
        services = Services.build(settings)
    app = Flask(__name__)
    app.request_class = HotlineRequest
    init_app(app, services)
    return app


def init_app(app: Flask, services: Services) -> None:
    from hotline.console import init_console
    from hotline.metrics_route import init_metrics
    from hotline.public_results import init_public_results
    from hotline.voice import init_voice

    app.extensions["hotline"] = services
    proxies = services.settings.trusted_proxies
    if proxies:
        # The client's address is the one our own proxies saw (the `proxies`-th from the
        # end of X-Forwarded-For): anything before it is whatever the client chose to send.
        # Only the address: nothing else of the request is taken from headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=0)
    app.after_request(add_security_headers)
    init_metrics(app, services)
    init_voice(app)
    init_console(app, services)
    init_public_results(app)

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, object], int]:
        """200 only while Redis answers, a worker's heartbeat is fresh and the queue moves:
        what a load balancer or a monitor needs to act on.
        """
        try:
            checks = essential_checks(services)
        except Exception:  # noqa: BLE001 - any failure while checking means "not healthy"
            log.exception("health check failed")
            return {"ok": False}, 503
        ok = all(check.ok for check in checks)
        return {"ok": ok, "checks": {check.name: check.detail for check in checks}}, (
            200 if ok else 503
        )
