"""The volunteer roster against a real Redis: exact state, the phone index, audit, removal."""

from __future__ import annotations

import json

import pytest

from hotline import pins
from hotline.store import audit, keys
from hotline.store.volunteers import Volunteer
from tests.support.redis_state import snapshot
from tests.support.twilio import PIN_KEY

ANN = "+15155550150"
BEN = "+15155550151"
CAL = "+15155550152"


def digest_of(pin: str):
    """What the CLI hands `add`: the new id -> that volunteer's PIN digest."""
    return lambda volunteer_id: pins.volunteer_pin_digest(PIN_KEY, volunteer_id, pin)


@pytest.fixture
def volunteers(services):
    return services.store.volunteers


@pytest.fixture
def redis_client(services):
    return services.store.redis


def audit_trail(client) -> list[tuple[str, str, str, str, dict]]:
    """The audit trail, oldest first, without ids and times."""
    return [
        (e.action, e.target, e.author, e.reason, e.details)
        for e in reversed(audit.recent(client, 100))
    ]


def stored(client, volunteer_id: str) -> dict:
    return json.loads(client.hget(keys.VOLUNTEERS, volunteer_id))


# add


def test_add_writes_the_record_the_phone_index_the_counter_and_an_audit_entry(
    volunteers, redis_client, clock
):
    added = volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")

    at = clock.now()
    expected_digest = pins.volunteer_pin_digest(PIN_KEY, "v1", "482913")
    assert added == Volunteer(
        id="v1", name="Ann Lee", phone=ANN, pin_digest=expected_digest, created_at=at
    )
    assert snapshot(redis_client) == {
        keys.AUDIT: (
            "stream",
            [audit.audit_fields(at, "volunteer-add", "v1", "alice", "", name="Ann Lee", phone=ANN)],
        ),
        keys.VOLUNTEER_IDS: ("string", "1"),
        keys.VOLUNTEER_PHONES: ("hash", {ANN: "v1"}),
        keys.VOLUNTEERS: (
            "hash",
            {
                "v1": json.dumps(
                    {
                        "created_at": at,
                        "name": "Ann Lee",
                        "phone": ANN,
                        "pin_digest": expected_digest,
                    },
                    sort_keys=True,
                )
            },
        ),
    }


def test_ids_count_up_and_the_digest_is_keyed_by_each_id(volunteers, redis_client, clock):
    first = volunteers.add("Ann Lee", ANN, digest_of("111111"), author="alice")
    clock.advance(60)
    second = volunteers.add("Ben Ode", BEN, digest_of("111111"), author="bob")

    assert (first.id, second.id) == ("v1", "v2")
    # The same PIN gives each volunteer a different digest.
    for volunteer_id in ("v1", "v2"):
        expected = pins.volunteer_pin_digest(PIN_KEY, volunteer_id, "111111")
        assert stored(redis_client, volunteer_id)["pin_digest"] == expected
    assert first.pin_digest != second.pin_digest
    assert stored(redis_client, "v2")["created_at"] == clock.now()
    assert redis_client.hgetall(keys.VOLUNTEER_PHONES) == {ANN: "v1", BEN: "v2"}
    assert redis_client.get(keys.VOLUNTEER_IDS) == "2"
    assert [(a, t, by) for a, t, by, _, _ in audit_trail(redis_client)] == [
        ("volunteer-add", "v1", "alice"),
        ("volunteer-add", "v2", "bob"),
    ]


def test_a_phone_registered_to_a_volunteer_is_refused_and_nothing_changes(volunteers, redis_client):
    volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    before = snapshot(redis_client)

    with pytest.raises(ValueError, match=r"^\+15155550150 is already registered to volunteer v1$"):
        volunteers.add("Impostor", ANN, digest_of("000000"), author="mallory")

    assert snapshot(redis_client) == before  # not even the id counter moved


def test_a_phone_taken_while_adding_is_refused_too(volunteers, redis_client):
    # The digest is made between reading the phone index and writing: another admin
    # registering the same phone in that moment must make this add look again, and fail.
    def racing_digest(volunteer_id: str) -> str:
        redis_client.hset(keys.VOLUNTEER_PHONES, ANN, "v99")
        return pins.volunteer_pin_digest(PIN_KEY, volunteer_id, "482913")

    with pytest.raises(ValueError, match="already registered to volunteer v99"):
        volunteers.add("Ann Lee", ANN, racing_digest, author="alice")

    assert redis_client.exists(keys.VOLUNTEERS) == 0
    assert redis_client.hgetall(keys.VOLUNTEER_PHONES) == {ANN: "v99"}
    assert audit_trail(redis_client) == []


@pytest.mark.parametrize("name", ["", "   "])
def test_a_volunteer_needs_a_name(volunteers, redis_client, name):
    with pytest.raises(ValueError, match="needs a name"):
        volunteers.add(name, ANN, digest_of("482913"), author="alice")
    assert redis_client.dbsize() == 0


@pytest.mark.parametrize(
    "phone",
    ["", "5155550150", "(515) 555-0150", "+0155550150", "+15155550150\n", "+1515555015012345"],
)
def test_the_phone_must_already_be_normalised(volunteers, redis_client, phone):
    with pytest.raises(ValueError, match="is not a normalised phone number"):
        volunteers.add("Ann Lee", phone, digest_of("482913"), author="alice")
    assert redis_client.dbsize() == 0


def test_names_are_stored_trimmed(volunteers, redis_client):
    assert volunteers.add("  Ann Lee ", ANN, digest_of("482913"), author="alice").name == "Ann Lee"
    assert stored(redis_client, "v1")["name"] == "Ann Lee"


# reading


