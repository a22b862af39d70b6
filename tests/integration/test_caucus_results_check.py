"""`hotline results check`: the party's published results file against the caucus math."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hotline.caucus.checks import check_counts
from hotline.caucus.election import load_election
from hotline.caucus.published import check_published, with_inferred_tosses
from hotline.caucus.report import PrecinctReport
from hotline.cli import main
from hotline.shipped import shipped

SHIPPED = shipped("data", "iowa-2020", "results-2020-02-08.csv")
HEADER = SHIPPED.read_text(encoding="utf-8").splitlines()[:3]
ZEROS = ["0"] * 14


def row(county: str, precinct: str, first: dict, final: dict, sde: dict) -> str:
    keys = [
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
    ]
    cells = [str(first.get(k, 0)) for k in keys] + [str(final.get(k, 0)) for k in keys]
    cells += [str(sde.get(k, 0.0)) for k in keys]
    return ",".join([county, f'"{precinct}"', *cells])


ADAIR = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}
FIXTURE = (
    "\n".join(
        [
            *HEADER,
            # Clean: the published SDEs show Klobuchar won the coin toss with Buttigieg.
            row(
                "Adair",
                "1NW ADAIR",
                ADAIR,
                ADAIR,
                {
                    "biden": 0.0784,
                    "buttigieg": 0.0784,
                    "klobuchar": 0.1569,
                    "sanders": 0.1569,
                    "warren": 0.1569,
                },
            ),
            # Adair 2NE STUART, 11 delegates: more in the final alignment than the first,
            # and a viable group that shrank; its SDEs agree with the math (4.95 and 6.875
            # round to 5 and 7, one too many: Sanders' .875 is the lowest fraction at or
            # above .5).
            row(
                "Adair",
                "2NE STUART",
                {"biden": 20, "sanders": 20},
                {"biden": 18, "sanders": 25},
                {"biden": 0.3922, "sanders": 0.4706},
            ),
            row("Adair", "Total", {}, {}, {}),
            row("CD4 Satellite", "Mason City, IA - Somewhere", {"biden": 2}, {"biden": 3}, {}),
        ]
    )
    + "\n"
)

EXPECTED = """\
Adair 2NE STUART (1002), line 5:
  error: the final alignment adds up to 43, more than the first's 40
  error: Joe Biden was viable at first with 20 but has 18 at the final alignment (viable groups are locked)
  warning: Bernie Sanders grew from 20 to 25, more than the 0 people in groups not viable at first could give
CD4 Satellite Mason City, IA - Somewhere, line 7:
  error: final alignment: Joe Biden has 3, more than the 2 attendees
  error: the final alignment adds up to 3, more than the first's 2
3 precincts checked (1 not on the roster: counts checked, delegates not); 2 flagged, 2 with a blocking error
      2  final-above-first (error)
      1  count-above-attendance (error)
      1  grew-past-realigners (warning)
      1  locked-group-shrank (error)
