"""How many console requests one web worker serves at once: never all its threads.

Twilio gives a webhook 15 seconds, and a chair on the line hears silence while it waits.
The console shares the web workers' threads with the webhooks, so its requests may hold
at most `console_threads` (hotline/config/hotline.toml, [web]) of a worker's threads at once,
and the rest are always free for Twilio. A console request that finds them all taken is
not queued (it would hold a thread while it waits): it is answered at once with 503 and
Retry-After, and the page asks again a little later.

The console's static files are not counted: they are read from disk and sent, as quick
as any 404, and the page would lose its style sheet to a busy moment.
"""

from __future__ import annotations

import threading

from flask import Flask, Response, current_app, g, request

EXTENSION = "console_capacity"
RETRY_AFTER_S = 1


class Capacity:
    """A per-process count of the console requests in progress, at most `slots`."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)

    def take(self) -> bool:
        """A slot, if one is free now; never waits."""
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


def install(app: Flask, slots: int) -> None:
    app.extensions[EXTENSION] = Capacity(slots)


def of(app: Flask) -> Capacity:
    return app.extensions[EXTENSION]


def admit() -> Response | None:
    """before_request hook of the console, before any other: a slot, or 503 at once."""
    if request.endpoint == "console.static":
        return None
    if not of(current_app).take():
        return Response(
            "The console is busy. Try again in a moment.\n",
            503,
            {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"},
            mimetype="text/plain",
        )
    g.console_slot = True
    return None


def release(_error: BaseException | None = None) -> None:
    """teardown hook of the console: give back the slot this request took, if any."""
    if g.pop("console_slot", False):
        of(current_app).give_back()
