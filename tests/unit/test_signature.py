"""is_signed agrees with twilio's RequestValidator.validate on every kind of request."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict

from hotline.voice.signature import is_signed, public_request_url

TOKEN = "0123456789abcdef0123456789abcdef"
URL = "https://hotline.example.org/voice/pin?precinct=1001&tries=0"
FORM = ImmutableMultiDict(
    [
        ("CallSid", "CA1"),
        ("From", "+15155550100"),
        ("Digits", "1234"),
        ("Repeated", "b"),
        ("Repeated", "a"),
    ]
)


def sign(url: str, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, FORM)


@pytest.mark.parametrize(
    ("signed_url", "checked_url", "token"),
    [
        (URL, URL, TOKEN),
        # Twilio may sign with the port while the configured URL has none, or the other way.
        ("https://hotline.example.org:443/voice/pin?precinct=1001&tries=0", URL, TOKEN),
        (URL, "https://hotline.example.org:443/voice/pin?precinct=1001&tries=0", TOKEN),
        ("https://elsewhere.example.org/voice/pin?precinct=1001&tries=0", URL, TOKEN),
        (URL.replace("1001", "1002"), URL, TOKEN),
        (URL, URL, "another-token"),
    ],
)
def test_agrees_with_request_validator(signed_url, checked_url, token):
    signature = sign(signed_url, token)
    expected = RequestValidator(TOKEN).validate(checked_url, FORM, signature)
    assert is_signed(TOKEN, checked_url, FORM, signature) is expected


def test_accepts_only_a_matching_signature():
    assert is_signed(TOKEN, URL, FORM, sign(URL))
    assert not is_signed(TOKEN, URL, FORM, sign(URL)[:-2] + "==")
    assert not is_signed(TOKEN, URL, ImmutableMultiDict([("CallSid", "CA1")]), sign(URL))


@pytest.mark.parametrize("token", [None, ""])
def test_nothing_is_signed_without_a_token(token):
    assert not is_signed(token, URL, FORM, sign(URL))


@pytest.mark.parametrize("signature", [None, ""])
def test_a_missing_signature_is_not_signed(signature):
    assert not is_signed(TOKEN, URL, FORM, signature)


@pytest.mark.parametrize("signature", ["é", "ÿ" * 28, sign(URL)[:-1] + "é", "\u2603" * 4])
def test_a_signature_that_is_not_ascii_is_not_signed(signature):
    """Finding 8: a non-ASCII X-Twilio-Signature raised inside compare_digest."""
    assert is_signed(TOKEN, URL, FORM, signature) is False


def test_public_url_replaces_the_host_the_app_sees():
    assert public_request_url("https://hotline.example.org/", "/voice/pin", b"precinct=1001") == (
        "https://hotline.example.org/voice/pin?precinct=1001"
    )
    assert public_request_url("https://a.example/base", "/voice/incoming", b"") == (
        "https://a.example/base/voice/incoming"
    )
