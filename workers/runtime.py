"""The Services a worker process runs its jobs with.

RQ calls job functions with only their arguments, so the worker installs its
Services here once at start-up (workers/main.py; tests install theirs), and
jobs ask for them. Jobs never build their own clients.
"""

from __future__ import annotations

from hotline.services import Services

_installed: Services | None = None


def install(services: Services) -> None:
    global _installed
    _installed = services


def current() -> Services:
    if _installed is None:
        raise RuntimeError("no Services installed: start jobs with `hotline worker`")
    return _installed
