"""`hotline volunteers ...` and `hotline users ...`, driven through click against the real
test Redis, as tests/integration/test_cli.py drives the other commands.

Each command builds its own services from the environment (the test Redis, the system
clock); the `services` fixture reads back exactly what it left behind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from hotline import pins
from hotline.cli import PIN_NOTE, main
from hotline.store import audit, keys
from tests.support.redis_state import assert_nowhere_in_redis, snapshot
from tests.support.twilio import AUTH_TOKEN, PIN_KEY, PUBLIC_URL, SECRET_KEY

PIN_LINE = re.compile(r"PIN for (v[0-9]+): ([0-9]{6})")
CODE_LINE = re.compile(r"Backup code for (v[0-9]+): ([0-9]{8})")
PASSWORD = "correct horse battery staple"
VOLUNTEERS_HEADER = "ID     PHONE            STATUS       NAME"
USERS_HEADER = "NAME                             ROLE       ADDED (UTC)"
PROMPTS = "Password: \nRepeat for confirmation: \n"


@pytest.fixture
def hotline(monkeypatch, redis_url, tmp_path, services):
    """Run `hotline ARGS...` (with `input` on stdin) against the test Redis."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(
            main, list(args), input=input, prog_name="hotline", catch_exceptions=False
        )

    return run


@pytest.fixture
def redis_client(services):
    return services.store.redis


def audit_trail(client) -> list[tuple[str, str, str, str, dict]]:
    return [
        (e.action, e.target, e.author, e.reason, e.details)
        for e in reversed(audit.recent(client, 100))
    ]


def utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def usage(command: str, arguments: str) -> str:
    return (
        f"Usage: hotline {command} [OPTIONS] {arguments}\n"
        f"Try 'hotline {command} --help' for help.\n\n"
    )


def issued_backup_code(output: str, volunteer_id: str) -> str:
    """The one backup code in a command's output, for `volunteer_id`."""
    [match] = [m for m in map(CODE_LINE.fullmatch, output.splitlines()) if m]
    assert match.group(1) == volunteer_id
    assert output.count(match.group(2)) == 1, output
    return match.group(2)


def issued_pin(output: str, volunteer_id: str) -> str:
    """The one PIN in a command's output, for `volunteer_id`; fails if there is not exactly one."""
    found = [PIN_LINE.fullmatch(line) for line in output.splitlines()]
    [match] = [m for m in found if m]
    assert match.group(1) == volunteer_id
    pin = match.group(2)
    assert output.count(pin) == 1, output
    return pin


def stored_volunteer(client, volunteer_id: str) -> dict:
    return json.loads(client.hget(keys.VOLUNTEERS, volunteer_id))


# volunteers add


def test_add_prints_the_pin_once_and_keeps_only_its_digest(hotline, redis_client):
    result = hotline("volunteers", "add", "Ann Lee", "(515) 555-0150", "--by", "alice")

    assert result.exit_code == 0, result.output
    pin = issued_pin(result.output, "v1")
    code = issued_backup_code(result.output, "v1")
    assert result.output.splitlines() == [
        "Added volunteer v1: Ann Lee, +15155550150",
        f"PIN for v1: {pin}",
        f"Backup code for v1: {code}",
        "The PIN and backup code will not be shown again: give them to the volunteer now "
        "(only digests are kept). The backup code is asked for on nights the PIN is under "
        "attack.",
    ]
    assert result.output.splitlines()[-1] == PIN_NOTE
    record = stored_volunteer(redis_client, "v1")
    assert record["pin_digest"] == pins.volunteer_pin_digest(PIN_KEY, "v1", pin)
    assert record["backup_digest"] == pins.volunteer_backup_digest(PIN_KEY, "v1", code)
    assert (record["name"], record["phone"]) == ("Ann Lee", "+15155550150")
    assert redis_client.hgetall(keys.VOLUNTEER_PHONES) == {"+15155550150": "v1"}
    assert audit_trail(redis_client) == [
        ("volunteer-add", "v1", "alice", "", {"name": "Ann Lee", "phone": "+15155550150"}),
    ]
    assert_nowhere_in_redis(redis_client, pin)
    assert_nowhere_in_redis(redis_client, code)


