"""Console logins against a real Redis: argon2id hashes, verification, rehashing, audit."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher

from hotline.store import audit, keys
from hotline.store.users import User, Users
from tests.support.redis_state import assert_nowhere_in_redis, snapshot

PASSWORD = "correct horse battery staple"
CURRENT_PARAMETERS = "$argon2id$v=19$m=65536,t=3,p=4$"


class CountingHasher(PasswordHasher):
    """The real hasher, remembering which hashes it was asked to check and how often it hashed."""

    def __init__(self, **parameters) -> None:
        super().__init__(**parameters)
        self.checked: list[str] = []
        self.hashed = 0

    def verify(self, hash, password):
        self.checked.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        self.hashed += 1
        return super().hash(password, salt=salt)


def weak_hasher() -> PasswordHasher:
    """Far below today's parameters: what an old deployment might have stored."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def users(services):
    return services.store.users


@pytest.fixture
def redis_client(services):
    return services.store.redis


def audit_trail(client) -> list[tuple[str, str, str, str, dict]]:
    return [
        (e.action, e.target, e.author, e.reason, e.details)
        for e in reversed(audit.recent(client, 100))
    ]


# add


def test_add_stores_an_argon2id_hash_and_an_audit_entry(users, redis_client, clock):
    added = users.add("ann", "admin", PASSWORD, author="carol")

    at = clock.now()
    assert added.password_hash.startswith(CURRENT_PARAMETERS)
    assert added == User(name="ann", role="admin", password_hash=added.password_hash, created_at=at)
    assert PasswordHasher().verify(added.password_hash, PASSWORD)
    assert snapshot(redis_client) == {
        keys.AUDIT: (
            "stream",
            [audit.audit_fields(at, "user-add", "ann", "carol", "", role="admin")],
        ),
        keys.USERS: (
            "hash",
            {
                "ann": json.dumps(
                    {
                        "created_at": at,
                        "password_hash": added.password_hash,
                        "role": "admin",
                        "session_version": 0,
                    },
                    sort_keys=True,
                )
            },
        ),
    }
    assert_nowhere_in_redis(redis_client, PASSWORD)


def test_each_hash_has_its_own_salt(users):
    first = users.add("ann", "admin", PASSWORD, author="carol")
    second = users.add("ben", "volunteer", PASSWORD, author="carol")
    assert first.password_hash != second.password_hash


@pytest.mark.parametrize("name", ["a", "ann", "ann.lee", "ann_lee-2", "0", "x" * 32])
def test_valid_names(users, name):
    assert users.add(name, "volunteer", PASSWORD, author="carol").name == name
    assert users.get(name) is not None


@pytest.mark.parametrize(
    "name",
    ["", "Ann", "ann lee", "x" * 33, "ann\n", "\u00e1nn", "ann/1", "ann:1", "ann@example"],
)
def test_invalid_names_are_refused(users, redis_client, name):
    with pytest.raises(ValueError, match="is not a user name"):
        users.add(name, "volunteer", PASSWORD, author="carol")
    assert redis_client.dbsize() == 0


@pytest.mark.parametrize("role", ["", "Admin", "root", "chair"])
def test_unknown_roles_are_refused(users, redis_client, role):
    with pytest.raises(ValueError, match="is not a role: use volunteer or admin"):
        users.add("ann", role, PASSWORD, author="carol")
    assert redis_client.dbsize() == 0


def test_passwords_need_twelve_characters(users, redis_client):
    with pytest.raises(ValueError, match="^a password needs at least 12 characters$"):
        users.add("ann", "admin", "x" * 11, author="carol")
    assert redis_client.dbsize() == 0
    assert users.add("ann", "admin", "x" * 12, author="carol").name == "ann"


def test_a_taken_name_is_refused_and_the_first_login_kept(users, redis_client):
    users.add("ann", "volunteer", PASSWORD, author="carol")
    before = snapshot(redis_client)

    with pytest.raises(ValueError, match="^there is already a user called ann$"):
        users.add("ann", "admin", "another long password", author="mallory")

    assert snapshot(redis_client) == before
    assert users.verify("ann", PASSWORD).role == "volunteer"


# verify


def test_verify_the_right_password(users):
    added = users.add("ann", "admin", PASSWORD, author="carol")
    assert users.verify("ann", PASSWORD) == added


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("ann", "correct horse battery stapl"),
        ("ann", PASSWORD + " "),
        ("ann", ""),
        ("ANN", PASSWORD),  # names are exact
        ("ann ", PASSWORD),
    ],
)
def test_verify_refuses_a_wrong_password_or_name(users, name, password):
    users.add("ann", "admin", PASSWORD, author="carol")
    assert users.verify(name, password) is None


def test_an_unknown_name_costs_a_real_argon2_check(redis_client, clock):
    hasher = CountingHasher()
    users = Users(redis_client, clock, hasher=hasher)
    users.add("ann", "admin", PASSWORD, author="carol")
    real_hash = users.get("ann").password_hash

    assert users.verify("bob", PASSWORD) is None
    assert users.verify("not a valid name!", PASSWORD) is None
    assert users.verify("ann", PASSWORD) is not None

    # The two misses were checked against one throw-away hash made with the same parameters
    # as a real one, so they take as long as a wrong password does.
    dummy, again, real = hasher.checked
    assert dummy == again != real == real_hash
    assert dummy.split("$")[:4] == real_hash.split("$")[:4]
    assert hasher.hashed == 2  # ann's hash, and the throw-away one made once


def test_a_corrupt_stored_hash_never_verifies(users, redis_client, clock):
    redis_client.hset(
        keys.USERS,
        "ann",
        json.dumps({"role": "admin", "password_hash": "not-a-hash", "created_at": clock.now()}),
    )
    assert users.verify("ann", "not-a-hash") is None


