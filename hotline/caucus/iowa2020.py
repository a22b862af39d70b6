"""The 2020 Iowa caucus math: viability, delegates per group, rounding fix-ups and SDEs.

Source: the Iowa Democratic Party's 2020 Delegate Selection Plan and its 2020 Caucus Guide,
whose Precinct Caucus Math Worksheet the chairs filled in on the night; the rules as
Hotline implements them are listed in issue 9 ("The 2020 rules, as published and
reported"), which is the spec here. Each rule is cited where it is applied.

All arithmetic is exact (fractions.Fraction): a group's share that is exactly .5 must round
up, and two groups whose shares have equal fractions must tie, which floats cannot promise.
Pure: no I/O. Groups are visited in key order, so the result does not depend on the order
of a report's mappings; ties are broken only by the report's coin tosses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from hotline.caucus.election import PrecinctRules
from hotline.caucus.report import CoinToss, PrecinctReport

HALF = Fraction(1, 2)

# What a coin toss decides (Tie.stake).
EXTRA = "one more delegate"  # too few after rounding: the winner gets it
KEEP = "keeping a delegate"  # too many after rounding: the winner keeps theirs
SINGLE = "the precinct's only delegate"  # a one-delegate precinct's tied top groups


@dataclass(frozen=True)
class Tie:
    """A rounding fix-up that needs a coin toss, and the toss that settled it (or None)."""

    between: tuple[str, ...]
    stake: str
    settled_by: CoinToss | None = None

    @property
    def settled(self) -> bool:
        return self.settled_by is not None


@dataclass(frozen=True)
class Allocation:
    threshold: int | None
    viable: tuple[str, ...]
    delegates: Mapping[str, int] = field(default_factory=dict)
    sdes: Mapping[str, float] = field(default_factory=dict)
    ties: tuple[Tie, ...] = ()

    @property
    def unsettled(self) -> tuple[Tie, ...]:
        return tuple(tie for tie in self.ties if not tie.settled)


def viability_threshold(attendance: int, delegates: int) -> int | None:
    """Fewest people a preference group needs to be viable; None when there are no groups.

    2020 Caucus Guide, viability: 1 delegate, no preference groups (the delegate is elected
    by simple majority); 2 delegates, 25% of attendees; 3 delegates, one sixth; 4 or more,
    15%; always rounded up.
    """
    if attendance < 0 or delegates < 0:
        raise ValueError("attendance and delegates must not be negative")
    if delegates <= 1:
        return None
    share = {2: Fraction(1, 4), 3: Fraction(1, 6)}.get(delegates, Fraction(15, 100))
    return math.ceil(attendance * share)


def allocate(report: PrecinctReport, rules: PrecinctRules) -> Allocation:
    """The delegates and SDEs each final-alignment group earns under the 2020 rules."""
    attendance = report.attendance if _whole(report.attendance) else 0
    final = {
        key: count for key, count in sorted(report.final.items()) if _whole(count) and count > 0
    }
    threshold = viability_threshold(max(attendance, 0), rules.delegates)
    if rules.delegates == 0 or attendance <= 0 or not final:
        return Allocation(threshold=threshold, viable=())
    tosses = _Tosses(report.coin_tosses)
    if rules.delegates == 1:
        delegates, viable = _single_delegate(final, tosses)
    else:
        # Viability is judged on the final alignment (Caucus Guide: only viable groups
        # elect delegates); threshold is not None for two or more delegates.
        viable = tuple(key for key, count in final.items() if count >= (threshold or 0))
        delegates = _delegates(final, viable, attendance, rules.delegates, tosses)
    return Allocation(
        threshold=threshold,
        viable=viable,
        delegates=MappingProxyType(delegates),
        # Caucus Guide, SDEs: a group's state delegate equivalents are its county delegates
        # times the county's SDE ratio.
        sdes=MappingProxyType({key: n * rules.sde_ratio for key, n in delegates.items()}),
        ties=tuple(tosses.ties),
    )


def raw_delegates(count: int, attendance: int, delegates: int) -> Fraction:
    """Caucus Guide, delegates per group: group size x precinct delegates / attendees
    (attendees counted at the start, not the final alignment's total)."""
    return Fraction(count * delegates, attendance)


def round_half_up(value: Fraction) -> int:
    return math.floor(value + HALF)


def _single_delegate(final: dict[str, int], tosses: _Tosses) -> tuple[dict[str, int], tuple]:
    # Delegate Selection Plan: a precinct electing one delegate does not divide into
    # preference groups; the delegate goes to the most support (a tie: coin toss).
    top = max(final.values())
    leaders = [key for key, count in final.items() if count == top]
    winner = leaders[0] if len(leaders) == 1 else tosses.settle(leaders, SINGLE)
    if winner is None:
        return {}, ()
    return {winner: 1}, (winner,)


def _delegates(
    final: dict[str, int],
    viable: tuple[str, ...],
    attendance: int,
    precinct_delegates: int,
    tosses: _Tosses,
) -> dict[str, int]:
    raw = {key: raw_delegates(final[key], attendance, precinct_delegates) for key in viable}
    fraction = {key: value - math.floor(value) for key, value in raw.items()}
    # Rounded half up; and (Caucus Guide, minimum) every viable group gets at least one.
    delegates = {key: max(1, round_half_up(value)) for key, value in raw.items()}
    if not viable:
        return delegates
    # Too few after rounding: the next delegate goes to the group with the highest
    # fraction below .5 (the groups rounded down), one each, ties by coin toss. Should
    # every such group have had one already (many attendees in no viable group), the
    # next go to the highest fractions among the rest, and round again.
    given: set[str] = set()
    while sum(delegates.values()) < precinct_delegates:
        rest = [key for key in viable if key not in given]
        if not rest:
            given.clear()
            rest = list(viable)
        pool = [key for key in rest if fraction[key] < HALF] or rest
        best = max(fraction[key] for key in pool)
        leaders = [key for key in pool if fraction[key] == best]
        winner = leaders[0] if len(leaders) == 1 else tosses.settle(leaders, EXTRA)
        if winner is None:
            break
        delegates[winner] += 1
        given.add(winner)
    # Too many: take one from the group with the lowest fraction at or above .5 (those
    # rounded up), never a group's only delegate; ties by coin toss. Past the stated
    # rule, should no rounded-up group have two, the lowest fraction among groups with
    # two or more gives one; with more viable groups than delegates nothing can be taken.
    taken: set[str] = set()
    while sum(delegates.values()) > precinct_delegates:
        can_give = [key for key in viable if delegates[key] > 1]
        if not can_give:
            break
        fresh = [key for key in can_give if key not in taken] or can_give
        pool = [key for key in fresh if fraction[key] >= HALF] or fresh
        lowest = min(fraction[key] for key in pool)
        leaders = [key for key in pool if fraction[key] == lowest]
        # Each toss's winner keeps their delegate; the last one left gives one up.
        while len(leaders) > 1:
            winner = tosses.settle(leaders, KEEP)
            if winner is None:
                return delegates
            leaders.remove(winner)
        delegates[leaders[0]] -= 1
        taken.add(leaders[0])
    return delegates


class _Tosses:
    """The report's coin tosses, each used once, and the ties met on the way."""

    def __init__(self, tosses: tuple[CoinToss, ...]) -> None:
        self.unused = list(tosses)
        self.ties: list[Tie] = []

    def settle(self, between: list[str], stake: str) -> str | None:
        group = tuple(sorted(between))
        for toss in self.unused:
            if tuple(sorted(toss.between)) == group and toss.winner in group:
                self.unused.remove(toss)
                self.ties.append(Tie(group, stake, toss))
                return toss.winner
        self.ties.append(Tie(group, stake, None))
        return None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
