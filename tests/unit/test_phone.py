"""Caller ID normalisation, block targets and masking."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.phone import _parse, mask_number, normalise_block_target, normalise_caller_id
from hotline.settings import Settings

# As in hotline/config/hotline.toml.
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})
WITHHELD_WORDS = frozenset(
    {"anonymous", "restricted", "blocked", "unknown", "unavailable", "private", "withheld"}
)


def caller_id(raw, region="US"):
    return normalise_caller_id(
        raw, region=region, withheld_numbers=WITHHELD_NUMBERS, withheld_words=WITHHELD_WORDS
    )


# --- normalise_caller_id ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+15155550100",
        "(515) 555-0100",
        "515-555-0100",
        "515.555.0100",
        "5155550100",
        "15155550100",
        "1-515-555-0100",
        "+1 515 555 0100",
        "+1 (515) 555-0100",
        "  +15155550100  ",
    ],
)
def test_us_numbers_become_e164(raw):
    assert caller_id(raw) == "+15155550100"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+442079460958", "+442079460958"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+61 2 9374 4000", "+61293744000"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_foreign_numbers_are_kept(raw, expected):
    assert caller_id(raw) == expected


def test_numbers_without_plus_are_read_in_the_given_region():
    assert caller_id("020 7946 0958", region="GB") == "+442079460958"
    assert caller_id("020 7946 0958", region="US") is None


@pytest.mark.parametrize(
    "raw",
    [
        "Anonymous",
        "anonymous",
        "ANONYMOUS",
        "Restricted",
        "  Blocked ",
        "Unknown",
        "Unavailable",
        "Private",
        "Withheld",
    ],
)
def test_withheld_words_mean_no_caller_id(raw):
    assert caller_id(raw) is None


def test_withheld_words_are_compared_case_insensitively():
    # A word that would otherwise parse (as a vanity number) shows the comparison at work.
    assert normalise_caller_id("+1 800 FLOWERS") == "+18003569377"
    assert normalise_caller_id("+1 800 FLOWERS", withheld_words={"+1 800 flowers"}) is None


@pytest.mark.parametrize("raw", sorted(WITHHELD_NUMBERS))
def test_withheld_keypad_numbers_mean_no_caller_id(raw):
    assert caller_id(raw) is None


@pytest.mark.parametrize("raw", ["+8656696", "+86282452253"])
def test_some_keypad_spellings_parse_as_numbers_so_the_list_matters(raw):
    assert normalise_caller_id(raw) == raw
    assert caller_id(raw) is None


def test_withheld_number_is_recognised_after_normalisation():
    assert caller_id("+86 28 2452 253") is None
    assert caller_id("  +86282452253 ") is None


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_caller_id_is_none(raw):
    assert caller_id(raw) is None


@pytest.mark.parametrize(
    "raw",
    ["abc", "not a number", "12", "0", "+", "++", "+1", "123456789012345678901"],
)
def test_garbage_is_none(raw):
    assert caller_id(raw) is None


def test_configured_withheld_ids_are_all_recognised():
    settings = Settings.load(env={})
    for raw in sorted(settings.withheld_numbers) + ["Anonymous", "RESTRICTED", "Unavailable"]:
        assert (
            normalise_caller_id(
                raw,
                region=settings.default_region,
                withheld_numbers=settings.withheld_numbers,
                withheld_words=settings.withheld_words,
            )
            is None
        ), raw


# --- normalise_block_target ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+15155550100",
        "515 555 0100",
        "(515) 555-0100",
        "515-555-0100",
        " +1 515 555 0100 ",
    ],
)
def test_block_target_numbers_become_e164(raw):
    assert normalise_block_target(raw) == "+15155550100"


def test_block_target_numbers_use_the_region():
    assert normalise_block_target("020 7946 0958", region="GB") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1900*", "+1900*"),
        ("+1 900*", "+1900*"),
        ("+1-900-*", "+1900*"),
        ("  +1900*  ", "+1900*"),
        ("+4*", "+4*"),
        ("+123456789012345*", "+123456789012345*"),
    ],
)
def test_block_target_prefixes(raw, expected):
    assert normalise_block_target(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["1900*", "+0*", "*", "+*", "+1900x*", "+1 (900)*", "+1900**", "+1234567890123456*"],
)
def test_bad_prefixes_are_refused_with_the_reason(raw):
    with pytest.raises(ValueError) as error:
        normalise_block_target(raw)
    assert str(error.value) == f"{raw!r} is not a prefix: write it as + and digits, then *"


@pytest.mark.parametrize("raw", ["nope", "", "12", "+1"])
def test_bad_numbers_are_refused_with_the_reason(raw):
    with pytest.raises(ValueError) as error:
        normalise_block_target(raw)
    assert str(error.value) == f"{raw!r} is not a phone number"


@pytest.mark.parametrize("raw", ["+1900\n*", "+1\u0669\u0660\u0660*"])
def test_prefixes_with_newlines_or_non_ascii_digits_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_block_target(raw)


# --- mask_number --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+15155550100", "••••••••0100"),
        ("+442079460958", "•••••••••0958"),
        ("+1234", "•1234"),
        ("1234", "1234"),
        ("123", "123"),
        (None, "withheld"),
        ("", "withheld"),
    ],
)
def test_mask_number(number, masked):
    assert mask_number(number) == masked


# --- the North American shortcut ------------------------------------------------------------


def _library(text: str, region: str) -> str | None:
    return _parse.__wrapped__(text, region)  # phonenumbers itself, not the cache


@pytest.mark.parametrize("region", ["US", "CA", "GB"])
def test_the_shortcut_is_what_phonenumbers_says_for_every_area_code(region):
    """Every area code 200-999 and every exchange's first digit: phonenumbers gives back the
    very number the shortcut passes through.
    """
    for area in range(200, 1000):
        for exchange in range(10):
            text = f"+1{area}{exchange}550100"
            assert caller_id(text, region) == _library(text, region) == text


@given(st.from_regex(r"\+1[2-9][0-9]{9}", fullmatch=True))
def test_the_shortcut_agrees_with_phonenumbers(text):
    assert caller_id(text) == _library(text, "US")


@given(st.text(alphabet="+0123456789", min_size=1, max_size=14))
def test_anything_else_still_goes_through_phonenumbers(text):
    assert caller_id(text) == (None if text in WITHHELD_NUMBERS else _library(text, "US"))


def test_the_shortcut_takes_ascii_digits_only():
    arabic_indic = "+1" + "".join(chr(0x0660 + int(d)) for d in "5155550100")
    assert caller_id(arabic_indic) == _library(arabic_indic, "US") == "+15155550100"
    assert phonenumbers.is_possible_number(phonenumbers.parse("+15155550100"))
