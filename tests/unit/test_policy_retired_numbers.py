"""The triage policy on a retired number (the hotline's number leaked and was rotated):
registered chairs, numbers an admin allowed and callers who verified a PIN recently get
through as on the current number; anyone else hears that the number changed (never the
new one) and gets flood mode's one short chance: a chair who was not texted still gets
in with the precinct, the PIN and the backup code. Exact verdicts, then properties over
any facts.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from hotline.triage import Action, CallerFacts, Policy, decide
from hotline.triage.policy import RETIRED_NUMBER, ChallengeMessage

NUMBER = "+15155550100"
ENFORCE = Policy()
IN_STATE = {"from_country": "US", "from_state": "IA"}
NOT_VERIFIED = "no PIN verified from this number in the last 1h"


def retired(**overrides) -> CallerFacts:
    return CallerFacts(**{"number": NUMBER, **IN_STATE, "called_retired_number": True, **overrides})


def test_the_retired_fact_is_named_as_it_is_shown():
    assert RETIRED_NUMBER == "called a retired hotline number"


def test_an_unknown_caller_hears_the_number_changed_and_gets_one_short_chance():
    verdict = decide(retired(), ENFORCE)
    assert (verdict.action, verdict.strict) == (Action.CHALLENGE, True)
    assert verdict.reasons == (RETIRED_NUMBER, NOT_VERIFIED)
    assert verdict.challenge_message is ChallengeMessage.NUMBER_CHANGED
    assert verdict.enforced is True


def test_the_same_caller_on_the_current_number_is_challenged():
    verdict = decide(retired(called_retired_number=False), ENFORCE)
    assert (verdict.action, verdict.reasons) == (Action.CHALLENGE, ("unknown caller",))


def test_a_registered_chair_is_fast_tracked_and_the_retired_number_named():
    verdict = decide(retired(chair_precinct="0101"), ENFORCE)
    assert verdict.action is Action.FAST_TRACK
    assert verdict.chair_precinct == "0101"
    assert verdict.reasons == ("registered to precinct 0101", RETIRED_NUMBER)


def test_a_caller_who_verified_recently_is_challenged_as_today():
    verdict = decide(retired(verified_recently=True), ENFORCE)
    assert verdict.action is Action.CHALLENGE
    assert verdict.reasons == ("verified a PIN recently", RETIRED_NUMBER)
    assert verdict.strict is False


def test_a_number_an_admin_allowed_gets_through():
    verdict = decide(retired(admin_allowed=True), ENFORCE)
    assert (verdict.action, verdict.reasons) == (
        Action.CHALLENGE,
        ("allowed by an admin", RETIRED_NUMBER),
    )


def test_a_withheld_caller_hears_the_number_changed_and_gets_one_short_chance():
    verdict = decide(retired(number=None), ENFORCE)
    assert (verdict.action, verdict.strict) == (Action.CHALLENGE, True)
    assert verdict.reasons == (RETIRED_NUMBER, "caller ID withheld")
    assert verdict.challenge_message is ChallengeMessage.NUMBER_CHANGED


def test_withheld_callers_past_their_budget_are_diverted_on_a_retired_number_too():
    verdict = decide(retired(number=None, withheld_pin_failures=30), ENFORCE)
    assert verdict.action is Action.DIVERT


def test_distrust_is_named_too():
    verdict = decide(retired(from_state="NE"), ENFORCE)
    assert verdict.reasons == (RETIRED_NUMBER, NOT_VERIFIED, "calling from out of state (NE)")


def test_a_redialling_number_is_still_blocked_rather_than_told_again():
    verdict = decide(retired(calls_short=9, calls_long=9), ENFORCE)
    assert verdict.action is Action.TEMP_BLOCK
    assert verdict.reasons == ("9 calls in 1h (temporary block at 9)",)


def test_the_number_changed_question_beats_flood_modes():
    verdict = decide(retired(flood_switch=True), ENFORCE)
    assert (verdict.action, verdict.strict) == (Action.CHALLENGE, True)
    assert verdict.challenge_message is ChallengeMessage.NUMBER_CHANGED


def test_log_only_mode_records_the_strict_challenge_and_asks_as_usual():
    verdict = decide(retired(), Policy(log_only=True))
    assert (verdict.action, verdict.strict, verdict.enforced) == (Action.CHALLENGE, False, False)
    assert verdict.reasons == (RETIRED_NUMBER, NOT_VERIFIED, "log-only mode: not enforced")


# Any caller's facts.
facts = st.builds(
    CallerFacts,
    number=st.one_of(st.none(), st.just(NUMBER)),
    calls_short=st.integers(1, 20),
    calls_long=st.integers(1, 30),
    instant_hangups_long=st.integers(0, 5),
    flags=st.integers(0, 3),
    temp_blocks=st.integers(0, 3),
    admin_allowed=st.booleans(),
    chair_precinct=st.one_of(st.none(), st.just("0101")),
    verified_recently=st.booleans(),
    stir_verstat=st.sampled_from([None, "TN-Validation-Passed-A", "TN-Validation-Failed-C"]),
    from_state=st.sampled_from([None, "IA", "NE"]),
    from_country=st.sampled_from([None, "US", "GB"]),
    flood_switch=st.booleans(),
    calls_this_minute=st.integers(1, 500),
    withheld_pin_failures=st.integers(0, 40),
)


@given(facts)
def test_whoever_gets_through_on_the_current_number_as_a_chair_or_known_caller_still_does(f):
    """A chair, an allowed number or a recent verification: the same action either way."""
    known = (
        f.admin_allowed
        or f.chair_precinct is not None
        or (f.verified_recently and f.number is not None)
    )
    on_current = decide(replace(f, called_retired_number=False), ENFORCE)
    on_retired = decide(replace(f, called_retired_number=True), ENFORCE)
    if known:
        assert on_retired.action is on_current.action
        assert RETIRED_NUMBER in on_retired.reasons


@given(facts)
def test_anyone_else_gets_at_most_the_one_short_chance(f):
    """Anyone else is challenged strictly (the precinct, then the PIN with the backup
    code), diverted or blocked: never the usual prompts, never the PIN alone.
    """
    if f.admin_allowed or f.chair_precinct is not None or (f.verified_recently and f.number):
        return
    verdict = decide(replace(f, called_retired_number=True), ENFORCE)
    assert verdict.action in (Action.CHALLENGE, Action.DIVERT, Action.TEMP_BLOCK, Action.BLOCK)
    if verdict.action is Action.CHALLENGE:
        assert verdict.strict
        assert verdict.challenge_message is ChallengeMessage.NUMBER_CHANGED


@given(facts)
def test_a_retired_number_never_softens_a_verdict(f):
    order = [Action.FAST_TRACK, Action.CHALLENGE, Action.DIVERT, Action.TEMP_BLOCK, Action.BLOCK]
    on_current = decide(replace(f, called_retired_number=False), ENFORCE)
    on_retired = decide(replace(f, called_retired_number=True), ENFORCE)
    assert order.index(on_retired.action) >= order.index(on_current.action)
