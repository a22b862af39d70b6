"""Keys derived from HOTLINE_SECRET_KEY: one per use, none of them the secret."""

from __future__ import annotations

import hashlib
import hmac

from hotline.console import session_key
from hotline.secret_keys import CONSOLE_SESSIONS, PIN_DIGESTS, derive_key

SECRET = b"0123456789abcdef0123456789abcdef"


def test_a_derived_key_is_the_hmac_of_its_label_under_the_secret():
    assert (
        derive_key(SECRET, b"some label")
        == hmac.new(SECRET, b"some label", hashlib.sha256).digest()
    )
    assert len(derive_key(SECRET, b"some label")) == 32


def test_each_use_has_a_key_of_its_own():
    """Finding 8: the PIN digests and the console sessions no longer share one key."""
    pin_key = derive_key(SECRET, PIN_DIGESTS)
    console_key = derive_key(SECRET, CONSOLE_SESSIONS)
    assert PIN_DIGESTS != CONSOLE_SESSIONS
    assert len({pin_key, console_key, SECRET}) == 3


def test_another_secret_derives_other_keys():
    other = b"fedcba9876543210fedcba9876543210"
    assert derive_key(other, PIN_DIGESTS) != derive_key(SECRET, PIN_DIGESTS)
    assert derive_key(other, CONSOLE_SESSIONS) != derive_key(SECRET, CONSOLE_SESSIONS)


def test_the_console_session_key_is_the_one_it_was_before_the_pin_key_was_split_off():
    """Console sessions survive the upgrade: the session key's label and form are unchanged
    (only the PIN digests changed key).
    """
    assert (
        session_key(SECRET)
        == hmac.new(SECRET, b"hotline console session cookie v1", hashlib.sha256).hexdigest()
    )
    assert bytes.fromhex(session_key(SECRET)) == derive_key(SECRET, CONSOLE_SESSIONS)
