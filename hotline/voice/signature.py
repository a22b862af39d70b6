"""Twilio request signatures, checked against the public URL Twilio was given.

Behind a proxy or tunnel the app sees its own host and scheme, not the ones
Twilio signed; HOTLINE_PUBLIC_URL is the address Twilio calls, so the URL to
check is rebuilt from it plus the path and query of this request.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_request_url(public_url: str, path: str, query_string: bytes) -> str:
    url = public_url.rstrip("/") + path
    if query_string:
        url += "?" + query_string.decode("latin-1")
    return url


def is_signed(
    auth_token: str | None, url: str, form: Mapping[str, str], signature: str | None
) -> bool:
    """True only for a request signed with `auth_token`; without a token, nothing is."""
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, form, signature)
