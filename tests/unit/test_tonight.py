"""Tonight's thresholds (triage/tonight.py): which may change, within what, and the policy
they make.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.triage import Policy
from hotline.triage.tonight import SETTINGS, apply, checked

BASE = Policy()


def test_only_the_thresholds_are_open_to_change():
    assert list(SETTINGS) == [
        "escalation.divert_calls_short",
        "escalation.temp_block_calls_long",
        "escalation.untrusted.divert_calls_short",
        "escalation.untrusted.temp_block_calls_long",
        "flood.auto_calls_per_minute",
    ]


def test_apply_puts_each_value_in_its_place_and_leaves_the_rest():
    values = {
        "escalation.divert_calls_short": 5,
        "escalation.temp_block_calls_long": 8,
        "escalation.untrusted.divert_calls_short": 2,
        "escalation.untrusted.temp_block_calls_long": 4,
        "flood.auto_calls_per_minute": 300,
    }
    policy = apply(BASE, values)
    assert (
        policy.escalation.normal.divert_calls_short,
        policy.escalation.normal.temp_block_calls_long,
    ) == (5, 8)
    assert (
        policy.escalation.untrusted.divert_calls_short,
        policy.escalation.untrusted.temp_block_calls_long,
    ) == (2, 4)
    assert policy.flood_auto_calls_per_minute == 300
    assert {name: s.read(policy) for name, s in SETTINGS.items()} == values
    assert policy.short_window_s == BASE.short_window_s
    assert policy.escalation.temp_block_for_s == BASE.escalation.temp_block_for_s
    assert apply(BASE, {}) == BASE


def test_a_name_no_longer_open_to_change_is_ignored():
    assert apply(BASE, {"pin_failures_per_number": 1}) == BASE


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("escalation.divert_calls_short", "3", 3),
        ("escalation.divert_calls_short", " 1000 ", 1000),
        ("flood.auto_calls_per_minute", "0", 0),
        ("escalation.untrusted.temp_block_calls_long", 9, 9),
    ],
)
def test_checked_values(name, raw, value):
    assert checked(BASE, {}, name, raw) == value


@pytest.mark.parametrize(
    ("name", "raw", "why"),
    [
        ("escalation.divert_calls_short", "1001", "must be from 1 to 1000, not 1001"),
        ("escalation.temp_block_calls_long", "-1", "'-1' is not a whole number"),
        ("escalation.temp_block_calls_long", "2.5", "'2.5' is not a whole number"),
        ("flood.auto_calls_per_minute", "", "'' is not a whole number"),
        ("short_window", "60", "'short_window' is not a threshold that can be changed tonight"),
    ],
)
def test_checked_refuses(name, raw, why):
    with pytest.raises(ValueError) as refused:
        checked(BASE, {}, name, raw)
    assert why in str(refused.value)


def test_an_untrusted_caller_is_never_let_off_more_lightly():
    # Ordinary: divert at 7; untrusted at 3. Lowering the ordinary one below 3 would let
    # untrusted callers redial more: the untrusted one goes first.
    with pytest.raises(ValueError, match="may not be higher than an ordinary caller's"):
        checked(BASE, {}, "escalation.divert_calls_short", "2")
    values = {"escalation.untrusted.divert_calls_short": 2}
    assert checked(BASE, values, "escalation.divert_calls_short", "2") == 2
    with pytest.raises(ValueError, match="temp_block_calls_long = 5"):
        checked(BASE, {}, "escalation.temp_block_calls_long", "4")


@given(st.dictionaries(st.sampled_from(list(SETTINGS)), st.integers(0, 1000)))
def test_what_apply_writes_is_what_each_setting_reads(values):
    policy = apply(BASE, values)
    for name, setting in SETTINGS.items():
        assert setting.read(policy) == values.get(name, setting.read(BASE))


@given(st.sampled_from(list(SETTINGS)), st.integers(-5, 2000))
def test_a_value_checked_is_one_the_policy_can_take(name, value):
    try:
        kept = checked(BASE, {}, name, str(value))
    except ValueError:
        return
    setting = SETTINGS[name]
    assert setting.lowest <= kept <= setting.highest
    after = apply(BASE, {name: kept})
    assert (
        after.escalation.untrusted.divert_calls_short <= after.escalation.normal.divert_calls_short
    )
    assert (
        after.escalation.untrusted.temp_block_calls_long
        <= after.escalation.normal.temp_block_calls_long
    )
