"""The people of one night, drawn from a scenario and a seed.

The same seed draws the same people: the triage, first-come first-served and
calm runs of a scenario face the very same chairs (the calm run simply has no
nuisance callers), so their figures compare like for like.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from hotline.caucus.report import PrecinctReport
from hotline.pins import backup_digest, pin_digest
from hotline.sim.scenario import Arrival, Scenario, scenario_roster
from hotline.sim.worksheets import worksheets
from hotline.store.roster import Precinct

IOWA_AREA_CODES = ("515", "319", "563", "641", "712")
# Out-of-state callers, with the state Twilio would report in FromState.
ELSEWHERE = (("402", "NE"), ("312", "IL"), ("612", "MN"), ("816", "MO"), ("212", "NY"))
STIR_PASSED = "TN-Validation-Passed-A"
STIR_FAILED = "TN-Validation-Failed-C"


@dataclass(frozen=True)
class ChairSpec:
    index: int
    precinct: str
    county: str
    name: str
    pin: str
    phone: str
    registered: bool
    first_call_at: float
    mistypes_pin: bool
    asks_callback: bool = False
    backup_code: str = ""
    # The precinct's results on the chair's worksheet (worksheets.py), and whether the chair
    # presses 1 for the keypad when offered the choice after the PIN.
    worksheet: PrecinctReport | None = None
    keypad: bool = False


@dataclass(frozen=True)
class NuisanceSpec:
    index: int
    caller_id: str  # "Anonymous" when withheld
    from_state: str
    stir_verstat: str
    first_call_at: float
    guesses_pins: bool
    # "chair" or "volunteer" when the caller ID is a registered chair's or volunteer's
    # phone, spoofed; a volunteer's spoofer calls the volunteer line.
    spoofs: str = ""


@dataclass(frozen=True)
class InfoSpec:
    index: int
    caller_id: str
    first_call_at: float


@dataclass(frozen=True)
class VolunteerSpec:
    index: int  # from 1
    phone: str
    pin: str
    backup_code: str
    # When they phone the volunteer line, in seconds into the night.
    calls_in_at: float


def volunteer_spec(index: int, calls_in_at: float | None = None) -> VolunteerSpec:
    """The night's volunteer number `index` (from 1): a phone and secrets of their own.
    Unless told otherwise they call in as the night opens, a second apart.
    """
    return VolunteerSpec(
        index=index,
        phone=f"+1515444{index:04d}",
        pin=f"{(index * 7919) % 10**6:06d}",
        backup_code=f"{(index * 104729) % 10**8:08d}",
        calls_in_at=float(index) if calls_in_at is None else calls_in_at,
    )


@dataclass(frozen=True)
class Population:
    seed: int
    chairs: tuple[ChairSpec, ...]
    nuisance: tuple[NuisanceSpec, ...]
    info: tuple[InfoSpec, ...]
    # Every precinct on the roster, for the app's import: (code, county, name, pin, phone).
    roster: tuple[tuple[str, str, str, str, str | None], ...]
    volunteers: tuple[VolunteerSpec, ...] = ()
    # Each precinct's backup code, the PIN sheet's second secret.
    backup_codes: dict[str, str] = field(default_factory=dict)


def roster_precincts(population: Population, pin_key: bytes) -> list[Precinct]:
    """The night's roster as Hotline stores it: PINs and backup codes as keyed digests."""
    codes = population.backup_codes
    return [
        Precinct(
            code=code,
            county=county,
            name=name,
            pin_digest=pin_digest(pin_key, code, pin),
            chair_phone=phone,
            backup_digest=backup_digest(pin_key, code, codes[code]),
        )
        for code, county, name, pin, phone in population.roster
    ]


