"""The 2020 satellite caucuses read from the party's published results file."""

from __future__ import annotations

from collections import Counter

import pytest

from hotline.roster_file import RosterError, RosterRow, with_satellites
from hotline.roster_satellites import FIRST_CODE, read_satellites
from hotline.shipped import shipped

RESULTS = shipped("data", "iowa-2020", "results-2020-02-08.csv")
HEADER = ",,First Expression\n,,Biden\nCounty,Precinct,\n"


@pytest.fixture(scope="module")
def satellites() -> list[RosterRow]:
    return read_satellites(RESULTS.read_text(encoding="utf-8"))


def test_the_2020_file_lists_87_satellites_three_of_them_abroad(satellites):
    assert len(satellites) == 87
    where = Counter(row.satellite for row in satellites)
    assert where["US-IA"] == 60  # the four congressional districts' satellites
    abroad = {
        row.satellite: row.name.split(" - ")[0]
        for row in satellites
        if not row.satellite.startswith("US-")
    }
    assert abroad == {
        "GE": "Tbilisi, Republic of Georgia",
        "FR": "Paris, France",
        "GB": "Glasgow, Scotland",
    }
    assert sum(n for place, n in where.items() if place.startswith("US-")) == 84


def test_satellite_codes_are_new_six_digit_codes_in_file_order(satellites):
    codes = [int(row.code) for row in satellites]
    assert codes == list(range(FIRST_CODE, FIRST_CODE + 87))
    assert all(row.line > 1 for row in satellites) and sorted(r.line for r in satellites) == [
        r.line for r in satellites
    ]


def test_out_of_state_satellites_meet_in_their_state():
    text = HEADER + (
        'Out of State Satellite,"Tucson, AZ - Flowing Wells Library",0\n'
        "Out of State Satellite,Washington DC - IBEW International Union,0\n"
        "Out of State Satellite,Total,0\n"
    )
    assert [(r.code, r.satellite) for r in read_satellites(text)] == [
        ("100001", "US-AZ"),
        ("100002", "US-DC"),
    ]


def test_a_satellite_it_cannot_place_is_refused_with_its_line():
    text = HEADER + 'Out of State Satellite,"Lisbon, Portugal - Somewhere",0\n'
    with pytest.raises(RosterError) as refused:
        read_satellites(text)
    assert str(refused.value) == (
        "line 4: cannot tell where the satellite caucus 'Lisbon, Portugal - Somewhere' met"
    )


def test_a_file_without_satellites_is_refused():
    with pytest.raises(RosterError, match="lists no satellite caucuses"):
        read_satellites(HEADER + "Adair,1NW ADAIR,4\n")


def test_a_satellite_code_that_is_a_precincts_is_refused():
    precinct = RosterRow(line=2, code="100001", county="Polk", name="X")
    satellite = RosterRow(
        line=7, code="100001", county="CD1 Satellite", name="Y", satellite="US-IA"
    )
    with pytest.raises(RosterError) as refused:
        with_satellites([precinct], [satellite])
    assert str(refused.value) == (
        "line 7: satellite code 100001 is already a precinct's (line 2 of the roster)"
    )
