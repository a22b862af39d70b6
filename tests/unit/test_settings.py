"""Settings: the shipped defaults (hotline/config/hotline.toml), overrides from HOTLINE_CONFIG,
the environment."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import runpy
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

import hotline
from hotline.settings import (
    DEFAULT_CONFIG,
    ConfigError,
    Settings,
    checked_api_base_url,
    read_config,
    settings_from_config,
)
from hotline.triage import Policy
from hotline.web_server import GUNICORN_CONFIG
from tests.support.repo import REPO_ROOT

SECRET = "a-very-secret-key-0123456789abcdef"
TOKEN = "a-very-secret-twilio-token-abcdef"
METRICS_TOKEN = "a-very-secret-metrics-token-0123"
NO_SECRET_KEY = (
    "HOTLINE_SECRET_KEY is not set: it keys the PIN digests and signs console sessions. "
    "Set it to at least 32 random bytes (e.g. the output of `openssl rand -hex 32`) and keep "
    "it the same across restarts."
)
NO_AUTH_TOKEN = (
    "TWILIO_AUTH_TOKEN is not set: without it no webhook's signature can be checked, and "
    "every call is refused (403)."
)
NO_PUBLIC_URL = (
    "HOTLINE_PUBLIC_URL is not set: it is the address Twilio calls (e.g. "
    "https://hotline.example.org), and every webhook's signature is checked against it."
)
REFUSED = (
    "Hotline will not start: HOTLINE_ENV is not 'development', so it runs as production, "
    "and these settings need fixing first:\n"
)
PRODUCTION = {
    "HOTLINE_PUBLIC_URL": "https://hotline.example.test",
    "HOTLINE_SECRET_KEY": SECRET,
    "TWILIO_AUTH_TOKEN": TOKEN,
}


def write(tmp_path: Path, text: str, name: str = "override.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- defaults -----------------------------------------------------------------------------


def test_default_config_ships_inside_the_package():
    assert Path(hotline.__file__).parent / "config" / "hotline.toml" == DEFAULT_CONFIG
    assert DEFAULT_CONFIG.is_file()


def test_production_with_an_empty_environment_has_no_address_and_no_secrets():
    settings = Settings.load(env={})
    assert settings.development is False
    assert settings.public_url == ""  # no default in production: start-up refuses it
    assert settings.redis_url is None  # the embedded server
    assert settings.secret_key is None
    assert settings.twilio_account_sid is None
    assert settings.twilio_auth_token is None
    assert settings.twilio_api_base_url == "https://api.twilio.com"
    assert settings.metrics_token is None  # /metrics is not served


def test_the_shipped_policy_escalates_in_order():
    policy = Settings.load(env={}).policy
    escalation = policy.escalation
    assert policy.log_only is False  # it acts, not only logs
    assert policy.short_window_s < policy.long_window_s
    for thresholds in (escalation.normal, escalation.untrusted):
        # A caller is diverted before being blocked.
        assert thresholds.divert_calls_short < thresholds.temp_block_calls_long
    # Untrusted callers (spoofable, foreign) get less room than others.
    assert escalation.untrusted.divert_calls_short < escalation.normal.divert_calls_short
    assert escalation.untrusted.temp_block_calls_long < escalation.normal.temp_block_calls_long
    # A chair who fumbles one call's tries is not blocked for it.
    assert policy.pin_failures_per_number > policy.pin_tries_per_call
    assert policy.pin_failures_withheld > policy.pin_failures_per_number


# prompt("name"), goodbye("name"), hold_answer(precinct, "name"), prompts["name"].
PROMPT_NAME = re.compile(
    r"""(?:prompt\(|goodbye\(|hold_answer\([^,]+,|prompts\[)\s*["']([a-z_]+)["']"""
)


def prompts_the_code_names() -> set[str]:
    names: set[str] = set()
    for package in ("hotline", "workers"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            names |= set(PROMPT_NAME.findall(path.read_text(encoding="utf-8")))
    # Built from a stage: report_ask_fix_{stage}.
    return names | {f"report_ask_fix_{stage}" for stage in ("first", "final")}


def test_every_prompt_the_code_names_is_shipped():
    names = prompts_the_code_names()
    assert len(names) > 40  # the scan found the prompts, not nothing
    assert names - set(Settings.load(env={}).prompts) == set()


def test_keypad_prompts_say_to_press_pound():
    prompts = Settings.load(env={}).prompts
    assert "press pound" in prompts["ask_precinct"]
    assert "press pound" in prompts["ask_pin"]
    assert "{precinct}" in prompts["ask_pin_known_chair"]


# --- the environment ----------------------------------------------------------------------


def test_environment_values():
    settings = Settings.load(
        env={
            "HOTLINE_PUBLIC_URL": "https://hotline.example.test/",
            "HOTLINE_DATA_DIR": "/srv/hotline",
            "HOTLINE_PORT": "8080",
            "REDIS_URL": "redis://127.0.0.1:6390/3",
            "HOTLINE_SECRET_KEY": SECRET,
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9999/",
            "HOTLINE_ENV": "development",
        }
    )
    assert settings.development is True
    assert settings.public_url == "https://hotline.example.test"
    assert settings.data_dir == Path("/srv/hotline")
    assert settings.port == 8080
    assert settings.redis_url == "redis://127.0.0.1:6390/3"
    assert settings.secret_key == SECRET.encode()
    assert settings.twilio_account_sid == "AC" + "1" * 32
    assert settings.twilio_auth_token == TOKEN
    assert settings.twilio_api_base_url == "http://127.0.0.1:9999"


def test_in_development_the_default_public_url_follows_the_port():
    settings = Settings.load(env={"HOTLINE_ENV": "development", "HOTLINE_PORT": "8123"})
    assert settings.public_url == "http://127.0.0.1:8123"


def test_in_production_the_public_url_has_no_default():
    """Finding 8: HOTLINE_PUBLIC_URL no longer defaults to 127.0.0.1 in production, where
    every real webhook signed for the real address would then answer 403.
    """
    assert Settings.load(env={"HOTLINE_PORT": "8123"}).public_url == ""
    assert Settings.load(env={"HOTLINE_PUBLIC_URL": ""}).public_url == ""


@pytest.mark.parametrize(
    ("value", "development"),
    [
        (None, False),
        ("", False),
        ("production", False),
        ("Development", False),
        ("dev", False),
        ("development ", False),
        ("development", True),
    ],
)
def test_only_development_is_development(value, development):
    env = {} if value is None else {"HOTLINE_ENV": value}
    assert Settings.load(env=env).development is development


def test_empty_environment_values_mean_unset():
    settings = Settings.load(
        env={
            "REDIS_URL": "",
            "HOTLINE_SECRET_KEY": "",
            "TWILIO_ACCOUNT_SID": "",
            "TWILIO_AUTH_TOKEN": "",
            "HOTLINE_CONFIG": "",
            "HOTLINE_METRICS_TOKEN": "",
        }
    )
    assert settings.metrics_token is None
    assert settings.redis_url is None
    assert settings.secret_key is None
    assert settings.twilio_account_sid is None
    assert settings.twilio_auth_token is None
    assert settings.policy.log_only is False


@pytest.mark.parametrize("port", ["abc", "", "50.5"])
def test_bad_port_is_a_config_error(port):
    with pytest.raises(ConfigError) as error:
        Settings.load(env={"HOTLINE_PORT": port})
    assert str(error.value) == f"HOTLINE_PORT must be a whole number, not {port!r}"


def test_no_proxies_are_trusted_by_default():
    assert Settings.load(env={}).trusted_proxies == 0
    assert Settings.load(env={"HOTLINE_TRUSTED_PROXIES": ""}).trusted_proxies == 0


@pytest.mark.parametrize(("value", "count"), [("0", 0), ("1", 1), ("2", 2)])
def test_trusted_proxies_from_the_environment(value, count):
    """Finding 7: the number of reverse proxies whose X-Forwarded-For the app believes."""
    assert Settings.load(env={"HOTLINE_TRUSTED_PROXIES": value}).trusted_proxies == count


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "yes"])
def test_bad_trusted_proxies_is_a_config_error(value):
    with pytest.raises(ConfigError) as error:
        Settings.load(env={"HOTLINE_TRUSTED_PROXIES": value})
    assert str(error.value) == (
        "HOTLINE_TRUSTED_PROXIES is how many reverse proxies stand in front of Hotline "
        f"(0 when clients reach it directly): a whole number, 0 or more, not {value!r}"
    )


# --- secrets ------------------------------------------------------------------------------


def test_secrets_stay_out_of_repr():
    settings = Settings.load(
        env={
            "HOTLINE_SECRET_KEY": SECRET,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": "AC" + "2" * 32,
            "HOTLINE_METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    assert settings.metrics_token == METRICS_TOKEN
    for text in (repr(settings), str(settings)):
        assert SECRET not in text
        assert TOKEN not in text
        assert METRICS_TOKEN not in text
        assert "secret_key" not in text
        assert "twilio_auth_token" not in text
        assert "metrics_token" not in text
        # The repr still works: it shows what is not secret.
        assert "AC" + "2" * 32 in text


def test_the_pin_key_is_derived_from_the_secret_and_is_not_the_session_key():
    """Finding 8: one key both signed console sessions and keyed the PIN digests; the PIN
    key is now HMAC-SHA256(secret, its own label), apart from the session key.
    """
    pin_key = Settings.load(env={"HOTLINE_SECRET_KEY": SECRET}).pin_key()
    assert pin_key == hmac.new(SECRET.encode(), b"hotline PIN digests v1", hashlib.sha256).digest()
    session_key = hmac.new(
        SECRET.encode(), b"hotline console session cookie v1", hashlib.sha256
    ).digest()
    assert pin_key != SECRET.encode()
    assert pin_key != session_key


@pytest.mark.parametrize("env", [{}, {"HOTLINE_SECRET_KEY": ""}])
def test_the_pin_key_without_a_secret_is_a_config_error(env):
    settings = Settings.load(env=env)
    with pytest.raises(ConfigError) as error:
        settings.pin_key()
    assert str(error.value) == NO_SECRET_KEY


def test_the_pin_key_refuses_an_empty_secret():
    settings = Settings(
        public_url="https://hotline.example.test", data_dir=Path("var"), secret_key=b""
    )
    with pytest.raises(ConfigError) as error:
        settings.pin_key()
    assert str(error.value) == NO_SECRET_KEY


# --- start-up checks ----------------------------------------------------------------------


def test_production_with_every_setting_may_start():
    settings = Settings.load(env=PRODUCTION)
    assert settings.start_up_problems() == []
    settings.check_for_production()  # no ConfigError


def test_production_refuses_to_start_naming_every_missing_setting():
    """Finding 8: a missing HOTLINE_SECRET_KEY, TWILIO_AUTH_TOKEN or HOTLINE_PUBLIC_URL only
    logged a warning; in production it now stops the start, and the message names each.
    """
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}).check_for_production()
    assert str(error.value) == (
        f"{REFUSED}  - {NO_SECRET_KEY}\n  - {NO_AUTH_TOKEN}\n  - {NO_PUBLIC_URL}"
    )


@pytest.mark.parametrize(
    "missing", ["HOTLINE_SECRET_KEY", "TWILIO_AUTH_TOKEN", "HOTLINE_PUBLIC_URL"]
)
def test_production_refuses_to_start_without_any_one_of_them(missing):
    """Finding 8: each of the three alone stops a production start."""
    env = {**PRODUCTION, missing: ""}
    expected = {
        "HOTLINE_SECRET_KEY": NO_SECRET_KEY,
        "TWILIO_AUTH_TOKEN": NO_AUTH_TOKEN,
        "HOTLINE_PUBLIC_URL": NO_PUBLIC_URL,
    }[missing]
    with pytest.raises(ConfigError) as error:
        Settings.load(env=env).check_for_production()
    assert str(error.value) == f"{REFUSED}  - {expected}"


@pytest.mark.parametrize("secret", ["x" * 31, "é" * 15])
def test_production_refuses_a_secret_key_shorter_than_32_bytes(secret):
    """Finding 8: the secret key's length was never checked."""
    length = len(secret.encode())
    with pytest.raises(ConfigError) as error:
        Settings.load(env={**PRODUCTION, "HOTLINE_SECRET_KEY": secret}).check_for_production()
    assert str(error.value) == (
        f"{REFUSED}  - HOTLINE_SECRET_KEY is {length} bytes long: it needs at least 32 (e.g. "
        "the output of `openssl rand -hex 32`)."
    )


@pytest.mark.parametrize("secret", ["x" * 32, "é" * 16])
def test_a_secret_key_of_32_bytes_is_long_enough(secret):
    Settings.load(env={**PRODUCTION, "HOTLINE_SECRET_KEY": secret}).check_for_production()


@pytest.mark.parametrize(
    "url", ["hotline.example.org", "ftp://hotline.example.org", "http://:8080", "https:///voice"]
)
def test_production_refuses_a_public_url_that_is_no_web_address(url):
    with pytest.raises(ConfigError) as error:
        Settings.load(env={**PRODUCTION, "HOTLINE_PUBLIC_URL": url}).check_for_production()
    assert str(error.value) == (
        f"{REFUSED}  - HOTLINE_PUBLIC_URL must be the http(s) address Twilio calls (e.g. "
        f"https://hotline.example.org), not {url!r}."
    )


def test_development_starts_without_them_and_says_what_is_missing(caplog):
    caplog.set_level(logging.WARNING, logger="hotline.settings")
    settings = Settings.load(env={"HOTLINE_ENV": "development", "HOTLINE_SECRET_KEY": "short"})
    settings.check_for_production()  # no ConfigError
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "HOTLINE_SECRET_KEY is 5 bytes long: it needs at least 32 (e.g. the output "
            "of `openssl rand -hex 32`). (allowed: HOTLINE_ENV is development)",
        ),
        ("WARNING", f"{NO_AUTH_TOKEN} (allowed: HOTLINE_ENV is development)"),
    ]


# --- the REST base URL --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://api.twilio.com", "https://api.twilio.com"),
        ("https://proxy.example.test/twilio/", "https://proxy.example.test/twilio"),
        ("http://127.0.0.1:9999/", "http://127.0.0.1:9999"),
        ("http://127.8.9.10", "http://127.8.9.10"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://localhost:1234", "http://localhost:1234"),
        ("http://LocalHost", "http://LocalHost"),
    ],
)
def test_the_rest_base_url_is_https_or_on_this_machine(url, kept):
    assert checked_api_base_url(url) == kept
    assert Settings.load(env={"TWILIO_API_BASE_URL": url}).twilio_api_base_url == kept


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://api.twilio.com", "http://api.twilio.com"),
        ("http://10.0.0.5:8080/", "http://10.0.0.5:8080/"),
        ("http://[::2]", "http://[::2]"),
        ("http://localhost.example.com", "http://localhost.example.com"),
        ("http://127.0.0.1.example.com", "http://127.0.0.1.example.com"),
        ("http://AC123:the-auth-token@api.twilio.com", "http://api.twilio.com"),
    ],
)
def test_plain_http_to_another_host_is_a_config_error(url, shown):
    """Finding 8: TWILIO_API_BASE_URL accepted plain http to any host, which sends the
    account's credentials in clear.
    """
    with pytest.raises(ConfigError) as error:
        Settings.load(env={"TWILIO_API_BASE_URL": url})
    assert str(error.value) == (
        "TWILIO_API_BASE_URL must be https: plain http would send the Twilio account's "
        "credentials in clear (it is allowed only to localhost, 127.0.0.0/8 and ::1), "
        f"not {shown!r}"
    )


