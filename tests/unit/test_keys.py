"""Every Redis key's exact spelling. Changing one is a data migration: this test makes it a
deliberate act.
"""

from __future__ import annotations

import pytest

from hotline.store import keys


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PREFIX", "hotline"),
        ("BLOCKS", "hotline:blocks"),
        ("BLOCKS_BY_TIME", "hotline:blocks:by-time"),
        ("BLOCKS_BY_EXPIRY", "hotline:blocks:by-expiry"),
        ("BLOCKS_BY_TARGET", "hotline:blocks:by-target"),
        ("CHAIR_PHONES", "hotline:chair-phones"),
        ("PRECINCT_TRAITS", "hotline:precinct-traits"),
        ("PRECINCTS", "hotline:precincts"),
        ("ALLOWED", "hotline:allowed"),
        ("FLOOD", "hotline:flood"),
        ("LINE", "hotline:line"),
        ("WAITING", "hotline:waiting"),
        ("HOLDING", "hotline:holding"),
        ("RECENT_CALLS", "hotline:recent-calls"),
        ("CALLS_BY_TIME", "hotline:calls:by-time"),
        ("PIN_ALARM", "hotline:pin-alarm"),
        ("WITHHELD_PIN_FAILURES", "hotline:pin-failures:withheld"),
        ("AUDIT", "hotline:audit"),
        ("QUEUE_DEFAULT", "hotline"),
        ("VOLUNTEERS", "hotline:volunteers"),
        ("VOLUNTEER_PHONES", "hotline:volunteer-phones"),
        ("VOLUNTEER_IDS", "hotline:volunteer-ids"),
        ("USERS", "hotline:users"),
        ("FREE_VOLUNTEERS", "hotline:free-volunteers"),
        ("VOLUNTEER_STATES", "hotline:volunteer-states"),
        ("PAIRINGS", "hotline:pairings"),
        ("PARKED", "hotline:parked"),
        ("TWILIO_QUEUE_SIDS", "hotline:twilio-queue-sids"),
        ("PRECINCT_PLACES", "hotline:precinct-places"),
        ("PRECINCT_CALLS", "hotline:precinct-calls"),
        ("PIN_FAILURES", "hotline:pin-failures"),
        ("ORPHANS", "hotline:orphans"),
        ("RESULTS_LATEST", "hotline:results:latest"),
        ("RESULTS_RECEIPTS", "hotline:results:receipts"),
        ("RESULTS_SAVES", "hotline:results:saves"),
        ("JOB_FIGURES", "hotline:figures:jobs"),
        ("DISPATCH_FIGURES", "hotline:figures:dispatch"),
        ("NUMBERS", "hotline:numbers"),
        ("RETIRED_NUMBERS", "hotline:numbers:retired"),
        ("ROTATIONS", "hotline:rotations"),
        ("ROTATION_IDS", "hotline:rotation-ids"),
        ("TONIGHT", "hotline:policy:tonight"),
        ("TONIGHT_VERSIONS", "hotline:policy:tonight:versions"),
        ("TONIGHT_CHANGES", "hotline:policy:tonight:changes"),
        ("TOP_CALLERS", "hotline:top-callers"),
        ("TOP_CALLERS_SEEN", "hotline:top-callers:seen"),
        ("TOP_CALLERS_RANKED", "hotline:top-callers:ranked"),
    ],
)
def test_constant_keys(name, value):
    assert getattr(keys, name) == value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (keys.precinct("0042"), "hotline:precinct:0042"),
        (keys.call("CA1"), "hotline:call:CA1"),
        (keys.results_versions("1001"), "hotline:results:1001:versions"),
        (keys.results_verified("1001"), "hotline:results:1001:verified"),
        (keys.results_draft("1001", "CA1"), "hotline:results:1001:draft:CA1"),
        (keys.results_drafts("1001"), "hotline:results:1001:drafts"),
        (keys.caller_calls("+15155550100"), "hotline:caller:+15155550100:calls"),
        (keys.caller_pin_failures("+15155550100"), "hotline:caller:+15155550100:pin-failures"),
        (keys.caller_hangups("+15155550100"), "hotline:caller:+15155550100:hangups"),
        (keys.caller("+15155550100"), "hotline:caller:+15155550100"),
        (keys.inbound_minute(29_000_000), "hotline:inbound:29000000"),
        (keys.kept_place("0042"), "hotline:kept-place:0042"),
        (keys.night_minutes(438_883), "hotline:minutes:438883"),
        (keys.precinct_pin_failures("0042"), "hotline:precinct:0042:pin-failures"),
        (keys.volunteer_pin_failures("v3"), "hotline:volunteer:v3:pin-failures"),
        (keys.pin_checks(438_883), "hotline:pin-checks:438883"),
        (keys.held_pin("CA1"), "hotline:call:CA1:held-pin"),
        (keys.call_backs("+15155550100"), "hotline:call-backs:+15155550100"),
        (keys.verification("ab12"), "hotline:verification:ab12"),
        (keys.given_up_pairing("cd34"), "hotline:pairing-given-up:cd34"),
        (keys.housekeeping(29_000_000), "hotline:housekeeping:29000000"),
        (keys.login_attempts_by_device("n0nce"), "hotline:login-attempts:device:n0nce"),
        (keys.login_attempts_untrusted("ann"), "hotline:login-attempts:untrusted:ann"),
        (keys.login_attempts_by_address("10.0.0.7"), "hotline:login-attempts:addr:10.0.0.7"),
        (keys.rotation("r2"), "hotline:rotation:r2"),
        (keys.rotation_texts("r2"), "hotline:rotation:r2:texts"),
        (keys.rotation_outbox("r2"), "hotline:rotation:r2:outbox"),
    ],
)
def test_key_functions(key, value):
    assert key == value


