"""The checks' findings said in a call's language (hotline/caucus/wording.py): every
wording the checks can produce has its prompt in every language, and in English a finding
is said exactly as `hotline results check` prints it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hotline.caucus
from hotline.caucus import iowa2020, wording
from hotline.caucus.checks import check
from hotline.caucus.election import load_election
from hotline.caucus.findings import Finding
from hotline.caucus.report import CoinToss, PrecinctReport
from hotline.settings import Settings

CHECKS = ("checks.py", "votecount.py")
# The words inside findings and coin tosses (caucus/wording.py).
INNER_PROMPTS = {
    "alignment_first",
    "alignment_final",
    "names_and",
    "sde_difference",
    "sde_difference_no_ratio",
    *wording.STAKES.values(),
}
ADAIR_FINAL = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}
ADAIR_PUBLISHED = {
    "biden": 0.0784,
    "buttigieg": 0.0784,
    "klobuchar": 0.1569,
    "sanders": 0.1569,
    "warren": 0.1569,
}
CANDIDATES = (
    '[{ key = "a", name = "Ann", keypad = 1 }, { key = "b", name = "Bob", keypad = 2 }, '
    '{ key = "c", name = "Cy", keypad = 3 }, { key = "d", name = "Di", keypad = 4 }]'
)


def election_toml(race: str, rules: str, delegates: int, sde_ratio: float) -> str:
    """An election of four candidates and one precinct, "11"."""
    precinct = (
        f'{{ code = "11", county = "X", name = "X 1", delegates = {delegates}, '
        f"sde_ratio = {sde_ratio} }}"
    )
    return f"""
race = "{race}"
rules = "{rules}"
candidates = {CANDIDATES}
[precincts]
rows = [{precinct}]
"""


# A two-delegate precinct with no SDE ratio.
SMALL_CAUCUS = election_toml("Small caucus", "iowa-caucus-2020", 2, 0)
PRIMARY = election_toml("Test primary", "vote-count", 3, 0.5)


def wordings_in_the_checks() -> set[str]:
    """The prompt of every Finding.of the checks' source calls: its wording (each branch of
    a conditional one), or its code."""
    prompts = set()
    for name in CHECKS:
        tree = ast.parse((Path(hotline.caucus.__file__).parent / name).read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "Finding.of"):
                continue
            wording = next((k.value for k in node.keywords if k.arg == "wording"), None)
            if wording is None:
                said = [node.args[0]]
            elif isinstance(wording, ast.IfExp):
                said = [wording.body, wording.orelse]
            else:
                said = [wording]
            prompts |= {f"finding_{ast.literal_eval(value)}" for value in said}
    return prompts


def election_file(tmp_path, text: str) -> Path:
    path = tmp_path / f"{abs(hash(text))}.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def iowa():
    return load_election("iowa-2020")


@pytest.fixture
def every_finding(iowa, tmp_path, monkeypatch) -> list[Finding]:
    """Reports that between them get every wording the checks have."""
    small = load_election(election_file(tmp_path, SMALL_CAUCUS))
    primary = load_election(election_file(tmp_path, PRIMARY))
    impossible = PrecinctReport(
        "1001",
        30,
        {"biden": 20, "yang": 3, "x": 1, "warren": -1},
        {"biden": 18, "yang": 4, "warren": 9, "sanders": 31},
    )
    wrong_toss = CoinToss(("buttigieg", "klobuchar"), "buttigieg")
    found = [
        *check(PrecinctReport("0", 3, {"biden": 3}, {"biden": 3}), iowa),
        *check(PrecinctReport("1001", 2.5), iowa),
        *check(impossible, iowa),
        *check(PrecinctReport("1001", None, {"biden": 3}), iowa),
        *check(PrecinctReport("1001", 0, {"biden": 3}, {"biden": 3}), iowa),
        *check(PrecinctReport("1001", 10, {"biden": 6, "sanders": 6}), iowa),
        *check(PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL), iowa),
        *check(
            PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL, (wrong_toss,)),
            iowa,
            ADAIR_PUBLISHED,
        ),
        *check(PrecinctReport("11", 29, {}, {"a": 8, "b": 2, "c": 8, "d": 10}), small),
        *check(PrecinctReport("11", 29, {}, {"a": 29}), small, {"a": 1.0}),
        *check(PrecinctReport("11", 0, {}, {"a": 3}), primary),
        *check(PrecinctReport("11", 10, {}, {"a": 11, "b": 4}), primary),
        *check(PrecinctReport("11", 10, {"a": 1}, {"a": 6}), primary),
    ]
    # The rules never give viable groups other than the precinct's delegates, unless there
    # are more of them than delegates: the check is a safety net. Tripped here on purpose.
    allocate = iowa2020.allocate

    def one_short(report, rules):
        allocation = allocate(report, rules)
        delegates = dict(allocation.delegates)
        delegates[next(iter(delegates))] -= 1
        return iowa2020.Allocation(allocation.threshold, allocation.viable, delegates)

    monkeypatch.setattr(iowa2020, "allocate", one_short)
    short = check(PrecinctReport("1001", 40, ADAIR_FINAL, ADAIR_FINAL, (wrong_toss,)), iowa)
    return [*found, *short]


def test_the_scan_finds_the_checks_wordings():
    found = wordings_in_the_checks()
    assert {"finding_final-above-first", "finding_no-attendance", "finding_no-ballots"} <= found
    assert len(found) == 21


def test_every_language_has_a_prompt_for_every_finding():
    settings = Settings.load(env={})
    wanted = wordings_in_the_checks() | INNER_PROMPTS
    assert set(settings.languages) == {"en", "es"}
    for code, spoken in settings.languages.items():
        assert wanted - set(spoken.prompts) == set(), code


def test_the_reports_get_every_wording(every_finding):
    assert {finding.prompt for finding in every_finding} == wordings_in_the_checks()


def test_in_english_a_finding_is_said_as_the_check_prints_it(every_finding):
    english = Settings.load(env={}).languages["en"].prompts
    for finding in every_finding:
        assert finding.said_in(english) == finding.message


def test_in_spanish_every_finding_is_said_with_its_figures(every_finding):
    spanish = Settings.load(env={}).languages["es"].prompts
    said: dict[str, str] = {}
    for finding in every_finding:  # the first of each wording
        said.setdefault(finding.prompt, finding.said_in(spanish))
    assert said["finding_final-above-first"] == (
        "la alineación final suma 62, más que los 24 de la primera"
    )
    assert said["finding_unsettled-coin-toss"] == (
        "Pete Buttigieg y Amy Klobuchar empatan por conservar un delegado: no hay sorteo registrado"
    )
    assert said["finding_count-above-attendance"] == (
        "alineación final: Bernie Sanders tiene 31, más que los 30 asistentes"
    )
    assert said["finding_published-differs"] == (
        "los equivalentes de delegados estatales publicados no coinciden con los calculados: "
        "Pete Buttigieg: 0.0784 (1 delegado) publicado, 0.1569 (2 delegados) calculado; "
        "Amy Klobuchar: 0.1569 (2 delegados) publicado, 0.0784 (1 delegado) calculado"
    )
    for text in said.values():
        assert "{" not in text and "}" not in text


def test_every_stake_of_a_coin_toss_is_said_in_english_as_the_rules_name_it():
    english = Settings.load(env={}).languages["en"].prompts
    for stake in (iowa2020.EXTRA, iowa2020.KEEP, iowa2020.SINGLE):
        assert wording.stake(stake, english) == stake