@pytest.mark.parametrize("url", ["api.twilio.com", "ftp://api.twilio.com", "https://"])
def test_a_rest_base_url_that_is_no_web_address_is_a_config_error(url):
    with pytest.raises(ConfigError) as error:
        checked_api_base_url(url)
    assert str(error.value) == f"TWILIO_API_BASE_URL must be an https URL, not {url!r}"


def test_an_empty_rest_base_url_means_twilios_own():
    settings = Settings.load(env={"TWILIO_API_BASE_URL": ""})
    assert settings.twilio_api_base_url == "https://api.twilio.com"


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


# --- override files -----------------------------------------------------------------------


OVERRIDE = """
[triage]
mode = "log-only"

[triage.escalation]
divert_calls_short = 4
"""


def test_hotline_config_overrides_only_the_keys_it_names(tmp_path):
    path = write(tmp_path, OVERRIDE)
    shipped = Settings.load(env={}).policy
    policy = Settings.load(env={"HOTLINE_CONFIG": str(path)}).policy
    assert policy.log_only is True
    assert policy.escalation.normal.divert_calls_short == 4
    # Untouched keys, including siblings in the same and nested tables, keep the shipped values.
    assert policy == replace(
        shipped,
        log_only=True,
        escalation=replace(
            shipped.escalation, normal=replace(shipped.escalation.normal, divert_calls_short=4)
        ),
    )


