"""End to end over real HTTP, with Redis killed: a chair keys Adair 1NW's results on the
keypad against `hotline serve` and `hotline worker`, through the simulator's phone network,
while Redis is SIGKILLed and restarted from its append-only file: once in the middle of
the entry, and twice around the confirm (just before the chair's "1" reaches it, and the
moment the report is stored). Nothing keyed is lost, nothing is stored twice, and every
webhook answers TwiML (200), "One moment, please" and a retry while Redis is down.

This module runs on a Redis of its own, so that killing it disturbs no other test: the
embedded server (hotline/store/embedded.py), as Hotline runs without REDIS_URL and as the
drill kills it: a Unix socket in a directory of its own, `appendonly yes`, `appendfsync
everysec`. Redis writes each command to the file before it replies; everysec only defers
the fsync, which matters when the machine dies, not the process. So a SIGKILL loses what
Redis had not yet written, normally nothing; rather than sleep past the second, the test
waits until the file holds what must survive, then kills.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hotline.services import Services
from hotline.sim.network import Network, Reply, SimCall
from hotline.store import keys
from hotline.store.embedded import EmbeddedRedis
from hotline.store.results import Draft
from tests.e2e.conftest import wait_for
from tests.e2e.test_http_call import T0, ScriptedCaller
from tests.e2e.test_keypad_report_http import GROUPS, PHONE, PIN, PRECINCT
from tests.support.roster import import_adair_1nw

# How long (virtual seconds, on the phone network's clock) Redis stays down: a step that
# fails is tried again after "One moment, please." and a 5 s pause, so two or three fail.
DOWN_FOR_S = 20.0
FILE_LIMIT_S = 5.0

ONE_MOMENT = "One moment, please."
NEXT = "Next group, or pound alone when done."
VERIFIED = "Thank you. Precinct 1 0 0 1 is verified."
CHOICE = "To report your results on the keypad, press 1. To speak to a volunteer, press 2."
RESUME = "You have an unfinished report. Press 1 to continue it, 2 to start again."
READBACK = (
    "Precinct 1 0 0 1. 40 attendees. Joe Biden, 6 people, 1 delegate. Pete Buttigieg, "
    "8 people, 1 delegate. Amy Klobuchar, 8 people, 2 delegates. Bernie Sanders, 9 people, "
    "2 delegates. Elizabeth Warren, 9 people, 2 delegates."
)
OPTIONS = (
    "To confirm these results, press 1. To correct an entry, press 2. To speak to a "
    "volunteer, press 3."
)
ADAIR = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}


@pytest.fixture(scope="module")
def redis_url(own_redis_server) -> str:
    """Overrides the session's (tests/conftest.py): this module's stack, and its view of
    the stack's Redis, run on the module's own server.
    """
    return own_redis_server.url


@pytest.fixture
def services(stack_services, tmp_path) -> Iterator[Services]:
    import_adair_1nw(stack_services, tmp_path / "unused-pin-sheet.csv")
    return stack_services


@pytest.fixture
def answers(network) -> list[tuple[str, int]]:
    """(path, HTTP status) of every request the phone network makes to the stack."""
    seen: list[tuple[str, int]] = []
    post = network.transport.post

    def recorded(url: str, params: dict[str, str]) -> tuple[int, str]:
        status, body = post(url, params)
        seen.append((urlsplit(url).path, status))
        return status, body

    network.transport.post = recorded
    return seen


class Chair(ScriptedCaller):
    """Presses `keys` in turn like ScriptedCaller; `before[n]` runs as the prompt for the
    n-th key (from 0) begins. Told that the results are already stored, hangs up.
    """

    def __init__(
        self, network: Network, keys: list[str], before: dict[int, Callable[[], None]] | None = None
    ) -> None:
        super().__init__(network, keys)
        self.before = dict(before or {})
        self.prompts = 0

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        if any("already stored" in line for line in call.heard):
            return Reply(hang_up=True, delay_s=self.hang_up_after_s)
        action = self.before.pop(self.prompts, None)
        self.prompts += 1
        if action is not None:
            action()
        return super().on_gather(call, heard, holding)


def aof(server: EmbeddedRedis) -> Path:
    return server.data_dir / "appendonly.aof"


def in_file(server: EmbeddedRedis, *texts: str) -> bool:
    data = aof(server).read_bytes()
    return all(text.encode() in data for text in texts)


def kill(server: EmbeddedRedis) -> None:
    """SIGKILL, as the drill sends it (hotline/sim/drill.py): no shutdown, no last write."""
    os.kill(int(server.pid_path.read_text().strip()), signal.SIGKILL)
    assert wait_for(lambda: not server.is_running(), FILE_LIMIT_S), "Redis outlived SIGKILL"


def restart(server: EmbeddedRedis) -> None:
    """What the embedded server's supervisor does when Redis dies (EmbeddedRedis.supervise):
    start it again on the same socket, from its append-only file. By hand here, to choose
    how long Redis stays down.
    """
    server.restarts += 1
    server.start()


def aof_commands(data: bytes) -> Iterator[tuple[list[bytes], int]]:
    """Each command of an append-only file (a RESP array of bulk strings), with the offset
    just past it.
    """
    at = 0
    while at < len(data):
        assert data[at : at + 1] == b"*", f"no command at byte {at}"
        end = data.index(b"\r\n", at)
        count, at = int(data[at + 1 : end]), end + 2
        command = []
        for _ in range(count):
            end = data.index(b"\r\n", at)
            length, at = int(data[at + 1 : end]), end + 2
            command.append(data[at : at + length])
            at += length + 2
        yield command, at


def cut_after_save(server: EmbeddedRedis, receipt: str) -> int:
    """Cut the dead server's append-only file back to the end of the transaction that
    stored the version with this receipt: the file as a SIGKILL at that very moment would
    have left it, before anything Redis did next. Returns the bytes cut.
    """
    path = aof(server)
    data = path.read_bytes()
    saving = False
    for command, end in aof_commands(data):
        name = command[0].upper()
        saving = saving or command[:3] == [
            b"HSET",
            keys.RESULTS_RECEIPTS.encode(),
            receipt.encode(),
        ]
        if saving and name == b"EXEC":
            path.write_bytes(data[:end])
            return len(data) - end
    raise AssertionError(f"no save of receipt {receipt} in the append-only file")


def stored_once(services: Services) -> str:
    """The one version of the precinct's report, keyed, as Redis holds it (no draft left);
    its receipt.
    """
    client = services.store.redis
    [stored] = services.store.results.versions(PRECINCT)
    assert (stored.version, stored.channel, stored.author) == (1, "keypad", "keypad:••••••••0101")
    report = stored.report
    assert (report.attendance, dict(report.first), dict(report.final)) == (40, ADAIR, ADAIR)
    assert [toss.winner for toss in report.coin_tosses] == ["klobuchar"]
    assert client.hgetall(keys.RESULTS_LATEST) == {PRECINCT: "1"}
    assert client.hgetall(keys.RESULTS_RECEIPTS) == {stored.receipt: f"{PRECINCT}:1"}
    assert client.hlen(keys.RESULTS_SAVES) == 1
    assert client.exists(keys.results_drafts(PRECINCT)) == 0, (
        "the stored report's draft is left: a call back would be offered it as unfinished"
    )
    assert services.store.results.unfinished_draft(PRECINCT) is None
    assert services.store.results.by_receipt(stored.receipt) == stored
    return stored.receipt


def receipt_said(receipt: str) -> str:
    spoken = " ".join(receipt)
    return (
        f"Thank you. The results of precinct 1 0 0 1 are stored. Your receipt code is "
        f"{spoken}. Again, your receipt code is {spoken}. Goodbye."
    )


def test_redis_killed_mid_entry_loses_nothing_keyed(
    services, stack, network, own_redis_server, answers
):
    results = services.store.results
    drafts: dict[str, Draft | None] = {}

    def outage() -> None:
        # The chair hears "Next group" after Buttigieg: the attendance and two groups are in
        # the draft. Once the file holds them Redis dies, for DOWN_FOR_S; meanwhile the
        # chair keys Klobuchar.
        drafts["killed"] = results.draft(PRECINCT, call_1.sid)
        text = services.store.redis.get(keys.results_draft(PRECINCT, call_1.sid))
        assert wait_for(lambda: in_file(own_redis_server, text), FILE_LIMIT_S)
        kill(own_redis_server)
        network.loop.after(DOWN_FOR_S, back)

    def back() -> None:
        restart(own_redis_server)
        drafts["restarted"] = results.draft(PRECINCT, call_1.sid)

    # Klobuchar keyed while Redis is down does not reach it (Twilio's retry of the step
    # carries no digits): the chair is asked again and keys it again, then Sanders, then
    # the call drops.
    keys_1 = [PRECINCT, PIN, "1", "40", "2*6", "4*8", "7*8", "7*8", "9*9"]
    call_1 = network.place_inbound(Chair(network, keys_1, before={6: outage}), PHONE)
    network.loop.run(T0 + 600)

    assert drafts["killed"] is not None
    assert (drafts["killed"].attendance, dict(drafts["killed"].first)) == (
        40,
        {"biden": 6, "buttigieg": 8},
    )
    assert drafts["restarted"] == drafts["killed"]  # from the append-only file, whole
    assert call_1.heard[9:] == [
        "Pete Buttigieg, 8.",
        NEXT,
        ONE_MOMENT,
        ONE_MOMENT,
        ONE_MOMENT,  # Redis down: the step is tried again
        "Sorry, we did not get that.",
        NEXT,  # Redis back: the step, without the digits
        "Amy Klobuchar, 8.",
        NEXT,
        "Bernie Sanders, 9.",
        NEXT,
    ]
    assert (call_1.status, call_1.outcome) == ("completed", "caller hung up")
    draft = results.draft(PRECINCT, call_1.sid)
    assert (draft.call_sid, draft.stage, draft.attendance, dict(draft.first)) == (
        call_1.sid,
        "first",
        40,
        {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9},
    )
    assert results.versions(PRECINCT) == []

    # The chair calls back, continues the draft where it stopped, finishes and confirms.
    keys_2 = [PRECINCT, PIN, "1", "1", "11*9", "", *GROUPS, "", "2", "1"]
    call_2 = network.place_inbound(Chair(network, keys_2), PHONE)
    network.loop.run(T0 + 1200)

    assert call_2.heard[3:6] == [VERIFIED, CHOICE, RESUME]
    assert call_2.heard[6].endswith(
        "First alignment. For each group, enter the candidate "
        "number, then star, then the number of people, then "
        "pound. When every group is entered, press pound alone."
    )
    assert call_2.heard[7:9] == ["Elizabeth Warren, 9.", NEXT]
    assert call_2.heard[-3:-1] == [READBACK, OPTIONS]
    receipt = stored_once(services)
    assert call_2.heard[-1] == receipt_said(receipt)
    assert [status for _, status in answers] == [200] * len(answers), answers
    # The group step Klobuchar was first keyed at was tried four times, three while Redis
    # was down; four other group steps on the first call, eight on the second.
    assert answers.count(("/voice/report-group", 200)) == 4 + 4 + 8


def test_redis_killed_around_the_confirm_stores_the_report_once(
    services, stack, network, own_redis_server, answers
):
    def outage() -> None:
        # The read-back is heard; Redis dies (for DOWN_FOR_S) before the chair's "1".
        text = services.store.redis.get(keys.results_draft(PRECINCT, call_1.sid))
        assert wait_for(lambda: in_file(own_redis_server, text), FILE_LIMIT_S)
        kill(own_redis_server)
        network.loop.after(DOWN_FOR_S, restart, own_redis_server)

    # The confirm that reaches no Redis stores nothing, and is asked for again.
    keys_1 = [PRECINCT, PIN, "1", "40", *GROUPS, "", *GROUPS, "", "2", "1", "1"]
    confirm = len(keys_1) - 2
    call_1 = network.place_inbound(Chair(network, keys_1, before={confirm: outage}), PHONE)
    network.loop.run(T0 + 600)

    assert call_1.heard[-7:-1] == [
        READBACK,
        OPTIONS,
        ONE_MOMENT,
        ONE_MOMENT,
        f"Sorry, we did not get that. {READBACK}",
        OPTIONS,
    ]
    receipt = stored_once(services)
    assert call_1.heard[-1] == receipt_said(receipt)

    # Redis dies the moment the report is stored: nothing it wrote after the transaction
    # that stored it survives (the file is cut back to it; the call's end, the jobs it
    # queued are gone). The chair, who may not have heard the receipt, calls back.
    assert wait_for(
        lambda: in_file(own_redis_server, keys.results_versions(PRECINCT), receipt), FILE_LIMIT_S
    )
    kill(own_redis_server)
    assert cut_after_save(own_redis_server, receipt) > 0
    restart(own_redis_server)
    assert stored_once(services) == receipt

    # Unless told the report is stored, this chair takes what is offered: the keypad, to
    # continue, to confirm.
    call_2 = network.place_inbound(Chair(network, [PRECINCT, PIN, "1", "1", "1"]), PHONE)
    network.loop.run(T0 + 1200)

    assert call_2.heard[3:] == [
        f"{VERIFIED} Its results are already stored, with receipt code {' '.join(receipt)}. "
        "Report again only to correct them.",
        CHOICE,
    ]
    assert (call_2.status, call_2.outcome) == ("completed", "caller hung up")
    assert stored_once(services) == receipt
    assert [status for _, status in answers] == [200] * len(answers), answers
