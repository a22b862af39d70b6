"""The triage policy: every verdict and every reason `decide` can produce, with exact values.

Thresholds used below are the defaults of `Policy()` (which match hotline/config/hotline.toml):
normal divert at 7 calls in 15m, temporary block at 9 calls in 1h; untrusted divert at 3,
temporary block at 5; lasting block after 2 temporary blocks; divert at 3 instant hang-ups
or 1 flag; withheld callers share a budget of 30 failed PINs; a number is blocked after 6
failed PINs.
"""

from __future__ import annotations

import pytest

from hotline.triage import (
    Action,
    CallerFacts,
    Escalation,
    Policy,
    Thresholds,
    Verdict,
    decide,
    decide_after_pin_failure,
)
from hotline.triage.policy import (
    STIR_FAILED_PREFIX,
    ChallengeMessage,
    DivertMessage,
    distrust_reasons,
)

NUMBER = "+15155550100"
ENFORCE = Policy()
LOG_ONLY = Policy(log_only=True)
LOG_ONLY_NOTE = "log-only mode: not enforced"

ABROAD = {"from_country": "GB", "from_state": ""}
OUT_OF_STATE = {"from_country": "US", "from_state": "NE"}
IN_STATE = {"from_country": "US", "from_state": "IA"}


def facts(**overrides) -> CallerFacts:
    values = {"number": NUMBER, **IN_STATE}
    values.update(overrides)
    return CallerFacts(**values)


def assert_verdict(
    verdict: Verdict,
    action: Action,
    reasons: tuple[str, ...],
    *,
    enforced: bool = True,
    divert_message: DivertMessage = DivertMessage.NUISANCE,
    block_for_s: float | None = None,
    chair_precinct: str | None = None,
    effective_action: Action | None = None,
    strict: bool = False,
) -> None:
    assert verdict.action is action
    assert verdict.strict is strict
    assert verdict.reasons == reasons
    assert verdict.enforced is enforced
    assert verdict.divert_message is divert_message
    assert verdict.block_for_s == block_for_s
    assert verdict.chair_precinct == chair_precinct
    assert verdict.effective_action is (effective_action or action)


# --- the model ----------------------------------------------------------------------------


def test_caller_facts_defaults_describe_a_first_call():
    f = CallerFacts(number=NUMBER)
    assert (f.calls_short, f.calls_long, f.calls_this_minute) == (1, 1, 1)
    assert (f.instant_hangups_long, f.flags, f.temp_blocks) == (0, 0, 0)
    assert (f.admin_allowed, f.verified_recently, f.flood_switch) == (False, False, False)
    assert (f.chair_precinct, f.stir_verstat, f.from_state, f.from_country) == (
        None,
        None,
        None,
        None,
    )
    assert f.withheld_pin_failures == 0
    assert f.called_retired_number is False
    assert f.withheld is False


def test_caller_facts_withheld_means_no_number():
    assert CallerFacts(number=None).withheld is True


def test_action_and_divert_message_values_are_stable():
    assert [a.value for a in Action] == [
        "fast-track",
        "challenge",
        "divert",
        "temp-block",
        "block",
    ]
    assert [m.value for m in DivertMessage] == ["diverted", "diverted_withheld"]
    assert [m.value for m in ChallengeMessage] == ["flood_challenge", "number_changed_challenge"]
    assert STIR_FAILED_PREFIX == "TN-Validation-Failed"


@pytest.mark.parametrize(
    ("action", "enforced", "chair", "effective", "rejects"),
    [
        (Action.FAST_TRACK, True, "12", Action.FAST_TRACK, False),
        (Action.CHALLENGE, True, None, Action.CHALLENGE, False),
        (Action.DIVERT, True, None, Action.DIVERT, False),
        (Action.TEMP_BLOCK, True, None, Action.TEMP_BLOCK, True),
        (Action.BLOCK, True, None, Action.BLOCK, True),
        (Action.FAST_TRACK, False, "12", Action.FAST_TRACK, False),
        (Action.CHALLENGE, False, None, Action.CHALLENGE, False),
        (Action.DIVERT, False, None, Action.CHALLENGE, False),
        (Action.TEMP_BLOCK, False, None, Action.CHALLENGE, False),
        (Action.BLOCK, False, None, Action.CHALLENGE, False),
        # Not enforced, with a chair precinct: the fallback is the fast track.
        (Action.DIVERT, False, "12", Action.FAST_TRACK, False),
        (Action.TEMP_BLOCK, False, "12", Action.FAST_TRACK, False),
        (Action.BLOCK, False, "12", Action.FAST_TRACK, False),
    ],
)
def test_effective_action_and_rejects(action, enforced, chair, effective, rejects):
    verdict = Verdict(action, ("why",), enforced=enforced, chair_precinct=chair)
    assert verdict.effective_action is effective
    assert verdict.rejects is rejects