def leaf_keys(table: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in table.items():
        name = f"{prefix}{key}"
        keys |= leaf_keys(value, f"{name}.") if isinstance(value, dict) else {name}
    return keys


def test_the_example_overlay_names_only_shipped_settings_and_is_valid():
    example = REPO_ROOT / "config" / "hotline.example.toml"
    with open(example, "rb") as handle:
        overlay = tomllib.load(handle)
    # A key the defaults do not have would be ignored without a word: none may be there.
    assert leaf_keys(overlay) and leaf_keys(overlay) <= leaf_keys(read_config())
    Settings.load(env={"HOTLINE_CONFIG": str(example)})


def test_config_path_argument_is_an_override_file(tmp_path):
    path = write(tmp_path, OVERRIDE)
    settings = Settings.load(env={}, config_path=path)
    assert settings.policy.log_only is True
    assert settings.policy.escalation.normal.divert_calls_short == 4
    assert settings.queue_name == Settings.load(env={}).queue_name


def test_config_path_argument_wins_over_hotline_config(tmp_path):
    env_file = write(tmp_path, '[hotline]\nqueue_name = "from-env"\n', "env.toml")
    arg_file = write(tmp_path, '[hotline]\nqueue_name = "from-arg"\n', "arg.toml")
    settings = Settings.load(env={"HOTLINE_CONFIG": str(env_file)}, config_path=arg_file)
    assert settings.queue_name == "from-arg"


def test_override_does_not_leak_into_later_loads(tmp_path):
    path = write(tmp_path, OVERRIDE)
    Settings.load(env={"HOTLINE_CONFIG": str(path)})
    assert Settings.load(env={}).policy == Policy()
    assert read_config()["triage"]["mode"] == "enforce"


def test_override_durations_and_home_are_normalised(tmp_path):
    path = write(
        tmp_path,
        """
[hotline]
home_state = "ne"
home_country = "us"

[triage]
short_window = "10m"
long_window = "2h"

[triage.pins]
temp_block_for = "30m"

[triage.flood]
auto_calls_per_minute = 400

[triage.withheld]
words = ["Anonymous", "PRIVATE"]

[line]
keep_place_for = "45m"
""",
    )
    settings = Settings.load(env={}, config_path=path)
    assert (settings.policy.home_state, settings.policy.home_country) == ("NE", "US")
    assert (settings.policy.short_window_s, settings.policy.long_window_s) == (600.0, 7200.0)
    assert settings.policy.pin_temp_block_for_s == 1800.0
    assert settings.policy.flood_auto_calls_per_minute == 400
    assert settings.withheld_words == frozenset({"anonymous", "private"})
    assert settings.keep_place_for_s == 2700.0


def test_override_voice_settings(tmp_path):
    path = write(
        tmp_path,
        '[voice]\nsay_voice = "Polly.Joanna"\nhold_music_url = "https://m.test/a.mp3"\n',
    )
    voice = Settings.load(env={}, config_path=path).voice
    assert voice == replace(
        Settings.load(env={}).voice, say_voice="Polly.Joanna", hold_music_url="https://m.test/a.mp3"
    )


@pytest.mark.parametrize("mode", ["off", "LOG-ONLY", "log_only", ""])
def test_bad_mode_is_a_config_error(tmp_path, mode):
    path = write(tmp_path, f'[triage]\nmode = "{mode}"\n')
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}, config_path=path)
    assert f'triage.mode must be "enforce" or "log-only", not {mode!r}' in str(error.value)


