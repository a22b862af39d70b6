"""The 2020 Iowa caucus math (hotline/caucus/iowa2020.py): worked cases by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hotline.caucus.election import PrecinctRules
from hotline.caucus.iowa2020 import (
    EXTRA,
    KEEP,
    SINGLE,
    Tie,
    allocate,
    raw_delegates,
    round_half_up,
    viability_threshold,
)
from hotline.caucus.report import CoinToss, PrecinctReport

ADAIR_1NW = PrecinctRules("1001", "Adair", "1NW ADAIR", 8, 0.6275 / 8)
ADAIR_FINAL = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}


def rules(delegates: int, ratio: float = 0.1) -> PrecinctRules:
    return PrecinctRules("9001", "Test", "Test 1", delegates, ratio)


@pytest.mark.parametrize(
    ("attendance", "delegates", "threshold"),
    [
        (40, 8, 6),  # 15% of 40 = 6 exactly
        (41, 8, 7),  # 6.15 rounds up
        (20, 4, 3),
        (10, 3, 2),  # 1/6 of 10 = 1.67
        (12, 3, 2),  # 1/6 of 12 = 2 exactly
        (10, 2, 3),  # 25% of 10 = 2.5
        (8, 2, 2),
        (0, 5, 0),
    ],
)
def test_viability_threshold_is_rounded_up(attendance, delegates, threshold):
    assert viability_threshold(attendance, delegates) == threshold


def test_one_delegate_has_no_threshold():
    assert viability_threshold(30, 1) is None
    assert viability_threshold(30, 0) is None


def test_rounding_is_exact_at_one_half():
    assert raw_delegates(5, 20, 2) == Fraction(1, 2)
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(249, 100)) == 2


def test_adair_1nw_without_a_coin_toss_leaves_the_tie_open():
    report = PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL)
    allocation = allocate(report, ADAIR_1NW)
    assert allocation.threshold == 6
    assert allocation.viable == ("biden", "buttigieg", "klobuchar", "sanders", "warren")
    # Raw 1.2, 1.6, 1.6, 1.8, 1.8 round to 1, 2, 2, 2, 2 = 9: one too many; Buttigieg and
    # Klobuchar tie on the lowest fraction at or above .5 (.6).
    assert allocation.ties == (Tie(("buttigieg", "klobuchar"), KEEP, None),)
    assert sum(allocation.delegates.values()) == 9


def test_adair_1nw_with_the_published_coin_toss():
    toss = CoinToss(("buttigieg", "klobuchar"), "klobuchar")
    report = PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL, (toss,))
    allocation = allocate(report, ADAIR_1NW)
    assert dict(allocation.delegates) == {
        "biden": 1,
        "buttigieg": 1,
        "klobuchar": 2,
        "sanders": 2,
        "warren": 2,
    }
    assert allocation.ties == (Tie(("buttigieg", "klobuchar"), KEEP, toss),)
    # The published SDEs: 0.0784 per delegate.
    assert {k: round(v, 4) for k, v in allocation.sdes.items()} == {
        "biden": 0.0784,
        "buttigieg": 0.0784,
        "klobuchar": 0.1569,
        "sanders": 0.1569,
        "warren": 0.1569,
    }


def test_one_delegate_precinct_goes_to_the_largest_group():
    report = PrecinctReport(
        "9001", 11, {"biden": 5, "warren": 4, "yang": 2}, {"biden": 6, "warren": 5}
    )
    allocation = allocate(report, rules(1))
    assert allocation.threshold is None
    assert dict(allocation.delegates) == {"biden": 1}
    assert allocation.viable == ("biden",)


def test_one_delegate_tie_needs_a_coin_toss():
    report = PrecinctReport("9001", 10, {"biden": 5, "warren": 5}, {"biden": 5, "warren": 5})
    assert allocate(report, rules(1)).ties == (Tie(("biden", "warren"), SINGLE, None),)
    tossed = PrecinctReport(
        "9001", 10, report.first, report.final, (CoinToss(("warren", "biden"), "warren"),)
    )
    assert dict(allocate(tossed, rules(1)).delegates) == {"warren": 1}


def test_two_delegate_precinct():
    # 20 attendees, threshold 25% = 5. Raw: Sanders 12 x 2 / 20 = 1.2 -> 1,
    # Biden 7 x 2 / 20 = 0.7 -> 1. Klobuchar (1) is not viable and gets none.
    report = PrecinctReport(
        "9001",
        20,
        {"sanders": 12, "biden": 6, "klobuchar": 2},
        {"sanders": 12, "biden": 7, "klobuchar": 1},
    )
    allocation = allocate(report, rules(2))
    assert allocation.threshold == 5
    assert allocation.viable == ("biden", "sanders")
    assert dict(allocation.delegates) == {"biden": 1, "sanders": 1}


def test_three_delegate_precinct_too_few_goes_to_the_highest_fraction_below_half():
    # 30 attendees, threshold 1/6 = 5. Final Buttigieg 13, Warren 7 (10 went home or
    # stayed in no group): raw 1.3 -> 1 and 0.7 -> 1 = 2, one short; the next goes to the
    # highest fraction below .5: Buttigieg's .3.
    report = PrecinctReport(
        "9001", 30, {"buttigieg": 13, "warren": 7, "yang": 4}, {"buttigieg": 13, "warren": 7}
    )
    allocation = allocate(report, rules(3))
    assert allocation.threshold == 5
    assert dict(allocation.delegates) == {"buttigieg": 2, "warren": 1}
    assert allocation.ties == ()


def test_too_few_with_a_tie_uses_the_coin_toss():
    # 3 delegates, 40 attendees; raw 1.2 and 1.2 -> 1 + 1: one short, equal fractions.
    first = {"biden": 16, "sanders": 16, "yang": 8}
    final = {"biden": 16, "sanders": 16}
    allocation = allocate(PrecinctReport("9001", 40, first, final), rules(3))
    assert allocation.ties == (Tie(("biden", "sanders"), EXTRA, None),)
    tossed = PrecinctReport("9001", 40, first, final, (CoinToss(("biden", "sanders"), "sanders"),))
    assert dict(allocate(tossed, rules(3)).delegates) == {"biden": 1, "sanders": 2}


def test_too_many_never_takes_a_groups_only_delegate():
    # 5 delegates, 100 attendees, threshold 15. Raw .8 x 4 and 1.8 -> 1, 1, 1, 1, 2 = 6:
    # the .8 groups have only one delegate each, so the 1.8 group gives one up.
    final = {"a": 16, "b": 16, "c": 16, "d": 16, "e": 36}
    allocation = allocate(PrecinctReport("9001", 100, final, final), rules(5))
    assert dict(allocation.delegates) == {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}


def test_sdes_are_delegates_times_the_county_ratio():
    report = PrecinctReport("9001", 20, {"sanders": 20}, {"sanders": 20})
    allocation = allocate(report, rules(4, ratio=0.25))
    assert dict(allocation.delegates) == {"sanders": 4}
    assert dict(allocation.sdes) == {"sanders": 1.0}


def test_no_attendance_or_no_delegates_allocates_nothing():
    assert allocate(PrecinctReport("9001", 0, {}, {"a": 3}), rules(4)).delegates == {}
    assert allocate(PrecinctReport("9001", 9, {"a": 9}, {"a": 9}), rules(0)).delegates == {}