def test_verdict_defaults():
    verdict = Verdict(Action.CHALLENGE)
    assert verdict.reasons == ()
    assert verdict.enforced is True
    assert verdict.divert_message is DivertMessage.NUISANCE
    assert verdict.block_for_s is None
    assert verdict.chair_precinct is None


# --- distrust signals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ()),
        ({"from_state": None, "from_country": None}, ()),
        ({"from_state": "IA", "from_country": "US"}, ()),
        ({"from_state": "ia", "from_country": "us"}, ()),
        ({"from_state": "NE", "from_country": "US"}, ("calling from out of state (NE)",)),
        ({"from_state": "ne", "from_country": "us"}, ("calling from out of state (NE)",)),
        ({"from_state": "", "from_country": "GB"}, ("calling from abroad (GB)",)),
        ({"from_state": None, "from_country": "gb"}, ("calling from abroad (GB)",)),
        # Abroad wins over a foreign "state": one geographic reason only.
        ({"from_state": "ON", "from_country": "CA"}, ("calling from abroad (CA)",)),
        # A state without a country says nothing.
        ({"from_state": "NE", "from_country": None}, ()),
        (
            {"stir_verstat": "TN-Validation-Failed-B"},
            ("caller ID failed verification (TN-Validation-Failed-B)",),
        ),
        (
            {"stir_verstat": "TN-Validation-Failed-C", "from_country": "GB", "from_state": ""},
            (
                "caller ID failed verification (TN-Validation-Failed-C)",
                "calling from abroad (GB)",
            ),
        ),
        ({"stir_verstat": "TN-Validation-Passed-A"}, ()),
        ({"stir_verstat": "No-TN-Validation"}, ()),
        ({"stir_verstat": ""}, ()),
    ],
)
def test_distrust_reasons(overrides, expected):
    assert distrust_reasons(facts(**overrides), ENFORCE) == expected


def test_distrust_uses_the_policys_home():
    policy = Policy(home_state="NE", home_country="US")
    assert distrust_reasons(facts(**IN_STATE), policy) == ("calling from out of state (IA)",)
    assert distrust_reasons(facts(**OUT_OF_STATE), policy) == ()


# --- unknown callers ----------------------------------------------------------------------


def test_unknown_caller_is_challenged():
    assert_verdict(decide(facts(), ENFORCE), Action.CHALLENGE, ("unknown caller",))


def test_unknown_caller_with_distrust_is_challenged_with_reasons():
    verdict = decide(facts(**ABROAD, stir_verstat="TN-Validation-Failed-A"), ENFORCE)
    assert_verdict(
        verdict,
        Action.CHALLENGE,
        (
            "unknown caller",
            "caller ID failed verification (TN-Validation-Failed-A)",
            "calling from abroad (GB)",
        ),
    )


# --- admin allows -------------------------------------------------------------------------


def test_admin_allowed_number_is_challenged():
    assert_verdict(
        decide(facts(admin_allowed=True), ENFORCE), Action.CHALLENGE, ("allowed by an admin",)
    )


def test_admin_allowed_chair_number_is_fast_tracked():
    verdict = decide(facts(admin_allowed=True, chair_precinct="0042"), ENFORCE)
    assert_verdict(verdict, Action.FAST_TRACK, ("allowed by an admin",), chair_precinct="0042")


def test_admin_allow_beats_every_escalation_signal():
    noisy = facts(
        admin_allowed=True,
        calls_short=50,
        calls_long=50,
        instant_hangups_long=9,
        flags=4,
        temp_blocks=5,
        flood_switch=True,
        **ABROAD,
    )
    assert_verdict(
        decide(noisy, ENFORCE),
        Action.CHALLENGE,
        ("allowed by an admin", "calling from abroad (GB)"),
    )


def test_admin_allowed_chair_keeps_fast_track_even_with_failed_stir():
    verdict = decide(
        facts(admin_allowed=True, chair_precinct="7", stir_verstat="TN-Validation-Failed"),
        ENFORCE,
    )
    assert_verdict(
        verdict,
        Action.FAST_TRACK,
        ("allowed by an admin", "caller ID failed verification (TN-Validation-Failed)"),
        chair_precinct="7",
    )


