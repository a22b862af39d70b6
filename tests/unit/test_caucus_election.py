"""Election definitions (hotline/caucus/election.py) and report checks (checks.py)."""

from __future__ import annotations

import json

import pytest

from hotline.caucus.checks import Finding, check
from hotline.caucus.election import ElectionError, load_election
from hotline.caucus.report import CoinToss, PrecinctReport

WORKSHEET = (
    "bennet",
    "biden",
    "bloomberg",
    "buttigieg",
    "delaney",
    "gabbard",
    "klobuchar",
    "patrick",
    "sanders",
    "steyer",
    "warren",
    "yang",
    "other",
    "uncommitted",
)
ADAIR_FINAL = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}


@pytest.fixture(scope="module")
def iowa():
    return load_election("iowa-2020")


def test_iowa_2020_definition(iowa):
    assert iowa.rules == "iowa-caucus-2020"
    assert tuple(c.key for c in iowa.candidates) == WORKSHEET
    assert [c.keypad for c in iowa.candidates] == list(range(1, 15))
    assert iowa.by_keypad(7).name == "Amy Klobuchar"
    assert iowa.candidate("biden").keypad == 2
    assert iowa.by_keypad(15) is None and iowa.candidate("nobody") is None
    # 1,678 precincts plus Lee County's three zero-delegate rows, coded as the roster import
    # codes them (hotline/roster_file.py): Adair's first precinct is 1001.
    assert len(iowa.precincts) == 1681
    adair = iowa.precinct("1001")
    assert (adair.county, adair.name, adair.delegates) == ("Adair", "1NW ADAIR", 8)
    assert adair.sde_ratio == pytest.approx(0.6275 / 8, abs=1e-5)
    assert adair.sde_ratio == pytest.approx(4 / 51)
    assert iowa.precinct("99999") is None


def test_precinct_names_lose_their_html_escapes(iowa):
    names = {p.name for p in iowa.precincts.values() if p.county == "Carroll"}
    assert "Carroll Ward Two & N1/2 Maple River Twp" in names


def write(tmp_path, text: str):
    path = tmp_path / "test.toml"
    path.write_text(text)
    return path


INLINE = """
race = "Test primary"
rules = "vote-count"
candidates = [{ key = "a", name = "Ann", keypad = 1 }, { key = "b", name = "Bob", keypad = 2 }]
[precincts]
rows = [{ code = "11", county = "X", name = "X 1", delegates = 3, sde_ratio = 0.5 }]
"""


def test_inline_definition(tmp_path):
    election = load_election(write(tmp_path, INLINE))
    assert election.name == "test" and election.rules == "vote-count"
    assert election.precinct("11").delegates == 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (('rules = "vote-count"', 'rules = "ranked"'), "rules must be one of"),
        (("keypad = 2", "keypad = 1"), "share keypad 1"),
        (('key = "b"', 'key = "B"'), "candidates[2].key"),
        (("delegates = 3", "delegates = -1"), "precincts.rows[1].delegates"),
        (('race = "Test primary"', ""), "missing setting 'race'"),
        (("[precincts]", "[precincts"), "not valid TOML"),
    ],
)
def test_bad_definitions_name_the_file_and_reason(tmp_path, change, reason):
    path = write(tmp_path, INLINE.replace(*change))
    with pytest.raises(ElectionError) as error:
        load_election(path)
    assert str(error.value).startswith(str(path))
    assert reason in str(error.value)


def test_unknown_election():
    with pytest.raises(ElectionError, match="no election 'nowhere' .known: iowa-2020"):
        load_election("nowhere")


def test_a_county_whose_ratios_disagree_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "County,Precinct,Precinct Short Name,County Delegates,Precinct SDE (IDP)\n"
        "Adair,1NW,01,8,0.6\nAdair,2NE,02,4,0.2\n"
    )
    path = write(
        tmp_path,
        INLINE.replace(
            'rows = [{ code = "11", county = "X", name = "X 1", delegates = 3, sde_ratio = 0.5 }]',
            f'file = "{roster}"\nformat = "iowa-2020"',
        ),
    )
    with pytest.raises(ElectionError, match="line 2: Adair 1NW's SDE ratio 0.075000 differs"):
        load_election(path)


