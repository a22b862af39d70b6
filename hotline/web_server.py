"""Gunicorn, run in-process by `hotline serve` with hotline/config/gunicorn_conf.py."""

from __future__ import annotations

from gunicorn.app.base import Application

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