# --- registered chair numbers -------------------------------------------------------------


def test_registered_chair_is_fast_tracked():
    verdict = decide(facts(chair_precinct="1234"), ENFORCE)
    assert_verdict(
        verdict, Action.FAST_TRACK, ("registered to precinct 1234",), chair_precinct="1234"
    )


def test_registered_chair_is_never_escalated():
    noisy = facts(
        chair_precinct="1234",
        calls_short=50,
        calls_long=50,
        instant_hangups_long=9,
        flags=4,
        temp_blocks=5,
        flood_switch=True,
        calls_this_minute=10_000,
    )
    policy = Policy(flood_auto_calls_per_minute=10)
    assert_verdict(
        decide(noisy, policy),
        Action.FAST_TRACK,
        ("registered to precinct 1234",),
        chair_precinct="1234",
    )


@pytest.mark.parametrize(
    ("geo", "reason"),
    [
        (OUT_OF_STATE, "calling from out of state (NE)"),
        (ABROAD, "calling from abroad (GB)"),
    ],
)
def test_registered_chair_calling_from_elsewhere_keeps_fast_track(geo, reason):
    verdict = decide(facts(chair_precinct="1234", **geo), ENFORCE)
    assert_verdict(
        verdict,
        Action.FAST_TRACK,
        ("registered to precinct 1234", reason),
        chair_precinct="1234",
    )


@pytest.mark.parametrize(
    "verstat",
    [
        "TN-Validation-Failed",
        "TN-Validation-Failed-A",
        "TN-Validation-Failed-B",
        "TN-Validation-Failed-C",
    ],
)
def test_chair_with_failed_caller_id_verification_loses_fast_track(verstat):
    verdict = decide(facts(chair_precinct="1234", stir_verstat=verstat), ENFORCE)
    assert_verdict(
        verdict,
        Action.CHALLENGE,
        ("registered to precinct 1234", f"caller ID failed verification ({verstat})"),
        chair_precinct=None,
    )


def test_chair_with_failed_verification_from_abroad_lists_both_reasons():
    verdict = decide(
        facts(chair_precinct="9", stir_verstat="TN-Validation-Failed-A", **ABROAD), ENFORCE
    )
    assert_verdict(
        verdict,
        Action.CHALLENGE,
        (
            "registered to precinct 9",
            "caller ID failed verification (TN-Validation-Failed-A)",
            "calling from abroad (GB)",
        ),
    )


@pytest.mark.parametrize(
    "verstat", ["TN-Validation-Passed-A", "TN-Validation-Passed-C", "No-TN-Validation", ""]
)
def test_chair_with_passed_or_absent_verification_keeps_fast_track(verstat):
    verdict = decide(facts(chair_precinct="1234", stir_verstat=verstat), ENFORCE)
    assert_verdict(
        verdict, Action.FAST_TRACK, ("registered to precinct 1234",), chair_precinct="1234"
    )


# --- flood mode ---------------------------------------------------------------------------


def test_flood_switch_challenges_unknown_callers_strictly():
    """In flood mode an unknown caller is not sent away (a chair without a registered phone
    would be shut out): one short prompt, and the PIN alone is not enough.
    """
    assert_verdict(
        decide(facts(flood_switch=True), ENFORCE),
        Action.CHALLENGE,
        ("flood mode switched on by an admin",),
        strict=True,
    )


def test_flood_mode_still_escalates_a_redialling_number():
    """Flood mode makes the challenge stricter; it must not spare a number the block its
    own redialling has earned (a whole night of a flood would otherwise never block one).
    """
    assert_verdict(
        decide(facts(flood_switch=True, calls_short=9, calls_long=9), ENFORCE),
        Action.TEMP_BLOCK,
        ("9 calls in 1h (temporary block at 9)",),
        block_for_s=3600.0,
    )
    assert_verdict(
        decide(facts(flood_switch=True, calls_short=7, calls_long=7), ENFORCE),
        Action.DIVERT,
        ("7 calls in 15m (divert at 7)",),
    )


def test_flood_switch_reason_comes_with_distrust_reasons():
    assert_verdict(
        decide(facts(flood_switch=True, **OUT_OF_STATE), ENFORCE),
        Action.CHALLENGE,
        ("flood mode switched on by an admin", "calling from out of state (NE)"),
        strict=True,
    )


def test_auto_flood_at_the_threshold_challenges_strictly():
    policy = Policy(flood_auto_calls_per_minute=100)
    assert_verdict(
        decide(facts(calls_this_minute=100), policy),
        Action.CHALLENGE,
        ("flood mode: 100 calls this minute (at 100)",),
        strict=True,
    )


