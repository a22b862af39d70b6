"""What each chair has on their worksheet when they call: the precinct's results.

On a scenario whose roster is the Iowa 2020 roster, a chair carries their precinct's real
2020 numbers, as the party published them on 8 February 2020
(hotline/data/iowa-2020/results-2020-02-08.csv, read by hotline.caucus.published and matched by
precinct code), errors included: a precinct whose published numbers the checks block
keeps them, the keypad refuses them, and the chair goes to a volunteer, as would have
happened. Attendance is not published; it is the first expression's total there.

Any other roster (or a precinct missing from the file) gets plausible numbers from the
night's seeded generator: an attendance, a first alignment across a few candidates, and
a final alignment in which the non-viable groups realign (locked first alignment: the
viable groups only grow, a few people go home).
"""

from __future__ import annotations

import math
import random
from functools import lru_cache

from hotline.caucus.election import Election
from hotline.caucus.published import read_published, with_inferred_tosses
from hotline.caucus.report import PrecinctReport
from hotline.shipped import shipped
from hotline.steps.reporting import election_named

PUBLISHED_FILE = shipped("data", "iowa-2020", "results-2020-02-08.csv")
IOWA_2020 = "iowa-2020"
# The threshold a drawn precinct is viable at (4 delegates or more: 15%, rounded up).
DRAWN_THRESHOLD = 0.15


def election() -> Election:
    return election_named(IOWA_2020)


@lru_cache(maxsize=1)
def published_reports() -> dict[str, PrecinctReport]:
    """The published 2020 report of every precinct on the roster, by precinct code, with
    the coin tosses its published SDEs show the outcome of.
    """
    reports = {}
    for precinct in read_published(PUBLISHED_FILE.read_text(encoding="utf-8"), election()):
        if precinct.rules is None:
            continue  # a satellite caucus: not on the roster, no chair calls for it
        reports[precinct.rules.code] = with_inferred_tosses(
            precinct.report, precinct.rules, precinct.sdes
        )
    return reports


def worksheets(roster_format: str, codes: list[str], seed: int) -> dict[str, PrecinctReport]:
    """Each precinct's numbers, by code: the published ones where the roster is Iowa 2020's,
    drawn ones otherwise. A stream of its own, so no other draw of a seed changes.
    """
    rng = random.Random(f"worksheets:{seed}")
    published = published_reports() if roster_format == IOWA_2020 else {}
    keys = [candidate.key for candidate in election().candidates]
    sheets = {}
    for code in codes:
        drawn = draw_report(rng, code, keys)  # drawn for every code: the stream stays put
        sheets[code] = published.get(code, drawn)
    return sheets


def draw_report(rng: random.Random, precinct: str, keys: list[str]) -> PrecinctReport:
    """A plausible precinct: 15 to 250 attendees across two to five candidates; the
    non-viable groups realign to viable ones, a few of their people going home.
    """
    attendance = rng.randint(15, 250)
    chosen = rng.sample(keys[: min(len(keys), 8)], rng.randint(2, 5))
    weights = [rng.uniform(0.2, 1.0) for _ in chosen]
    total = sum(weights)
    first = {key: int(attendance * w / total) for key, w in zip(chosen, weights, strict=True)}
    largest = max(first, key=first.__getitem__)
    first[largest] += attendance - sum(first.values())
    first = {key: n for key, n in first.items() if n}
    threshold = math.ceil(attendance * DRAWN_THRESHOLD)
    viable = [key for key, n in first.items() if n >= threshold] or [largest]
    final = {key: first[key] for key in viable}
    for key, n in first.items():
        if key in viable:
            continue
        stay = n - sum(1 for _ in range(n) if rng.random() < 0.1)
        if stay:
            target = rng.choice(viable)
            final[target] += stay
    return PrecinctReport(precinct=precinct, attendance=attendance, first=first, final=final)


def keyed_count(value: object) -> int:
    """A published count as a chair keys it: digits only (a fraction cannot be keyed)."""
    return int(round(float(value)))  # type: ignore[arg-type]