def codes(findings):
    return sorted((f.code, f.blocking) for f in findings)


def test_adair_1nw_checks_clean_with_its_coin_toss(iowa):
    toss = CoinToss(("buttigieg", "klobuchar"), "klobuchar")
    report = PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL, (toss,))
    assert check(report, iowa) == ()
    published = {
        "biden": 0.0784,
        "buttigieg": 0.0784,
        "klobuchar": 0.1569,
        "sanders": 0.1569,
        "warren": 0.1569,
    }
    assert check(report, iowa, published) == ()


def test_adair_1nw_without_its_coin_toss_is_a_warning(iowa):
    report = PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL)
    assert check(report, iowa) == (
        Finding(
            "unsettled-coin-toss",
            "Pete Buttigieg and Amy Klobuchar tie for keeping a delegate: no coin toss recorded",
            blocking=False,
        ),
    )


def test_impossible_reports_are_blocking(iowa):
    report = PrecinctReport(
        "1001",
        30,
        {"biden": 20, "yang": 3, "x": 1, "warren": -1},
        {"biden": 18, "yang": 4, "warren": 9, "sanders": 31},
    )
    assert codes(check(report, iowa)) == [
        ("bad-count", True),
        ("count-above-attendance", True),
        ("final-above-first", True),
        ("final-below-threshold", False),
        ("first-below-attendance", False),
        ("grew-past-realigners", False),
        ("grew-past-realigners", False),
        ("locked-group-shrank", True),
        ("unknown-candidate", True),
    ]
    messages = [f.message for f in check(report, iowa)]
    assert (
        "Joe Biden was viable at first with 20 but has 18 at the final alignment "
        "(viable groups are locked)"
    ) in messages
    below = (
        "Andrew Yang has 4 at the final alignment, below the viability threshold of 5: no delegate"
    )
    assert below in messages


def test_groups_without_attendance_and_unknown_precincts(iowa):
    assert codes(check(PrecinctReport("1001", 0, {"biden": 3}, {"biden": 3}), iowa)) == [
        ("no-attendance", True)
    ]
    assert codes(check(PrecinctReport("0", 3, {"biden": 3}, {"biden": 3}), iowa)) == [
        ("unknown-precinct", True)
    ]


def test_published_figures_that_differ_are_a_warning(iowa):
    toss = CoinToss(("buttigieg", "klobuchar"), "buttigieg")
    report = PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL, (toss,))
    published = {
        "biden": 0.0784,
        "buttigieg": 0.0784,
        "klobuchar": 0.1569,
        "sanders": 0.1569,
        "warren": 0.1569,
    }
    (finding,) = check(report, iowa, published)
    assert finding == Finding(
        "published-differs",
        "published SDEs differ from the computed ones: Pete Buttigieg "
        "0.0784 (1 delegate) published, 0.1569 (2 delegates) computed; Amy Klobuchar 0.1569 "
        "(2 delegates) published, 0.0784 (1 delegate) computed",
        blocking=False,
    )


def test_vote_count_checks(tmp_path):
    election = load_election(write(tmp_path, INLINE))
    assert check(PrecinctReport("11", 10, {}, {"a": 6, "b": 4}), election) == ()
    assert codes(check(PrecinctReport("11", 10, {}, {"a": 11, "b": 4}), election)) == [
        ("count-above-attendance", True),
        ("votes-above-ballots", True),
    ]


def test_a_report_survives_json(iowa):
    report = PrecinctReport(
        "1001", 40, ADAIR_FINAL, ADAIR_FINAL, (CoinToss(("buttigieg", "klobuchar"), "klobuchar"),)
    )
    again = PrecinctReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    assert check(again, iowa) == check(report, iowa)


def test_non_integer_counts_from_storage_are_blocking(iowa):
    stored = {
        "precinct": "1001",
        "attendance": 40,
        "first": {"biden": "6"},
        "final": {"biden": 6.5},
    }
    report = PrecinctReport.from_dict(stored)
    assert ("bad-count", True) in codes(check(report, iowa))