def test_auto_flood_above_the_threshold_challenges_strictly():
    policy = Policy(flood_auto_calls_per_minute=100)
    assert_verdict(
        decide(facts(calls_this_minute=250), policy),
        Action.CHALLENGE,
        ("flood mode: 250 calls this minute (at 100)",),
        strict=True,
    )


def test_flood_mode_in_log_only_mode_is_recorded_not_enforced():
    assert_verdict(
        decide(facts(flood_switch=True), LOG_ONLY),
        Action.CHALLENGE,
        ("flood mode switched on by an admin", LOG_ONLY_NOTE),
        enforced=False,
    )


def test_auto_flood_one_below_the_threshold_challenges():
    policy = Policy(flood_auto_calls_per_minute=100)
    assert_verdict(
        decide(facts(calls_this_minute=99), policy), Action.CHALLENGE, ("unknown caller",)
    )


def test_auto_flood_zero_means_never():
    assert_verdict(
        decide(facts(calls_this_minute=1_000_000), Policy(flood_auto_calls_per_minute=0)),
        Action.CHALLENGE,
        ("unknown caller",),
    )


def test_flood_switch_reason_wins_when_both_triggers_fire():
    policy = Policy(flood_auto_calls_per_minute=10)
    assert_verdict(
        decide(facts(flood_switch=True, calls_this_minute=50), policy),
        Action.CHALLENGE,
        ("flood mode switched on by an admin",),
        strict=True,
    )


@pytest.mark.parametrize(
    ("flood", "policy"),
    [
        ({"flood_switch": True}, ENFORCE),
        ({"calls_this_minute": 500}, Policy(flood_auto_calls_per_minute=100)),
    ],
)
def test_flood_does_not_divert_callers_verified_recently(flood, policy):
    assert_verdict(
        decide(facts(verified_recently=True, **flood), policy),
        Action.CHALLENGE,
        ("verified a PIN recently",),
    )


def test_flood_challenges_withheld_callers_strictly_too():
    assert_verdict(
        decide(facts(number=None, flood_switch=True), ENFORCE),
        Action.CHALLENGE,
        ("flood mode switched on by an admin",),
        strict=True,
    )


# --- withheld caller ID -------------------------------------------------------------------


def test_withheld_caller_is_challenged():
    assert_verdict(decide(facts(number=None), ENFORCE), Action.CHALLENGE, ("caller ID withheld",))


def test_withheld_caller_challenge_lists_distrust():
    assert_verdict(
        decide(facts(number=None, **ABROAD), ENFORCE),
        Action.CHALLENGE,
        ("caller ID withheld", "calling from abroad (GB)"),
    )


def test_withheld_caller_is_not_escalated_by_per_number_counts():
    noisy = facts(number=None, calls_short=50, calls_long=50, instant_hangups_long=9, flags=3)
    assert_verdict(decide(noisy, ENFORCE), Action.CHALLENGE, ("caller ID withheld",))


def test_withheld_caller_one_below_the_shared_pin_budget_is_challenged():
    assert_verdict(
        decide(facts(number=None, withheld_pin_failures=29), ENFORCE),
        Action.CHALLENGE,
        ("caller ID withheld",),
    )


@pytest.mark.parametrize("failures", [30, 31, 500])
def test_withheld_caller_past_the_shared_pin_budget_is_diverted(failures):
    assert_verdict(
        decide(facts(number=None, withheld_pin_failures=failures), ENFORCE),
        Action.DIVERT,
        (
            "caller ID withheld",
            f"{failures} failed PINs from withheld callers in the last 1h (at 30)",
        ),
        divert_message=DivertMessage.WITHHELD,
    )


def test_withheld_budget_reason_uses_the_policys_window_and_budget():
    policy = Policy(long_window_s=7200.0, pin_failures_withheld=5)
    assert_verdict(
        decide(facts(number=None, withheld_pin_failures=5), policy),
        Action.DIVERT,
        ("caller ID withheld", "5 failed PINs from withheld callers in the last 2h (at 5)"),
        divert_message=DivertMessage.WITHHELD,
    )


def test_withheld_budget_divert_lists_distrust():
    assert_verdict(
        decide(facts(number=None, withheld_pin_failures=30, **ABROAD), ENFORCE),
        Action.DIVERT,
        (
            "caller ID withheld",
            "30 failed PINs from withheld callers in the last 1h (at 30)",
            "calling from abroad (GB)",
        ),
        divert_message=DivertMessage.WITHHELD,
    )