def test_every_public_key_is_pinned():
    # A new key must be added to the tables above.
    constants = {
        name for name in vars(keys) if name.isupper() and isinstance(getattr(keys, name), str)
    }
    functions = {
        name
        for name, value in vars(keys).items()
        if callable(value) and not name.startswith("_") and value.__module__ == keys.__name__
    }
    assert constants == {
        "PREFIX",
        "BLOCKS",
        "BLOCKS_BY_TIME",
        "BLOCKS_BY_EXPIRY",
        "BLOCKS_BY_TARGET",
        "CHAIR_PHONES",
        "PRECINCT_TRAITS",
        "PRECINCTS",
        "ALLOWED",
        "FLOOD",
        "LINE",
        "WAITING",
        "HOLDING",
        "RECENT_CALLS",
        "CALLS_BY_TIME",
        "PIN_ALARM",
        "WITHHELD_PIN_FAILURES",
        "AUDIT",
        "QUEUE_DEFAULT",
        "VOLUNTEERS",
        "VOLUNTEER_PHONES",
        "VOLUNTEER_IDS",
        "USERS",
        "FREE_VOLUNTEERS",
        "VOLUNTEER_STATES",
        "PAIRINGS",
        "PARKED",
        "TWILIO_QUEUE_SIDS",
        "PRECINCT_PLACES",
        "PRECINCT_CALLS",
        "PIN_FAILURES",
        "ORPHANS",
        "RESULTS_LATEST",
        "RESULTS_RECEIPTS",
        "RESULTS_SAVES",
        "JOB_FIGURES",
        "DISPATCH_FIGURES",
        "NUMBERS",
        "RETIRED_NUMBERS",
        "ROTATIONS",
        "ROTATION_IDS",
        "TONIGHT",
        "TONIGHT_VERSIONS",
        "TONIGHT_CHANGES",
        "TOP_CALLERS",
        "TOP_CALLERS_SEEN",
        "TOP_CALLERS_RANKED",
    }
    assert functions == {
        "precinct",
        "call",
        "results_versions",
        "results_verified",
        "results_draft",
        "results_drafts",
        "caller_calls",
        "caller_pin_failures",
        "caller_hangups",
        "caller",
        "inbound_minute",
        "kept_place",
        "login_attempts_by_device",
        "login_attempts_untrusted",
        "login_attempts_by_address",
        "precinct_pin_failures",
        "volunteer_pin_failures",
        "pin_checks",
        "held_pin",
        "call_backs",
        "verification",
        "given_up_pairing",
        "housekeeping",
        "rotation",
        "rotation_texts",
        "rotation_outbox",
        "night_minutes",
    }
