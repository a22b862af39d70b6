"""GET /results: the public, read-only results page. No login, no caller data.

It shows, by county, precincts reporting of the total, and statewide the first and final
alignment and the SDEs per candidate (hotline/results_out.py). The page is the same for
everyone, so it is built at most once per CACHE_S per web process and served from memory
in between, and browsers and proxies may keep it as long (Cache-Control: public): a
crowd refreshing it costs Redis one read of the results every CACHE_S per process.
Plain HTML, no script: it works without JavaScript.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, current_app, render_template

from hotline.console.results_form import election_named
from hotline.results_out import totals
from hotline.services import Services

CACHE_S = 30

bp = Blueprint("public_results", __name__, template_folder="templates")


class PageCache:
    """The rendered page and when it was built (by the app's clock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.html: str | None = None
        self.built_at = 0.0


def init_public_results(app: Flask) -> None:
    app.extensions["public_results"] = PageCache()
    app.register_blueprint(bp)


@bp.get("/results")
def results() -> Response:
    services: Services = current_app.extensions["hotline"]
    cache: PageCache = current_app.extensions["public_results"]
    now = services.clock.now()
    with cache.lock:
        if cache.html is None or not 0 <= now - cache.built_at < CACHE_S:
            election = election_named(services.settings.election)
            figures = totals(election, services.store.results.all_latest())
            cache.html = render_template("results_public.html", t=figures, cache_s=CACHE_S)
            cache.built_at = now
        html = cache.html
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = f"public, max-age={CACHE_S}"
    return response
