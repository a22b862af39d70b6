"""Gunicorn, run in-process by `hotline serve` with hotline/config/gunicorn_conf.py, and
the logger that config gives it.
"""

from __future__ import annotations

from gunicorn import glogging
from gunicorn.app.base import Application

from hotline.logging_setup import JsonFormatter, MaskNumbers, configure
from hotline.settings import Settings

# A module, as the Procfile names it too: found wherever the package is installed.
GUNICORN_CONFIG = "python:hotline.config.gunicorn_conf"


class _Gunicorn(Application):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def init(self, parser, opts, args) -> None:  # command-line parsing is ours, not gunicorn's
        return None

    def load_config(self) -> None:
        self.load_config_from_module_name_or_filename(GUNICORN_CONFIG)
        self.cfg.set("bind", f"{self.cfg.bind[0].rsplit(':', 1)[0]}:{self._settings.port}")

    def load(self):
        from hotline.app import create_app

        # Built in each worker after the fork: no Redis connection crosses a fork.
        return create_app()


def serve_forever(settings: Settings) -> None:
    _Gunicorn(settings).run()


class JsonLogger(glogging.Logger):
    """Gunicorn's logger, writing its error log (and its access log, when on) as the app's
    JSON lines, and setting up the app's own logging the same way in a server that
    `hotline serve` did not start (the Procfile's gunicorn).

    Gunicorn's own handlers are kept, only formatted anew: given a logging config instead
    (logconfig_dict), gunicorn would write an access line for every request.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            handler.setFormatter(JsonFormatter())
            handler.addFilter(MaskNumbers())
        configure(cfg.loglevel)
