"""How the checks' findings are worded, in any language: one place for their sentences.

A finding is a sentence (the prompt finding_<wording>) and the figures it names. The words
inside a sentence that are not numbers are prompts too: an alignment (alignment_first,
alignment_final), what a coin toss decides (stake_*), a list of names (names_and), one
candidate's published SDEs that differ from the computed ones (sde_difference*), a number
of delegates (count_delegate*). ENGLISH holds them all in English: a finding's message is
its English sentence, as `hotline results check` prints it and an English call says it.
Other languages say the same prompts in their own words (config [languages.*.prompts]).
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hotline.caucus import iowa2020

ENGLISH: Mapping[str, str] = {
    "finding_unknown-precinct": "precinct {precinct} is not in the {election} election",
    "finding_bad-attendance": "attendance {attendance} is not a whole number of at least 0",
    "finding_unknown-candidate": "{stage} names {key}, not a candidate",
    "finding_bad-count": "{stage}: {name}'s count {count} is not a whole number of at least 0",
    "finding_no-attendance": "groups are reported but attendance is missing",
    "finding_zero-attendance": "groups are reported but attendance is {attendance}",
    "finding_count-above-attendance": (
        "{stage}: {name} has {count}, more than the {attendance} attendees"
    ),
    "finding_first-above-attendance": (
        "the first alignment adds up to {first_total}, more than the {attendance} attendees"
    ),
    "finding_first-below-attendance": (
        "the first alignment adds up to {first_total}, fewer than the {attendance} attendees "
        "(people may leave)"
    ),
    "finding_final-above-first": (
        "the final alignment adds up to {final_total}, more than the first's {first_total}"
    ),
    "finding_unsettled-coin-toss": "{names} tie for {stake}: no coin toss recorded",
    "finding_delegate-total": (
        "{viable} viable groups get {given} delegates, not the precinct's {delegates}"
    ),
    "finding_delegate-total-crowded": (
        "{viable} viable groups get {given} delegates, not the precinct's {delegates} "
        "(more viable groups than delegates: each viable group gets one)"
    ),
    "finding_locked-group-shrank": (
        "{name} was viable at first with {before} but has {after} at the final alignment "
        "(viable groups are locked)"
    ),
    "finding_final-below-threshold": (
        "{name} has {after} at the final alignment, below the viability threshold of "
        "{threshold}: no delegate"
    ),
    "finding_grew-past-realigners": (
        "{name} grew from {before} to {after}, more than the {realigners} people in groups "
        "not viable at first could give"
    ),
    "finding_published-differs": "published SDEs differ from the computed ones: {differences}",
    "finding_no-ballots": "{total} votes are reported but no ballots cast",
    "finding_candidate-above-ballots": (
        "{name} has {count} votes, more than the {ballots} ballots cast"
    ),
    "finding_votes-above-ballots": (
        "the votes add up to {total}, more than the {ballots} ballots cast"
    ),
    "finding_first-not-used": "a vote count has no first alignment: the first counts are ignored",
    "alignment_first": "first alignment",
    "alignment_final": "final alignment",
    "stake_extra": iowa2020.EXTRA,
    "stake_keep": iowa2020.KEEP,
    "stake_single": iowa2020.SINGLE,
    "names_and": "{names} and {last}",
    "sde_difference": (
        "{name} {shown} ({shown_delegates}) published, {computed} ({delegates}) computed"
    ),
    "sde_difference_no_ratio": "{name} {shown} published, {computed} ({delegates}) computed",
    "count_delegate": "{count} delegate",
    "count_delegates": "{count} delegates",
}

# What a coin toss decides (iowa2020's Tie.stake), by the prompt that says it.
STAKES = {
    iowa2020.EXTRA: "stake_extra",
    iowa2020.KEEP: "stake_keep",
    iowa2020.SINGLE: "stake_single",
}


@dataclass(frozen=True)
class SdeDifference:
    """One candidate's published SDEs that differ from the computed ones (a figure of the
    published-differs finding)."""

    name: str
    shown: float
    computed: float
    delegates: int  # computed
    shown_delegates: float | None  # what the published SDEs come to; None without a ratio


def sentence(prompt: str, figures: Mapping[str, object], words: Mapping[str, str]) -> str:
    """The prompt `prompt` said with `figures`, in the language of `words`."""
    said = dict(figures)
    if "stage" in said:
        said["stage"] = words[f"alignment_{said['stage']}"]
    if "names" in said:
        said["names"] = listed(said["names"], words)
    if "stake" in said:
        said["stake"] = stake(said["stake"], words)
    if "differences" in said:
        said["differences"] = "; ".join(
            _difference(difference, words) for difference in said["differences"]
        )
    return words[prompt].format(**said)


def stake(what: str, words: Mapping[str, str]) -> str:
    return words[STAKES[what]]


def listed(names: Sequence[str], words: Mapping[str, str]) -> str:
    """ "Joe Biden", "Joe Biden and Pete Buttigieg", "A, B and C"."""
    if len(names) == 1:
        return names[0]
    return words["names_and"].format(names=", ".join(names[:-1]), last=names[-1])


def _difference(difference: SdeDifference, words: Mapping[str, str]) -> str:
    fields = {
        "name": difference.name,
        "shown": f"{difference.shown:.4f}",
        "computed": f"{difference.computed:.4f}",
        "delegates": _delegates(difference.delegates, words),
    }
    if difference.shown_delegates is None:
        return words["sde_difference_no_ratio"].format(**fields)
    shown_delegates = _delegates(difference.shown_delegates, words)
    return words["sde_difference"].format(**fields, shown_delegates=shown_delegates)


def _delegates(n: float, words: Mapping[str, str]) -> str:
    """A number of delegates: whole when it is one (to rounding), else to hundredths."""
    count = round(n) if abs(n - round(n)) < 0.01 else f"{n:.2f}"
    return words["count_delegate" if count == 1 else "count_delegates"].format(count=count)