# --- verified recently --------------------------------------------------------------------


def test_verified_recently_is_challenged_not_escalated():
    noisy = facts(verified_recently=True, calls_short=50, calls_long=50, flags=3, temp_blocks=4)
    assert_verdict(decide(noisy, ENFORCE), Action.CHALLENGE, ("verified a PIN recently",))


def test_verified_recently_lists_distrust():
    assert_verdict(
        decide(facts(verified_recently=True, **OUT_OF_STATE), ENFORCE),
        Action.CHALLENGE,
        ("verified a PIN recently", "calling from out of state (NE)"),
    )


# --- temporary and lasting blocks ---------------------------------------------------------


def test_temp_block_at_the_long_window_threshold():
    assert_verdict(
        decide(facts(calls_short=1, calls_long=9), ENFORCE),
        Action.TEMP_BLOCK,
        ("9 calls in 1h (temporary block at 9)",),
        block_for_s=3600.0,
    )


def test_one_call_below_the_temp_block_threshold_is_challenged():
    assert_verdict(
        decide(facts(calls_short=1, calls_long=8), ENFORCE), Action.CHALLENGE, ("unknown caller",)
    )


def test_temp_block_wins_over_divert_signals():
    noisy = facts(calls_short=9, calls_long=9, instant_hangups_long=5, flags=2)
    assert_verdict(
        decide(noisy, ENFORCE),
        Action.TEMP_BLOCK,
        ("9 calls in 1h (temporary block at 9)",),
        block_for_s=3600.0,
    )


def test_temp_block_lasts_the_escalation_duration_not_the_pin_one():
    policy = Policy(escalation=Escalation(temp_block_for_s=1800.0), pin_temp_block_for_s=60.0)
    assert_verdict(
        decide(facts(calls_long=9), policy),
        Action.TEMP_BLOCK,
        ("9 calls in 1h (temporary block at 9)",),
        block_for_s=1800.0,
    )


def test_temp_block_one_short_of_a_lasting_block():
    assert_verdict(
        decide(facts(calls_long=12, temp_blocks=1), ENFORCE),
        Action.TEMP_BLOCK,
        ("12 calls in 1h (temporary block at 9)",),
        block_for_s=3600.0,
    )


@pytest.mark.parametrize("temp_blocks", [2, 3, 10])
def test_lasting_block_after_enough_temp_blocks(temp_blocks):
    assert_verdict(
        decide(facts(calls_long=9, temp_blocks=temp_blocks), ENFORCE),
        Action.BLOCK,
        (
            "9 calls in 1h (temporary block at 9)",
            f"already temporarily blocked {temp_blocks} times",
        ),
        block_for_s=None,
    )


def test_temp_blocks_alone_do_not_block_below_the_call_threshold():
    assert_verdict(
        decide(facts(calls_long=8, temp_blocks=5), ENFORCE), Action.CHALLENGE, ("unknown caller",)
    )


def test_lasting_block_reasons_put_distrust_before_the_history():
    assert_verdict(
        decide(facts(calls_long=5, temp_blocks=3, **ABROAD), ENFORCE),
        Action.BLOCK,
        (
            "5 calls in 1h (temporary block at 5)",
            "calling from abroad (GB)",
            "already temporarily blocked 3 times",
        ),
    )


# --- diverts ------------------------------------------------------------------------------


def test_divert_at_the_short_window_threshold():
    assert_verdict(
        decide(facts(calls_short=7, calls_long=7), ENFORCE),
        Action.DIVERT,
        ("7 calls in 15m (divert at 7)",),
    )


def test_one_call_below_the_divert_threshold_is_challenged():
    assert_verdict(
        decide(facts(calls_short=6, calls_long=6), ENFORCE), Action.CHALLENGE, ("unknown caller",)
    )


def test_divert_on_instant_hangups():
    assert_verdict(
        decide(facts(instant_hangups_long=3), ENFORCE),
        Action.DIVERT,
        ("3 instant hang-ups in 1h (divert at 3)",),
    )


def test_one_instant_hangup_below_the_threshold_is_challenged():
    assert_verdict(
        decide(facts(instant_hangups_long=2), ENFORCE), Action.CHALLENGE, ("unknown caller",)
    )


def test_divert_on_a_volunteer_flag():
    assert_verdict(
        decide(facts(flags=1), ENFORCE),
        Action.DIVERT,
        ("flagged by volunteers 1 times (divert at 1)",),
    )


