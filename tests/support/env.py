"""The environment tests run the app with: development, known secrets, a made-up public URL."""

from __future__ import annotations

from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY


def settings_env(**overrides: str) -> dict[str, str]:
    env = {
        "HOTLINE_ENV": "development",
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    }
    env.update(overrides)
    return env