def draw_population(scenario: Scenario, seed: int) -> Population:
    rng = random.Random(f"population:{seed}")
    rows = scenario_roster(scenario)
    phones = _unique_numbers(
        rng, IOWA_AREA_CODES, len(rows) + (scenario.info.count if scenario.info else 0)
    )
    pins = {row.code: f"{rng.randrange(10**6):06d}" for row in rows}
    spec = scenario.chairs
    registered = {row.code: rng.random() < spec.registered_phone_share for row in rows}
    roster = tuple(
        (
            row.code,
            row.county,
            row.name,
            pins[row.code],
            phones[i] if registered[row.code] else None,
        )
        for i, row in enumerate(rows)
    )
    calling = rows if spec.count is None else rng.sample(rows, min(spec.count, len(rows)))
    position = {row.code: i for i, row in enumerate(rows)}
    # Its own stream, so adding the choice did not change any other draw of a seed.
    callbacks = random.Random(f"callbacks:{seed}")
    chairs = tuple(
        ChairSpec(
            index=n,
            precinct=row.code,
            county=row.county,
            name=row.name,
            pin=pins[row.code],
            phone=phones[position[row.code]],
            registered=registered[row.code],
            first_call_at=_arrival_time(rng, spec.arrival),
            mistypes_pin=rng.random() < spec.mistype_pin_share,
            asks_callback=callbacks.random() < spec.asks_callback_share,
        )
        for n, row in enumerate(calling)
    )
    volunteers = _volunteers(scenario, random.Random(f"volunteers:{seed}"))
    # Their own streams, so that adding them changed no other draw of a seed.
    codes = random.Random(f"backup-codes:{seed}")
    backup_codes = {row.code: f"{codes.randrange(10**8):08d}" for row in rows}
    chairs = tuple(replace(chair, backup_code=backup_codes[chair.precinct]) for chair in chairs)
    sheets = worksheets(scenario.roster_format, [row.code for row in rows], seed)
    keypad = random.Random(f"keypad:{seed}")
    chairs = tuple(
        replace(chair, worksheet=sheets[chair.precinct], keypad=keypad.random() < spec.keypad_share)
        for chair in chairs
    )
    nuisance = _spoofing(
        scenario, _nuisance(scenario, rng), roster, volunteers, random.Random(f"spoofing:{seed}")
    )
    info = ()
    if scenario.info is not None:
        info = tuple(
            InfoSpec(
                index=n,
                caller_id=phones[len(rows) + n],
                first_call_at=_arrival_time(rng, scenario.info.arrival),
            )
            for n in range(scenario.info.count)
        )
    return Population(
        seed=seed,
        chairs=chairs,
        nuisance=nuisance,
        info=info,
        roster=roster,
        volunteers=volunteers,
        backup_codes=backup_codes,
    )


def _nuisance(scenario: Scenario, rng: random.Random) -> tuple[NuisanceSpec, ...]:
    spec = scenario.nuisance
    if spec is None:
        return ()
    callers = []
    for n in range(spec.numbers):
        if rng.random() < spec.withheld_share:
            caller_id, state = "Anonymous", ""
        elif rng.random() < spec.out_of_state_share:
            area, state = rng.choice(ELSEWHERE)
            caller_id = f"+1{area}555{rng.randrange(10**4):04d}"
        else:
            caller_id, state = f"+1{rng.choice(IOWA_AREA_CODES)}666{n:04d}", "IA"
        stir = STIR_FAILED if rng.random() < spec.stir_failed_share else STIR_PASSED
        callers.append(
            NuisanceSpec(
                index=n,
                caller_id=caller_id,
                from_state=state,
                stir_verstat=stir,
                first_call_at=rng.uniform(
                    spec.start_s, min(spec.start_s + spec.redial_every_s, spec.end_s)
                ),
                guesses_pins=rng.random() < spec.guess_pins_share,
            )
        )
    return tuple(callers)


def _volunteers(scenario: Scenario, rng: random.Random) -> tuple[VolunteerSpec, ...]:
    call_in = scenario.volunteers.call_in
    return tuple(
        volunteer_spec(n, None if call_in is None else _arrival_time(rng, call_in))
        for n in range(1, scenario.volunteers.count + 1)
    )


def _spoofing(
    scenario: Scenario,
    callers: tuple[NuisanceSpec, ...],
    roster,
    volunteers: tuple[VolunteerSpec, ...],
    rng: random.Random,
) -> tuple[NuisanceSpec, ...]:
    """Give some nuisance callers a registered chair's or volunteer's phone as caller ID."""
    spec = scenario.nuisance
    if spec is None or not (spec.spoof_chair_share or spec.spoof_volunteer_share):
        return callers
    chair_phones = [phone for *_, phone in roster if phone]
    volunteer_phones = [volunteer.phone for volunteer in volunteers]
    spoofed = []
    for caller in callers:
        draw = rng.random()
        if draw < spec.spoof_chair_share and chair_phones:
            caller = replace(
                caller, caller_id=rng.choice(chair_phones), spoofs="chair", from_state="IA"
            )
        elif draw < spec.spoof_chair_share + spec.spoof_volunteer_share and volunteer_phones:
            caller = replace(
                caller, caller_id=rng.choice(volunteer_phones), spoofs="volunteer", from_state="IA"
            )
        spoofed.append(caller)
    return tuple(spoofed)


def _arrival_time(rng: random.Random, arrival: Arrival) -> float:
    if arrival.shape == "uniform":
        return rng.uniform(arrival.start_s, arrival.end_s)
    for _ in range(1000):  # a normal curve, cut to the window
        when = rng.gauss(arrival.peak_s, arrival.spread_s)
        if arrival.start_s <= when <= arrival.end_s:
            return when
    return rng.uniform(arrival.start_s, arrival.end_s)


def _unique_numbers(rng: random.Random, area_codes: tuple[str, ...], count: int) -> list[str]:
    numbers: set[str] = set()
    ordered = []
    while len(ordered) < count:
        number = f"+1{rng.choice(area_codes)}555{rng.randrange(10**4):04d}"
        if number not in numbers and not number[5:].startswith("5550"):
            numbers.add(number)
            ordered.append(number)
    return ordered
