"""The console in a real headless Chromium (Selenium): sign in, see a caller's card arrive
live (the page's script polls GET /console/state and puts the changed section in place,
without reloading), flag the caller, and find the block in Redis; the admins' board after
a simulated night, its plots drawn and its flood switch clicked; all under the strict
Content-Security-Policy, which blocks nothing the console needs.

Needs the distribution's chromium and chromium-driver (`make test` installs them when it
can). Without them the test is skipped, except in CI (CI set), where it fails.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from werkzeug.serving import make_server

from hotline.app import create_app
from hotline.clock import Clock, ManualClock
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.scenario import load_scenario
from hotline.steps.call_end import status_changed
from hotline.store.audit import AuditFilter
from hotline.store.night_figures import NightFigures
from tests.support.console import (
    ADMIN_USER,
    CALLER_NUMBER,
    CALLER_SID,
    PASSWORD,
    VOLUNTEER_USER,
    add_admin,
    add_volunteer,
    put_caller_through,
    volunteer_ready,
)
from tests.support.env import settings_env
from tests.support.paused_night import play_until
from tests.support.repo import REPO_ROOT
from workers import runtime

BOARD_NIGHT = Path(__file__).parent / "scenarios" / "board.toml"
# Where the board's pictures are left, for the README (docs/board.png and
# docs/board-numbers.png are copies of them).
BOARD_PICTURE = REPO_ROOT / "var" / "board.png"
NUMBERS_PICTURE = REPO_ROOT / "var" / "board-numbers.png"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 15.0


def require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = (
            f"{' and '.join(missing)} missing: install chromium and chromium-driver "
            "(as root, `make test` does) and the dev extras"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test, but {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def serving(
    redis_url: str, *, clock: Clock | None = None, flush: bool = True
) -> Iterator[tuple[str, Services]]:
    """The app on a real HTTP server (threaded, as gunicorn's gthread workers are), on an
    empty Redis unless told to keep what is there.
    """
    holder = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    base = f"http://127.0.0.1:{server.server_port}"
    services = Services.build(
        Settings.load(env=settings_env(HOTLINE_PUBLIC_URL=base)), clock=clock, redis_url=redis_url
    )
    if flush:
        services.store.redis.flushdb()
    runtime.install(services)
    holder["app"] = create_app(services)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, services
    finally:
        server.shutdown()
        thread.join(timeout=5)
        services.store.redis.flushdb()


@pytest.fixture
def live(redis_url) -> Iterator[tuple[str, Services]]:
    with serving(redis_url) as served:
        yield served


@pytest.fixture
def browser():
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(flag)
    # The console log, where Chromium reports whatever the Content-Security-Policy blocked.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(browser, base: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/console/login")
    browser.find_element(By.NAME, "name").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def policy_violations(browser) -> list[str]:
    """What the Content-Security-Policy blocked, as Chromium logged it."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def wait_until(condition, what: str):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page is being re-rendered under us: try again
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up after {WAIT_S}s waiting for {what}")


def sign_in_volunteer(browser, base: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/console/login")
    browser.find_element(By.NAME, "name").send_keys(VOLUNTEER_USER)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def talking_to_the_chair_of_1001(browser, live) -> tuple[Services, str]:
    """A volunteer signed in and talking to Adair 1NW's chair, the results form on the page;
    (services, volunteer id).
    """
    from selenium.webdriver.common.by import By

    base, services = live
    vid = add_volunteer(services)
    volunteer_ready(services, vid)
    put_caller_through(services, vid)
    sign_in_volunteer(browser, base)
    wait_until(lambda: browser.find_element(By.ID, "results-form"), "the results form")
    return services, vid


def test_a_volunteer_sees_a_caller_arrive_live_and_flags_them(browser, live):
    from selenium.webdriver.common.by import By

    base, services = live
    vid = add_volunteer(services)
    volunteer_ready(services, vid)

    sign_in_volunteer(browser, base)
    wait_until(
        lambda: browser.find_element(By.ID, "status").text == "available", "the console page"
    )
    assert not browser.find_elements(By.ID, "caller-card")

    # The caller is put through after the page has loaded: only polling can show it. The
    # mark set on the page now would be gone had the page been reloaded instead.
    browser.execute_script("window.loadedOnce = true;")
    put_caller_through(services, vid)
    wait_until(
        lambda: browser.find_element(By.ID, "card-precinct").text == "1001",
        "the caller's card to appear live",
    )
    assert browser.execute_script("return window.loadedOnce === true;")
    assert browser.find_element(By.ID, "volunteer").get_attribute("data-version")
    assert "0123" in browser.find_element(By.ID, "caller-card").text
    assert CALLER_NUMBER not in browser.page_source

    def flag() -> bool:
        browser.find_element(By.ID, "flag-button").click()
        return True

    wait_until(flag, "the Flag button")
    block = wait_until(lambda: services.store.blocks.get(CALLER_NUMBER), "the block in Redis")
    assert block.author == VOLUNTEER_USER
    wait_until(lambda: "Flagged as a nuisance" in browser.page_source, "the confirmation")
    assert services.store.dispatch.state(vid).status == "available"

    # The style sheet applied (it is a file of the console's own, which the policy allows)
    # and the policy blocked nothing.
    flash = browser.find_element(By.CLASS_NAME, "flash")
    assert flash.value_of_css_property("background-color") == "rgba(255, 246, 214, 1)"
    blocked = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert blocked == []


ADAIR_1NW = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}


def test_a_volunteer_fills_the_results_form_sees_the_delegates_live_and_saves(browser, live):
    """Adair 1NW typed into the form: the delegates show as the figures go in (the caucus
    math in the browser), the tie asks for its coin toss, the polling leaves what is typed
    alone, and the save stores the report with the server's receipt."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    services, vid = talking_to_the_chair_of_1001(browser, live)

    def delegates(key: str) -> str:
        return browser.find_element(By.CSS_SELECTOR, f'[data-delegates="{key}"]').text

    browser.find_element(By.ID, "results-attendance").send_keys("40")
    wait_until(
        lambda: browser.find_element(By.ID, "results-threshold").text == "6",
        "the threshold for 40 attendees",
    )
    for key, count in ADAIR_1NW.items():
        browser.find_element(By.NAME, f"first-{key}").send_keys(str(count))
    browser.find_element(By.NAME, "final-warren").send_keys("9")
    # Warren alone in the final alignment so far: the only viable group takes all 8.
    wait_until(lambda: delegates("warren") == "8", "Warren's delegates, live")
    for key, count in ADAIR_1NW.items():
        if key != "warren":
            browser.find_element(By.NAME, f"final-{key}").send_keys(str(count))
    # One delegate too many: Buttigieg and Klobuchar tie, and the form asks for the toss.
    toss = wait_until(lambda: browser.find_element(By.NAME, "toss_winner"), "the coin toss")
    assert "tie for keeping a delegate" in browser.find_element(By.ID, "results-findings").text
    # A few polls go by: the form, being typed in, is left as it is.
    time.sleep(2.5)
    assert browser.find_element(By.NAME, "final-sanders").get_attribute("value") == "9"
    Select(toss).select_by_value("klobuchar")
    wait_until(
        lambda: delegates("buttigieg") == "1" and delegates("klobuchar") == "2",
        "Buttigieg 1, Klobuchar 2 after the toss",
    )
    assert [delegates(k) for k in ADAIR_1NW] == ["1", "1", "2", "2", "2"]
    assert browser.find_element(By.ID, "results-findings").text == ""
    assert browser.find_element(By.ID, "results-delegates-total").text == "8"

    browser.find_element(By.ID, "results-save").click()
    stored = wait_until(lambda: services.store.results.latest("1001"), "the stored report")
    assert dict(stored.report.final) == ADAIR_1NW
    assert (stored.channel, stored.author) == ("volunteer", VOLUNTEER_USER)
    wait_until(lambda: f"receipt {stored.receipt}" in browser.page_source, "the receipt")
    blocked = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert blocked == []


def test_a_chair_who_hangs_up_mid_form_leaves_the_figures_typed_and_they_save(browser, live):
    """The chair reads out the first alignment and the line drops: the volunteer is free
    for the next chair at once, the polling page keeps what was typed and says the call
    has ended, and the rest typed from the worksheet photo saves as the chair's report."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    services, vid = talking_to_the_chair_of_1001(browser, live)
    moved_on = browser.find_element(By.ID, "results-moved-on")
    assert not moved_on.is_displayed()
    browser.find_element(By.ID, "results-attendance").send_keys("40")
    for key, count in ADAIR_1NW.items():
        browser.find_element(By.NAME, f"first-{key}").send_keys(str(count))

    status_changed(services, call_sid=CALLER_SID, status="completed", sequence=3, duration_s=240)
    assert services.store.dispatch.state(vid).status == "available"
    wait_until(lambda: moved_on.is_displayed(), "the form saying the call has ended")
    assert browser.find_element(By.NAME, "first-sanders").get_attribute("value") == "9"
    for key, count in ADAIR_1NW.items():
        browser.find_element(By.NAME, f"final-{key}").send_keys(str(count))
    toss = wait_until(lambda: browser.find_element(By.NAME, "toss_winner"), "the coin toss")
    Select(toss).select_by_value("klobuchar")
    wait_until(lambda: browser.find_element(By.ID, "results-findings").text == "", "no findings")
    browser.find_element(By.ID, "results-save").click()

    stored = wait_until(lambda: services.store.results.latest("1001"), "the stored report")
    assert (stored.report.attendance, dict(stored.report.final)) == (40, ADAIR_1NW)
    assert (stored.channel, stored.author) == ("volunteer", VOLUNTEER_USER)
    wait_until(lambda: f"receipt {stored.receipt}" in browser.page_source, "the receipt")


def simulated_night(redis_url: str, until_s: float) -> float:
    """The board's night (scenarios/board.toml) played in virtual time against the real app
    and a real Redis, the workers' minute sample taken in every virtual minute something
    happened in, and left `until_s` into it, as a board would find it then; returns that
    moment. Redis keeps what the night left.
    """
    sampler = NightFigures(
        redis.Redis.from_url(redis_url, decode_responses=True),
        Settings.load(env=settings_env()).policy.long_window_s,
    )
    last = {"minute": None}

    def sample(now: float) -> None:
        if int(now // 60) != last["minute"]:
            last["minute"] = int(now // 60)
            sampler.sample_line(now)

    stop_at = play_until(load_scenario(str(BOARD_NIGHT)), redis_url, until_s, sample)
    sampler.rank_top_callers(stop_at)
    return stop_at


def test_the_admins_board_draws_the_night_and_switches_flood_mode(browser, redis_url):
    from selenium.webdriver.common.by import By

    # Ninety minutes in: the flood of redialling numbers at its height, the chairs' too.
    now = simulated_night(redis_url, until_s=90 * 60)
    clock = ManualClock(now)
    with serving(redis_url, clock=clock, flush=False) as (base, services):
        add_admin(services)
        sign_in(browser, base, ADMIN_USER)
        browser.set_window_size(1280, 1000)
        browser.get(f"{base}/console/admin")
        flood = wait_until(
            lambda: browser.find_element(By.ID, "flood-state").text, "the admins' board"
        )
        assert flood in ("ON", "off")

        # The plots: SVG drawn by the server, styled by the chart's style sheet.
        calls = browser.find_elements(By.CSS_SELECTOR, "#plot-calls svg polyline")
        assert len(calls) == 6
        assert calls[0].value_of_css_property("fill") == "none"
        assert len(browser.find_elements(By.CSS_SELECTOR, "#plot-line svg polyline")) == 1
        assert len(browser.find_elements(By.CSS_SELECTOR, "#top-callers tr")) > 1

        # Live: a call arriving after the page loaded shows without a reload.
        browser.execute_script("window.loadedOnce = true;")
        cell = "#calls-per-minute tr:nth-child(2) td:nth-child(2)"
        before = int(browser.find_element(By.CSS_SELECTOR, cell).text)
        services.store.calls.arrive(
            now=clock.now(), call_sid="CAlate", number="+15155550142", request={}
        )
        wait_until(
            lambda: int(browser.find_element(By.CSS_SELECTOR, cell).text) == before + 1,
            "the late call counted live",
        )
        assert browser.execute_script("return window.loadedOnce === true;")

        # The picture for the README: the live part of the board.
        bottom = browser.execute_script(
            "return document.getElementById('callers').getBoundingClientRect().bottom;"
        )
        browser.set_window_size(1280, int(bottom) + 140)
        BOARD_PICTURE.parent.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(BOARD_PICTURE))

        # The rotation at 55 minutes: the old number retired, texted chairs on the new one.
        rows = browser.find_elements(By.CSS_SELECTOR, "#board-numbers tr")
        states = [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows[1:]]
        assert states[:2] == ["current", "retired"]
        new_number_chairs = int(rows[1].find_elements(By.TAG_NAME, "td")[-1].text)
        assert new_number_chairs > 0
        assert len(browser.find_elements(By.CSS_SELECTOR, "#plot-numbers svg polyline")) >= 2
        assert browser.find_element(By.ID, "number-figures").screenshot(str(NUMBERS_PICTURE))

        # The flood switch, clicked.
        wanted = "off" if flood == "ON" else "ON"
        browser.find_element(By.CSS_SELECTOR, "#flood-switch input[name=reason]").send_keys(
            "switched on the board"
        )
        browser.find_element(By.ID, "flood-button").click()
        wait_until(
            lambda: browser.find_element(By.ID, "flood-state").text == wanted,
            f"flood mode switched {wanted}",
        )
        assert services.store.reputation.flood() is (wanted == "ON")
        assert f"Flood mode is {wanted}." in browser.find_element(By.CLASS_NAME, "flash").text
        (entry,) = services.store.audit.search(AuditFilter(author=ADMIN_USER)).entries
        assert (entry.action, entry.reason) == (f"flood-{wanted.lower()}", "switched on the board")
        assert policy_violations(browser) == []
