"""Settings: defaults from config/hotline.toml, deployment values from the environment.

Secrets (the PIN key and Twilio's auth token) come only from the environment
and are kept out of every repr, so they never reach a log line.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.durations import parse_duration
from hotline.triage import Escalation, Policy, Thresholds

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "hotline.toml"


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


@dataclass(frozen=True)
class Settings:
    public_url: str
    data_dir: Path
    port: int = 5000
    # Reverse proxies in front of the web server, each adding itself to X-Forwarded-For.
    trusted_proxies: int = 0
    redis_url: str | None = None
    secret_key: bytes | None = field(default=None, repr=False)
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_api_base_url: str = "https://api.twilio.com"
    default_region: str = "US"
    queue_name: str = "chairs"
    keep_place_for_s: float = 7200.0
    callback_attempts: int = 3
    withheld_numbers: frozenset[str] = frozenset()
    withheld_words: frozenset[str] = frozenset()
    policy: Policy = field(default_factory=Policy)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    prompts: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(
        cls, env: Mapping[str, str] | None = None, config_path: Path | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        config = read_config(config_path or _override_path(env))
        port = _int(env.get("HOTLINE_PORT", "5000"), "HOTLINE_PORT")
        secret = env.get("HOTLINE_SECRET_KEY")
        return cls(
            public_url=env.get("HOTLINE_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            data_dir=Path(env.get("HOTLINE_DATA_DIR", "var")),
            port=port,
            trusted_proxies=_trusted_proxies(env.get("HOTLINE_TRUSTED_PROXIES") or "0"),
            redis_url=env.get("REDIS_URL") or None,
            secret_key=secret.encode() if secret else None,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_api_base_url=env.get("TWILIO_API_BASE_URL", "https://api.twilio.com").rstrip(
                "/"
            ),
            **settings_from_config(config),
        )

    def require_secret_key(self) -> bytes:
        if not self.secret_key:
            raise ConfigError(
                "HOTLINE_SECRET_KEY is not set: it keys the PIN digests. "
                "Set it to a long random string and keep it the same across restarts."
            )
        return self.secret_key


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
            flood_auto_calls_per_minute=triage["flood"]["auto_calls_per_minute"],
            home_state=hotline["home_state"].upper(),
            home_country=hotline["home_country"].upper(),
        )
        voice = config["voice"]
        return {
            "default_region": hotline["default_region"],
            "queue_name": hotline["queue_name"],
            "keep_place_for_s": parse_duration(config["line"]["keep_place_for"]),
            "callback_attempts": int(config["line"]["callback_attempts"]),
            "withheld_numbers": frozenset(triage["withheld"]["numbers"]),
            "withheld_words": frozenset(w.lower() for w in triage["withheld"]["words"]),
            "policy": policy,
            "voice": VoiceSettings(**voice),
            "prompts": dict(config["prompts"]),
        }
    except KeyError as missing:
        raise ConfigError(f"config is missing the setting {missing}") from None
    except (TypeError, ValueError) as bad:
        raise ConfigError(f"config has a bad value: {bad}") from None


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
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config {path} is not valid TOML: {error}") from None


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
