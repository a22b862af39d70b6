"""The sign-in pace: free failures, then a doubling wait capped at a minute; never a lock."""

from __future__ import annotations

import pytest

from hotline.sign_in_pace import (
    BY_ADDRESS,
    BY_DEVICE,
    MAX_DELAY_S,
    UNTRUSTED_BY_NAME,
    WINDOW_S,
    Budget,
    Earlier,
    delay_after,
    retry_after_s,
    wait_s,
)

FIVE = Budget(free_failures=5)
NOW = 1_000_000.0


def test_the_budgets():
    assert (BY_DEVICE.free_failures, UNTRUSTED_BY_NAME.free_failures, BY_ADDRESS.free_failures) == (
        5,
        5,
        20,
    )
    assert WINDOW_S == 900
    assert MAX_DELAY_S == 60.0


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (0, 0.0),
        (1, 0.0),
        (4, 0.0),
        (5, 1.0),
        (6, 2.0),
        (7, 4.0),
        (8, 8.0),
        (9, 16.0),
        (10, 32.0),
        (11, 60.0),
        (12, 60.0),
        (1_000, 60.0),
        (10**9, 60.0),
    ],
)
def test_delay_after_n_failures(failures, delay):
    """Finding 7 (lock-out): past the free failures each one doubles the wait, up to a
    minute, however many there were: a name is slowed, never locked.
    """
    assert delay_after(failures, FIVE) == delay


def test_a_bigger_budget_starts_later():
    assert [delay_after(n, Budget(free_failures=20)) for n in (19, 20, 21)] == [0.0, 1.0, 2.0]


def test_nothing_before_means_no_wait():
    assert wait_s(Earlier(failures=0, last_at=None), FIVE, NOW) == 0.0


def test_free_failures_mean_no_wait_even_at_once():
    assert wait_s(Earlier(failures=4, last_at=NOW), FIVE, NOW) == 0.0


@pytest.mark.parametrize(
    ("failures", "since_last", "wait"),
    [
        (5, 0.0, 1.0),
        (5, 0.25, 0.75),
        (5, 1.0, 0.0),
        (5, 7.0, 0.0),
        (7, 1.0, 3.0),
        (20, 0.0, 60.0),
        (20, 59.5, 0.5),
        (20, 60.0, 0.0),
    ],
)
def test_wait_is_counted_from_the_latest_failure(failures, since_last, wait):
    earlier = Earlier(failures=failures, last_at=NOW - since_last)
    assert wait_s(earlier, FIVE, NOW) == wait


def test_twelve_at_once_only_the_free_ones_may_be_evaluated():
    """Finding 7 (race): attempts recorded at the same moment each see those before them;
    only the first five find no wait.
    """
    answers = [
        wait_s(Earlier(failures=n, last_at=NOW if n else None), FIVE, NOW) == 0 for n in range(12)
    ]
    assert answers == [True] * 5 + [False] * 7


@pytest.mark.parametrize(("wait", "header"), [(0.001, 1), (0.5, 1), (1.0, 1), (1.2, 2), (60.0, 60)])
def test_retry_after_is_whole_seconds_never_too_few(wait, header):
    assert retry_after_s(wait) == header
