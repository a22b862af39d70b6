"""Roster rows that are satellite caucuses, or speak another language, and the one code
no precinct may have.
"""

from __future__ import annotations

import pytest

from hotline.roster_file import RosterError, read_roster

HEADER = "precinct,county,name,satellite,language\n"


def test_satellite_and_language_columns_are_read_and_normalised():
    rows = read_roster(
        HEADER + "100013,Out of State Satellite,Paris,fr,ES\n1001,Adair,1NW ADAIR,,\n"
    )
    assert [(r.code, r.satellite, r.language) for r in rows] == [
        ("100013", "FR", "es"),
        ("1001", None, None),
    ]


def test_a_us_satellite_names_its_state():
    rows = read_roster(HEADER + "100002,Out of State Satellite,Tucson,US-AZ,\n")
    assert rows[0].satellite == "US-AZ"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "1,A,B,France,",
            "line 2: satellite 'FRANCE' must be where it meets: a country (FR) "
            "or a US state (US-AZ)",
        ),
        ("1,A,B,,spanish", "line 2: language 'spanish' must be a two-letter code (es)"),
        (
            "9,A,B,,",
            "line 2: precinct 9 cannot be keyed: 9 alone switches the language at a "
            "call's first prompt",
        ),
    ],
)
def test_bad_traits_are_refused_with_the_line_and_reason(row, reason):
    with pytest.raises(RosterError) as refused:
        read_roster(HEADER + row + "\n")
    assert str(refused.value) == reason