def test_flags_below_a_raised_threshold_are_challenged():
    policy = Policy(escalation=Escalation(divert_flags=2))
    assert_verdict(decide(facts(flags=1), policy), Action.CHALLENGE, ("unknown caller",))
    assert_verdict(
        decide(facts(flags=2), policy),
        Action.DIVERT,
        ("flagged by volunteers 2 times (divert at 2)",),
    )


def test_calls_short_reason_wins_over_hangups_and_flags():
    assert_verdict(
        decide(facts(calls_short=7, calls_long=7, instant_hangups_long=3, flags=1), ENFORCE),
        Action.DIVERT,
        ("7 calls in 15m (divert at 7)",),
    )


def test_hangups_reason_wins_over_flags():
    assert_verdict(
        decide(facts(instant_hangups_long=4, flags=2), ENFORCE),
        Action.DIVERT,
        ("4 instant hang-ups in 1h (divert at 3)",),
    )


def test_reasons_name_the_configured_windows():
    policy = Policy(short_window_s=600.0, long_window_s=7200.0)
    assert decide(facts(calls_short=7, calls_long=7), policy).reasons == (
        "7 calls in 10m (divert at 7)",
    )
    assert decide(facts(calls_long=9), policy).reasons == ("9 calls in 2h (temporary block at 9)",)
    assert decide(facts(instant_hangups_long=3), policy).reasons == (
        "3 instant hang-ups in 2h (divert at 3)",
    )


# --- untrusted callers: lower thresholds --------------------------------------------------


UNTRUSTED = [
    (OUT_OF_STATE, ("calling from out of state (NE)",)),
    (ABROAD, ("calling from abroad (GB)",)),
    (
        {"stir_verstat": "TN-Validation-Failed-A"},
        ("caller ID failed verification (TN-Validation-Failed-A)",),
    ),
]


@pytest.mark.parametrize(("signal", "distrust"), UNTRUSTED)
def test_untrusted_divert_threshold_is_lower(signal, distrust):
    assert_verdict(
        decide(facts(calls_short=3, calls_long=3, **signal), ENFORCE),
        Action.DIVERT,
        ("3 calls in 15m (divert at 3)",) + distrust,
    )


@pytest.mark.parametrize(("signal", "distrust"), UNTRUSTED)
def test_untrusted_one_below_divert_threshold_is_challenged(signal, distrust):
    assert_verdict(
        decide(facts(calls_short=2, calls_long=2, **signal), ENFORCE),
        Action.CHALLENGE,
        ("unknown caller",) + distrust,
    )


@pytest.mark.parametrize(("signal", "distrust"), UNTRUSTED)
def test_untrusted_temp_block_threshold_is_lower(signal, distrust):
    assert_verdict(
        decide(facts(calls_short=1, calls_long=5, **signal), ENFORCE),
        Action.TEMP_BLOCK,
        ("5 calls in 1h (temporary block at 5)",) + distrust,
        block_for_s=3600.0,
    )


@pytest.mark.parametrize(("signal", "distrust"), UNTRUSTED)
def test_untrusted_one_below_temp_block_threshold_is_not_blocked(signal, distrust):
    assert_verdict(
        decide(facts(calls_short=1, calls_long=4, **signal), ENFORCE),
        Action.CHALLENGE,
        ("unknown caller",) + distrust,
    )


def test_same_counts_from_a_trusted_caller_are_challenged():
    assert_verdict(
        decide(facts(calls_short=3, calls_long=5, **IN_STATE), ENFORCE),
        Action.CHALLENGE,
        ("unknown caller",),
    )


@pytest.mark.parametrize(("signal", "distrust"), UNTRUSTED)
def test_untrusted_hangup_and_flag_diverts_list_distrust(signal, distrust):
    assert_verdict(
        decide(facts(instant_hangups_long=3, **signal), ENFORCE),
        Action.DIVERT,
        ("3 instant hang-ups in 1h (divert at 3)",) + distrust,
    )
    assert_verdict(
        decide(facts(flags=1, **signal), ENFORCE),
        Action.DIVERT,
        ("flagged by volunteers 1 times (divert at 1)",) + distrust,
    )


def test_untrusted_thresholds_come_from_the_policy():
    policy = Policy(
        escalation=Escalation(untrusted=Thresholds(divert_calls_short=2, temp_block_calls_long=4))
    )
    assert_verdict(
        decide(facts(calls_short=2, calls_long=2, **ABROAD), policy),
        Action.DIVERT,
        ("2 calls in 15m (divert at 2)", "calling from abroad (GB)"),
    )
    assert_verdict(
        decide(facts(calls_long=4, **ABROAD), policy),
        Action.TEMP_BLOCK,
        ("4 calls in 1h (temporary block at 4)", "calling from abroad (GB)"),
        block_for_s=3600.0,
    )


