"""The caucus's words in a call's language: a finding of the checks, what a coin toss
decides, a list of names. Pure: each takes the language's prompts.

A finding is said with its prompt (Finding.prompt: finding_<wording>) and the figures it
names; the figures that are words and not numbers are said here: an alignment
(alignment_first, alignment_final), a coin toss's stake (stake_*), names (names_and), the
published SDEs that differ (sde_difference*). In English a finding is said exactly as its
message reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hotline.caucus import iowa2020
from hotline.caucus.checks import SdeDifference, delegate_count
from hotline.caucus.findings import Finding

# What a coin toss decides (iowa2020's Tie.stake), by the prompt that says it.
STAKES = {
    iowa2020.EXTRA: "stake_extra",
    iowa2020.KEEP: "stake_keep",
    iowa2020.SINGLE: "stake_single",
}


def finding(found: Finding, prompts: Mapping[str, str]) -> str:
    figures = dict(found.figures)
    if "stage" in figures:
        figures["stage"] = prompts[f"alignment_{figures['stage']}"]
    if "names" in figures:
        figures["names"] = listed(figures["names"], prompts)
    if "stake" in figures:
        figures["stake"] = stake(figures["stake"], prompts)
    if "differences" in figures:
        figures["differences"] = "; ".join(
            _difference(difference, prompts) for difference in figures["differences"]
        )
    return prompts[found.prompt].format(**figures)


def stake(what: str, prompts: Mapping[str, str]) -> str:
    return prompts[STAKES[what]]


def listed(names: Sequence[str], prompts: Mapping[str, str]) -> str:
    """ "Joe Biden", "Joe Biden and Pete Buttigieg", "A, B and C"."""
    if len(names) == 1:
        return names[0]
    return prompts["names_and"].format(names=", ".join(names[:-1]), last=names[-1])


def _difference(difference: SdeDifference, prompts: Mapping[str, str]) -> str:
    fields = {
        "name": difference.name,
        "shown": f"{difference.shown:.4f}",
        "computed": f"{difference.computed:.4f}",
        "delegates": _delegates(difference.delegates, prompts),
    }
    if difference.shown_delegates is None:
        return prompts["sde_difference_no_ratio"].format(**fields)
    shown_delegates = _delegates(difference.shown_delegates, prompts)
    return prompts["sde_difference"].format(**fields, shown_delegates=shown_delegates)


def _delegates(n: float, prompts: Mapping[str, str]) -> str:
    count = delegate_count(n)
    return prompts["count_delegate" if count == 1 else "count_delegates"].format(count=count)
