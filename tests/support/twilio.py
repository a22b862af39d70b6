"""Requests signed the way Twilio signs them, for the Flask test client."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from hotline.secret_keys import PIN_DIGESTS, derive_key

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://hotline.example.test"
SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"
# What every PIN digest made under SECRET_KEY is keyed with.
PIN_KEY = derive_key(SECRET_KEY.encode(), PIN_DIGESTS)


def signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def signed_post(
    client, path: str, params: dict[str, str], *, query: dict | None = None, token: str = AUTH_TOKEN
):
    """POST `params` to `path` with a valid X-Twilio-Signature for PUBLIC_URL."""
    full_path = f"{path}?{urlencode(query)}" if query else path
    header = signature(PUBLIC_URL + full_path, params, token)
    return client.post(full_path, data=params, headers={"X-Twilio-Signature": header})


def post_to_url(client, url: str, params: dict[str, str]):
    """POST to an absolute URL taken from TwiML (an action or wait URL), signed."""
    assert url.startswith(PUBLIC_URL), url
    full_path = url[len(PUBLIC_URL) :]
    header = signature(url, params)
    return client.post(full_path, data=params, headers={"X-Twilio-Signature": header})