def test_the_pin_digest_is_keyed_with_a_key_derived_for_pins_not_the_secret(hotline, redis_client):
    """Finding 8: volunteers' PIN digests are keyed with HMAC-SHA256(secret, "hotline PIN
    digests v1"), not with HOTLINE_SECRET_KEY itself, which also signed console sessions.
    """
    pin = issued_pin(hotline("volunteers", "add", "Ann Lee", "+15155550150").output, "v1")
    pin_key = hmac.new(SECRET_KEY.encode(), b"hotline PIN digests v1", hashlib.sha256).digest()
    stored = stored_volunteer(redis_client, "v1")["pin_digest"]
    assert stored == hmac.new(pin_key, f"volunteer:v1:{pin}".encode(), hashlib.sha256).hexdigest()
    assert stored != pins.volunteer_pin_digest(SECRET_KEY.encode(), "v1", pin)


def test_each_volunteer_gets_their_own_pin(hotline, redis_client):
    first = hotline("volunteers", "add", "Ann Lee", "+15155550150", "--by", "alice")
    second = hotline("volunteers", "add", "Ben Ode", "515.555.0151", "--by", "alice")

    assert second.output.splitlines()[0] == "Added volunteer v2: Ben Ode, +15155550151"
    for result, volunteer_id in ((first, "v1"), (second, "v2")):
        pin = issued_pin(result.output, volunteer_id)
        digest = stored_volunteer(redis_client, volunteer_id)["pin_digest"]
        assert pins.volunteer_pin_matches(PIN_KEY, volunteer_id, pin, digest)
        assert_nowhere_in_redis(redis_client, pin)


def test_add_without_by_records_the_login_name(hotline, redis_client, monkeypatch):
    monkeypatch.setenv("LOGNAME", "carol")

    assert hotline("volunteers", "add", "Ann Lee", "+15155550150").exit_code == 0

    assert audit_trail(redis_client)[0][2] == "carol"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["Ann Lee", "hello"], "Invalid value for PHONE: 'hello' is not a phone number"),
        (["Ann Lee", "12"], "Invalid value for PHONE: '12' is not a phone number"),
        (["Ann Lee", "Anonymous"], "Invalid value for PHONE: 'Anonymous' is not a phone number"),
        (
            ["Ann Lee", "+266696687"],  # Twilio's spelling of a withheld caller ID
            "Invalid value for PHONE: '+266696687' is not a phone number",
        ),
        (["  ", "+15155550150"], "Invalid value for NAME: a volunteer needs a name"),
    ],
)
def test_a_bad_phone_or_name_is_a_usage_error_and_changes_nothing(
    hotline, redis_client, args, error
):
    result = hotline("volunteers", "add", *args, "--by", "alice")

    assert result.exit_code == 2
    assert result.output == usage("volunteers add", "NAME PHONE") + f"Error: {error}\n"
    assert redis_client.dbsize() == 0


def test_a_phone_already_registered_is_refused(hotline, redis_client):
    assert hotline("volunteers", "add", "Ann Lee", "+15155550150", "--by", "alice").exit_code == 0
    before = snapshot(redis_client)

    result = hotline("volunteers", "add", "Impostor", "515-555-0150", "--by", "mallory")

    assert result.exit_code == 1
    assert result.output == "Error: +15155550150 is already registered to volunteer v1\n"
    assert snapshot(redis_client) == before


def test_add_needs_the_secret_key(hotline, redis_client, monkeypatch):
    monkeypatch.delenv("HOTLINE_SECRET_KEY")

    result = hotline("volunteers", "add", "Ann Lee", "+15155550150", "--by", "alice")

    assert result.exit_code == 1
    assert result.output.startswith("Error: HOTLINE_SECRET_KEY is not set")
    assert "PIN for" not in result.output
    assert redis_client.dbsize() == 0


# volunteers list


def test_list_shows_full_numbers_and_live_status(hotline, redis_client):
    assert hotline("volunteers", "list").output == "No volunteers.\n"
    for name, phone in [
        ("Ann Lee", "+15155550150"),
        ("Ben Ode", "+15155550151"),
        ("Cal Diaz-Moreno", "+15155550152"),
    ]:
        assert hotline("volunteers", "add", name, phone, "--by", "alice").exit_code == 0
    redis_client.hset(
        keys.VOLUNTEER_STATES,
        mapping={
            "v1": json.dumps({"status": "free", "room": "room-v1"}),
            "v3": json.dumps({"status": "connecting", "precinct": "1001"}),
        },
    )

    result = hotline("volunteers", "list")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        VOLUNTEERS_HEADER,
        "v1     +15155550150     free         Ann Lee",
        "v2     +15155550151     offline      Ben Ode",
        "v3     +15155550152     connecting   Cal Diaz-Moreno",
    ]


