"""Scenario files: who calls the hotline on the night, when, and how they behave.

A scenario is a TOML file shipped in hotline/scenarios/ (by name), or anywhere (by path).
Durations are written as "90s", "15m", "2h"; shares are fractions from 0 to 1. Every
section is checked on load and a bad value is named with its section. The roster it names
by a relative path is found beside it, or among the shipped files (hotline/shipped.py). A
file that says `extends = "iowa-2020"` is that scenario with its own settings laid over
it, section by section.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.durations import parse_duration
from hotline.roster_file import RosterError, RosterRow, read_roster
from hotline.shipped import named_file, shipped
from hotline.text_files import NotUtf8Error, read_utf8

SCENARIO_DIR = shipped("scenarios")


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Arrival:
    """When first calls come: "normal" around a peak, or "uniform" over a span."""

    shape: str
    start_s: float
    end_s: float
    peak_s: float = 0.0
    spread_s: float = 0.0


@dataclass(frozen=True)
class Chairs:
    count: int | None  # None: every precinct on the roster
    arrival: Arrival
    registered_phone_share: float
    mistype_pin_share: float
    patience_s: float  # how long a chair holds before hanging up, on average
    call_back_after_s: float
    max_calls: int
    talk_s: float  # how long reporting to a volunteer takes, on average
    # Share who, offered on hold, hang up to be called back (where the line offers it).
    asks_callback_share: float = 0.0
    # Share who, offered the keypad after the PIN, press 1 and key their results.
    keypad_share: float = 0.0
    # Seconds a chair takes to key one number (a count, with its candidate number).
    keypad_seconds_per_entry: float = 4.0
    # Chance a keyed count is wrong by a digit; the chance the read-back makes the chair
    # notice a wrong count (then they correct it with 2).
    keypad_mistake_rate: float = 0.0
    readback_catch_share: float = 0.0


@dataclass(frozen=True)
class Nuisance:
    numbers: int
    start_s: float
    end_s: float
    redial_every_s: float
    hang_up_after_s: float  # how long they listen before hanging up at a prompt
    hold_patience_s: float  # how long they sit in a line that lets them in
    talk_s: float  # how long a volunteer needs to get rid of one
    gives_up_after_busy: int  # busy signals in a row before a caller stops for the night
    guess_pins_share: float
    withheld_share: float
    out_of_state_share: float
    stir_failed_share: float
    # Shares whose caller ID is a registered chair's phone, or a volunteer's (spoofed).
    spoof_chair_share: float = 0.0
    spoof_volunteer_share: float = 0.0


@dataclass(frozen=True)
class InfoCallers:
    count: int
    arrival: Arrival
    patience_s: float
    talk_s: float


@dataclass(frozen=True)
class Volunteers:
    count: int
    # When they phone the volunteer line; None: as the night opens, a second apart.
    call_in: Arrival | None = None


@dataclass(frozen=True)
class Leak:
    """The number leaked: `at_s` into the night the admins rotate it (`hotline number
    rotate`). The flood and people asking for information keep calling the number they
    know, now retired; chairs texted the new number call that from then on.
    """

    at_s: float


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    duration_s: float
    roster_file: Path
    roster_format: str
    chairs: Chairs
    nuisance: Nuisance | None
    info: InfoCallers | None
    volunteers: Volunteers
    leak: Leak | None = None
    # Only these counties' precincts of the roster (`[roster] counties`); empty: all of them.
    roster_counties: tuple[str, ...] = ()

    def with_volunteers(self, count: int) -> Scenario:
        from dataclasses import replace

        return replace(self, volunteers=replace(self.volunteers, count=count))

    def with_keypad_share(self, share: float) -> Scenario:
        from dataclasses import replace

        return replace(self, chairs=replace(self.chairs, keypad_share=share))


def find_scenario(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    candidate = SCENARIO_DIR / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
    raise ScenarioError(f"no scenario {name_or_path!r} (known: {known})")


def load_scenario(name_or_path: str) -> Scenario:
    path = find_scenario(name_or_path)
    data = _read(path, seen=())
    try:
        scenario = _scenario(data, path)
    except KeyError as missing:
        raise ScenarioError(f"{path}: missing setting {missing}") from None
    except (TypeError, ValueError) as bad:
        raise ScenarioError(f"{path}: {bad}") from None
    # Read now, so that a bad roster is refused before a night starts, not in the middle
    # of one (in the simulator's child processes).
    try:
        scenario_roster(scenario)
    except ScenarioError as error:
        raise ScenarioError(f"{path}: {error}") from None
    return scenario


def scenario_roster(scenario: Scenario) -> list[RosterRow]:
    """The scenario's roster file, or the precincts of its `counties` in it."""
    file = scenario.roster_file
    try:
        rows = read_roster(read_utf8(file), layout=scenario.roster_format)
    except OSError as error:
        raise ScenarioError(f"roster {file} cannot be read: {error.strerror}") from None
    except (NotUtf8Error, RosterError) as error:
        raise ScenarioError(f"roster {file}:\n{error}") from None
    if not scenario.roster_counties:
        return rows
    chosen = [row for row in rows if row.county in scenario.roster_counties]
    missing = set(scenario.roster_counties) - {row.county for row in chosen}
    if missing:
        raise ScenarioError(
            f"roster.counties names counties with no precinct in {file.name}: "
            f"{', '.join(sorted(missing))}"
        )
    return chosen