def test_a_config_that_is_not_utf8_is_a_config_error_naming_the_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[triage]\nmode = "enforce"\n# r\xe9glages\n')
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}, config_path=path)
    assert (
        str(error.value) == f"config {path}: line 3: not UTF-8 text (byte 0xe9): save it as UTF-8"
    )


def test_bad_duration_is_a_config_error(tmp_path):
    path = write(tmp_path, '[triage]\nshort_window = "a while"\n')
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}, config_path=path)
    assert str(error.value) == (
        "config has a bad value: not a duration: 'a while' (use e.g. 90s, 15m, 2h30m, 1d)"
    )


def test_unknown_voice_setting_is_a_config_error(tmp_path):
    path = write(tmp_path, '[voice]\nsay_speed = "fast"\n')
    with pytest.raises(ConfigError, match="^config has a bad value: "):
        Settings.load(env={}, config_path=path)


def test_missing_override_file_is_a_config_error(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as error:
        Settings.load(env={"HOTLINE_CONFIG": str(missing)})
    assert str(error.value).startswith(f"cannot read config {missing}: ")


def test_invalid_toml_is_a_config_error(tmp_path):
    path = write(tmp_path, "[triage\nmode = \n")
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}, config_path=path)
    assert str(error.value).startswith(f"config {path} is not valid TOML: ")


