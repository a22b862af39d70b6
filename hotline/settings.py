"""Settings: the defaults Hotline ships (hotline/config/hotline.toml, package data), under
the overlay file HOTLINE_CONFIG names, and deployment values from the environment.

Secrets (HOTLINE_SECRET_KEY, Twilio's auth token and the metrics token) come only from
the environment and are kept out of every repr, so they never reach a log line.

HOTLINE_ENV=development relaxes the start-up checks (for the demo and the tests); any
other value, or none, is production, where the web server and the worker refuse to start
without the settings they cannot work without (see Settings.check_for_production).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from hotline.caucus import wording
from hotline.durations import parse_duration
from hotline.secret_keys import PIN_DIGESTS, derive_key
from hotline.shipped import shipped
from hotline.text_files import NotUtf8Error, read_utf8
from hotline.triage import Escalation, PinDefence, Policy, Thresholds

log = logging.getLogger(__name__)

DEFAULT_CONFIG = shipped("config", "hotline.toml")
DEVELOPMENT = "development"
DEFAULT_TWILIO_API_BASE_URL = "https://api.twilio.com"
# HMAC-SHA256 keys are 32 bytes; a shorter secret is easier to guess than the key it makes.
MIN_SECRET_KEY_BYTES = 32
NO_SECRET_KEY = (
    "HOTLINE_SECRET_KEY is not set: it keys the PIN digests and signs console sessions. "
    f"Set it to at least {MIN_SECRET_KEY_BYTES} random bytes (e.g. the output of "
    "`openssl rand -hex 32`) and keep it the same across restarts."
)


# Threads per web worker when HOTLINE_THREADS is unset (hotline/config/gunicorn_conf.py uses
# the same number, through web_threads()).
DEFAULT_WEB_THREADS = 8


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class VoiceSettings:
    gather_timeout_s: int = 6
    reprompts: int = 2
    say_voice: str = ""
    say_language: str = "en-US"
    hold_music_url: str = ""
    hold_pause_s: int = 60


# The query argument a webhook URL carries its call's language in (its code; absent for
# the hotline's first): Twilio signs it with the rest.
LANGUAGE_ARG = "lang"


def language_query(code: str | None) -> dict[str, str]:
    """The query arguments that carry a call's language into a webhook URL: none for the
    hotline's first (None).
    """
    return {LANGUAGE_ARG: code} if code else {}


@dataclass(frozen=True)
class Language:
    """A language the prompts are spoken in: its code ("es"), how <Say> speaks it, and
    every prompt in it.
    """

    code: str
    say_language: str
    say_voice: str
    prompts: Mapping[str, str]


@dataclass(frozen=True)
class NumberSettings:
    """Rotating the hotline's number (`hotline number rotate`)."""

    # The country whose local numbers are searched for a new one.
    country: str = "US"
    # Texts telling chairs the new number leave one per this many seconds.
    text_every_s: float = 1.0