def _read(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """The file's settings, laid over those of the scenario it extends, if any."""
    try:
        data = tomllib.loads(read_utf8(path))
    except NotUtf8Error as error:
        raise ScenarioError(f"{path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(f"{path}: extends must name a scenario, not {base!r}")
    try:
        base_path = find_scenario(base)
    except ScenarioError as error:
        raise ScenarioError(f"{path}: extends {error}") from None
    if base_path.resolve() in seen:
        raise ScenarioError(f"{path}: extends {base!r}, which extends it back")
    merged = _read(base_path, (*seen, path.resolve()))
    _lay_over(merged, data)
    return merged


def _lay_over(base: dict[str, Any], override: dict[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _lay_over(base[key], value)
        else:
            base[key] = value


def _scenario(data: dict[str, Any], path: Path) -> Scenario:
    night = _require(data, "night", "")
    duration = _duration(night, "duration", "night")
    roster = _require(data, "roster", "")
    roster_file = named_file(_require(roster, "file", "roster"), path)
    volunteers = _require(data, "volunteers", "")
    return Scenario(
        name=night.get("name", path.stem),
        description=night.get("description", ""),
        duration_s=duration,
        roster_file=roster_file,
        roster_format=roster.get("format", "hotline"),
        roster_counties=_counties(roster.get("counties", [])),
        chairs=_chairs(_require(data, "chairs", ""), duration),
        nuisance=_nuisance(data["nuisance"], duration) if "nuisance" in data else None,
        info=_info(data["info"], duration) if "info" in data else None,
        volunteers=Volunteers(
            count=_count(
                _require(volunteers, "count", "volunteers"), "volunteers.count", minimum=1
            ),
            call_in=_arrival(volunteers["call_in"], duration, "volunteers.call_in")
            if "call_in" in volunteers
            else None,
        ),
        leak=_leak(data["leak"], duration) if "leak" in data else None,
    )


def _chairs(section: dict[str, Any], duration: float) -> Chairs:
    count = section.get("count", "all")
    return Chairs(
        count=None if count == "all" else _count(count, "chairs.count", minimum=1),
        arrival=_arrival(_require(section, "arrival", "chairs"), duration, "chairs.arrival"),
        registered_phone_share=_share(section, "registered_phone_share", "chairs"),
        mistype_pin_share=_share(section, "mistype_pin_share", "chairs"),
        asks_callback_share=_share(section, "asks_callback_share", "chairs"),
        keypad_share=_share(section, "keypad_share", "chairs"),
        keypad_seconds_per_entry=_duration(section, "keypad_seconds_per_entry", "chairs", "4s"),
        keypad_mistake_rate=_share(section, "keypad_mistake_rate", "chairs"),
        readback_catch_share=_share(section, "readback_catch_share", "chairs"),
        patience_s=_duration(section, "patience", "chairs"),
        call_back_after_s=_duration(section, "call_back_after", "chairs"),
        max_calls=_count(_require(section, "max_calls", "chairs"), "chairs.max_calls", minimum=1),
        talk_s=_duration(section, "talk", "chairs"),
    )


def _nuisance(section: dict[str, Any], duration: float) -> Nuisance:
    start = _duration(section, "start", "nuisance")
    end = _duration(section, "end", "nuisance", duration)
    if not 0 <= start < end <= duration:
        raise ValueError("nuisance: start and end must lie within the night, start first")
    redial_every = _duration(section, "redial_every", "nuisance")
    if redial_every <= 0:
        raise ValueError("nuisance.redial_every must be longer than zero")
    spoofing = _share(section, "spoof_chair_share", "nuisance") + _share(
        section, "spoof_volunteer_share", "nuisance"
    )
    if spoofing > 1:
        raise ValueError(
            "nuisance.spoof_chair_share and spoof_volunteer_share add up to more than 1"
        )
    return Nuisance(
        numbers=_count(_require(section, "numbers", "nuisance"), "nuisance.numbers", minimum=0),
        start_s=start,
        end_s=end,
        redial_every_s=redial_every,
        hang_up_after_s=_duration(section, "hang_up_after", "nuisance"),
        hold_patience_s=_duration(section, "hold_patience", "nuisance"),
        talk_s=_duration(section, "talk", "nuisance"),
        gives_up_after_busy=_count(
            section.get("gives_up_after_busy", 1_000_000), "nuisance.gives_up_after_busy", minimum=1
        ),
        guess_pins_share=_share(section, "guess_pins_share", "nuisance"),
        withheld_share=_share(section, "withheld_share", "nuisance"),
        out_of_state_share=_share(section, "out_of_state_share", "nuisance"),
        stir_failed_share=_share(section, "stir_failed_share", "nuisance"),
        spoof_chair_share=_share(section, "spoof_chair_share", "nuisance"),
        spoof_volunteer_share=_share(section, "spoof_volunteer_share", "nuisance"),
    )


def _leak(section: dict[str, Any], duration: float) -> Leak:
    at = _duration(section, "at", "leak")
    if not 0 < at < duration:
        raise ValueError("leak.at must lie within the night")
    return Leak(at_s=at)


def _info(section: dict[str, Any], duration: float) -> InfoCallers:
    return InfoCallers(
        count=_count(_require(section, "count", "info"), "info.count", minimum=0),
        arrival=_arrival(_require(section, "arrival", "info"), duration, "info.arrival"),
        patience_s=_duration(section, "patience", "info"),
        talk_s=_duration(section, "talk", "info"),
    )


def _arrival(section: dict[str, Any], duration: float, where: str) -> Arrival:
    shape = _require(section, "shape", where)
    start = _duration(section, "start", where, 0)
    end = _duration(section, "end", where, duration)
    if not 0 <= start < end <= duration:
        raise ValueError(f"{where}: start and end must lie within the night, start first")
    if shape == "uniform":
        return Arrival(shape, start, end)
    if shape == "normal":
        return Arrival(
            shape,
            start,
            end,
            _duration(section, "peak", where),
            _duration(section, "spread", where),
        )
    raise ValueError(f'{where}.shape must be "normal" or "uniform", not {shape!r}')


def _require(section: dict[str, Any], key: str, where: str) -> Any:
    """section[key]; a missing one is named with its section ("chairs.talk")."""
    try:
        return section[key]
    except KeyError:
        raise KeyError(f"{where}.{key}" if where else key) from None


def _duration(
    section: dict[str, Any], key: str, where: str, default: str | float | None = None
) -> float:
    value = _require(section, key, where) if default is None else section.get(key, default)
    try:
        return parse_duration(value)
    except ValueError as bad:
        raise ValueError(f"{where}.{key}: {bad}") from None


def _share(section: dict[str, Any], key: str, where: str) -> float:
    value = section.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{where}.{key} must be a fraction from 0 to 1, not {value!r}")
    return float(value)


def _counties(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"roster.counties must be a list of county names, not {value!r}")
    return tuple(value)


def _count(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where} must be a whole number of at least {minimum}, not {value!r}")
    return value