def test_get_and_by_phone(volunteers):
    ann = volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    ben = volunteers.add("Ben Ode", BEN, digest_of("135790"), author="alice")

    assert volunteers.get("v1") == ann
    assert volunteers.get("v2") == ben
    assert volunteers.by_phone(ANN) == ann
    assert volunteers.by_phone(BEN) == ben
    assert volunteers.get("v3") is None
    assert volunteers.get("1") is None
    assert volunteers.by_phone(CAL) is None


def test_all_is_in_id_order_not_string_order(volunteers):
    assert volunteers.all() == []
    for n in range(1, 12):
        volunteers.add(f"Volunteer {n}", f"+1515555{n:04d}", digest_of("482913"), author="a")

    assert [v.id for v in volunteers.all()] == [f"v{n}" for n in range(1, 12)]
    assert [v.name for v in volunteers.all()][9:] == ["Volunteer 10", "Volunteer 11"]


def test_statuses_read_the_live_state(volunteers, redis_client):
    redis_client.hset(
        keys.VOLUNTEER_STATES,
        mapping={
            "v1": json.dumps({"status": "free", "room": "room-v1"}),
            "v2": json.dumps({"status": "connecting", "precinct": "1001"}),
            "v3": json.dumps({"room": "room-v3"}),  # no status yet: not reported
        },
    )

    assert volunteers.statuses() == {"v1": "free", "v2": "connecting"}


# remove


def test_remove_clears_record_phone_live_state_and_free_place_and_is_audited(
    volunteers, redis_client, clock
):
    volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    volunteers.add("Ben Ode", BEN, digest_of("135790"), author="alice")
    for volunteer_id in ("v1", "v2"):
        redis_client.hset(
            keys.VOLUNTEER_STATES,
            volunteer_id,
            json.dumps({"status": "free", "room": f"room-{volunteer_id}"}),
        )
        redis_client.zadd(keys.FREE_VOLUNTEERS, {volunteer_id: clock.now()})
    ben_before = stored(redis_client, "v2")
    clock.advance(600)

    assert volunteers.remove("v1", author="dave", reason="went home") is True

    assert redis_client.hgetall(keys.VOLUNTEERS).keys() == {"v2"}
    assert stored(redis_client, "v2") == ben_before
    assert redis_client.hgetall(keys.VOLUNTEER_PHONES) == {BEN: "v2"}
    assert redis_client.hgetall(keys.VOLUNTEER_STATES) == {
        "v2": json.dumps({"status": "free", "room": "room-v2"})
    }
    assert redis_client.zrange(keys.FREE_VOLUNTEERS, 0, -1) == ["v2"]
    assert redis_client.get(keys.VOLUNTEER_IDS) == "2"
    assert audit_trail(redis_client)[-1] == (
        "volunteer-remove",
        "v1",
        "dave",
        "went home",
        {"name": "Ann Lee", "phone": ANN},
    )
    [latest] = audit.recent(redis_client, 1)
    assert latest.at == clock.now()
    assert volunteers.get("v1") is None
    assert volunteers.by_phone(ANN) is None


def test_removing_the_last_volunteer_leaves_only_the_counter_and_the_audit_trail(
    volunteers, redis_client, clock
):
    volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    redis_client.hset(keys.VOLUNTEER_STATES, "v1", json.dumps({"status": "free"}))
    redis_client.zadd(keys.FREE_VOLUNTEERS, {"v1": clock.now()})

    assert volunteers.remove("v1", author="dave") is True

    assert sorted(redis_client.keys("*")) == sorted([keys.AUDIT, keys.VOLUNTEER_IDS])


def test_a_removed_volunteers_phone_can_be_registered_again_under_a_new_id(volunteers):
    volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    volunteers.remove("v1", author="alice")

    again = volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")

    assert again.id == "v2"  # ids are never reused
    assert volunteers.by_phone(ANN) == again


def test_removing_an_unknown_volunteer_changes_nothing(volunteers, redis_client):
    volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    before = snapshot(redis_client)

    assert volunteers.remove("v2", author="dave") is False

    assert snapshot(redis_client) == before


def test_remove_keeps_a_phone_index_entry_that_points_elsewhere(volunteers, redis_client):
    # Only the volunteer's own entry in the phone index is theirs to delete.
    volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    redis_client.hset(keys.VOLUNTEER_PHONES, ANN, "v7")

    assert volunteers.remove("v1", author="dave") is True

    assert redis_client.hgetall(keys.VOLUNTEER_PHONES) == {ANN: "v7"}


# PIN reset


def test_set_pin_digest_replaces_only_the_digest_and_is_audited(volunteers, redis_client, clock):
    ann = volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    clock.advance(60)
    fresh = pins.volunteer_pin_digest(PIN_KEY, "v1", "246810")

    changed = volunteers.set_pin_digest("v1", fresh, author="erin", reason="forgot it")

    assert changed == Volunteer(
        id="v1", name="Ann Lee", phone=ANN, pin_digest=fresh, created_at=ann.created_at
    )
    assert stored(redis_client, "v1") == {
        "name": "Ann Lee",
        "phone": ANN,
        "pin_digest": fresh,
        "created_at": ann.created_at,
    }
    assert audit_trail(redis_client)[-1] == ("volunteer-reset-pin", "v1", "erin", "forgot it", {})
    assert not pins.volunteer_pin_matches(PIN_KEY, "v1", "482913", volunteers.get("v1").pin_digest)
    assert pins.volunteer_pin_matches(PIN_KEY, "v1", "246810", volunteers.get("v1").pin_digest)


def test_set_pin_digest_of_an_unknown_volunteer_changes_nothing(volunteers, redis_client):
    volunteers.add("Ann Lee", ANN, digest_of("482913"), author="alice")
    before = snapshot(redis_client)

    assert volunteers.set_pin_digest("v9", "0" * 64, author="erin") is None

    assert snapshot(redis_client) == before