def test_a_hash_made_with_old_parameters_is_replaced_on_login(users, redis_client, clock):
    old = Users(redis_client, clock, hasher=weak_hasher()).add(
        "ann", "admin", PASSWORD, author="carol"
    )
    assert old.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    audit_before = audit_trail(redis_client)
    clock.advance(3600)

    assert users.verify("ann", "wrong password here") is None
    assert users.get("ann") == old  # a failed login rehashes nothing

    user = users.verify("ann", PASSWORD)

    assert user is not None
    assert user.password_hash.startswith(CURRENT_PARAMETERS)
    assert user == User(
        name="ann", role="admin", password_hash=user.password_hash, created_at=old.created_at
    )
    assert users.get("ann") == user
    assert PasswordHasher().verify(user.password_hash, PASSWORD)
    assert audit_trail(redis_client) == audit_before  # not an admin action
    # Current now: the next login leaves it alone.
    assert users.verify("ann", PASSWORD) == user
    assert users.get("ann").password_hash == user.password_hash


def test_a_rehash_does_not_overwrite_a_login_changed_meanwhile(redis_client, clock):
    old_users = Users(redis_client, clock, hasher=weak_hasher())
    old_users.add("ann", "admin", PASSWORD, author="carol")

    class RacingHasher(PasswordHasher):
        # While the new hash is being made, an admin removes ann and adds her back.
        def hash(self, password, *, salt=None):
            if old_users.get("ann") is not None and password == PASSWORD:
                old_users.remove("ann", author="dave")
                old_users.add("ann", "volunteer", "a brand new password", author="dave")
            return super().hash(password, salt=salt)

    verified = Users(redis_client, clock, hasher=RacingHasher()).verify("ann", PASSWORD)

    assert verified is not None and verified.role == "admin"  # the login that was checked
    assert old_users.get("ann").role == "volunteer"  # ...but the newer login stands
    assert old_users.verify("ann", "a brand new password") is not None


# set_password, end_sessions


def test_set_password_replaces_the_hash_ends_sessions_and_is_audited(users, redis_client, clock):
    """Finding 7 (password change): a new password bumps the login's session version."""
    added = users.add("ann", "admin", PASSWORD, author="carol")
    clock.advance(60)

    changed = users.set_password("ann", "a brand new passphrase", author="dave")

    assert changed == User(
        name="ann",
        role="admin",
        password_hash=changed.password_hash,
        created_at=added.created_at,
        session_version=1,
    )
    assert changed.password_hash.startswith(CURRENT_PARAMETERS)
    assert users.get("ann") == changed
    assert users.verify("ann", PASSWORD) is None
    assert users.verify("ann", "a brand new passphrase") == changed
    assert audit_trail(redis_client)[-1] == ("user-passwd", "ann", "dave", "", {"role": "admin"})
    assert_nowhere_in_redis(redis_client, "a brand new passphrase")


def test_set_password_needs_twelve_characters_and_a_login(users, redis_client):
    users.add("ann", "admin", PASSWORD, author="carol")
    before = snapshot(redis_client)
    with pytest.raises(ValueError, match="^a password needs at least 12 characters$"):
        users.set_password("ann", "x" * 11, author="dave")
    assert users.set_password("bob", "a brand new passphrase", author="dave") is None
    assert snapshot(redis_client) == before


def test_end_sessions_bumps_the_version_only(users, redis_client):
    """Finding 7 (logout): signing out bumps the login's session version."""
    added = users.add("ann", "admin", PASSWORD, author="carol")
    audit_before = audit_trail(redis_client)

    assert users.end_sessions("ann") == User(
        name="ann",
        role="admin",
        password_hash=added.password_hash,
        created_at=added.created_at,
        session_version=1,
    )
    assert users.end_sessions("ann").session_version == 2
    assert json.loads(redis_client.hget(keys.USERS, "ann"))["session_version"] == 2
    assert audit_trail(redis_client) == audit_before  # routine, not an admin action
    assert users.end_sessions("bob") is None
    assert redis_client.hget(keys.USERS, "bob") is None


def test_a_login_stored_before_session_versions_is_at_the_first(users, redis_client, clock):
    redis_client.hset(
        keys.USERS,
        "ann",
        json.dumps({"role": "admin", "password_hash": "$argon2id$x", "created_at": clock.now()}),
    )
    assert users.get("ann").session_version == 0
    assert users.end_sessions("ann").session_version == 1


# remove, all


def test_remove_deletes_the_login_and_is_audited(users, redis_client):
    users.add("ann", "admin", PASSWORD, author="carol")
    users.add("ben", "volunteer", PASSWORD, author="carol")

    assert users.remove("ann", author="dave", reason="left the team") is True

    assert redis_client.hgetall(keys.USERS).keys() == {"ben"}
    assert audit_trail(redis_client)[-1] == (
        "user-remove",
        "ann",
        "dave",
        "left the team",
        {"role": "admin"},
    )
    assert users.verify("ann", PASSWORD) is None
    before = snapshot(redis_client)
    assert users.remove("ann", author="dave") is False
    assert snapshot(redis_client) == before


def test_all_is_by_name(users, clock):
    assert users.all() == []
    for name, role in [("zed", "volunteer"), ("ann", "admin"), ("mo.k", "volunteer")]:
        users.add(name, role, PASSWORD, author="carol")
        clock.advance(1)

    assert [(u.name, u.role) for u in users.all()] == [
        ("ann", "admin"),
        ("mo.k", "volunteer"),
        ("zed", "volunteer"),
    ]
    assert [u.is_admin for u in users.all()] == [True, False, False]
