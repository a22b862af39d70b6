"""The leak on the admins' board: a smoke-sized night whose number is rotated by the
simulator's [leak] (the rotate step the admins run), played through the real app on a real
Redis, and the board read through HTTP, signed in as an admin, at moments of the night on
the night's own clock: before the rotation, once the texts have reached the chairs, and at
the night's end. Chairs texted the new number move to it; the old number keeps the flood
and the chairs who were not texted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import redis

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from hotline.shipped import shipped
from hotline.sim.night import NIGHT_STARTS_AT
from hotline.sim.scenario import load_scenario
from tests.support.console import ADMIN_USER, add_admin, signed_in, table_rows
from tests.support.env import settings_env
from tests.support.paused_night import play_until

# The smoke night on the first 300 precincts, its chairs calling evenly through the hour,
# most with a registered phone (each is texted the new number), and the number rotated a
# quarter of an hour in.
LEAK = """\
extends = "smoke"

[night]
name = "board-leak"

[roster]
file = "precincts.csv"

[chairs]
arrival = { shape = "uniform", start = "0m", end = "55m" }
registered_phone_share = 0.8

[leak]
at = "15m"
"""
PRECINCTS = 300
# The number the simulated phone network gives the hotline (hotline/sim/network.py), and
# the first one for sale it buys on rotating (hotline/sim/phone_numbers.py).
OLD_NUMBER, NEW_NUMBER = "+15155550000", "+15155550200"
# When the board is read, in minutes into the night.
MOMENTS = (15, 45, 60)


class Board:
    """The admins' board on its own app, reading the night's Redis at the moment its
    clock is set to.
    """

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.clock = ManualClock(NIGHT_STARTS_AT)
        self.app = None

    def read(self, now: float) -> str:
        self.clock.set(now)
        if self.app is None:  # once the night has begun on an empty Redis
            services = Services.build(
                Settings.load(env=settings_env()), clock=self.clock, redis_url=self.redis_url
            )
            add_admin(services)
            self.app = create_app(services)
        client = self.app.test_client()
        signed_in(client, ADMIN_USER)
        response = client.get("/console/admin")
        assert response.status_code == 200
        return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def boards(redis_url, tmp_path_factory) -> Iterator[dict[int, str]]:
    """The board's page at each of MOMENTS."""
    path = tmp_path_factory.mktemp("scenarios") / "board-leak.toml"
    path.write_text(LEAK, encoding="utf-8")
    roster = shipped("data", "iowa-2020", "precincts.csv").read_text(encoding="utf-8")
    path.with_name("precincts.csv").write_text(
        "".join(roster.splitlines(keepends=True)[: PRECINCTS + 1]), encoding="utf-8"
    )
    board, read = Board(redis_url), {}

    def watch(now: float) -> None:
        due = [m for m in MOMENTS if m not in read and now >= NIGHT_STARTS_AT + m * 60]
        for minutes in due:
            read[minutes] = board.read(NIGHT_STARTS_AT + minutes * 60)

    play_until(load_scenario(str(path)), redis_url, MOMENTS[-1] * 60 + 1, watch)
    assert list(read) == list(MOMENTS)
    yield read
    redis.Redis.from_url(redis_url).flushdb()


def numbers(html: str) -> list[dict[str, str | int]]:
    """The numbers panel's rows: number, state, and each figure as a count."""
    header, *rows = table_rows(html, "board-numbers")
    assert header[4:] == [
        "calls, last 15 min",
        "chairs verified, last 15 min",
        "calls, last 60 min",
        "chairs verified, last 60 min",
    ]
    return [
        {
            "number": number,
            "state": state,
            "calls_15": int(calls_15),
            "chairs_15": int(chairs_15),
            "calls_60": int(calls_60),
            "chairs_60": int(chairs_60),
        }
        for number, state, _since, _retired, calls_15, chairs_15, calls_60, chairs_60 in rows
    ]


def test_the_board_shows_the_new_number_current_and_the_old_one_retired(boards):
    for html in boards.values():
        assert [(row["number"], row["state"]) for row in numbers(html)] == [
            (NEW_NUMBER, "current"),
            (OLD_NUMBER, "retired"),
        ]


def test_chairs_move_from_the_old_number_to_the_new_one(boards):
    new_at_rotation, old_at_rotation = numbers(boards[15])
    new_later, old_later = numbers(boards[45])
    # The quarter of an hour before the rotation: every chair on the old number.
    assert old_at_rotation["chairs_15"] > 0
    assert (new_at_rotation["calls_60"], new_at_rotation["chairs_60"]) == (0, 0)
    # Half an hour after it, every text delivered: chairs verify on the new number, and the
    # old number's chairs verified fall (those left were never texted), its calls do not.
    assert new_later["chairs_15"] > 0
    assert old_later["chairs_15"] < old_at_rotation["chairs_15"]
    assert old_later["chairs_15"] < new_later["chairs_15"]
    assert old_later["calls_15"] > new_later["calls_15"]


def test_at_the_nights_end_the_new_number_has_only_chairs(boards):
    new, old = numbers(boards[60])
    assert new["chairs_60"] > 0
    # Only texted chairs know the new number, and each call on it proved its chair; the
    # flood keeps calling the old one.
    assert new["calls_60"] == new["chairs_60"]
    assert old["calls_60"] > old["chairs_60"]


def test_the_plot_draws_chairs_verified_on_each_number(boards):
    plot = re.search(r'id="plot-numbers">(.*?)</div>', boards[60], re.S).group(1)
    assert re.findall(r"<polyline[^>]*><title>([^<]*)</title>", plot) == [
        f"{NEW_NUMBER} (current)",
        f"{OLD_NUMBER} (retired)",
    ]
