"""End to end over real HTTP: a chair keys Adair 1NW's results on the keypad against
`hotline serve` and `hotline worker`, through the simulator's phone network (signed
webhooks, TwiML followed verb by verb), and the report is stored with its receipt.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.services import Services
from tests.e2e.test_http_call import T0, ScriptedCaller
from tests.support.roster import ADAIR_1NW, ADAIR_1NW_PIN, import_adair_1nw

PRECINCT, PIN, PHONE = ADAIR_1NW, ADAIR_1NW_PIN, "+15155550101"
GROUPS = ["2*6", "4*8", "7*8", "9*9", "11*9"]  # Biden, Buttigieg, Klobuchar, Sanders, Warren
ADAIR_GROUPS = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}
RESUME = "You have an unfinished report. Press 1 to continue it, 2 to start again."


@pytest.fixture
def services(stack_services, tmp_path) -> Iterator[Services]:
    import_adair_1nw(stack_services, tmp_path / "unused-pin-sheet.csv")
    return stack_services


def test_a_chair_keys_the_adair_1nw_report_and_hears_its_receipt(services, stack, network):
    # Pound alone ("" then "#") ends each alignment; 2 says Klobuchar won the coin toss.
    keys = [PRECINCT, PIN, "1", "40", *GROUPS, "", *GROUPS, "", "2", "1"]
    chair = ScriptedCaller(network, keys)
    call = network.place_inbound(chair, PHONE)
    network.loop.run(T0 + 600)

    stored = services.store.results.latest(PRECINCT)
    assert stored is not None, call.heard
    assert (stored.version, stored.channel) == (1, "keypad")
    assert stored.report.attendance == 40
    assert dict(stored.report.final) == {
        "biden": 6,
        "buttigieg": 8,
        "klobuchar": 8,
        "sanders": 9,
        "warren": 9,
    }
    spoken = " ".join(stored.receipt)
    assert call.heard[-1] == (
        f"Thank you. The results of precinct 1 0 0 1 are stored. Your receipt code is "
        f"{spoken}. Again, your receipt code is {spoken}. Goodbye."
    )
    assert services.store.results.by_receipt(stored.receipt) == stored
    assert services.store.results.draft(PRECINCT, call.sid) is None


def test_two_phones_keying_one_precinct_at_once_store_two_whole_reports(services, stack, network):
    """A second phone for the precinct (a co-chair, or the chair on another line) keys at
    the same time as the first, starting a report of its own: each confirms exactly what
    it keyed, and neither hears the other's entries read back.
    """
    first = ScriptedCaller(network, [PRECINCT, PIN, "1", "40", *GROUPS, "", *GROUPS, "", "2", "1"])
    second = ScriptedCaller(
        network, [PRECINCT, PIN, "1", "2", "40", *GROUPS, "", *GROUPS, "", "1", "1"]
    )
    call_1 = network.place_inbound(first, PHONE)
    network.loop.run(T0 + 30)
    call_2 = network.place_inbound(second, "+15155550199")
    network.loop.run(T0 + 900)

    assert call_2.heard[5] == RESUME  # the first phone's report, which it leaves alone
    versions = services.store.results.versions(PRECINCT)
    assert [(v.version, v.author) for v in versions] == [
        (1, "keypad:••••••••0101"),
        (2, "keypad:••••••••0199"),
    ], (call_1.heard, call_2.heard)
    assert [[t.winner for t in v.report.coin_tosses] for v in versions] == [
        ["klobuchar"],
        ["buttigieg"],
    ]
    for version, call in zip(versions, (call_1, call_2), strict=True):
        assert (version.report.attendance, dict(version.report.first)) == (40, ADAIR_GROUPS)
        assert dict(version.report.final) == ADAIR_GROUPS
        assert call.heard[-1].startswith("Thank you. The results of precinct 1 0 0 1 are stored.")
        assert " ".join(version.receipt) in call.heard[-1]
        assert "No groups are entered yet." not in call.heard
