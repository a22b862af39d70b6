"""The PIN defence's bookkeeping against a real Redis: budgets reserved atomically, a right
PIN giving its place back, windows that slide, failures counted against the number.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from hotline.services import Services
from hotline.store import audit, keys
from hotline.store.pin_guard import Target

PRECINCT = Target("precinct", "1001")


def test_parallel_checks_never_overrun_a_budget(services):
    """Twenty calls checking at the same moment: five are reserved, and only five."""
    results, lock = [], threading.Lock()

    def check(n: int) -> None:
        reserved = services.store.pin_guard.reserve(
            PRECINCT, now=services.clock.now(), attempt_id=f"CA{n}:0"
        ).reserved
        with lock:
            results.append(reserved)

    threads = [threading.Thread(target=check, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 5
    assert services.store.redis.zcard(keys.precinct_pin_failures("1001")) == 5
    assert services.store.redis.zcard(keys.PIN_FAILURES) == 5


def test_a_right_pin_gives_its_place_back(services):
    guard = services.store.pin_guard
    for n in range(5):
        check = guard.reserve(PRECINCT, now=services.clock.now(), attempt_id=f"CA{n}:0")
        guard.release(check)
    assert guard.reserve(PRECINCT, now=services.clock.now(), attempt_id="CA9:0").reserved
    hour = int(services.clock.now() // 3600)
    assert guard.checks(hour) == {"precinct:1001": 6}  # every check is tallied


def test_the_budget_window_slides(services, clock):
    guard = services.store.pin_guard
    for n in range(5):
        guard.reserve(PRECINCT, now=clock.now(), attempt_id=f"CA{n}:0")
        clock.advance(600)
    assert not guard.reserve(PRECINCT, now=clock.now(), attempt_id="CAX:0").reserved
    clock.advance(601)  # the first failure is now more than an hour old
    assert guard.reserve(PRECINCT, now=clock.now(), attempt_id="CAY:0").reserved


def test_the_hotline_wide_budget_holds_across_precincts(services, redis_url, clock):
    settings = services.settings
    tight = replace(
        settings,
        policy=replace(
            settings.policy, pin_defence=replace(settings.policy.pin_defence, hotline_wide=3)
        ),
    )
    guard = Services.build(tight, clock=clock, redis_url=redis_url).store.pin_guard
    reserved = [
        guard.reserve(
            Target("precinct", f"{2000 + n}"), now=clock.now(), attempt_id=f"CA{n}:0"
        ).reserved
        for n in range(5)
    ]
    assert reserved == [True, True, True, False, False]


def test_failures_count_against_the_number_and_say_whether_it_is_protected(services, clock):
    guard = services.store.pin_guard
    services.store.reputation.allow("+15155550111", author="ann")
    plain = [
        guard.count_failure(
            now=clock.now(), call_sid="CA1", number="+17125550666", attempt_id=f"CA1:{n}"
        )
        for n in range(3)
    ]
    assert [(f.caller_failures, f.protected) for f in plain] == [(1, False), (2, False), (3, False)]
    assert guard.count_failure(
        now=clock.now(), call_sid="CA2", number="+15155550111", attempt_id="CA2:0"
    ).protected
    withheld = guard.count_failure(now=clock.now(), call_sid="CA3", number=None, attempt_id="CA3:0")
    assert (withheld.caller_failures, withheld.protected) == (1, False)
    assert services.store.redis.zcard(keys.WITHHELD_PIN_FAILURES) == 1
    assert services.store.calls.get("CA1") is None  # no record was made up for the call


def test_a_raised_alarm_is_put_on_the_audit_trail_once_an_alarm_window(services, clock):
    guard, window = services.store.pin_guard, services.settings.policy.pin_defence.alarm_window_s

    def raise_alarm() -> bool:
        return guard.record_alarm(
            now=clock.now(), author="pin-alarm", reason="60 failed PINs", failures=60
        )

    first = clock.now()
    assert raise_alarm()
    clock.advance(window - 1)
    assert not raise_alarm()  # the same alarm, seen again within its window
    clock.advance(1)
    assert raise_alarm()
    entries = audit.recent(services.store.redis)
    assert [(e.at, e.action, e.target, e.author, e.reason, e.details) for e in entries] == [
        (first + window, "pin-alarm", "*", "pin-alarm", "60 failed PINs", {"failures": 60}),
        (first, "pin-alarm", "*", "pin-alarm", "60 failed PINs", {"failures": 60}),
    ]
