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
    assert services.store.results.draft(PRECINCT) is None
