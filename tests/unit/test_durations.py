"""Human durations for config files and the command line."""

from __future__ import annotations

import pytest

from hotline.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1.5h", 5400.0),
        ("0.5m", 30.0),
        ("10", 10.0),
        ("0", 0.0),
        ("0s", 0.0),
        (" 5 m ", 300.0),
        ("8s", 8.0),
    ],
)
def test_parse_text(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("value", "seconds"), [(10, 10.0), (2.5, 2.5), (0, 0.0)])
def test_parse_numbers_are_seconds(value, seconds):
    result = parse_duration(value)
    assert result == seconds
    assert type(result) is float


@pytest.mark.parametrize("value", [-1, -0.5])
def test_negative_numbers_are_refused(value):
    with pytest.raises(ValueError, match="^duration must not be negative: "):
        parse_duration(value)


@pytest.mark.parametrize(
    "text", ["", "   ", "-1s", "5x", "1m30", "h", "1 hour", "1e3", ".5m", "5M", "1,5h", "m5"]
)
def test_bad_text_is_refused_with_examples(text):
    with pytest.raises(ValueError) as error:
        parse_duration(text)
    assert str(error.value) == f"not a duration: {text!r} (use e.g. 90s, 15m, 2h30m, 1d)"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (8, "8s"),
        (90, "90s"),
        (60, "1m"),
        (900, "15m"),
        (5400, "90m"),
        (3600, "1h"),
        (7200, "2h"),
        (90000, "25h"),
        (86400, "1d"),
        (172800, "2d"),
        (59.6, "1m"),
        (0.4, "0s"),
        (3600.0, "1h"),
    ],
)
def test_format(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["90s", "15m", "2h", "1d", "8s", "25h"])
def test_format_reads_back(text):
    assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_not_durations(value):
    # TOML `true` is an int to Python; a config typo must not become a 1-second block.
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("text", "seconds"), [("2h30m", 9000.0), ("1h 30m", 5400.0), ("1d2h", 93600.0), ("1m30s", 90.0)]
)
def test_compound_durations_add_up(text, seconds):
    assert parse_duration(text) == seconds