def test_missing_setting_is_a_config_error():
    config = read_config()
    del config["line"]
    with pytest.raises(ConfigError) as error:
        settings_from_config(config)
    assert str(error.value) == "config is missing the setting 'line'"


def test_missing_nested_setting_is_a_config_error():
    config = read_config()
    del config["triage"]["escalation"]["untrusted"]["temp_block_calls_long"]
    with pytest.raises(ConfigError) as error:
        settings_from_config(config)
    assert str(error.value) == "config is missing the setting 'temp_block_calls_long'"


def test_redis_time_limits_are_read_from_the_override(tmp_path):
    path = write(
        tmp_path, '[redis]\nconnect_timeout = "2s"\nread_timeout = "0.25s"\nwebhook_budget = "3s"\n'
    )
    settings = Settings.load(env={}, config_path=path)
    assert (
        settings.redis_connect_timeout_s,
        settings.redis_read_timeout_s,
        settings.webhook_redis_budget_s,
    ) == (2.0, 0.25, 3.0)


@pytest.mark.parametrize("name", ["connect_timeout", "read_timeout", "webhook_budget"])
def test_a_redis_time_limit_of_zero_is_a_config_error(tmp_path, name):
    path = write(tmp_path, f'[redis]\n{name} = "0s"\n')
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}, config_path=path)
    assert str(error.value).endswith(f"redis.{name} must be longer than zero, not '0s'")


