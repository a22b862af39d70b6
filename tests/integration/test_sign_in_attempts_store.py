"""Sign-in attempts in Redis: recorded first, counts back in the same step, withdrawn when
refused, cleared on success; a sliding window."""

from __future__ import annotations

import pytest

from hotline.sign_in_pace import Earlier
from tests.support.redis_state import snapshot

NAME = "hotline:login-attempts:untrusted:ann"
ADDRESS = "hotline:login-attempts:addr:10.0.0.7"
WINDOW = 900.0


@pytest.fixture
def attempts(services):
    return services.store.sign_in_attempts


@pytest.fixture
def redis_client(services):
    return services.store.redis


def test_an_attempt_is_recorded_in_every_key_and_sees_what_came_before(
    attempts, redis_client, clock
):
    """Finding 7 (race): the attempt counts before its password is checked."""
    t0 = clock.now()
    assert attempts.record([NAME, ADDRESS], "a1", now=t0, window_s=WINDOW) == [
        Earlier(failures=0, last_at=None),
        Earlier(failures=0, last_at=None),
    ]
    clock.advance(2.5)
    assert attempts.record([NAME], "a2", now=clock.now(), window_s=WINDOW) == [
        Earlier(failures=1, last_at=t0)
    ]
    assert attempts.record([NAME, ADDRESS], "a3", now=clock.now(), window_s=WINDOW) == [
        Earlier(failures=2, last_at=t0 + 2.5),
        Earlier(failures=1, last_at=t0),
    ]

    assert snapshot(redis_client) == {
        ADDRESS: ("zset", [("a1", t0), ("a3", t0 + 2.5)]),
        NAME: ("zset", [("a1", t0), ("a2", t0 + 2.5), ("a3", t0 + 2.5)]),
    }
    assert redis_client.ttl(NAME) == redis_client.ttl(ADDRESS) == 900


def test_times_keep_their_fractions(attempts, clock):
    clock.set(1_580_860_800.125)
    attempts.record([NAME], "a1", now=clock.now(), window_s=WINDOW)
    assert attempts.record([NAME], "a2", now=clock.now(), window_s=WINDOW) == [
        Earlier(failures=1, last_at=1_580_860_800.125)
    ]


def test_entries_older_than_the_window_are_dropped(attempts, redis_client, clock):
    t0 = clock.now()
    attempts.record([NAME], "old", now=t0, window_s=WINDOW)
    clock.advance(WINDOW)
    attempts.record([NAME], "edge", now=clock.now(), window_s=WINDOW)
    clock.advance(1)
    assert attempts.record([NAME], "new", now=clock.now(), window_s=WINDOW) == [
        Earlier(failures=1, last_at=t0 + WINDOW)
    ]
    assert snapshot(redis_client) == {
        NAME: ("zset", [("edge", t0 + WINDOW), ("new", t0 + WINDOW + 1)]),
    }


def test_a_withdrawn_attempt_leaves_no_trace(attempts, redis_client, clock):
    attempts.record([NAME, ADDRESS], "a1", now=clock.now(), window_s=WINDOW)
    attempts.record([NAME, ADDRESS], "a2", now=clock.now(), window_s=WINDOW)
    attempts.withdraw([NAME, ADDRESS], "a2")
    assert snapshot(redis_client) == {
        ADDRESS: ("zset", [("a1", clock.now())]),
        NAME: ("zset", [("a1", clock.now())]),
    }


def test_a_success_clears_its_own_key_and_takes_itself_out_of_the_others(
    attempts, redis_client, clock
):
    attempts.record([NAME, ADDRESS], "a1", now=clock.now(), window_s=WINDOW)
    attempts.record([NAME, ADDRESS], "a2", now=clock.now(), window_s=WINDOW)
    attempts.succeeded(NAME, [NAME, ADDRESS], "a2")
    assert snapshot(redis_client) == {ADDRESS: ("zset", [("a1", clock.now())])}
