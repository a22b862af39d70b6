"""`hotline demo --scenario demo-leak` on a short night: the demo's real processes, the
number rotated a second into the night by the scenario's [leak] (the step `hotline number
rotate` takes), and the texts sent by the real worker as its scheduler queues them. While
the night plays, the admins' board is read over real HTTP, signed in with the login the
demo printed, as a person watching would: the texted chairs are verified on the new number
while the flood keeps calling the old one, and the demo's account of the night says the
same.
"""

from __future__ import annotations

import contextlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from hotline.demo import run_demo
from tests.e2e.conftest import free_port
from tests.e2e.test_demo import figure
from tests.support.console import csrf_from, table_rows

SCENARIO = str(Path(__file__).parent / "scenarios" / "demo-leak-short.toml")
CHAIRS = 6
# The number the simulated phone network gives the hotline, and the first one for sale
# that the rotation buys (hotline/sim/network.py, hotline/sim/phone_numbers.py).
OLD_NUMBER, NEW_NUMBER = "+15155550000", "+15155550200"
BOARD_LINE = re.compile(r"^Admins' board: (\S+) — sign in as (\S+) / (\S+) ", re.MULTILINE)
RELOAD_EVERY_S = 0.5
NO_NUMBER_YET = "No number on record yet: the first rotation finds the one in use."


def watch_the_board(output: Path, stop: threading.Event) -> tuple[str, list[str]]:
    """A person at the admins' board: once the demo prints the board's address and the
    login, sign in and reload the board until `stop`. Returns the address and the pages read.
    """
    found = None
    while found is None and not stop.is_set():
        found = BOARD_LINE.search(output.read_text(encoding="utf-8"))
        stop.wait(0.1)
    assert found is not None, "the demo printed no admins' board"
    board, name, password = found.groups()
    base = board.removesuffix("/console/admin")
    browser = requests.Session()
    login = browser.get(f"{base}/console/login", timeout=10)
    signed = browser.post(
        f"{base}/console/login",
        data={"name": name, "password": password, "csrf_token": csrf_from(login.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert signed.status_code == 303, signed.text
    pages = []
    while not stop.is_set():
        try:
            page = browser.get(board, timeout=10)
        except requests.ConnectionError:
            break  # the demo is over and has stopped its web server
        assert page.status_code == 200, page.status_code
        pages.append(page.text)
        stop.wait(RELOAD_EVERY_S)
    return board, pages


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, Path, str, list[str]]:
    """The demo's printed output, its directory, and the board's address and pages as a
    person watching it read them.
    """
    workdir = tmp_path_factory.mktemp("demo-leak")
    port = free_port()
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(1) as person:
        patch.chdir(workdir)
        capture = workdir / "out.txt"
        capture.touch()
        stop = threading.Event()
        watching = person.submit(watch_the_board, capture, stop)
        try:
            with capture.open("w") as out, contextlib.redirect_stdout(out):
                assert run_demo(port, SCENARIO) == 0
        finally:
            stop.set()
        board, pages = watching.result()
    assert board == f"http://127.0.0.1:{port}/console/admin"
    return capture.read_text(), workdir / "var" / "demo", board, pages


def numbers(html: str) -> dict[str, dict[str, str | int]]:
    """The board's numbers panel, by number: its state, and its calls and chairs verified
    in the last 15 minutes. Before the first call it has none: one cell says so.
    """
    _header, *rows = table_rows(html, "board-numbers")
    if rows == [[NO_NUMBER_YET]]:
        return {}
    return {
        number: {"state": state, "calls": int(calls_15), "chairs": int(chairs_15)}
        for number, state, _since, _retired, calls_15, chairs_15, *_hour in rows
    }


def test_the_board_shows_the_texted_chairs_on_the_new_number(demo):
    output, _, _, pages = demo
    assert pages, "the board was never read"
    # The last page read, once the night was over.
    board = numbers(pages[-1])
    assert list(board) == [NEW_NUMBER, OLD_NUMBER]
    new, old = board[NEW_NUMBER], board[OLD_NUMBER]
    assert (new["state"], old["state"]) == ("current", "retired")
    moved = figure(output, "  chairs calling the new number")
    assert new["chairs"] == moved > 0
    # Only chairs knew the new number; the others, and the flood, called the old one.
    assert new["calls"] == moved
    assert old["chairs"] == CHAIRS - moved
    assert old["calls"] == figure(output, "Nuisance calls placed") + CHAIRS - moved


def test_the_board_showed_the_move_while_the_night_played(demo):
    _, _, _, pages = demo
    on_new = [numbers(page).get(NEW_NUMBER, {}).get("chairs", 0) for page in pages]
    # Read from before the first chair called: none on the new number, then more and more.
    assert on_new[0] == 0 and on_new[-1] > 0
    assert on_new == sorted(on_new)


def test_the_demos_account_of_the_night_has_the_rotation(demo):
    output, _, _, _ = demo
    assert (
        "  The number leaked: the admins rotated it at 1s. +15155550200 is the hotline's "
        "number, +15155550000 retired; texting 6 chairs." in output
    )
    assert figure(output, "  chairs texted the new number") == CHAIRS
    assert figure(output, "  texts delivered") == CHAIRS
    assert figure(output, "  texts failed") == 0
    assert figure(output, "  chairs calling the new number") > 0


def test_the_admins_password_is_shown_once_and_never_logged(demo):
    output, demo_dir, _, _ = demo
    (password,) = [match.group(3) for match in BOARD_LINE.finditer(output)]
    assert output.count(password) == 1
    assert password not in (demo_dir / "services.log").read_text(errors="replace")
