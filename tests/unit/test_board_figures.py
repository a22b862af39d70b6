"""A minute's calls as the board tells them (console/board_view.py): exact for one
minute, and the sums that hold for any."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hotline.console.board_view import calls_in
from hotline.store import night_figures


def test_a_minute_with_every_kind_of_call():
    counts = {
        "answered": 9,
        "rejected": 2,
        "fast-track": 1,
        "challenge": 3,
        "diverted": 2,
        "blocked": 1,
    }
    assert calls_in(counts) == {
        "fast-track": 1,
        "challenge": 3,
        "diverted": 2,
        "rejected": 2,
        "blocked": 1,
        "all": 11,
        "not over yet": 2,
    }


def test_a_minute_without_calls():
    assert set(calls_in({}).values()) == {0}


@given(st.integers(0, 50), st.integers(0, 50), st.lists(st.integers(0, 3), max_size=50))
def test_every_call_is_in_one_column(rejected, not_over, told):
    """Answered calls are each told apart (fast track, challenge, diverted, blocked) or
    not over yet; all calls are those and the rejected ones."""
    names = ("fast-track", "challenge", "diverted", "blocked")
    counts = {name: told.count(i) for i, name in enumerate(names)}
    counts["answered"] = len(told) + not_over
    counts["rejected"] = rejected
    row = calls_in(counts)
    assert row["not over yet"] == not_over
    assert row["all"] == sum(row[name] for name in names) + row["not over yet"] + rejected


def test_a_minutes_figures_by_the_number_called():
    counts = {
        "answered": 3,
        "calls@+15155550000": 2,
        "verified@+15155550000": 1,
        "calls@+15155550200": 1,
        "depth": 4,
    }
    assert night_figures.by_number(counts) == {
        "+15155550000": {"calls": 2, "verified": 1},
        "+15155550200": {"calls": 1, "verified": 0},
    }
    assert night_figures.on_number(night_figures.VERIFIED_ON, "+15155550200") == (
        "verified@+15155550200"
    )
