"""Requests signed the way Twilio signs them, for the Flask test client and over HTTP."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
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


def post_over_http(url: str, params: dict[str, str]) -> tuple[int, bytes, float]:
    """A signed webhook to a running server: (status, body, seconds it took to answer)."""
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature(url, params)},
    )
    began = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read(), time.monotonic() - began
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.monotonic() - began


def call_form(call_sid: str, from_: str, to: str = "+15155550000", **extra: str) -> dict[str, str]:
    """The fields Twilio posts about an inbound call in progress, and `extra` (Digits...)."""
    return {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": from_,
        "To": to,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **extra,
    }
