"""Headers that tell browsers to hold every page of the app to what it serves itself.

The console loads its script and style sheet from its own static files, so the policy
can forbid inline code: an injected <script> or style runs nowhere, and no other site
may frame a page (clickjacking the Flag or Unblock buttons). A response that sets one
of these headers itself keeps its own.
"""

from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


_LOWERED = tuple((name.lower(), name, value) for name, value in HEADERS.items())


def add_security_headers(response: Response) -> Response:
    """after_request hook for the whole app: what `headers.setdefault` would do for each,
    with one look through the response's headers instead of three per header (this runs
    on every webhook).
    """
    present = {name.lower() for name, _value in response.headers}  # (name, value) pairs
    for lowered, name, value in _LOWERED:
        if lowered not in present:
            response.headers.add(name, value)
    return response
