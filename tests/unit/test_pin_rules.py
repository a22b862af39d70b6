"""The PIN defence's pure rules: the alarm's levels and the bound on guessing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hotline.settings import ConfigError, Settings
from hotline.triage import AlarmLevel, PinDefence, guess_bound, pin_alarm

DEFENCE = PinDefence(
    alarm_failures=60, flood_failures=120, per_target=5, hotline_wide=1000, window_s=3600.0
)


@pytest.mark.parametrize(
    ("failures", "level"),
    [
        (0, AlarmLevel.QUIET),
        (59, AlarmLevel.QUIET),
        (60, AlarmLevel.ALARM),
        (119, AlarmLevel.ALARM),
        (120, AlarmLevel.FLOOD),
        (5000, AlarmLevel.FLOOD),
    ],
)
def test_the_alarm_rises_with_the_failed_pins(failures, level):
    alarm = pin_alarm(failures, DEFENCE)
    assert (alarm.level, alarm.failures, alarm.raised) == (
        level,
        failures,
        level is not AlarmLevel.QUIET,
    )


def test_the_bound_for_a_five_hour_night():
    bound = guess_bound(DEFENCE, hours=5, pin_digits=6)
    assert (bound.windows, bound.evaluations, bound.per_target) == (5, 5000, 25)
    assert bound.expected_successes == 5000 / (10**6 - 25)


def test_part_of_a_window_counts_as_a_whole_one():
    assert guess_bound(DEFENCE, hours=4.5, pin_digits=6).windows == 5
    assert guess_bound(DEFENCE, hours=0.25, pin_digits=6).evaluations == 1000


@pytest.mark.parametrize(
    ("change", "bigger"),
    [
        ({"hotline_wide": 2000}, True),
        ({"hotline_wide": 500}, False),
        ({"window_s": 1800.0}, True),
        ({"per_target": 50}, True),
    ],
)
def test_the_bound_moves_with_the_budgets(change, bigger):
    base = guess_bound(DEFENCE, hours=5, pin_digits=6).expected_successes
    moved = guess_bound(replace(DEFENCE, **change), hours=5, pin_digits=6).expected_successes
    assert (moved > base) is bigger


def test_longer_pins_and_shorter_nights_lower_the_bound():
    five = guess_bound(DEFENCE, hours=5, pin_digits=6).expected_successes
    assert guess_bound(DEFENCE, hours=5, pin_digits=8).expected_successes < five
    assert guess_bound(DEFENCE, hours=2, pin_digits=6).expected_successes < five
    assert guess_bound(DEFENCE, hours=5, pin_digits=4).expected_successes > 0.01


def test_the_shipped_configuration_keeps_the_promise_of_the_readme():
    """Over a five-hour night at most 0.01 successful guesses are to be expected anywhere:
    raising the budgets in hotline/config/hotline.toml past that fails here.
    """
    defence = Settings.load(env={}).policy.pin_defence
    assert guess_bound(defence, hours=5, pin_digits=6).expected_successes <= 0.01
    assert defence.alarm_failures < defence.flood_failures


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("per_target", 0, "triage.pins.defence.per_target must be a whole number of at least 1"),
        ("hotline_wide", "many", "triage.pins.defence.hotline_wide must be a whole number"),
        ("window", "0s", "triage.pins.defence windows must be longer than zero"),
    ],
)
def test_a_bad_defence_setting_is_named(tmp_path, key, value, message):
    override = tmp_path / "bad.toml"
    text = f'"{value}"' if isinstance(value, str) else str(value)
    override.write_text(f"[triage.pins.defence]\n{key} = {text}\n")
    with pytest.raises(ConfigError) as raised:
        Settings.load(env={"HOTLINE_CONFIG": str(override)})
    assert message in str(raised.value)
