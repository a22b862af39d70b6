"""Gunicorn settings for `hotline serve` and the Procfile's web process, which names them
as a module (`gunicorn --config python:hotline.config.gunicorn_conf`), so they are found
wherever Hotline is installed.
"""

import os

from hotline import logging_setup, metrics_dir
from hotline.settings import web_threads

bind = f"{os.environ.get('HOTLINE_BIND', '0.0.0.0')}:{os.environ.get('HOTLINE_PORT', '5000')}"
# Webhooks are short and spend their time on one Redis round trip; a few
# workers per core keep latency flat. WEB_CONCURRENCY is the Heroku-style knob.
workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2))
# Threads: a webhook waits on Redis, not the CPU. The console may use only
# web.console_threads of them at once (hotline/console/capacity.py), so the rest are
# always free for Twilio; web_threads() is the number that limit is checked against.
worker_class = "gthread"
threads = web_threads(os.environ)
timeout = 15
# Twilio gives up on a webhook after 15 s; never keep a request longer.
graceful_timeout = 10
accesslog = "-" if os.environ.get("HOTLINE_ACCESS_LOG") else None
errorlog = "-"
loglevel = logging_setup.log_level(os.environ)
# Gunicorn's lines, the access log's (when on) and the app's: JSON lines on stderr.
logger_class = "hotline.web_server.JsonLogger"


def when_ready(server):
    # The workers' metrics directory, named before the first worker forks (see
    # hotline/metrics_dir.py).
    metrics_dir.prepare(os.environ, server.cfg.bind[0])


def child_exit(server, worker):
    metrics_dir.process_ended(worker.pid)
