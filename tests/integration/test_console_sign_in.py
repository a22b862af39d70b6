"""Signing in to the console against a real Redis: failures slow a guesser down, nothing
locks a name, a browser that signed in before keeps its own pace, parallel guesses are
counted before they are checked, and client addresses come through ProxyFix.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from hotline.app import create_app
from hotline.console import capacity, device_cookie
from hotline.services import Services
from hotline.settings import Settings
from hotline.sign_in_pace import WINDOW_S
from hotline.store import keys
from tests.support.console import (
    ADMIN_USER,
    VOLUNTEER_USER,
    add_admin,
    add_volunteer,
    cookie_set,
    csrf_from,
    login,
    sign_out,
    signed_in,
)
from tests.support.env import settings_env

WRONG = "wrong password, again"
TROLL_ADDRESS = "198.51.100.7"
FREE_BY_NAME = 5
FREE_BY_ADDRESS = 20


@pytest.fixture
def admin(services) -> None:
    add_admin(services)


@pytest.fixture
def vid(services) -> str:
    return add_volunteer(services)


def browser_at(app, **environ: str):
    browser = app.test_client()
    browser.environ_base.update(environ)
    return browser


def troll_browser(app, address: str = TROLL_ADDRESS):
    """A browser that has never signed in, somewhere else on the internet."""
    return browser_at(app, REMOTE_ADDR=address)


def trusted_browser(app, name: str = ADMIN_USER):
    """A browser that has signed in as `name` before (and signed out): it holds a device
    cookie for that name.
    """
    browser = app.test_client()
    sign_out(browser, signed_in(browser, name))
    assert browser.get_cookie(device_cookie.COOKIE, path="/console") is not None
    return browser


def failures(services, key: str) -> int:
    return services.store.redis.zcard(key)


def untrusted(name: str) -> str:
    return keys.login_attempts_untrusted(name)


def by_address(address: str) -> str:
    return keys.login_attempts_by_address(address)


def counts(services, pattern: str) -> dict[str, int]:
    """Every key matching `pattern`, with its number of failures."""
    redis = services.store.redis
    return {key: redis.zcard(key) for key in redis.scan_iter(match=pattern)}


def device_counts(services) -> dict[str, int]:
    return counts(services, keys.login_attempts_by_device("*"))


def refused_for(response, seconds: int) -> None:
    """The answer to an attempt that came too early: 429, Retry-After, how long to wait."""
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(seconds)
    unit = "second" if seconds == 1 else "seconds"
    assert f"Too many failed sign-ins. Wait {seconds} {unit} and try again." in (
        response.get_data(as_text=True)
    )


# Nobody can lock a name


def test_a_troll_failing_as_admin_cannot_keep_the_admin_out_of_a_browser_used_before(
    app, services, admin
):
    """Finding 7 (lock-out): five failures locked the name, so anyone could lock `admin`
    out. Now a troll's failures slow only browsers that never signed in as admin.
    """
    browser = trusted_browser(app)
    troll = troll_browser(app)

    answers = [login(troll, ADMIN_USER, WRONG).status_code for _ in range(30)]

    assert answers == [401] * FREE_BY_NAME + [429] * 25
    response = login(browser, ADMIN_USER)
    assert response.status_code == 303
    assert browser.get("/console/").status_code == 200
    assert failures(services, untrusted(ADMIN_USER)) == FREE_BY_NAME  # the troll's, untouched
    assert failures(services, by_address(TROLL_ADDRESS)) == FREE_BY_NAME


def test_an_untrusted_browser_is_slowed_never_locked_and_too_early_is_not_checked(
    app, services, clock, admin
):
    """Finding 7 (lock-out): past the free failures each one doubles the wait for the
    next attempt from the name's untrusted browsers; an attempt that comes too early is
    refused without checking the password (even the right one) and is not counted.
    """
    browser = troll_browser(app, "203.0.113.20")
    for _ in range(FREE_BY_NAME):
        assert login(browser, ADMIN_USER, WRONG).status_code == 401

    refused_for(login(browser, ADMIN_USER), 1)  # the right password, too early
    clock.advance(1)
    assert login(browser, ADMIN_USER, WRONG).status_code == 401
    refused_for(login(browser, ADMIN_USER, WRONG), 2)
    clock.advance(2)
    assert login(browser, ADMIN_USER, WRONG).status_code == 401
    refused_for(login(browser, ADMIN_USER), 4)
    clock.advance(3.5)
    refused_for(login(browser, ADMIN_USER), 1)  # half a second left: rounded up
    assert failures(services, untrusted(ADMIN_USER)) == FREE_BY_NAME + 2

    clock.advance(0.5)
    assert login(browser, ADMIN_USER).status_code == 303
    redis = services.store.redis
    assert redis.exists(untrusted(ADMIN_USER)) == 0  # a success clears the name's failures
    assert failures(services, by_address("203.0.113.20")) == FREE_BY_NAME + 2  # but not these


def test_the_wait_is_capped_at_a_minute(app, services, clock, admin):
    browser = troll_browser(app)
    waits = []
    for _ in range(FREE_BY_NAME + 8):
        response = login(browser, ADMIN_USER, WRONG)
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            clock.advance(waits[-1])
            assert login(browser, ADMIN_USER, WRONG).status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]


def test_failures_older_than_the_window_no_longer_count(app, services, clock, vid):
    browser = troll_browser(app)
    for _ in range(FREE_BY_NAME):
        login(browser, VOLUNTEER_USER, WRONG)
    refused_for(login(browser), 1)
    clock.advance(WINDOW_S + 1)
    answers = [login(browser, VOLUNTEER_USER, WRONG).status_code for _ in range(FREE_BY_NAME)]
    assert answers == [401] * FREE_BY_NAME
    assert failures(services, untrusted(VOLUNTEER_USER)) == FREE_BY_NAME
    # Redis counts the TTL down in whole seconds as the test runs.
    assert WINDOW_S - 2 <= services.store.redis.ttl(untrusted(VOLUNTEER_USER)) <= WINDOW_S


def test_a_name_that_does_not_exist_is_paced_the_same_way(app, services):
    browser = troll_browser(app)
    answers = [login(browser, "ghost", WRONG).status_code for _ in range(FREE_BY_NAME + 1)]
    assert answers == [401] * FREE_BY_NAME + [429]
    assert failures(services, untrusted("ghost")) == FREE_BY_NAME


# One address across names


def test_one_address_gets_twenty_free_failures_across_names(client, services, clock):
    for n in range(FREE_BY_ADDRESS):
        assert login(client, name=f"user{n}", password=WRONG).status_code == 401
    refused_for(login(client, name="someone-else", password=WRONG), 1)
    assert failures(services, by_address("127.0.0.1")) == FREE_BY_ADDRESS
    assert services.store.redis.exists(untrusted("someone-else")) == 0  # withdrawn
    clock.advance(1)
    assert login(client, name="someone-else", password=WRONG).status_code == 401


# The device cookie


def test_a_sign_in_issues_a_device_cookie_for_the_console_for_a_year(client, vid):
    cookie = cookie_set(login(client), device_cookie.COOKIE)
    assert "Path=/console;" in cookie
    assert f"Max-Age={365 * 24 * 3600};" in cookie
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_a_browser_that_signed_in_before_is_paced_on_its_own(app, services, admin):
    browser = trusted_browser(app)
    answers = [login(browser, ADMIN_USER, WRONG).status_code for _ in range(FREE_BY_NAME + 1)]
    assert answers == [401] * FREE_BY_NAME + [429]
    assert list(device_counts(services).values()) == [FREE_BY_NAME]
    assert services.store.redis.exists(untrusted(ADMIN_USER), by_address("127.0.0.1")) == 0
    # Untrusted browsers, the troll's included, are not slowed by this browser's typos.
    assert login(troll_browser(app), ADMIN_USER).status_code == 303


def test_a_success_from_a_trusted_browser_clears_its_failures(app, services, clock, admin):
    browser = trusted_browser(app)
    for _ in range(3):
        login(browser, ADMIN_USER, WRONG)
    assert list(device_counts(services).values()) == [3]
    assert login(browser, ADMIN_USER).status_code == 303
    assert device_counts(services) == {}


def test_a_device_cookie_counts_only_for_the_name_it_was_issued_for(app, services, vid, admin):
    browser = trusted_browser(app, VOLUNTEER_USER)
    assert login(browser, ADMIN_USER, WRONG).status_code == 401
    assert failures(services, untrusted(ADMIN_USER)) == 1
    assert failures(services, by_address("127.0.0.1")) == 1
    assert device_counts(services) == {}


@pytest.mark.parametrize("tamper", ["forged", "expired"])
def test_a_forged_or_expired_device_cookie_counts_as_untrusted(app, services, clock, admin, tamper):
    browser = trusted_browser(app)
    if tamper == "forged":
        genuine = browser.get_cookie(device_cookie.COOKIE, path="/console").value
        browser.set_cookie(device_cookie.COOKIE, genuine[:-2] + "xx", path="/console")
    else:
        clock.advance(device_cookie.LIFETIME_S + 1)
    assert login(browser, ADMIN_USER, WRONG).status_code == 401
    assert failures(services, untrusted(ADMIN_USER)) == 1
    assert device_counts(services) == {}


# Parallel guesses


def test_parallel_guesses_cannot_all_be_evaluated(app, services, admin):
    """Finding 7 (race): the limit was checked before failures were counted, so 12
    parallel guesses all got through a limit of 5. Now each attempt is counted first:
    of 12 at once only the free ones are checked. (The ManualClock stands still, so no
    delay runs out while they race.) The console's thread cap is per web worker, so
    guesses spread over workers race all the same: here one worker gets a slot for
    each of them, and the pacing alone must hold.
    """
    capacity.install(app, 12)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        first = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        first.request("GET", "/console/login")
        page = first.getresponse()
        cookie = page.getheader("Set-Cookie").split(";", 1)[0]
        body = urlencode(
            {"name": ADMIN_USER, "password": WRONG, "csrf_token": csrf_from(page.read().decode())}
        )
        first.close()
        start = threading.Barrier(12)
        answers: list[int] = []

        def guess() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
            start.wait()
            connection.request(
                "POST",
                "/console/login",
                body=body,
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            answers.append(connection.getresponse().status)
            connection.close()

        guessers = [threading.Thread(target=guess) for _ in range(12)]
        for guesser in guessers:
            guesser.start()
        for guesser in guessers:
            guesser.join(timeout=60)
    finally:
        server.shutdown()
        thread.join(timeout=5)

    assert Counter(answers) == {401: FREE_BY_NAME, 429: 12 - FREE_BY_NAME}
    assert failures(services, untrusted(ADMIN_USER)) == FREE_BY_NAME
    assert failures(services, by_address("127.0.0.1")) == FREE_BY_NAME


# Client addresses behind reverse proxies


def app_with(services, **env: str):
    settings = Settings.load(env=settings_env(**env))
    return create_app(
        Services(
            settings=settings, clock=services.clock, store=services.store, queue=services.queue
        )
    )


def behind_proxy(app, forwarded_for: str):
    return browser_at(app, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_one_trusted_proxy_clients_are_counted_by_their_own_address(services):
    """Finding 7 (proxy): without ProxyFix every user behind the reverse proxy shared the
    proxy's address, so one attacker slowed everyone. With HOTLINE_TRUSTED_PROXIES=1 the
    address the proxy saw counts, and whatever the client put before it does not.
    """
    app = app_with(services, HOTLINE_TRUSTED_PROXIES="1")
    login(behind_proxy(app, "203.0.113.1"), "ann", WRONG)
    login(behind_proxy(app, "203.0.113.2"), "ann", WRONG)
    login(behind_proxy(app, "192.0.2.99, 203.0.113.2"), "ann", WRONG)  # a forged first hop
    assert counts(services, by_address("*")) == {
        by_address("203.0.113.1"): 1,
        by_address("203.0.113.2"): 2,
    }


def test_behind_a_trusted_proxy_one_attacker_does_not_slow_another_client(services):
    """Finding 7 (proxy)."""
    app = app_with(services, HOTLINE_TRUSTED_PROXIES="1")
    attacker = behind_proxy(app, "203.0.113.1")
    for n in range(FREE_BY_ADDRESS):
        login(attacker, f"user{n}", WRONG)
    assert login(attacker, "one-more", WRONG).status_code == 429
    assert login(behind_proxy(app, "203.0.113.2"), "one-more", WRONG).status_code == 401


def test_with_no_trusted_proxy_x_forwarded_for_is_ignored(services):
    app = app_with(services, HOTLINE_TRUSTED_PROXIES="0")
    login(behind_proxy(app, "203.0.113.1"), "ann", WRONG)
    login(behind_proxy(app, "203.0.113.2"), "ann", WRONG)
    assert counts(services, by_address("*")) == {by_address("10.0.0.2"): 2}
