"""Scenario files: the shipped ones load; a bad one is refused with a message that names
the file and the setting at fault.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from hotline.roster_file import read_roster
from hotline.shipped import shipped
from hotline.sim.population import draw_population
from hotline.sim.scenario import (
    SCENARIO_DIR,
    Arrival,
    Chairs,
    InfoCallers,
    Leak,
    Nuisance,
    Scenario,
    ScenarioError,
    Volunteers,
    find_scenario,
    load_scenario,
)

IOWA_ROSTER = shipped("data", "iowa-2020", "precincts.csv")
SHIPPED = [
    "demo",
    "demo-leak",
    "iowa-2020",
    "iowa-2020-leak",
    "night-under-fire",
    "pin-guessing",
    "smoke",
    "spoofer",
]

# A small, valid scenario; each test below breaks one thing in it.
GOOD = """\
[night]
name = "tiny"
description = "a tiny night"
duration = "1h"

[roster]
file = "data/iowa-2020/precincts.csv"
format = "iowa-2020"

[chairs]
count = 10
arrival = { shape = "normal", start = "0m", end = "50m", peak = "20m", spread = "10m" }
registered_phone_share = 0.3
mistype_pin_share = 0.1
patience = "15m"
call_back_after = "2m"
max_calls = 4
talk = "3m"

[nuisance]
numbers = 2
start = "10m"
end = "50m"
redial_every = "2m"
hang_up_after = "5s"
hold_patience = "20m"
talk = "30s"
guess_pins_share = 0.5
withheld_share = 0
out_of_state_share = 0
stir_failed_share = 0

[volunteers]
count = 2
"""


def write(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def broken(tmp_path: Path, old: str, new: str) -> Path:
    """GOOD with `old` (which must be in it) replaced by `new`."""
    assert old in GOOD, old
    return write(tmp_path, GOOD.replace(old, new, 1))


# A scenario laid over GOOD: its name, its leak, and one chairs' setting of its own.
EXTENDS = """\
extends = "{base}"

[night]
name = "leaky"

[chairs]
count = 12