# --- log-only mode ------------------------------------------------------------------------


def test_log_only_leaves_a_challenge_alone():
    assert_verdict(decide(facts(), LOG_ONLY), Action.CHALLENGE, ("unknown caller",))


def test_log_only_leaves_a_fast_track_alone():
    assert_verdict(
        decide(facts(chair_precinct="1234"), LOG_ONLY),
        Action.FAST_TRACK,
        ("registered to precinct 1234",),
        chair_precinct="1234",
    )


def test_log_only_leaves_an_admin_allow_alone():
    assert_verdict(
        decide(facts(admin_allowed=True), LOG_ONLY), Action.CHALLENGE, ("allowed by an admin",)
    )


def test_log_only_records_a_divert_without_enforcing_it():
    verdict = decide(facts(calls_short=7, calls_long=7), LOG_ONLY)
    assert_verdict(
        verdict,
        Action.DIVERT,
        ("7 calls in 15m (divert at 7)", LOG_ONLY_NOTE),
        enforced=False,
        effective_action=Action.CHALLENGE,
    )
    assert verdict.rejects is False


def test_log_only_records_a_temp_block_without_enforcing_it():
    verdict = decide(facts(calls_long=9), LOG_ONLY)
    assert_verdict(
        verdict,
        Action.TEMP_BLOCK,
        ("9 calls in 1h (temporary block at 9)", LOG_ONLY_NOTE),
        enforced=False,
        block_for_s=3600.0,
        effective_action=Action.CHALLENGE,
    )
    assert verdict.rejects is False


def test_log_only_records_a_block_without_enforcing_it():
    verdict = decide(facts(calls_long=9, temp_blocks=2), LOG_ONLY)
    assert_verdict(
        verdict,
        Action.BLOCK,
        (
            "9 calls in 1h (temporary block at 9)",
            "already temporarily blocked 2 times",
            LOG_ONLY_NOTE,
        ),
        enforced=False,
        effective_action=Action.CHALLENGE,
    )
    assert verdict.rejects is False


def test_log_only_records_a_strict_flood_challenge_without_enforcing_it():
    assert_verdict(
        decide(facts(flood_switch=True, **ABROAD), LOG_ONLY),
        Action.CHALLENGE,
        ("flood mode switched on by an admin", "calling from abroad (GB)", LOG_ONLY_NOTE),
        enforced=False,
    )


def test_log_only_records_a_withheld_divert_and_keeps_its_message():
    assert_verdict(
        decide(facts(number=None, withheld_pin_failures=30), LOG_ONLY),
        Action.DIVERT,
        (
            "caller ID withheld",
            "30 failed PINs from withheld callers in the last 1h (at 30)",
            LOG_ONLY_NOTE,
        ),
        enforced=False,
        divert_message=DivertMessage.WITHHELD,
        effective_action=Action.CHALLENGE,
    )


def test_log_only_fallback_for_a_chair_precinct_is_the_fast_track():
    # decide never escalates a chair number, so build the verdict the fallback is for.
    verdict = Verdict(Action.DIVERT, ("x",), enforced=False, chair_precinct="0042")
    assert verdict.effective_action is Action.FAST_TRACK


# --- after a failed PIN -------------------------------------------------------------------


@pytest.mark.parametrize("failures", [0, 1, 5])
def test_pin_failures_below_the_threshold_block_nothing(failures):
    assert decide_after_pin_failure(failures, 0, ENFORCE, protected=False) is None


@pytest.mark.parametrize(("failures", "temp_blocks"), [(6, 0), (100, 5)])
def test_pin_failures_never_block_a_protected_number(failures, temp_blocks):
    assert decide_after_pin_failure(failures, temp_blocks, ENFORCE, protected=True) is None


def test_pin_failures_at_the_threshold_temp_block_the_number():
    verdict = decide_after_pin_failure(6, 0, ENFORCE, protected=False)
    assert verdict is not None
    assert_verdict(
        verdict,
        Action.TEMP_BLOCK,
        ("6 failed PINs in 1h (temporary block at 6)",),
        block_for_s=3600.0,
    )
    assert verdict.rejects is True


