"""Chair and volunteer PINs: keyed digests, matching, validity and generation."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest

from hotline.pins import (
    GENERATED_PIN_LENGTH,
    generate_pin,
    is_valid_pin,
    is_valid_precinct_code,
    pin_digest,
    pin_matches,
    volunteer_pin_digest,
    volunteer_pin_matches,
)

KEY = b"test-secret-key-for-pin-digests"


def expected_digest(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


# --- digests ------------------------------------------------------------------------------


def test_digest_is_hmac_sha256_of_precinct_colon_pin():
    assert pin_digest(KEY, "0042", "123456") == expected_digest(KEY, "0042:123456")


def test_digest_is_64_lowercase_hex_characters():
    digest = pin_digest(KEY, "1", "1234")
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


def test_digest_depends_on_the_key():
    assert pin_digest(b"other key", "0042", "123456") == expected_digest(
        b"other key", "0042:123456"
    )
    assert pin_digest(b"other key", "0042", "123456") != pin_digest(KEY, "0042", "123456")


def test_same_pin_in_two_precincts_has_two_digests():
    assert pin_digest(KEY, "1", "1234") != pin_digest(KEY, "2", "1234")


def test_separator_keeps_precinct_and_pin_apart():
    # "12" + "34567" and "123" + "4567" would collide without the ":".
    assert pin_digest(KEY, "12", "34567") == expected_digest(KEY, "12:34567")
    assert pin_digest(KEY, "123", "4567") == expected_digest(KEY, "123:4567")
    assert pin_digest(KEY, "12", "34567") != pin_digest(KEY, "123", "4567")


def test_digest_is_not_the_unkeyed_hash():
    assert pin_digest(KEY, "1", "1234") != hashlib.sha256(b"1:1234").hexdigest()


# --- matching -----------------------------------------------------------------------------


def test_pin_matches_its_own_digest():
    stored = expected_digest(KEY, "0042:123456")
    assert pin_matches(KEY, "0042", "123456", stored) is True


@pytest.mark.parametrize(
    ("key", "precinct", "pin"),
    [
        (KEY, "0042", "123457"),  # wrong PIN
        (KEY, "0043", "123456"),  # right PIN, wrong precinct
        (KEY, "42", "123456"),  # precinct codes are compared as keyed, not as numbers
        (b"another key", "0042", "123456"),  # digest made with another key
    ],
)
def test_pin_does_not_match(key, precinct, pin):
    stored = expected_digest(KEY, "0042:123456")
    assert pin_matches(key, precinct, pin, stored) is False


@pytest.mark.parametrize("stored", [None, ""])
def test_missing_digest_never_matches(stored):
    assert pin_matches(KEY, "0042", "123456", stored) is False


# --- volunteer PINs -----------------------------------------------------------------------


def test_volunteer_digest_is_hmac_sha256_of_volunteer_id_and_pin():
    assert volunteer_pin_digest(KEY, "v7", "123456") == expected_digest(KEY, "volunteer:v7:123456")


def test_volunteer_digest_depends_on_key_id_and_pin():
    digest = volunteer_pin_digest(KEY, "v7", "123456")
    assert volunteer_pin_digest(b"other key", "v7", "123456") != digest
    assert volunteer_pin_digest(KEY, "v8", "123456") != digest
    assert volunteer_pin_digest(KEY, "v7", "123457") != digest


def test_volunteer_digest_separator_keeps_id_and_pin_apart():
    # "v1" + "23456" and "v12" + "3456" would collide without the ":".
    assert volunteer_pin_digest(KEY, "v1", "23456") == expected_digest(KEY, "volunteer:v1:23456")
    assert volunteer_pin_digest(KEY, "v12", "3456") == expected_digest(KEY, "volunteer:v12:3456")
    assert volunteer_pin_digest(KEY, "v1", "23456") != volunteer_pin_digest(KEY, "v12", "3456")


def test_a_volunteer_digest_never_stands_for_a_chair_digest():
    # The "volunteer:" prefix can never be a precinct code (digits only), so the two kinds of
    # digest live apart even for look-alike ids.
    assert volunteer_pin_digest(KEY, "1", "1234") != pin_digest(KEY, "1", "1234")
    assert pin_matches(KEY, "1", "1234", volunteer_pin_digest(KEY, "1", "1234")) is False
    assert volunteer_pin_matches(KEY, "1", "1234", pin_digest(KEY, "1", "1234")) is False


def test_volunteer_pin_matches_its_own_digest():
    stored = expected_digest(KEY, "volunteer:v3:482913")
    assert volunteer_pin_matches(KEY, "v3", "482913", stored) is True


@pytest.mark.parametrize(
    ("key", "volunteer_id", "pin"),
    [
        (KEY, "v3", "482914"),  # wrong PIN
        (KEY, "v4", "482913"),  # right PIN, another volunteer
        (KEY, "V3", "482913"),  # ids are compared exactly
        (b"another key", "v3", "482913"),  # digest made with another key
    ],
)
def test_volunteer_pin_does_not_match(key, volunteer_id, pin):
    stored = expected_digest(KEY, "volunteer:v3:482913")
    assert volunteer_pin_matches(key, volunteer_id, pin, stored) is False


@pytest.mark.parametrize("stored", [None, ""])
def test_missing_volunteer_digest_never_matches(stored):
    assert volunteer_pin_matches(KEY, "v3", "482913", stored) is False


# --- validity -----------------------------------------------------------------------------


@pytest.mark.parametrize("pin", ["1234", "0000", "123456", "12345678"])
def test_valid_pins(pin):
    assert is_valid_pin(pin) is True


@pytest.mark.parametrize(
    "pin",
    [
        "",
        "123",  # too short
        "123456789",  # too long
        "12a4",
        "12 34",
        " 1234",
        "1234 ",
        "1234\n",  # `$` would accept this; fullmatch must not
        "\n1234",
        "+1234",
        "1234#",
        "１２３４",  # fullwidth digits
        "\u0661\u0662\u0663\u0664",  # Arabic-Indic digits
    ],
)
def test_invalid_pins(pin):
    assert is_valid_pin(pin) is False


@pytest.mark.parametrize("code", ["1", "0042", "1234", "12345678"])
def test_valid_precinct_codes(code):
    assert is_valid_precinct_code(code) is True


@pytest.mark.parametrize(
    "code",
    ["", "123456789", "a1", "-1", "1 2", "1\n", "１", "\u0661", "12#"],
)
def test_invalid_precinct_codes(code):
    assert is_valid_precinct_code(code) is False


# --- generation ---------------------------------------------------------------------------


def test_generated_pin_is_six_ascii_digits():
    assert GENERATED_PIN_LENGTH == 6
    pin = generate_pin()
    assert len(pin) == 6
    assert set(pin) <= set("0123456789")
    assert is_valid_pin(pin)


def test_seeded_generation_repeats_itself():
    first, second = random.Random(2020), random.Random(2020)
    assert [generate_pin(first) for _ in range(20)] == [generate_pin(second) for _ in range(20)]


def test_seeded_generation_gives_six_digit_pins():
    rng = random.Random(7)
    for _ in range(200):
        pin = generate_pin(rng)
        assert len(pin) == 6 and is_valid_pin(pin), pin


def test_different_seeds_give_different_pins():
    one = [generate_pin(random.Random(1)) for _ in range(1)]
    two = [generate_pin(random.Random(2)) for _ in range(1)]
    assert one != two


def test_generated_pins_use_every_digit_and_vary():
    rng = random.Random(3)
    pins = [generate_pin(rng) for _ in range(200)]
    assert set("".join(pins)) == set("0123456789")
    assert len(set(pins)) > 190