[leak]
at = "30m"
"""


def refusal(path: Path) -> str:
    with pytest.raises(ScenarioError) as raised:
        load_scenario(str(path))
    return str(raised.value)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads(name):
    scenario = load_scenario(name)

    assert scenario.name == name
    assert scenario.roster_file == IOWA_ROSTER
    assert scenario.roster_format == "iowa-2020"
    assert scenario.volunteers.count >= 1
    assert 0 <= scenario.chairs.arrival.start_s < scenario.chairs.arrival.end_s
    assert scenario.chairs.arrival.end_s <= scenario.duration_s
    assert find_scenario(name) == SCENARIO_DIR / f"{name}.toml"


def test_shipped_scenarios_are_the_known_ones():
    assert sorted(path.stem for path in SCENARIO_DIR.glob("*.toml")) == SHIPPED


def test_smoke_loads_exactly():
    assert load_scenario("smoke") == Scenario(
        name="smoke",
        description="40 chairs in an hour, 6 nuisance numbers, 3 volunteers",
        duration_s=3600.0,
        roster_file=IOWA_ROSTER,
        roster_format="iowa-2020",
        chairs=Chairs(
            count=40,
            arrival=Arrival("normal", 0.0, 3000.0, 1200.0, 600.0),
            registered_phone_share=0.3,
            mistype_pin_share=0.15,
            patience_s=900.0,
            call_back_after_s=120.0,
            max_calls=4,
            talk_s=180.0,
            asks_callback_share=0.2,
            keypad_share=0.6,
            keypad_seconds_per_entry=4.0,
            keypad_mistake_rate=0.03,
            readback_catch_share=0.6,
        ),
        nuisance=Nuisance(
            numbers=6,
            start_s=600.0,
            end_s=3000.0,
            redial_every_s=120.0,
            hang_up_after_s=5.0,
            hold_patience_s=1200.0,
            talk_s=30.0,
            gives_up_after_busy=5,
            guess_pins_share=0.34,
            withheld_share=0.17,
            out_of_state_share=0.3,
            stir_failed_share=0.2,
        ),
        info=InfoCallers(
            count=8, arrival=Arrival("uniform", 0.0, 3000.0), patience_s=600.0, talk_s=60.0
        ),
        volunteers=Volunteers(count=3),
    )


def test_iowa_2020_has_every_precinct_calling():
    scenario = load_scenario("iowa-2020")

    assert (scenario.chairs.count, scenario.duration_s, scenario.volunteers.count) == (
        None,
        5 * 3600.0,
        50,
    )
    assert (scenario.nuisance.numbers, scenario.info.count) == (300, 1200)


def test_pin_guessing_has_every_nuisance_caller_guessing_and_no_info_callers():
    scenario = load_scenario("pin-guessing")

    assert (scenario.chairs.count, scenario.nuisance.numbers) == (200, 60)
    assert scenario.nuisance.guess_pins_share == 1.0
    assert scenario.info is None


def test_a_scenario_by_path_with_defaults(tmp_path):
    path = write(tmp_path, GOOD.replace('name = "tiny"\n', ""), name="by-path.toml")

    scenario = load_scenario(str(path))

    assert (scenario.name, scenario.description) == ("by-path", "a tiny night")
    assert scenario.volunteers == Volunteers(count=2)
    assert scenario.info is None
    assert scenario.nuisance.gives_up_after_busy == 1_000_000
    assert scenario.with_volunteers(7).volunteers == Volunteers(count=7)
    at = scenario.with_keypad_share(0.3)
    assert at.chairs == replace(scenario.chairs, keypad_share=0.3)
    assert at.volunteers == scenario.volunteers


def test_a_missing_section(tmp_path):
    start = GOOD.index("[chairs]")
    path = write(tmp_path, GOOD[:start] + GOOD[GOOD.index("[nuisance]") :])

    assert refusal(path) == f"{path}: missing setting 'chairs'"


def test_a_missing_setting_is_named_with_its_section(tmp_path):
    path = broken(tmp_path, 'talk = "3m"\n', "")

    assert refusal(path) == f"{path}: missing setting 'chairs.talk'"


def test_a_share_above_one(tmp_path):
    path = broken(tmp_path, "registered_phone_share = 0.3", "registered_phone_share = 1.5")

    assert refusal(path) == (
        f"{path}: chairs.registered_phone_share must be a fraction from 0 to 1, not 1.5"
    )


def test_a_share_that_is_not_a_number(tmp_path):
    path = broken(tmp_path, "guess_pins_share = 0.5", 'guess_pins_share = "half"')

    assert refusal(path) == (
        f"{path}: nuisance.guess_pins_share must be a fraction from 0 to 1, not 'half'"
    )


def test_a_bad_duration(tmp_path):
    path = broken(tmp_path, 'patience = "15m"', 'patience = "a while"')

    assert refusal(path) == (
        f"{path}: chairs.patience: not a duration: 'a while' (use e.g. 90s, 15m, 2h30m, 1d)"
    )


def test_a_bad_night_duration(tmp_path):
    path = broken(tmp_path, 'duration = "1h"', "duration = true")

    assert refusal(path) == f"{path}: night.duration: not a duration: True"


def test_a_bad_arrival_shape(tmp_path):
    path = broken(tmp_path, 'shape = "normal"', 'shape = "poisson"')

    assert refusal(path) == (
        f'{path}: chairs.arrival.shape must be "normal" or "uniform", not \'poisson\''
    )


def test_arrivals_that_start_after_they_end(tmp_path):
    path = broken(tmp_path, 'start = "0m", end = "50m"', 'start = "40m", end = "20m"')

    assert refusal(path) == (
        f"{path}: chairs.arrival: start and end must lie within the night, start first"
    )


def test_arrivals_that_end_after_the_night(tmp_path):
    path = broken(tmp_path, 'end = "50m", peak', 'end = "2h", peak')

    assert refusal(path) == (
        f"{path}: chairs.arrival: start and end must lie within the night, start first"
    )


def test_nuisance_that_starts_after_it_ends(tmp_path):
    path = broken(tmp_path, 'start = "10m"\nend = "50m"', 'start = "50m"\nend = "10m"')

    assert refusal(path) == (
        f"{path}: nuisance: start and end must lie within the night, start first"
    )


def test_nuisance_that_never_waits_to_redial(tmp_path):
    path = broken(tmp_path, 'redial_every = "2m"', 'redial_every = "0s"')

    assert refusal(path) == f"{path}: nuisance.redial_every must be longer than zero"


def test_no_volunteers(tmp_path):
    path = broken(tmp_path, "count = 2", "count = 0")

    assert refusal(path) == f"{path}: volunteers.count must be a whole number of at least 1, not 0"


def test_a_file_that_is_not_toml(tmp_path):
    path = write(tmp_path, "[night\nduration = 1h\n")

    assert refusal(path).startswith(f"{path}: not valid TOML: ")


def test_an_unknown_scenario_lists_the_known_ones():
    with pytest.raises(ScenarioError) as raised:
        load_scenario("nosuch")

    assert str(raised.value) == (
        "no scenario 'nosuch' (known: demo, demo-leak, iowa-2020, iowa-2020-leak, "
        "night-under-fire, pin-guessing, smoke, spoofer)"
    )


def test_the_keypad_knobs_default_to_no_keypad_chairs(tmp_path):
    chairs = load_scenario(str(write(tmp_path, GOOD))).chairs

    assert (
        chairs.keypad_share,
        chairs.keypad_seconds_per_entry,
        chairs.keypad_mistake_rate,
        chairs.readback_catch_share,
    ) == (0.0, 4.0, 0.0, 0.0)


def test_the_keypad_knobs_are_read_and_checked(tmp_path):
    knobs = (
        'max_calls = 4\nkeypad_share = 0.25\nkeypad_seconds_per_entry = "6s"\n'
        "keypad_mistake_rate = 0.1\nreadback_catch_share = 0.5\n"
    )
    chairs = load_scenario(str(broken(tmp_path, "max_calls = 4\n", knobs))).chairs
    assert (
        chairs.keypad_share,
        chairs.keypad_seconds_per_entry,
        chairs.keypad_mistake_rate,
        chairs.readback_catch_share,
    ) == (0.25, 6.0, 0.1, 0.5)

    path = broken(tmp_path, "max_calls = 4\n", "max_calls = 4\nkeypad_mistake_rate = 2\n")
    assert refusal(path) == (
        f"{path}: chairs.keypad_mistake_rate must be a fraction from 0 to 1, not 2"
    )


def test_every_shipped_scenario_says_its_keypad_share():
    for path in SCENARIO_DIR.glob("*.toml"):
        text = path.read_text()
        stated = (
            text
            if "\nextends = " not in text
            else find_scenario(tomllib.loads(text)["extends"]).read_text()
        )
        assert "\nkeypad_share = " in stated, path.name
        share = load_scenario(str(path)).chairs.keypad_share
        if path.stem in ("demo", "demo-leak", "night-under-fire"):
            # The live nights are too short for a keypad report read at life's pace.
            assert share == 0, path.name
        else:
            assert 0 < share < 1, path.name  # some chairs on the keypad, some to volunteers


# --- a leak, and a scenario that extends another --------------------------------------------


def test_a_leak_says_when_the_number_is_rotated(tmp_path):
    path = write(tmp_path, GOOD + '\n[leak]\nat = "25m"\n')
    assert load_scenario(str(path)).leak == Leak(at_s=1500.0)


def test_no_leak_section_is_no_leak(tmp_path):
    assert load_scenario(str(write(tmp_path, GOOD))).leak is None


@pytest.mark.parametrize("at", ['"0s"', '"1h"', '"2h"'])
def test_a_leak_outside_the_night_is_refused(tmp_path, at):
    path = write(tmp_path, GOOD + f"\n[leak]\nat = {at}\n")
    assert refusal(path) == f"{path}: leak.at must lie within the night"


def test_a_leak_without_a_time_is_refused(tmp_path):
    path = write(tmp_path, GOOD + "\n[leak]\n")
    assert refusal(path) == f"{path}: missing setting 'leak.at'"


def test_an_extending_scenario_is_its_base_with_its_own_settings_laid_over(tmp_path):
    write(tmp_path, GOOD)
    path = write(tmp_path, EXTENDS.format(base=tmp_path / "tiny.toml"), "leaky.toml")
    base = load_scenario(str(tmp_path / "tiny.toml"))
    assert load_scenario(str(path)) == replace(
        base,
        name="leaky",
        description="a tiny night",
        leak=Leak(at_s=1800.0),
        chairs=replace(base.chairs, count=12),
    )


def test_the_shipped_leak_is_iowa_2020_rotated_at_9_15_pm():
    assert load_scenario("iowa-2020-leak") == replace(
        load_scenario("iowa-2020"),
        name="iowa-2020-leak",
        description="iowa-2020, the leaked number rotated at 9:15 pm",
        leak=Leak(at_s=8100.0),
    )


def test_the_shipped_demo_leak_is_the_demo_on_linn_county_rotated_a_minute_in():
    demo = load_scenario("demo")
    assert load_scenario("demo-leak") == replace(
        demo,
        name="demo-leak",
        description="the demo night on Linn County's precincts, its leaked number rotated at 1m",
        roster_counties=("Linn",),
        chairs=replace(demo.chairs, registered_phone_share=0.5),
        leak=Leak(at_s=60.0),
    )


def test_a_scenario_on_some_counties_draws_only_their_precincts(tmp_path):
    path = write(tmp_path, 'extends = "demo"\n[roster]\ncounties = ["Linn", "Adair"]\n')
    population = draw_population(load_scenario(str(path)), seed=1)
    state = read_roster(IOWA_ROSTER.read_text(encoding="utf-8"), layout="iowa-2020")
    expected = [row.code for row in state if row.county in ("Linn", "Adair")]
    assert [precinct[0] for precinct in population.roster] == expected
    assert {precinct[1] for precinct in population.roster} == {"Linn", "Adair"}
    assert len(expected) == 86 + 5  # Linn's precincts and Adair's


def test_a_county_the_roster_does_not_hold_is_refused_on_load(tmp_path):
    path = write(tmp_path, 'extends = "demo"\n[roster]\ncounties = ["Lin"]\n')
    assert refusal(path) == (
        f"{path}: roster.counties names counties with no precinct in precincts.csv: Lin"
    )


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (
            b"precinct,county,name,pin\n1001,Adair,A,482913\n1001,Adair,B,771204\n",
            "line 3: precinct 1001 already appears on line 2",
        ),
        (
            b"precinct,county,name\n1001,Adair,A\n1002,C\xf4te,B\n",
            "line 3: not UTF-8 text (byte 0xf4): save it as UTF-8",
        ),
    ],
)
def test_a_bad_roster_is_refused_on_load_line_by_line(tmp_path, data, said):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(data)
    path = write(tmp_path, f'extends = "demo"\n[roster]\nfile = "{roster}"\nformat = "hotline"\n')
    assert refusal(path) == f"{path}: roster {roster}:\n{said}"


def test_a_scenario_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'extends = "demo"\n[night]\nname = "C\xf4te"\n')
    assert refusal(path) == f"{path}: line 3: not UTF-8 text (byte 0xf4): save it as UTF-8"


def test_counties_must_be_a_list_of_names(tmp_path):
    path = write(tmp_path, 'extends = "demo"\n[roster]\ncounties = "Linn"\n')
    assert refusal(path) == (f"{path}: roster.counties must be a list of county names, not 'Linn'")


def test_extending_an_unknown_scenario_is_refused(tmp_path):
    path = write(tmp_path, 'extends = "no-such-night"\n', "leaky.toml")
    assert refusal(path).startswith(f"{path}: extends no scenario 'no-such-night' (known: ")


def test_a_scenario_that_extends_itself_is_refused(tmp_path):
    path = write(tmp_path, "", "loop.toml")
    path.write_text(f'extends = "{path}"\n', encoding="utf-8")
    assert refusal(path) == f"{path}: extends {str(path)!r}, which extends it back"