def test_pin_temp_block_lasts_the_pin_duration_not_the_escalation_one():
    policy = Policy(pin_temp_block_for_s=1200.0, escalation=Escalation(temp_block_for_s=99.0))
    verdict = decide_after_pin_failure(7, 1, policy, protected=False)
    assert verdict is not None
    assert_verdict(
        verdict,
        Action.TEMP_BLOCK,
        ("7 failed PINs in 1h (temporary block at 6)",),
        block_for_s=1200.0,
    )


def test_pin_failure_threshold_and_window_come_from_the_policy():
    policy = Policy(pin_failures_per_number=3, long_window_s=1800.0)
    assert decide_after_pin_failure(2, 0, policy, protected=False) is None
    verdict = decide_after_pin_failure(3, 0, policy, protected=False)
    assert verdict is not None
    assert verdict.reasons == ("3 failed PINs in 30m (temporary block at 3)",)


@pytest.mark.parametrize("temp_blocks", [2, 4])
def test_pin_failures_after_temp_blocks_block_the_number(temp_blocks):
    verdict = decide_after_pin_failure(6, temp_blocks, ENFORCE, protected=False)
    assert verdict is not None
    assert_verdict(
        verdict,
        Action.BLOCK,
        (
            "6 failed PINs in 1h (temporary block at 6)",
            f"already temporarily blocked {temp_blocks} times",
        ),
        block_for_s=None,
    )
    assert verdict.rejects is True


def test_pin_failures_in_log_only_mode_are_recorded_not_enforced():
    verdict = decide_after_pin_failure(6, 0, LOG_ONLY, protected=False)
    assert verdict is not None
    assert_verdict(
        verdict,
        Action.TEMP_BLOCK,
        ("6 failed PINs in 1h (temporary block at 6)", LOG_ONLY_NOTE),
        enforced=False,
        block_for_s=3600.0,
        effective_action=Action.CHALLENGE,
    )
    assert verdict.rejects is False


def test_pin_block_in_log_only_mode_is_recorded_not_enforced():
    verdict = decide_after_pin_failure(6, 2, LOG_ONLY, protected=False)
    assert verdict is not None
    assert_verdict(
        verdict,
        Action.BLOCK,
        (
            "6 failed PINs in 1h (temporary block at 6)",
            "already temporarily blocked 2 times",
            LOG_ONLY_NOTE,
        ),
        enforced=False,
        effective_action=Action.CHALLENGE,
    )


def test_log_only_below_the_pin_threshold_is_still_none():
    assert decide_after_pin_failure(5, 3, LOG_ONLY, protected=False) is None
    assert decide_after_pin_failure(50, 3, LOG_ONLY, protected=True) is None


# --- satellite caucuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satellite", "where"),
    [
        ("FR", {"from_country": "FR", "from_state": ""}),
        ("US-AZ", {"from_country": "US", "from_state": "AZ"}),
    ],
)
def test_a_satellite_chair_calling_from_where_it_meets_is_not_distrusted(satellite, where):
    verdict = decide(facts(chair_precinct="100013", chair_satellite=satellite, **where), ENFORCE)
    assert_verdict(
        verdict,
        Action.FAST_TRACK,
        (f"registered to satellite caucus 100013 (meets in {satellite})",),
        chair_precinct="100013",
    )


def test_a_satellite_chair_calling_from_elsewhere_keeps_the_reason():
    elsewhere = {"from_country": "DE", "from_state": ""}
    verdict = decide(facts(chair_precinct="100013", chair_satellite="FR", **elsewhere), ENFORCE)
    assert verdict.reasons == (
        "registered to satellite caucus 100013 (meets in FR)",
        "calling from abroad (DE)",
    )
    other_state = {"from_country": "US", "from_state": "NM"}
    assert distrust_reasons(
        facts(chair_satellite="US-AZ", chair_precinct="100002", **other_state), ENFORCE
    ) == ("calling from out of state (NM)",)


def test_a_satellite_does_not_vouch_for_strangers_calling_from_its_country():
    # Only the chair's registered phone is spared: anyone else from France is foreign.
    assert distrust_reasons(facts(from_country="FR", from_state=""), ENFORCE) == (
        "calling from abroad (FR)",
    )


def test_a_satellite_chair_whose_caller_id_failed_verification_is_still_challenged():
    where = {"from_country": "FR", "from_state": ""}
    stir = f"{STIR_FAILED_PREFIX}-A"
    verdict = decide(
        facts(chair_precinct="100013", chair_satellite="FR", stir_verstat=stir, **where), ENFORCE
    )
    assert_verdict(
        verdict,
        Action.CHALLENGE,
        (
            "registered to satellite caucus 100013 (meets in FR)",
            f"caller ID failed verification ({stir})",
        ),
    )
