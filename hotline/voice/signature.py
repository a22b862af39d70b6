"""Twilio request signatures, checked against the public URL Twilio was given.

Behind a proxy or tunnel the app sees its own host and scheme, not the ones
Twilio signed; HOTLINE_PUBLIC_URL is the address Twilio calls, so the URL to
check is rebuilt from it plus the path and query of this request.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from functools import lru_cache

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_request_url(public_url: str, path: str, query_string: bytes) -> str:
    url = public_url.rstrip("/") + path
    if query_string:
        url += "?" + query_string.decode("latin-1")
    return url


def is_signed(
    auth_token: str | None, url: str, form: Mapping[str, str], signature: str | None
) -> bool:
    """True only for a request signed with `auth_token`; without a token, nothing is.

    Twilio signs the URL exactly as it was configured, so the signature of that
    URL is computed first; only when it differs does RequestValidator.validate
    also try the URL with and without its port, as it always does. The answer
    is the library's either way; the order saves a second HMAC on every call.
    """
    # Twilio's signatures are base64, so ASCII; compare_digest raises on any other text,
    # and a raise here would be a traceback in the log for every such request.
    if not auth_token or not signature or not signature.isascii():
        return False
    validator = _validator(auth_token)
    values = FormValues(form)
    if hmac.compare_digest(validator.compute_signature(url, values), signature):
        return True
    return validator.validate(url, values, signature)


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


class FormValues:
    """A form as RequestValidator reads a multi-valued mapping: names, then getall(name).

    Werkzeug's MultiDict has getlist but not getall, so without this the
    validator finds each value by catching two AttributeErrors. A MultiDict is a
    dict of lists underneath: the validator only reads them, so it is handed those
    lists themselves rather than a copy of each (getlist's).
    """

    __slots__ = ("_form", "_lists")

    def __init__(self, form: Mapping[str, str]) -> None:
        self._form = form
        self._lists = isinstance(form, MultiDict)

    def __iter__(self):
        return iter(self._form)

    def __bool__(self) -> bool:
        return bool(self._form)

    def getall(self, name: str) -> list[str]:
        if self._lists:
            return dict.__getitem__(self._form, name)
        getlist = getattr(self._form, "getlist", None)
        return getlist(name) if getlist is not None else [self._form[name]]
