"""What simulated chairs have on their worksheets: the published 2020 numbers on the Iowa
roster, plausible drawn ones elsewhere; and the slips of the finger they make keying them.
"""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from hotline.sim.people import _off_by_a_digit
from hotline.sim.worksheets import draw_report, election, published_reports, worksheets


def test_iowa_chairs_carry_their_precincts_published_numbers():
    published = published_reports()
    # Adair 1NW, the worked case of issue 9: 40 attendees, and the toss Buttigieg lost.
    code = "1001"
    assert (election().precinct(code).county, election().precinct(code).name) == (
        "Adair",
        "1NW ADAIR",
    )
    sheet = worksheets("iowa-2020", [code], 1)[code]
    assert sheet == published[code]
    assert sheet.attendance == 40
    assert dict(sheet.final) == {
        "biden": 6,
        "buttigieg": 8,
        "klobuchar": 8,
        "sanders": 9,
        "warren": 9,
    }
    assert [toss.winner for toss in sheet.coin_tosses] == ["klobuchar"]
    assert len(published) > 1600


def test_other_rosters_draw_numbers_the_same_for_the_same_seed():
    codes = ["1", "2", "3"]
    assert worksheets("hotline", codes, 5) == worksheets("hotline", codes, 5)
    assert worksheets("hotline", codes, 5) != worksheets("hotline", codes, 6)


@given(st.integers(0, 10**6))
def test_drawn_numbers_follow_the_locked_first_alignment(seed):
    keys = [candidate.key for candidate in election().candidates]
    report = draw_report(random.Random(seed), "1", keys)
    first, final = dict(report.first), dict(report.final)
    assert sum(first.values()) == report.attendance
    assert 0 < sum(final.values()) <= sum(first.values())
    assert 1 <= len(first) <= 5
    threshold = -(-report.attendance * 15 // 100)
    for key, count in first.items():
        if count >= threshold:
            assert final[key] >= count  # a viable group is locked in: it never shrinks
    assert set(final) <= set(first)


@given(st.integers(1, 9999), st.integers(0, 10**6))
def test_a_slip_of_the_finger_changes_one_digit_by_one(count, seed):
    wrong = _off_by_a_digit(random.Random(seed), count, 9999)
    if wrong == count:
        return  # nothing a slip could make of it (a lone 1 can only become 0 or 2)
    assert 1 <= wrong <= 9999 and len(str(wrong)) <= len(str(count))
    changed = [
        (a, b)
        for a, b in zip(str(count), str(wrong).rjust(len(str(count)), "0"), strict=True)
        if a != b
    ]
    assert len(changed) == 1 and abs(int(changed[0][0]) - int(changed[0][1])) == 1