"""  # noqa: E501

# `hotline results check hotline/data/iowa-2020/results-2020-02-08.csv`: flagged precincts
# per reason.
SHIPPED_COUNTS = {
    "count-above-attendance": 3,
    "delegate-total": 56,
    "final-above-first": 83,
    "final-below-threshold": 407,
    "grew-past-realigners": 58,
    "locked-group-shrank": 74,
    "no-attendance": 1,
    "published-differs": 187,
    "unsettled-coin-toss": 34,
}


def run(*args):
    return CliRunner().invoke(main, ["results", "check", *map(str, args)], catch_exceptions=False)


def test_fixture_output_is_exact(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text(FIXTURE)
    result = run(path)
    assert result.exit_code == 0, result.output
    assert result.output == EXPECTED


def test_fixture_json(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text(FIXTURE)
    result = run(path, "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["precincts"], data["off_roster"], data["flagged"]) == (3, 1, 2)
    assert [p["code"] for p in data["flagged_precincts"]] == ["1002", None]
    assert data["counts"]["final-above-first"] == 2


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (
            lambda text: text.replace(",8,0,0,8,0,9", ",8,0,0,x,0,9", 1),
            "line 4: First Expression for klobuchar: 'x' is not a whole number of at least 0",
        ),
        (
            lambda text: text.replace(',"2NE STUART",', ",", 1),
            "line 5: 43 fields, the header has 44",
        ),
        (
            lambda text: text.replace("Bennet", "Nobody", 1),
            "line 2: column 'Nobody' is not a candidate of the iowa-2020 election",
        ),
        (lambda text: "\n".join(text.splitlines()[:2]), "line 1: the file needs 3 header rows"),
    ],
)
def test_unreadable_file_exits_2_with_the_line(tmp_path, mangle, reason):
    path = tmp_path / "results.csv"
    path.write_text(mangle(FIXTURE))
    result = CliRunner().invoke(main, ["results", "check", str(path)])
    assert result.exit_code == 2
    assert result.output == f"{path}: {reason}\n"


def test_a_file_that_is_not_utf8_exits_2_with_the_line(tmp_path):
    path = tmp_path / "results.csv"
    path.write_bytes(FIXTURE.replace("Adair", "C\xf4te", 2).encode("latin-1"))
    result = CliRunner().invoke(main, ["results", "check", str(path)])
    assert result.exit_code == 2
    assert result.output == f"{path}: line 4: not UTF-8 text (byte 0xf4): save it as UTF-8\n"


def test_an_election_file_that_is_not_utf8_is_refused_with_the_line(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'# \xe9lection\nrace = "x"\n')
    result = CliRunner().invoke(main, ["election", "check", str(bad)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {bad}: line 1: not UTF-8 text (byte 0xe9): save it as UTF-8\n"
    )


def test_an_election_whose_roster_is_not_utf8_is_refused_with_the_line(tmp_path):
    roster = tmp_path / "precincts.csv"
    lines = (SHIPPED.parent / "precincts.csv").read_bytes().split(b"\n")
    lines[5] = b"\xc0" + lines[5]
    roster.write_bytes(b"\n".join(lines))
    election = tmp_path / "mine.toml"
    election.write_text(
        (SHIPPED.parents[2] / "elections" / "iowa-2020.toml")
        .read_text(encoding="utf-8")
        .replace('file = "data/iowa-2020/precincts.csv"', f'file = "{roster}"')
    )
    result = CliRunner().invoke(main, ["election", "check", str(election)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {election}: precincts.file {roster}: line 6: not UTF-8 text (byte 0xc0): "
        "save it as UTF-8\n"
    )


def test_missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["results", "check", str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    assert "cannot be read" in result.output


@pytest.fixture(scope="module")
def shipped():
    election = load_election("iowa-2020")
    return election, check_published(SHIPPED.read_text(encoding="utf-8"), election)


def test_shipped_2020_file_counts(shipped):
    _, outcome = shipped
    assert len(outcome.checked) == 1765  # 1,678 precincts and 87 satellite caucuses
    assert outcome.off_roster == 87
    assert len(outcome.flagged) == 640
    assert dict(outcome.counts()) == SHIPPED_COUNTS
    assert outcome.to_dict()["blocking"] == 155


def test_shipped_flags_recheck_to_the_same_findings(shipped):
    # Each flagged precinct, stored and read back as JSON, checks to the same reasons; and
    # every one of the roster's 1,678 precincts with delegates was found in the file.
    election, outcome = shipped
    for checked in outcome.flagged:
        precinct = checked.precinct
        report = PrecinctReport.from_dict(json.loads(json.dumps(precinct.report.to_dict())))
        if precinct.rules is not None:
            report = with_inferred_tosses(report, precinct.rules, precinct.sdes)
        again = check_counts(report, election, precinct.rules, precinct.sdes)
        assert tuple(again) == checked.findings, precinct.label
        for finding in checked.findings:
            assert finding.message and finding.code in SHIPPED_COUNTS
    matched = {c.precinct.rules.code for c in outcome.checked if c.precinct.rules}
    assert matched == {code for code, p in election.precincts.items() if p.delegates}


def test_election_show_and_check(tmp_path):
    result = CliRunner().invoke(main, ["election", "show"])
    assert result.exit_code == 0
    assert "rules:      iowa-caucus-2020" in result.output
    assert "    7  klobuchar      Amy Klobuchar" in result.output
    assert result.output.endswith("precincts:  1681 in 99 counties, 11402 delegates\n")
    bad = tmp_path / "bad.toml"
    bad.write_text('race = "x"\nrules = "ranked"\n')
    result = CliRunner().invoke(main, ["election", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: rules must be one of iowa-caucus-2020, vote-count" in result.output