def test_how_long_callers_are_remembered_is_read_from_the_override(tmp_path):
    path = write(tmp_path, '[triage]\nremember_caller_for = "3h"\n')
    assert Settings.load(env={}, config_path=path).policy.remember_caller_for_s == 3 * 3600


def test_remembering_callers_for_less_than_the_long_window_is_a_config_error(tmp_path):
    path = write(tmp_path, '[triage]\nlong_window = "2h"\nremember_caller_for = "1h"\n')
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}, config_path=path)
    assert str(error.value) == (
        "config has a bad value: triage.remember_caller_for must be at least "
        "triage.long_window, or a verification would be forgotten while it still counts"
    )


# --- the console's share of the web threads (issue 8, finding 1) -------------------------


def test_by_default_the_console_can_take_at_most_a_quarter_of_the_threads():
    settings = Settings.load(env={})
    # Three quarters of every worker's threads stay for Twilio's webhooks, whatever the
    # consoles do.
    assert 1 <= settings.console_threads <= settings.web_threads // 4


def test_console_threads_and_web_threads_from_config_and_environment(tmp_path):
    path = write(tmp_path, "[web]\nconsole_threads = 3\n")
    settings = Settings.load(env={"HOTLINE_THREADS": "4"}, config_path=path)
    assert (settings.web_threads, settings.console_threads) == (4, 3)


