"""The night's report's window: --from and --to as an admin writes them."""

from __future__ import annotations

import pytest

from hotline.night_report.window import DEFAULT_SPAN_S, Window, iso, moment, window

NOW = 1_580_878_800.0  # 2020-02-05 05:00:00 UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6h", NOW - 6 * 3600),
        ("90m", NOW - 90 * 60),
        ("1d", NOW - 86400),
        ("2h30m", NOW - 9000),
        ("45", NOW - 45),
        ("2020-02-05T01:00", 1_580_864_400.0),
        ("2020-02-05 01:00:00", 1_580_864_400.0),
        ("2020-02-05T01:00:00Z", 1_580_864_400.0),
        ("2020-02-04T20:00:00-05:00", 1_580_864_400.0),
        ("2020-02-05", 1_580_860_800.0),
    ],
)
def test_a_moment_is_an_iso_time_in_utc_or_a_duration_back_from_now(text, expected):
    assert moment(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "", "-6h", "6 hours", "2020-13-01", "25:00"])
def test_anything_else_is_refused_saying_what_is_accepted(text):
    with pytest.raises(ValueError) as raised:
        moment(text, now=NOW)
    assert str(raised.value) == (
        f"not a time: {text!r} (write an ISO time in UTC such as 2020-02-03T23:00, or a "
        "duration back from now such as 6h)"
    )


def test_the_window_is_the_last_day_unless_told():
    assert window(None, None, now=NOW) == Window(NOW - DEFAULT_SPAN_S, NOW)
    assert window(NOW - 3600, None, now=NOW) == Window(NOW - 3600, NOW)
    assert window(None, NOW - 3600, now=NOW) == Window(NOW - 3600 - DEFAULT_SPAN_S, NOW - 3600)


def test_an_end_after_now_is_now():
    assert window(NOW - 60, NOW + 3600, now=NOW) == Window(NOW - 60, NOW)


@pytest.mark.parametrize(("start", "end"), [(NOW, NOW), (NOW - 60, NOW - 120), (NOW + 60, None)])
def test_a_window_without_time_is_refused(start, end):
    with pytest.raises(ValueError) as raised:
        window(start, end, now=NOW)
    assert str(raised.value).startswith(
        f"the report would cover no time: it starts at {iso(start)}"
    )


def test_times_are_written_in_utc():
    assert iso(1_580_860_800.0) == "2020-02-05 00:00:00 UTC"
