"""In production the web server, the worker and the Procfile's app factory refuse to start
without the settings they cannot work without; in development they start and say what is
missing. Commands that serve no calls (blocks, rosters, logins) run as before.
"""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from hotline import web_server
from hotline.app import create_app
from hotline.cli import main
from hotline.settings import ConfigError
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY

ALL_SET = {
    "HOTLINE_SECRET_KEY": SECRET_KEY,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "HOTLINE_PUBLIC_URL": PUBLIC_URL,
}
REFUSED = (
    "Hotline will not start: HOTLINE_ENV is not 'development', so it runs as production, "
    "and these settings need fixing first:\n"
)
NO_SECRET_KEY = (
    "  - HOTLINE_SECRET_KEY is not set: it keys the PIN digests and signs console sessions. "
    "Set it to at least 32 random bytes (e.g. the output of `openssl rand -hex 32`) and keep "
    "it the same across restarts."
)
SHORT_SECRET_KEY = (
    "  - HOTLINE_SECRET_KEY is 31 bytes long: it needs at least 32 (e.g. the output of "
    "`openssl rand -hex 32`)."
)
NO_AUTH_TOKEN = (
    "  - TWILIO_AUTH_TOKEN is not set: without it no webhook's signature can be checked, and "
    "every call is refused (403)."
)
NO_PUBLIC_URL = (
    "  - HOTLINE_PUBLIC_URL is not set: it is the address Twilio calls (e.g. "
    "https://hotline.example.org), and every webhook's signature is checked against it."
)


@pytest.fixture
def production(monkeypatch, redis_url, tmp_path):
    """An environment with every start-up setting, HOTLINE_ENV unset (production)."""
    monkeypatch.delenv("HOTLINE_ENV", raising=False)
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.delenv("TWILIO_API_BASE_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    for name, value in ALL_SET.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture
def served(monkeypatch):
    """The settings `hotline serve` handed to gunicorn, which is left out: a start that
    should have been refused then fails the test instead of serving forever.
    """
    handed: list = []
    monkeypatch.setattr(web_server, "serve_forever", handed.append)
    return handed


def hotline(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="hotline", catch_exceptions=False)


@pytest.mark.parametrize("command", [("serve",), ("worker", "--burst")])
@pytest.mark.parametrize(
    ("unset", "problem"),
    [
        ("HOTLINE_SECRET_KEY", NO_SECRET_KEY),
        ("TWILIO_AUTH_TOKEN", NO_AUTH_TOKEN),
        ("HOTLINE_PUBLIC_URL", NO_PUBLIC_URL),
    ],
)
def test_a_missing_setting_stops_serve_and_worker(
    production, services, served, command, unset, problem
):
    """Finding 8: a missing HOTLINE_SECRET_KEY, TWILIO_AUTH_TOKEN or HOTLINE_PUBLIC_URL
    stops `hotline serve` and `hotline worker` in production (it only logged a warning).
    """
    production.delenv(unset)
    result = hotline(*command)
    assert (result.exit_code, result.output) == (1, f"Error: {REFUSED}{problem}\n")
    assert served == []
    assert services.store.redis.dbsize() == 0  # no worker registered, nothing written


@pytest.mark.parametrize("command", [("serve",), ("worker", "--burst")])
def test_every_problem_is_named_at_once(production, served, command, tmp_path):
    """Finding 8: the message names each missing or bad setting, not only the first."""
    production.setenv("HOTLINE_SECRET_KEY", "x" * 31)
    production.delenv("TWILIO_AUTH_TOKEN")
    production.delenv("HOTLINE_PUBLIC_URL")
    production.delenv("REDIS_URL")  # nor is an embedded Redis started for it
    result = hotline(*command)
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {REFUSED}{SHORT_SECRET_KEY}\n{NO_AUTH_TOKEN}\n{NO_PUBLIC_URL}\n",
    )
    assert served == []
    assert not (tmp_path / "data").exists()


def test_serve_and_worker_start_in_production_with_every_setting(production, services, served):
    assert hotline("serve").exit_code == 0
    assert [settings.public_url for settings in served] == [PUBLIC_URL]
    assert hotline("worker", "--burst").exit_code == 0


@pytest.mark.parametrize("value", ["production", "Development", ""])
def test_any_hotline_env_but_development_is_production(production, value):
    production.setenv("HOTLINE_ENV", value)
    production.delenv("HOTLINE_SECRET_KEY")
    result = hotline("worker", "--burst")
    assert (result.exit_code, result.output) == (1, f"Error: {REFUSED}{NO_SECRET_KEY}\n")


@pytest.mark.parametrize("unset", ["HOTLINE_SECRET_KEY", "TWILIO_AUTH_TOKEN", "HOTLINE_PUBLIC_URL"])
def test_the_procfiles_app_factory_refuses_to_build_the_app(production, unset):
    """Finding 8: gunicorn 'hotline.app:create_app()' fails in production without each of
    the three, instead of serving webhooks that answer 403.
    """
    production.delenv(unset)
    problem = {
        "HOTLINE_SECRET_KEY": NO_SECRET_KEY,
        "TWILIO_AUTH_TOKEN": NO_AUTH_TOKEN,
        "HOTLINE_PUBLIC_URL": NO_PUBLIC_URL,
    }[unset]
    with pytest.raises(ConfigError) as error:
        create_app()
    assert str(error.value) == f"{REFUSED}{problem}"


def test_the_app_factory_builds_the_app_with_every_setting(production, services):
    app = create_app()
    assert app.extensions["hotline"].settings.public_url == PUBLIC_URL
    response = app.test_client().get("/healthz")
    # The app answers; it is not healthy yet, since no worker runs beside it.
    assert (response.status_code, response.json["checks"]["redis"]) == (503, "answers")


def test_in_development_the_app_factory_builds_the_app_and_warns(production, services, caplog):
    production.setenv("HOTLINE_ENV", "development")
    production.delenv("TWILIO_AUTH_TOKEN")
    caplog.set_level(logging.WARNING, logger="hotline.settings")
    app = create_app()
    assert app.extensions["hotline"].settings.twilio_auth_token is None
    assert [r.getMessage() for r in caplog.records] == [
        f"{NO_AUTH_TOKEN[4:]} (allowed: HOTLINE_ENV is development)"
    ]


def test_commands_that_serve_no_calls_run_without_them(production, services):
    production.delenv("TWILIO_AUTH_TOKEN")
    production.delenv("HOTLINE_PUBLIC_URL")
    result = hotline("block", "+17125550666", "--by", "ann")
    assert (result.exit_code, result.output) == (
        0,
        "Blocked +17125550666 until unblocked: blocked by an admin\n",
    )