# volunteers remove


def test_remove_clears_the_volunteer_everywhere(hotline, redis_client, services):
    assert hotline("volunteers", "add", "Ann Lee", "+15155550150", "--by", "alice").exit_code == 0
    assert hotline("volunteers", "add", "Ben Ode", "+15155550151", "--by", "alice").exit_code == 0
    now = services.clock.now()
    for volunteer_id in ("v1", "v2"):
        redis_client.hset(keys.VOLUNTEER_STATES, volunteer_id, json.dumps({"status": "free"}))
        redis_client.zadd(keys.FREE_VOLUNTEERS, {volunteer_id: now})

    result = hotline("volunteers", "remove", "v1", "--reason", "went home", "--by", "dave")

    assert result.exit_code == 0, result.output
    assert result.output == "Removed volunteer v1: Ann Lee, +15155550150\n"
    assert redis_client.hgetall(keys.VOLUNTEERS).keys() == {"v2"}
    assert redis_client.hgetall(keys.VOLUNTEER_PHONES) == {"+15155550151": "v2"}
    assert redis_client.hgetall(keys.VOLUNTEER_STATES).keys() == {"v2"}
    assert redis_client.zrange(keys.FREE_VOLUNTEERS, 0, -1) == ["v2"]
    assert audit_trail(redis_client)[-1] == (
        "volunteer-remove",
        "v1",
        "dave",
        "went home",
        {"name": "Ann Lee", "phone": "+15155550150"},
    )
    assert hotline("volunteers", "list").output.splitlines()[1:] == [
        "v2     +15155550151     free         Ben Ode",
    ]


def test_removing_an_unknown_volunteer_says_so_and_changes_nothing(hotline, redis_client):
    assert hotline("volunteers", "add", "Ann Lee", "+15155550150", "--by", "alice").exit_code == 0
    before = snapshot(redis_client)

    result = hotline("volunteers", "remove", "v9", "--by", "dave")

    assert result.exit_code == 0
    assert result.output == "v9 is not a volunteer\n"
    assert snapshot(redis_client) == before


# volunteers reset-pin


def test_reset_pin_prints_a_new_pin_once_and_the_old_one_stops_working(hotline, redis_client):
    added = hotline("volunteers", "add", "Ann Lee", "+15155550150", "--by", "alice")
    old_pin = issued_pin(added.output, "v1")
    before = stored_volunteer(redis_client, "v1")

    result = hotline("volunteers", "reset-pin", "v1", "--by", "erin")

    assert result.exit_code == 0, result.output
    new_pin = issued_pin(result.output, "v1")
    new_code = issued_backup_code(result.output, "v1")
    assert result.output.splitlines() == [
        "New PIN and backup code for volunteer v1 (Ann Lee); the old ones no longer work.",
        f"PIN for v1: {new_pin}",
        f"Backup code for v1: {new_code}",
        PIN_NOTE,
    ]
    after = stored_volunteer(redis_client, "v1")
    assert after == {
        **before,
        "pin_digest": pins.volunteer_pin_digest(PIN_KEY, "v1", new_pin),
        "backup_digest": pins.volunteer_backup_digest(PIN_KEY, "v1", new_code),
    }
    if new_pin != old_pin:  # one chance in a million that the draw repeats itself
        assert not pins.volunteer_pin_matches(PIN_KEY, "v1", old_pin, after["pin_digest"])
    assert audit_trail(redis_client)[-1] == ("volunteer-reset-pin", "v1", "erin", "", {})
    assert_nowhere_in_redis(redis_client, new_pin)


def test_reset_pin_of_an_unknown_volunteer_fails_and_changes_nothing(hotline, redis_client):
    assert hotline("volunteers", "add", "Ann Lee", "+15155550150", "--by", "alice").exit_code == 0
    before = snapshot(redis_client)

    result = hotline("volunteers", "reset-pin", "v9", "--by", "erin")

    assert result.exit_code == 1
    assert result.output == "Error: v9 is not a volunteer\n"
    assert snapshot(redis_client) == before


# users add


