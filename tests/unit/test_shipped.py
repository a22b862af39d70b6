"""The files Hotline ships are found inside the package, and a file a scenario or an
election names by a relative path is the one beside it, else the shipped one.
"""

from __future__ import annotations

from pathlib import Path

import hotline
from hotline.shipped import named_file, shipped
from hotline.sim.scenario import load_scenario

PACKAGE = Path(hotline.__file__).parent
ROSTER = "data/iowa-2020/precincts.csv"
SCENARIO = """\
[night]
duration = "1h"
[roster]
file = "{roster}"
format = "iowa-2020"
[chairs]
count = 1
arrival = {{ shape = "uniform", start = "0m", end = "50m" }}
registered_phone_share = 0
mistype_pin_share = 0
patience = "15m"
call_back_after = "2m"
max_calls = 1
talk = "3m"
[volunteers]
count = 1
"""


def test_shipped_files_live_in_the_package():
    assert shipped("scenarios", "smoke.toml") == PACKAGE / "scenarios" / "smoke.toml"
    assert shipped(*ROSTER.split("/")).is_file()


def test_a_relative_name_is_the_shipped_file_when_nothing_is_beside(tmp_path):
    scenario = tmp_path / "night.toml"
    scenario.write_text(SCENARIO.format(roster=ROSTER), encoding="utf-8")

    assert named_file(ROSTER, scenario) == PACKAGE / ROSTER
    assert load_scenario(str(scenario)).roster_file == PACKAGE / ROSTER


def test_a_file_beside_the_naming_file_wins_over_the_shipped_one(tmp_path):
    beside = tmp_path / ROSTER
    beside.parent.mkdir(parents=True)
    beside.write_text((PACKAGE / ROSTER).read_text(encoding="utf-8"), encoding="utf-8")
    scenario = tmp_path / "night.toml"
    scenario.write_text(SCENARIO.format(roster=ROSTER), encoding="utf-8")

    assert load_scenario(str(scenario)).roster_file == beside


def test_an_absolute_name_is_taken_as_it_is(tmp_path):
    roster = tmp_path / "elsewhere" / "roster.csv"
    assert named_file(roster, tmp_path / "night.toml") == roster