@dataclass(frozen=True)
class Settings:
    # Empty when HOTLINE_PUBLIC_URL is unset in production: see check_for_production.
    public_url: str
    data_dir: Path
    port: int = 5000
    development: bool = False
    # Reverse proxies in front of the web server, each adding itself to X-Forwarded-For.
    trusted_proxies: int = 0
    redis_url: str | None = None
    secret_key: bytes | None = field(default=None, repr=False)
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_api_base_url: str = DEFAULT_TWILIO_API_BASE_URL
    # The bearer token GET /metrics asks for; without one, /metrics is not served (404).
    metrics_token: str | None = field(default=None, repr=False)
    default_region: str = "US"
    queue_name: str = "chairs"
    keep_place_for_s: float = 7200.0
    callback_attempts: int = 3
    redis_connect_timeout_s: float = 0.5
    redis_read_timeout_s: float = 0.5
    # All the Redis work of one webhook, together, stops after this (store/deadline.py).
    webhook_redis_budget_s: float = 1.0
    # Threads of each web worker (HOTLINE_THREADS), and how many of them console requests
    # may use at once (web.console_threads): the rest are Twilio's (console/capacity.py).
    web_threads: int = DEFAULT_WEB_THREADS
    console_threads: int = 2
    withheld_numbers: frozenset[str] = frozenset()
    withheld_words: frozenset[str] = frozenset()
    policy: Policy = field(default_factory=Policy)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    # Every language the prompts are spoken in, the first (the [voice] and [prompts] tables'
    # own) included, by code; and the one a caller can switch to by pressing 9 at the
    # first prompt (None: the hotline speaks only its first).
    languages: Mapping[str, Language] = field(default_factory=dict)
    first_language: str = "en"
    second_language: str | None = None
    # The election results are taken for: a name in hotline/elections/ or a path to a TOML file.
    election: str = "iowa-2020"
    # How long a keypad report part keyed waits for the chair to call back and finish it.
    results_draft_ttl_s: float = 7200.0
    numbers: NumberSettings = field(default_factory=NumberSettings)

    @classmethod
    def load(
        cls, env: Mapping[str, str] | None = None, config_path: Path | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        config = read_config(config_path or _override_path(env))
        port = _int(env.get("HOTLINE_PORT", "5000"), "HOTLINE_PORT")
        development = env.get("HOTLINE_ENV") == DEVELOPMENT
        # Only in development may the public URL be guessed: in production a guess would
        # make every real webhook's signature fail, with no hint why.
        guessed_url = f"http://127.0.0.1:{port}" if development else ""
        secret = env.get("HOTLINE_SECRET_KEY")
        settings = cls(
            public_url=(env.get("HOTLINE_PUBLIC_URL") or guessed_url).rstrip("/"),
            data_dir=data_dir(env),
            port=port,
            development=development,
            trusted_proxies=_trusted_proxies(env.get("HOTLINE_TRUSTED_PROXIES") or "0"),
            redis_url=env.get("REDIS_URL") or None,
            secret_key=secret.encode() if secret else None,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_api_base_url=checked_api_base_url(
                env.get("TWILIO_API_BASE_URL") or DEFAULT_TWILIO_API_BASE_URL
            ),
            metrics_token=env.get("HOTLINE_METRICS_TOKEN") or None,
            web_threads=web_threads(env),
            **settings_from_config(config),
        )
        check_console_threads(settings.console_threads, settings.web_threads)
        return settings

    @property
    def prompts(self) -> Mapping[str, str]:
        """The prompts in the hotline's first language."""
        return self.languages[self.first_language].prompts

    def language(self, code: str | None) -> Language:
        """The language `code` names; the first when it names none the hotline speaks."""
        return self.languages.get(code or "") or self.languages[self.first_language]

    def pin_key(self) -> bytes:
        """The key of every PIN digest, derived from HOTLINE_SECRET_KEY."""
        if not self.secret_key:
            raise ConfigError(NO_SECRET_KEY)
        return derive_key(self.secret_key, PIN_DIGESTS)

    def start_up_problems(self) -> list[str]:
        """Each setting a web server or worker cannot do without that is missing or bad."""
        problems = []
        if not self.secret_key:
            problems.append(NO_SECRET_KEY)
        elif len(self.secret_key) < MIN_SECRET_KEY_BYTES:
            problems.append(
                f"HOTLINE_SECRET_KEY is {len(self.secret_key)} bytes long: it needs at least "
                f"{MIN_SECRET_KEY_BYTES} (e.g. the output of `openssl rand -hex 32`)."
            )
        if not self.twilio_auth_token:
            problems.append(
                "TWILIO_AUTH_TOKEN is not set: without it no webhook's signature can be "
                "checked, and every call is refused (403)."
            )
        if not self.public_url:
            problems.append(
                "HOTLINE_PUBLIC_URL is not set: it is the address Twilio calls (e.g. "
                "https://hotline.example.org), and every webhook's signature is checked "
                "against it."
            )
        elif not _is_web_address(urlsplit(self.public_url)):
            problems.append(
                "HOTLINE_PUBLIC_URL must be the http(s) address Twilio calls (e.g. "
                f"https://hotline.example.org), not {self.public_url!r}."
            )
        return problems

    def check_for_production(self) -> None:
        """Refuse to start a web server or worker that would fail open or refuse every call.

        `hotline serve`, `hotline worker` and create_app() call it. In development the
        problems are only logged, so the demo and the tests run with what they set.
        """
        problems = self.start_up_problems()
        if self.development:
            for problem in problems:
                log.warning("%s (allowed: HOTLINE_ENV is %s)", problem, DEVELOPMENT)
            return
        if problems:
            raise ConfigError(
                f"Hotline will not start: HOTLINE_ENV is not {DEVELOPMENT!r}, so it runs as "
                "production, and these settings need fixing first:\n"
                + "\n".join(f"  - {problem}" for problem in problems)
            )


def data_dir(env: Mapping[str, str]) -> Path:
    """HOTLINE_DATA_DIR, or ./var. Gunicorn's config reads it here too, for the directory
    of the web workers' metrics (hotline/metrics_dir.py).
    """
    return Path(env.get("HOTLINE_DATA_DIR", "var"))


def web_threads(env: Mapping[str, str]) -> int:
    """Threads per web worker: HOTLINE_THREADS, or DEFAULT_WEB_THREADS. Gunicorn's config
    reads it here too, so the server runs with the number the console's cap is checked
    against.
    """
    value = env.get("HOTLINE_THREADS") or str(DEFAULT_WEB_THREADS)
    threads = _int(value, "HOTLINE_THREADS")
    if threads < 2:
        raise ConfigError(
            f"HOTLINE_THREADS must be at least 2 (one for the console, one "
            f"for Twilio's webhooks), not {value!r}"
        )
    return threads


def check_console_threads(console_threads: int, threads: int) -> None:
    """The console may use some of a web worker's threads, never all: Twilio's webhooks
    must always find one free (console/capacity.py).
    """
    if (
        isinstance(console_threads, bool)
        or not isinstance(console_threads, int)
        or not (1 <= console_threads < threads)
    ):
        raise ConfigError(
            f"web.console_threads must be a whole number from 1 to {threads - 1} (fewer than "
            f"the {threads} threads of each web worker, HOTLINE_THREADS, so that Twilio's "
            f"webhooks always have one), not {console_threads!r}"
        )


def checked_api_base_url(url: str) -> str:
    """TWILIO_API_BASE_URL without its trailing slash, or a ConfigError.

    Every request to it carries the account's credentials (HTTP Basic auth), so it must be
    https; plain http only reaches this machine (the simulator's stand-in, the tests).
    """
    parts = urlsplit(url)
    if not _is_web_address(parts):
        raise ConfigError(f"TWILIO_API_BASE_URL must be an https URL, not {_shown(parts)!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise ConfigError(
            "TWILIO_API_BASE_URL must be https: plain http would send the Twilio account's "
            "credentials in clear (it is allowed only to localhost, 127.0.0.0/8 and ::1), "
            f"not {_shown(parts)!r}"
        )
    return url.rstrip("/")


def _is_web_address(parts: SplitResult) -> bool:
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(parts: SplitResult) -> str:
    """A URL as an error message may show it: without a user name or password in it."""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def _override_path(env: Mapping[str, str]) -> Path | None:
    value = env.get("HOTLINE_CONFIG")
    return Path(value) if value else None


def read_config(override: Path | None = None) -> dict[str, Any]:
    """The default TOML, with an override file's keys laid over it."""
    config = _read_toml(DEFAULT_CONFIG)
    if override is not None:
        _merge(config, _read_toml(override))
    return config


def settings_from_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of Settings that come from the TOML files."""
    try:
        hotline = config["hotline"]
        triage = config["triage"]
        esc = triage["escalation"]
        pins = triage["pins"]
        policy = Policy(
            log_only=_mode(triage["mode"]),
            short_window_s=parse_duration(triage["short_window"]),
            long_window_s=parse_duration(triage["long_window"]),
            remember_caller_for_s=parse_duration(triage["remember_caller_for"]),
            escalation=Escalation(
                normal=Thresholds(esc["divert_calls_short"], esc["temp_block_calls_long"]),
                untrusted=Thresholds(
                    esc["untrusted"]["divert_calls_short"],
                    esc["untrusted"]["temp_block_calls_long"],
                ),
                temp_block_for_s=parse_duration(esc["temp_block_for"]),
                block_after_temp_blocks=esc["block_after_temp_blocks"],
                divert_instant_hangups=esc["divert_instant_hangups"],
                divert_flags=esc["divert_flags"],
                instant_hangup_within_s=parse_duration(esc["instant_hangup_within"]),
            ),
            pin_tries_per_call=pins["tries_per_call"],
            pin_failures_per_number=pins["failures_per_number"],
            pin_failures_withheld=pins["failures_withheld"],
            pin_temp_block_for_s=parse_duration(pins["temp_block_for"]),
            pin_defence=pin_defence(pins["defence"]),
            flood_auto_calls_per_minute=triage["flood"]["auto_calls_per_minute"],
            home_state=hotline["home_state"].upper(),
            home_country=hotline["home_country"].upper(),
        )
        if policy.remember_caller_for_s < policy.long_window_s:
            raise ValueError(
                "triage.remember_caller_for must be at least triage.long_window, "
                "or a verification would be forgotten while it still counts"
            )
        voice = config["voice"]
        return {
            "default_region": hotline["default_region"],
            "queue_name": hotline["queue_name"],
            "keep_place_for_s": parse_duration(config["line"]["keep_place_for"]),
            "callback_attempts": int(config["line"]["callback_attempts"]),
            "redis_connect_timeout_s": _positive(
                config["redis"]["connect_timeout"], "redis.connect_timeout"
            ),
            "redis_read_timeout_s": _positive(
                config["redis"]["read_timeout"], "redis.read_timeout"
            ),
            "webhook_redis_budget_s": _positive(
                config["redis"]["webhook_budget"], "redis.webhook_budget"
            ),
            "console_threads": config["web"]["console_threads"],
            "withheld_numbers": frozenset(triage["withheld"]["numbers"]),
            "withheld_words": frozenset(w.lower() for w in triage["withheld"]["words"]),
            "policy": policy,
            "voice": VoiceSettings(**voice),
            **_languages(voice, config["prompts"], config.get("languages", {})),
            "election": _election(config.get("results", {}).get("election", "iowa-2020")),
            "results_draft_ttl_s": _positive(
                config.get("results", {}).get("draft_ttl", "2h"), "results.draft_ttl"
            ),
            "numbers": NumberSettings(
                country=str(config["numbers"]["country"]).upper(),
                text_every_s=_positive(config["numbers"]["text_every"], "numbers.text_every"),
            ),
        }
    except KeyError as missing:
        raise ConfigError(f"config is missing the setting {missing}") from None
    except (TypeError, ValueError) as bad:
        raise ConfigError(f"config has a bad value: {bad}") from None


def _languages(
    voice: Mapping[str, Any], prompts: Mapping[str, str], others: Mapping[str, Any]
) -> dict[str, Any]:
    """The first language from [voice] and [prompts]; each other from [languages.CODE],
    which must say every prompt the first does, and no other. English has the caucus
    checks' words of its own (caucus/wording.py): the config need not repeat them.
    """
    code = voice["say_language"].split("-")[0].lower()
    first = Language(code, voice["say_language"], voice["say_voice"], _said(code, prompts))
    languages = {first.code: first}
    for code, table in others.items():
        said, wanted = set(_said(code, table["prompts"])), set(first.prompts)
        if said != wanted:
            missing = ", ".join(sorted(wanted - said)) or "none"
            extra = ", ".join(sorted(said - wanted)) or "none"
            raise ValueError(
                f"languages.{code}.prompts must say every prompt [prompts] says "
                f"(missing: {missing}; unknown: {extra})"
            )
        languages[code] = Language(
            code, table["say_language"], table.get("say_voice", ""), _said(code, table["prompts"])
        )
    second = next((code for code in languages if code != first.code), None)
    return {"languages": languages, "first_language": first.code, "second_language": second}


def _said(code: str, prompts: Mapping[str, str]) -> dict[str, str]:
    """A language's prompts as the config gives them, over the caucus checks' own English
    words for English.
    """
    return {**(wording.ENGLISH if code == "en" else {}), **prompts}


def pin_defence(section: Mapping[str, Any]) -> PinDefence:
    defence = PinDefence(
        window_s=parse_duration(section["window"]),
        per_target=section["per_target"],
        hotline_wide=section["hotline_wide"],
        alarm_window_s=parse_duration(section["alarm_window"]),
        alarm_failures=section["alarm_failures"],
        flood_failures=section["flood_failures"],
        callback_spacing_s=parse_duration(section["callback_spacing"]),
        callbacks_per_window=section["callbacks_per_window"],
    )
    counts = (
        "per_target",
        "hotline_wide",
        "alarm_failures",
        "flood_failures",
        "callbacks_per_window",
    )
    for name in counts:
        value = getattr(defence, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"triage.pins.defence.{name} must be a whole number of at least 1, not {value!r}"
            )
    if defence.window_s <= 0 or defence.alarm_window_s <= 0:
        raise ConfigError("triage.pins.defence windows must be longer than zero")
    return defence


def _election(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"results.election must name an election, not {value!r}")
    return value.strip()


def _positive(value: str, name: str) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ConfigError(f"{name} must be longer than zero, not {value!r}")
    return seconds


def _mode(value: str) -> bool:
    if value not in ("enforce", "log-only"):
        raise ConfigError(f'triage.mode must be "enforce" or "log-only", not {value!r}')
    return value == "log-only"


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def _trusted_proxies(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigError(
            "HOTLINE_TRUSTED_PROXIES is how many reverse proxies stand in front of Hotline "
            f"(0 when clients reach it directly): a whole number, 0 or more, not {value!r}"
        )
    return count


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_utf8(path))
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror}") from None
    except NotUtf8Error as error:
        raise ConfigError(f"config {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config {path} is not valid TOML: {error}") from None


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