def test_users_add_asks_for_the_password_twice_and_stores_an_argon2id_hash(hotline, redis_client):
    result = hotline(
        "users", "add", "ann", "--role", "admin", "--by", "carol", input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert result.output == PROMPTS + "Added admin ann.\n"
    record = json.loads(redis_client.hget(keys.USERS, "ann"))
    assert record["role"] == "admin"
    assert record["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(record["password_hash"], PASSWORD)
    assert audit_trail(redis_client) == [("user-add", "ann", "carol", "", {"role": "admin"})]
    assert_nowhere_in_redis(redis_client, PASSWORD)


def test_users_add_asks_again_for_a_short_or_mismatched_password(hotline, redis_client):
    typed = ["too short", PASSWORD, PASSWORD + "x", PASSWORD, PASSWORD]
    result = hotline(
        "users",
        "add",
        "ben",
        "--role",
        "volunteer",
        "--by",
        "carol",
        input="".join(line + "\n" for line in typed),
    )

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Password: \nError: a password needs at least 12 characters\n"
        + PROMPTS
        + "Error: The two entered values do not match.\n"
        + PROMPTS
        + "Added volunteer ben.\n"
    )
    assert "too short" not in result.output and PASSWORD not in result.output
    assert json.loads(redis_client.hget(keys.USERS, "ben"))["role"] == "volunteer"


def test_users_add_reads_the_password_from_stdin_for_scripts(hotline, services, redis_client):
    result = hotline(
        "users",
        "add",
        "ann.lee",
        "--role",
        "volunteer",
        "--password-stdin",
        "--by",
        "carol",
        input=f"{PASSWORD}\r\nignored second line\n",
    )

    assert result.exit_code == 0, result.output
    assert result.output == "Added volunteer ann.lee.\n"
    assert services.store.users.verify("ann.lee", PASSWORD) is not None
    assert_nowhere_in_redis(redis_client, PASSWORD)


@pytest.mark.parametrize("stdin", ["", "\n", "eleven char\n"])
def test_a_short_password_from_stdin_is_refused(hotline, redis_client, stdin):
    result = hotline("users", "add", "ann", "--role", "admin", "--password-stdin", input=stdin)

    assert result.exit_code == 1
    assert result.output == "Error: a password needs at least 12 characters\n"
    assert redis_client.dbsize() == 0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["Ann", "--role", "admin"],
            "Invalid value for NAME: 'Ann' is not a user name: use 1 to 32 of a-z 0-9 . _ -",
        ),
        (
            ["x" * 33, "--role", "admin"],
            f"Invalid value for NAME: '{'x' * 33}' is not a user name: "
            "use 1 to 32 of a-z 0-9 . _ -",
        ),
        (
            ["ann", "--role", "root"],
            "Invalid value for '--role': 'root' is not one of 'volunteer', 'admin'.",
        ),
        (["ann"], "Missing option '--role'. Choose from:\n\tvolunteer,\n\tadmin"),
    ],
)
def test_users_add_usage_errors_change_nothing(hotline, redis_client, args, error):
    result = hotline("users", "add", *args, input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 2
    assert result.output == usage("users add", "NAME") + f"Error: {error}\n"
    assert redis_client.dbsize() == 0


def test_users_add_refuses_a_taken_name_before_asking_for_a_password(hotline, redis_client):
    assert (
        hotline(
            "users", "add", "ann", "--role", "admin", "--password-stdin", input=PASSWORD
        ).exit_code
        == 0
    )
    before = snapshot(redis_client)

    result = hotline("users", "add", "ann", "--role", "volunteer", input="another password!\n" * 2)

    assert result.exit_code == 1
    assert result.output == "Error: there is already a user called ann\n"
    assert snapshot(redis_client) == before


# users passwd

NEW_PASSWORD = "a brand new passphrase"
CHANGED = "Changed the password of ann; every console session of ann has ended.\n"


def test_users_passwd_asks_twice_ends_every_session_and_is_audited(hotline, services, redis_client):
    """Finding 7 (password change): `hotline users passwd` sets a new password and ends
    every console session of the login.
    """
    services.store.users.add("ann", "admin", PASSWORD, author="carol")
    services.store.users.end_sessions("ann")  # signed out once before: version 1

    result = hotline(
        "users", "passwd", "ann", "--by", "dave", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert result.output == PROMPTS + CHANGED
    assert services.store.users.verify("ann", PASSWORD) is None
    user = services.store.users.verify("ann", NEW_PASSWORD)
    assert (user.role, user.session_version) == ("admin", 2)
    assert audit_trail(redis_client)[-1] == ("user-passwd", "ann", "dave", "", {"role": "admin"})
    assert_nowhere_in_redis(redis_client, NEW_PASSWORD)


def test_users_passwd_asks_again_for_a_short_or_mismatched_password(hotline, services):
    services.store.users.add("ann", "admin", PASSWORD, author="carol")
    typed = ["too short", NEW_PASSWORD, NEW_PASSWORD + "x", NEW_PASSWORD, NEW_PASSWORD]
    result = hotline(
        "users", "passwd", "ann", "--by", "dave", input="".join(line + "\n" for line in typed)
    )

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Password: \nError: a password needs at least 12 characters\n"
        + PROMPTS
        + "Error: The two entered values do not match.\n"
        + PROMPTS
        + CHANGED
    )
    assert services.store.users.verify("ann", NEW_PASSWORD) is not None


def test_users_passwd_reads_the_password_from_stdin_for_scripts(hotline, services):
    services.store.users.add("ann", "admin", PASSWORD, author="carol")
    result = hotline(
        "users",
        "passwd",
        "ann",
        "--password-stdin",
        input=f"{NEW_PASSWORD}\r\nignored second line\n",
    )

    assert result.exit_code == 0, result.output
    assert result.output == CHANGED
    assert services.store.users.verify("ann", NEW_PASSWORD).session_version == 1


def test_users_passwd_refuses_a_short_password_from_stdin(hotline, services, redis_client):
    services.store.users.add("ann", "admin", PASSWORD, author="carol")
    before = snapshot(redis_client)

    result = hotline("users", "passwd", "ann", "--password-stdin", input="eleven char\n")

    assert result.exit_code == 1
    assert result.output == "Error: a password needs at least 12 characters\n"
    assert snapshot(redis_client) == before


def test_users_passwd_for_no_such_user_asks_nothing_and_changes_nothing(hotline, redis_client):
    result = hotline("users", "passwd", "ghost", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")

    assert result.exit_code == 1
    assert result.output == "Error: ghost is not a user\n"
    assert redis_client.dbsize() == 0


# users list, remove


def test_users_list_and_remove(hotline, redis_client):
    assert hotline("users", "list").output == "No users.\n"
    for name, role in [("zed", "volunteer"), ("ann", "admin")]:
        assert (
            hotline(
                "users",
                "add",
                name,
                "--role",
                role,
                "--password-stdin",
                "--by",
                "carol",
                input=PASSWORD,
            ).exit_code
            == 0
        )
    created = {
        name: json.loads(raw)["created_at"]
        for name, raw in redis_client.hgetall(keys.USERS).items()
    }

    listed = hotline("users", "list")

    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        USERS_HEADER,
        f"{'ann':<32} admin      {utc(created['ann'])}",
        f"{'zed':<32} volunteer  {utc(created['zed'])}",
    ]

    removed = hotline("users", "remove", "ann", "--reason", "left", "--by", "dave")

    assert removed.exit_code == 0, removed.output
    assert removed.output == "Removed user ann\n"
    assert redis_client.hgetall(keys.USERS).keys() == {"zed"}
    assert audit_trail(redis_client)[-1] == (
        "user-remove",
        "ann",
        "dave",
        "left",
        {"role": "admin"},
    )
    again = hotline("users", "remove", "ann", "--by", "dave")
    assert (again.exit_code, again.output) == (0, "ann is not a user\n")


# nothing secret is kept


def test_no_pin_or_password_is_stored_anywhere(hotline, redis_client):
    secrets = [PASSWORD, "another long password"]
    hotline("users", "add", "ann", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    hotline("users", "add", "ben", "--role", "volunteer", "--password-stdin", input=secrets[1])
    for n, phone in enumerate(["+15155550150", "+15155550151", "+15155550152"], start=1):
        secrets.append(issued_pin(hotline("volunteers", "add", f"V{n}", phone).output, f"v{n}"))
    secrets.append(issued_pin(hotline("volunteers", "reset-pin", "v2").output, "v2"))
    hotline("volunteers", "remove", "v3")

    assert redis_client.hlen(keys.USERS) == 2
    assert redis_client.hlen(keys.VOLUNTEERS) == 2
    for secret in secrets:
        assert_nowhere_in_redis(redis_client, secret)
