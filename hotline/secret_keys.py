"""Keys derived from HOTLINE_SECRET_KEY, one per use.

The secret itself keys nothing: each use gets HMAC-SHA256(secret, label) under a label of
its own, so a key that leaks from one use (a console session's signature, say) says
nothing about another (the PIN digests), and neither reveals the secret.
"""

from __future__ import annotations

import hashlib
import hmac

# Changing a label changes its key: every PIN digest, or every console session, made
# under the old one stops matching.
PIN_DIGESTS = b"hotline PIN digests v1"
CONSOLE_SESSIONS = b"hotline console session cookie v1"


def derive_key(secret: bytes, label: bytes) -> bytes:
    return hmac.new(secret, label, hashlib.sha256).digest()