@pytest.mark.parametrize(
    ("threads", "console"),
    [("4", "4"), ("4", "5"), ("8", "0"), ("8", "-1"), ("8", "true"), ("8", '"2"')],
)
def test_the_console_may_not_take_every_web_thread(tmp_path, threads, console):
    """Finding 1: with the console allowed every thread, Twilio's webhooks could find none."""
    path = write(tmp_path, f"[web]\nconsole_threads = {console}\n")
    with pytest.raises(ConfigError) as error:
        Settings.load(env={"HOTLINE_THREADS": threads}, config_path=path)
    assert str(error.value).startswith(
        f"web.console_threads must be a whole number from 1 to {int(threads) - 1} (fewer than "
        f"the {threads} threads of each web worker, HOTLINE_THREADS"
    )


@pytest.mark.parametrize("threads", ["1", "0", "many"])
def test_bad_hotline_threads_is_a_config_error(threads):
    with pytest.raises(ConfigError) as error:
        Settings.load(env={"HOTLINE_THREADS": threads})
    assert "HOTLINE_THREADS must be" in str(error.value)


def test_gunicorn_runs_with_the_threads_the_settings_check(monkeypatch):
    monkeypatch.setenv("HOTLINE_THREADS", "5")
    config = runpy.run_module(GUNICORN_CONFIG.removeprefix("python:"))
    assert (config["worker_class"], config["threads"]) == ("gthread", 5)
    assert Settings.load(env={"HOTLINE_THREADS": "5"}).web_threads == 5


# --- languages -----------------------------------------------------------------------------


def test_the_hotline_speaks_english_first_and_offers_spanish():
    settings = Settings.load(env={})
    assert (settings.first_language, settings.second_language) == ("en", "es")
    spanish = settings.languages["es"]
    assert spanish.say_language == "es-US"
    assert set(spanish.prompts) == set(settings.prompts)  # every prompt, in Spanish too


def test_a_language_that_leaves_out_a_prompt_is_refused(tmp_path):
    path = write(
        tmp_path,
        '[languages.fr]\nsay_language = "fr-FR"\n\n'
        '[languages.fr.prompts]\nask_pin = "Entrez votre code."\n',
    )
    with pytest.raises(ConfigError) as refused:
        Settings.load(env={}, config_path=path)
    message = str(refused.value)
    assert message.startswith(
        "config has a bad value: languages.fr.prompts must say every "
        "prompt [prompts] says (missing: alignment_final, alignment_first, ask_backup_code, "
    )
    assert message.endswith("; unknown: none)")


# --- rotating the number ------------------------------------------------------------------


def test_the_numbers_section_is_read_from_an_override(tmp_path):
    path = write(tmp_path, '[numbers]\ncountry = "ca"\ntext_every = "2s"\n')
    numbers = Settings.load(env={}, config_path=path).numbers
    assert (numbers.country, numbers.text_every_s) == ("CA", 2.0)


@pytest.mark.parametrize(
    ("every", "message"),
    [
        ('"0s"', "config has a bad value: numbers.text_every must be longer than zero, not '0s'"),
        ('"soon"', "config has a bad value: not a duration: 'soon' (use e.g. 90s, 15m, 2h30m, 1d)"),
    ],
)
def test_texts_need_a_pace(tmp_path, every, message):
    path = write(tmp_path, f"[numbers]\ntext_every = {every}\n")
    with pytest.raises(ConfigError) as error:
        Settings.load(env={}, config_path=path)
    assert str(error.value) == message


def test_the_text_of_the_new_number_is_one_message_segment():
    """Over 160 characters (or a character outside GSM's alphabet) is two segments, which
    halves the pace a number may text at.
    """
    prompts = Settings.load(env={}).prompts
    text = prompts["number_changed_sms"].format(number="+15155550200")
    assert "+15155550200" in text
    assert len(text) <= 160
    assert text.isascii() and not set(text) & set("[]{}\\^~|`")
