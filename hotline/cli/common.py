"""What every command shares: its settings, its services, who is acting, how times and
durations are written."""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from hotline.durations import parse_duration
from hotline.services import Services, ensure_redis
from hotline.settings import ConfigError, Settings


@contextlib.contextmanager
def opened_services(
    settings: Settings | None = None, *, supervise: bool = False
) -> Iterator[Services]:
    """Services for one command; an embedded Redis started for it is stopped after (and,
    with `supervise`, restarted should it die meanwhile: for long-running commands).
    """
    settings = settings or loaded_settings()
    server = ensure_redis(settings)
    if server is not None and supervise:
        server.supervise()
    try:
        yield Services.build(settings)
    finally:
        if server is not None:
            server.stop()


def loaded_settings() -> Settings:
    try:
        return Settings.load()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def settings_to_run() -> Settings:
    """Settings for a web server or worker: in production, only if they can do their job."""
    settings = loaded_settings()
    try:
        settings.check_for_production()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    return settings


def who_acts(value: str | None) -> str:
    """The --by given, or else the login name of whoever runs the command."""
    if value:
        return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "admin"


def utc_time(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def free_path(path: Path) -> Path:
    """`path`, or the same name with -2, -3, ... when it is taken."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def duration_option(text: str, option: str = "--for") -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None
    if seconds <= 0:
        raise click.BadParameter("must be longer than zero", param_hint=option)
    return seconds
