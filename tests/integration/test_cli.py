"""The `hotline` command line, driven through click against the real test Redis.

Each command runs as an admin would run it: settings from the environment
(pointed at the test Redis and a throw-away data directory), its own Redis
client and the system clock. The `services` fixture (same Redis, flushed
around each test) reads back exactly what the command left behind.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import re
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline import pins
from hotline.cli import main
from hotline.durations import format_duration
from hotline.shipped import shipped
from hotline.store import audit, keys
from tests.support import xml
from tests.support.redis_state import snapshot
from tests.support.twilio import (
    AUTH_TOKEN,
    PIN_KEY,
    PUBLIC_URL,
    SECRET_KEY,
    post_to_url,
    signed_post,
)

IOWA_ROSTER = shipped("data", "iowa-2020", "precincts.csv")
SHEET_NOTE = "(readable only by you; hand each chair their row, then keep it offline)"
SHEET_NAME = re.compile(r"pin-sheet-[0-9]{8}-[0-9]{6}\.csv")
GENERATED_PIN = re.compile(r"[0-9]{6}")
GENERATED_CODE = re.compile(r"[0-9]{8}")
BLOCKS_HEADER = (
    "NUMBER/PREFIX      BY           SINCE (UTC)          EXPIRES (UTC)                    REASON"
)
CALLS_HEADER = (
    "STARTED (UTC)        FROM             VERDICT            PRECINCT  OUTCOME      REASONS"
)

GOOD_ROSTER = """\
precinct,county,name,chair_phone,pin,delegates
1001,Adair,1NW ADAIR,(515) 555-0101,246813,8
1002,Adair,2NE STUART,,,11
77001,Polk,ALLEMAN-01,515.555.0102,,2
77002,Polk,ALLEN-01,,97531864,
99010,Wright,Rural Clarion,+1 515 555 0103,,
"""
GIVEN_PINS = {"1001": "246813", "77002": "97531864"}


# Fixtures and helpers


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def hotline(monkeypatch, redis_url, data_dir, services):
    """Run `hotline ARGS...` with the environment pointed at the test Redis."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), prog_name="hotline", catch_exceptions=False)

    return run


@pytest.fixture
def redis_client(services):
    return services.store.redis


def write(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "rosters"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def all_strings(state: dict[str, tuple[str, object]]) -> list[str]:
    """Every key name, field and value in a snapshot, flattened."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for field, item in value.items():
                walk(field)
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif value is not None:
            found.append(str(value))

    for key, (_, value) in state.items():
        found.append(key)
        walk(value)
    return found


def read_sheet(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [
            "precinct",
            "county",
            "name",
            "chair_phone",
            "pin",
            "backup_code",
        ]
        return list(reader)


def files_under(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def digest(code: str, pin: str) -> str:
    return pins.pin_digest(PIN_KEY, code, pin)


def backup(code: str, backup_code: str) -> str:
    return pins.backup_digest(PIN_KEY, code, backup_code)


def imported_line(file: Path, count: int, generated: int, kept: int, codes: int) -> str:
    return (
        f"Imported {count} precincts from {file} ({generated} new PINs, {kept} kept; "
        f"{codes} new backup codes).\n"
    )


def sheet_line(sheet: Path) -> str:
    return f"PIN sheet: {sheet} {SHEET_NOTE}\n"


def audit_trail(client) -> list[tuple[str, str, str, str, dict]]:
    """The audit trail, oldest first, without ids and times."""
    return [
        (e.action, e.target, e.author, e.reason, e.details)
        for e in reversed(audit.recent(client, 100))
    ]


# precincts import: a good file


def test_import_digests_pins_generates_the_missing_ones_and_writes_a_private_sheet(
    hotline, redis_client, tmp_path, data_dir
):
    roster = write(tmp_path, "roster.csv", GOOD_ROSTER)

    result = hotline("precincts", "import", str(roster))

    assert result.exit_code == 0, result.output
    [sheet_name] = files_under(data_dir)
    assert SHEET_NAME.fullmatch(sheet_name), sheet_name
    sheet = data_dir / sheet_name
    assert result.output == imported_line(roster, 5, 3, 0, 5) + sheet_line(sheet)

    # The sheet holds exactly the generated PINs and backup codes, in file order (a PIN the
    # file gave is left out), and only its owner reads it.
    assert stat.S_IMODE(os.stat(sheet).st_mode) == 0o600
    rows = read_sheet(sheet)
    generated = {row["precinct"]: row["pin"] for row in rows if row["pin"]}
    codes = {row["precinct"]: row["backup_code"] for row in rows}
    secret = ("pin", "backup_code")
    assert [{k: v for k, v in row.items() if k not in secret} for row in rows] == [
        {"precinct": "1001", "county": "Adair", "name": "1NW ADAIR", "chair_phone": "+15155550101"},
        {"precinct": "1002", "county": "Adair", "name": "2NE STUART", "chair_phone": ""},
        {
            "precinct": "77001",
            "county": "Polk",
            "name": "ALLEMAN-01",
            "chair_phone": "+15155550102",
        },
        {"precinct": "77002", "county": "Polk", "name": "ALLEN-01", "chair_phone": ""},
        {
            "precinct": "99010",
            "county": "Wright",
            "name": "Rural Clarion",
            "chair_phone": "+15155550103",
        },
    ]
    assert sorted(generated) == ["1002", "77001", "99010"]
    assert all(GENERATED_PIN.fullmatch(pin) for pin in generated.values()), generated
    assert all(GENERATED_CODE.fullmatch(code) for code in codes.values()), codes

    # Redis holds the roster with keyed digests only, and the chairs' phones in E.164.
    state = snapshot(redis_client)
    assert sorted(state) == sorted(
        [
            keys.PRECINCTS,
            keys.CHAIR_PHONES,
            *(keys.precinct(code) for code in ("1001", "1002", "77001", "77002", "99010")),
        ]
    )
    assert state[keys.PRECINCTS] == ("set", ["1001", "1002", "77001", "77002", "99010"])
    assert state[keys.CHAIR_PHONES] == (
        "hash",
        {"+15155550101": "1001", "+15155550102": "77001", "+15155550103": "99010"},
    )
    assert state[keys.precinct("1001")] == (
        "hash",
        {
            "county": "Adair",
            "name": "1NW ADAIR",
            "pin_digest": digest("1001", "246813"),
            "chair_phone": "+15155550101",
            "delegates": "8",
            "backup_digest": backup("1001", codes["1001"]),
        },
    )
    assert state[keys.precinct("1002")] == (
        "hash",
        {
            "county": "Adair",
            "name": "2NE STUART",
            "pin_digest": digest("1002", generated["1002"]),
            "delegates": "11",
            "backup_digest": backup("1002", codes["1002"]),
        },
    )
    assert state[keys.precinct("77001")] == (
        "hash",
        {
            "county": "Polk",
            "name": "ALLEMAN-01",
            "pin_digest": digest("77001", generated["77001"]),
            "chair_phone": "+15155550102",
            "delegates": "2",
            "backup_digest": backup("77001", codes["77001"]),
        },
    )
    assert state[keys.precinct("77002")] == (
        "hash",
        {
            "county": "Polk",
            "name": "ALLEN-01",
            "pin_digest": digest("77002", "97531864"),
            "backup_digest": backup("77002", codes["77002"]),
        },
    )
    assert state[keys.precinct("99010")] == (
        "hash",
        {
            "county": "Wright",
            "name": "Rural Clarion",
            "pin_digest": digest("99010", generated["99010"]),
            "chair_phone": "+15155550103",
            "backup_digest": backup("99010", codes["99010"]),
        },
    )

    # No plain PIN or backup code anywhere in Redis: not in a key, a field or a value (the
    # digests, checked exactly above, are left out of the scan).
    plain = {**GIVEN_PINS, **generated}
    digests = {digest(code, pin) for code, pin in plain.items()}
    digests |= {backup(code, value) for code, value in codes.items()}
    scanned = [text for text in all_strings(state) if text not in digests]
    for code, secret_value in [*plain.items(), *codes.items()]:
        leaks = [text for text in scanned if secret_value in text]
        assert leaks == [], f"a secret of {code} found in Redis: {leaks}"
    # ...and none in what the command printed.
    for secret_value in [*plain.values(), *codes.values()]:
        assert secret_value not in result.output.replace(str(roster), "").replace(str(sheet), "")


def test_import_with_every_secret_given_writes_no_sheet(hotline, redis_client, tmp_path, data_dir):
    roster = write(
        tmp_path,
        "roster.csv",
        "precinct,county,name,pin,backup_code\n1001,Adair,A,246813,13572468\n",
    )

    result = hotline("precincts", "import", str(roster))

    assert result.exit_code == 0, result.output
    assert result.output == imported_line(roster, 1, 0, 0, 0)
    assert files_under(data_dir) == []
    assert redis_client.hgetall(keys.precinct("1001")) == {
        "county": "Adair",
        "name": "A",
        "pin_digest": digest("1001", "246813"),
        "backup_digest": backup("1001", "13572468"),
    }


def test_short_pins_are_refused_unless_the_admin_allows_them(hotline, redis_client, tmp_path):
    """Finding 9: four-digit PINs were accepted on import."""
    roster = write(
        tmp_path, "roster.csv", "precinct,county,name,pin,backup_code\n1001,Adair,A,2468,13572468\n"
    )

    refused = hotline("precincts", "import", str(roster))

    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: {roster} was not imported:\n"
        "line 2: pin must be 6 to 8 digits "
        "(shorter only with --allow-short-pins)\n"
    )
    assert redis_client.dbsize() == 0

    allowed = hotline("precincts", "import", str(roster), "--allow-short-pins")

    assert allowed.exit_code == 0, allowed.output
    assert allowed.output == imported_line(roster, 1, 0, 0, 0) + (
        "Short PINs were allowed: the bound on guessing in the README no longer holds for "
        "precincts with PINs under 6 digits.\n"
    )
    assert redis_client.hget(keys.precinct("1001"), "pin_digest") == digest("1001", "2468")


def test_import_reads_a_spreadsheet_export_with_bom_and_crlf(hotline, redis_client, tmp_path):
    roster = tmp_path / "excel.csv"
    roster.write_bytes(
        "\ufeffprecinct,county,name,chair_phone,pin\r\n"
        "1001,Adair,1NW ADAIR,515-555-0101,246813\r\n".encode()
    )

    result = hotline("precincts", "import", str(roster), "--pin-sheet", str(tmp_path / "s.csv"))

    assert result.exit_code == 0, result.output
    assert result.output == imported_line(roster, 1, 0, 0, 1) + sheet_line(tmp_path / "s.csv")
    [row] = read_sheet(tmp_path / "s.csv")
    assert redis_client.hgetall(keys.precinct("1001")) == {
        "county": "Adair",
        "name": "1NW ADAIR",
        "pin_digest": digest("1001", "246813"),
        "chair_phone": "+15155550101",
        "backup_digest": backup("1001", row["backup_code"]),
    }


# precincts import: bad files


BAD_FILES = {
    "wrong header": (
        "precinct,county,title\n1001,Adair,1NW ADAIR\n",
        ["line 1: header lacks column(s): name; found: precinct, county, title"],
    ),
    "precinct with letters": (
        "precinct,county,name\n1001,Adair,A\n12A,Adair,B\n",
        ["line 3: precinct '12A' must be 1 to 8 digits (what a chair keys in)"],
    ),
    "9-digit precinct": (
        "precinct,county,name\n123456789,Adair,A\n1002,Adair,B\n",
        ["line 2: precinct '123456789' must be 1 to 8 digits (what a chair keys in)"],
    ),
    "3-digit pin": (
        "precinct,county,name,pin\n1001,Adair,A,246813\n1002,Adair,B,739\n",
        ["line 3: pin must be 6 to 8 digits (shorter only with --allow-short-pins)"],
    ),
    "7-digit backup code": (
        "precinct,county,name,backup_code\n1001,Adair,A,1234567\n",
        ["line 2: backup_code must be 8 digits"],
    ),
    "duplicate precinct": (
        "precinct,county,name\n1001,Adair,A\n1002,Adair,B\n1001,Adair,C\n",
        ["line 4: precinct 1001 already appears on line 2"],
    ),
    "duplicate chair_phone": (
        "precinct,county,name,chair_phone\n1001,Adair,A,(515) 555-0101\n"
        "1002,Adair,B,\n1003,Adair,C,+15155550101\n",
        ["line 4: chair_phone +15155550101 already appears on line 2"],
    ),
    "bad phone": (
        "precinct,county,name,chair_phone\n1001,Adair,A,555-01\n",
        ["line 2: chair_phone '555-01' is not a phone number"],
    ),
    "control character in a name": (
        'precinct,county,name\n1001,Adair,A\n1002,Adair,"STU\x00ART"\n1003,"Ad\nair",C\n',
        [
            "line 3: name has a control character (U+0000)",
            # The csv reader's line: where the quoted record ends.
            "line 5: county has a control character (U+000A)",
        ],
    ),
    "extra field": (
        "precinct,county,name\n1001,Adair,A\n1002,Adair,B,surplus\n",
        ["line 3: more fields than the header has columns"],
    ),
    "several problems": (
        "precinct,county,name,chair_phone,pin\n"
        "1001,Adair,A,,\n"
        "x1,Adair,B,,\n"
        "1003,,C,,\n"
        "1001,Adair,D,,12345678901\n"
        "1004,Adair,E,,\n",
        [
            "line 3: precinct 'x1' must be 1 to 8 digits (what a chair keys in)",
            "line 4: county is empty",
            "line 5: pin must be 6 to 8 digits (shorter only with --allow-short-pins)",
        ],
    ),
    "header only": (
        "precinct,county,name\n",
        ["line 1: the file has a header but no precincts"],
    ),
}
PREVIOUS_ROSTER = "precinct,county,name,chair_phone,pin\n1001,Adair,OLD,+15155550999,\n"


@pytest.mark.parametrize("with_previous", [False, True], ids=["empty", "previous-roster"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_reported_line_by_line_and_nothing_is_imported(
    hotline, redis_client, tmp_path, data_dir, case, with_previous
):
    text, problems = BAD_FILES[case]
    if with_previous:
        previous = write(tmp_path, "previous.csv", PREVIOUS_ROSTER)
        assert hotline("precincts", "import", str(previous)).exit_code == 0
        assert redis_client.hgetall(keys.CHAIR_PHONES) == {"+15155550999": "1001"}
    before = snapshot(redis_client)
    files_before = files_under(data_dir)
    roster = write(tmp_path, "bad.csv", text)

    result = hotline("precincts", "import", str(roster))

    assert result.exit_code == 1
    assert result.output == f"Error: {roster} was not imported:\n" + "\n".join(problems) + "\n"
    assert snapshot(redis_client) == before
    assert files_under(data_dir) == files_before
    assert redis_client.dbsize() == (3 if with_previous else 0)


def test_a_bad_pin_is_never_echoed(hotline, tmp_path):
    roster = write(tmp_path, "bad.csv", "precinct,county,name,pin\n1001,Adair,A,73\n")

    result = hotline("precincts", "import", str(roster))

    assert result.exit_code == 1
    assert "73" not in result.output.replace(str(roster), "")


def test_a_file_that_is_not_utf8_is_refused(hotline, redis_client, tmp_path):
    roster = tmp_path / "latin1.csv"
    roster.write_bytes(b"precinct,county,name\n1001,C\xf4te,A\n")

    result = hotline("precincts", "import", str(roster))

    assert result.exit_code == 1
    assert result.output == (
        f"Error: {roster}: line 2: not UTF-8 text (byte 0xf4): save it as UTF-8\n"
    )
    assert redis_client.dbsize() == 0


def test_an_existing_pin_sheet_is_never_overwritten_and_nothing_is_imported(
    hotline, redis_client, tmp_path
):
    previous = write(tmp_path, "previous.csv", PREVIOUS_ROSTER)
    assert hotline("precincts", "import", str(previous)).exit_code == 0
    before = snapshot(redis_client)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("somebody's sheet\n")
    roster = write(tmp_path, "roster.csv", GOOD_ROSTER)

    result = hotline("precincts", "import", str(roster), "--pin-sheet", str(sheet))

    assert result.exit_code == 1
    assert result.output == f"Error: {sheet} already exists; nothing imported\n"
    assert sheet.read_text() == "somebody's sheet\n"
    assert snapshot(redis_client) == before


def test_imported_digests_are_keyed_with_a_key_derived_for_pins_not_the_secret(
    hotline, redis_client, tmp_path
):
    """Finding 8: HOTLINE_SECRET_KEY itself keyed the PIN digests and also signed console
    sessions; the digests are now keyed with HMAC-SHA256(secret, "hotline PIN digests v1").
    """
    roster = write(tmp_path, "roster.csv", GOOD_ROSTER)
    assert hotline("precincts", "import", str(roster)).exit_code == 0
    pin_key = hmac.new(SECRET_KEY.encode(), b"hotline PIN digests v1", hashlib.sha256).digest()
    stored = redis_client.hget(keys.precinct("1001"), "pin_digest")
    assert stored == hmac.new(pin_key, b"1001:246813", hashlib.sha256).hexdigest()
    assert stored != pins.pin_digest(SECRET_KEY.encode(), "1001", "246813")


def test_import_without_a_secret_key_is_refused(hotline, monkeypatch, redis_client, tmp_path):
    monkeypatch.delenv("HOTLINE_SECRET_KEY")
    roster = write(tmp_path, "roster.csv", GOOD_ROSTER)

    result = hotline("precincts", "import", str(roster))

    assert result.exit_code == 1
    assert result.output == (
        "Error: HOTLINE_SECRET_KEY is not set: it keys the PIN digests and signs console "
        "sessions. Set it to at least 32 random bytes (e.g. the output of `openssl rand -hex "
        "32`) and keep it the same across restarts.\n"
    )
    assert redis_client.dbsize() == 0


# precincts import: again, over an existing roster


def test_reimport_keeps_pins_of_rows_without_one_and_new_pins_replaces_them(
    hotline, redis_client, tmp_path
):
    first = write(
        tmp_path, "first.csv", "precinct,county,name\n1001,Adair,A\n1002,Adair,B\n1003,Adair,C\n"
    )
    sheet1 = tmp_path / "sheets" / "first.csv"
    result = hotline("precincts", "import", str(first), "--pin-sheet", str(sheet1))
    assert result.output == imported_line(first, 3, 3, 0, 3) + sheet_line(sheet1)
    rows1 = read_sheet(sheet1)
    pins1 = {row["precinct"]: row["pin"] for row in rows1}
    codes1 = {row["precinct"]: row["backup_code"] for row in rows1}
    assert sorted(pins1) == ["1001", "1002", "1003"]

    # 1001 keeps its PIN, 1002 is given one, 1003 leaves, 1004 is new.
    second = write(
        tmp_path,
        "second.csv",
        "precinct,county,name,pin\n1001,Adair,A2,\n1002,Adair,B,864213\n1004,Adair,D,\n",
    )
    sheet2 = tmp_path / "sheets" / "second.csv"
    result = hotline("precincts", "import", str(second), "--pin-sheet", str(sheet2))

    assert result.exit_code == 0, result.output
    assert result.output == imported_line(second, 3, 1, 1, 1) + sheet_line(sheet2)
    [new_row] = read_sheet(sheet2)
    assert {k: v for k, v in new_row.items() if k not in ("pin", "backup_code")} == {
        "precinct": "1004",
        "county": "Adair",
        "name": "D",
        "chair_phone": "",
    }
    assert redis_client.smembers(keys.PRECINCTS) == {"1001", "1002", "1004"}
    assert redis_client.exists(keys.precinct("1003")) == 0
    assert redis_client.hgetall(keys.precinct("1001")) == {
        "county": "Adair",
        "name": "A2",
        "pin_digest": digest("1001", pins1["1001"]),
        "backup_digest": backup("1001", codes1["1001"]),
    }
    assert redis_client.hget(keys.precinct("1002"), "pin_digest") == digest("1002", "864213")
    assert redis_client.hget(keys.precinct("1002"), "backup_digest") == backup(
        "1002", codes1["1002"]
    )
    assert redis_client.hget(keys.precinct("1004"), "pin_digest") == digest("1004", new_row["pin"])

    # Nothing to generate: no sheet at all.
    sheet_unused = tmp_path / "sheets" / "unused.csv"
    result = hotline("precincts", "import", str(second), "--pin-sheet", str(sheet_unused))
    assert result.exit_code == 0, result.output
    assert result.output == imported_line(second, 3, 0, 2, 0)
    assert not sheet_unused.exists()
    assert redis_client.hget(keys.precinct("1001"), "pin_digest") == digest("1001", pins1["1001"])

    # --new-pins: every row without a PIN gets a fresh one, and every row without a backup
    # code a fresh code; given PINs stay as given.
    sheet3 = tmp_path / "sheets" / "third.csv"
    result = hotline("precincts", "import", str(second), "--new-pins", "--pin-sheet", str(sheet3))

    assert result.exit_code == 0, result.output
    assert result.output == imported_line(second, 3, 2, 0, 3) + sheet_line(sheet3)
    rows3 = read_sheet(sheet3)
    pins3 = {row["precinct"]: row["pin"] for row in rows3 if row["pin"]}
    assert sorted(pins3) == ["1001", "1004"]
    assert [row["precinct"] for row in rows3] == ["1001", "1002", "1004"]
    stored = {
        code: redis_client.hget(keys.precinct(code), "pin_digest")
        for code in ("1001", "1002", "1004")
    }
    assert stored == {
        "1001": digest("1001", pins3["1001"]),
        "1002": digest("1002", "864213"),
        "1004": digest("1004", pins3["1004"]),
    }
    assert not pins.pin_matches(PIN_KEY, "1001", pins1["1001"], stored["1001"])
    assert not pins.pin_matches(PIN_KEY, "1004", new_row["pin"], stored["1004"])


def test_reimport_replaces_registered_chair_phones(hotline, redis_client, tmp_path):
    first = write(
        tmp_path,
        "first.csv",
        "precinct,county,name,chair_phone,pin,backup_code\n"
        "1001,Adair,A,+15155550101,246813,11112222\n"
        "1002,Adair,B,+15155550102,135792,33334444\n",
    )
    assert hotline("precincts", "import", str(first)).exit_code == 0
    second = write(
        tmp_path,
        "second.csv",
        "precinct,county,name,chair_phone,pin\n"
        "1001,Adair,A,,246813\n1002,Adair,B,+15155550122,135792\n",
    )

    result = hotline("precincts", "import", str(second))

    assert result.exit_code == 0, result.output
    assert redis_client.hgetall(keys.CHAIR_PHONES) == {"+15155550122": "1002"}
    assert redis_client.hgetall(keys.precinct("1001")) == {
        "county": "Adair",
        "name": "A",
        "pin_digest": digest("1001", "246813"),
        "backup_digest": backup("1001", "11112222"),
    }


# precincts import: the Iowa 2020 list


def test_import_iowa_2020_roster(hotline, redis_client, tmp_path):
    sheet = tmp_path / "iowa-sheet.csv"

    result = hotline(
        "precincts", "import", "--format", "iowa-2020", str(IOWA_ROSTER), "--pin-sheet", str(sheet)
    )

    assert result.exit_code == 0, result.output
    assert result.output == imported_line(IOWA_ROSTER, 1681, 1681, 0, 1681) + sheet_line(sheet)
    assert redis_client.scard(keys.PRECINCTS) == 1681
    assert redis_client.exists(keys.CHAIR_PHONES) == 0
    assert stat.S_IMODE(os.stat(sheet).st_mode) == 0o600
    rows = read_sheet(sheet)
    assert len(rows) == 1681
    sheet_pins = {row["precinct"]: row["pin"] for row in rows}
    sheet_codes = {row["precinct"]: row["backup_code"] for row in rows}
    assert set(sheet_pins) == redis_client.smembers(keys.PRECINCTS)
    assert rows[0] == {
        "precinct": "1001",
        "county": "Adair",
        "name": "1NW ADAIR",
        "chair_phone": "",
        "pin": sheet_pins["1001"],
        "backup_code": sheet_codes["1001"],
    }
    assert rows[-1]["precinct"] == "99010"

    def stored(code: str) -> dict[str, str]:
        fields = redis_client.hgetall(keys.precinct(code))
        assert fields.pop("pin_digest") == digest(code, sheet_pins[code])
        assert fields.pop("backup_digest") == backup(code, sheet_codes[code])
        return fields

    # County numbers are Iowa's own (alphabetical): Adair 1, Lee 56, Page 73, Polk 77, Wright 99.
    assert stored("1001") == {"county": "Adair", "name": "1NW ADAIR", "delegates": "8"}
    assert stored("1002") == {"county": "Adair", "name": "2NE STUART", "delegates": "11"}
    assert stored("99010") == {"county": "Wright", "name": "Rural Clarion", "delegates": "2"}
    assert stored("77001") == {"county": "Polk", "name": "ALLEMAN-01", "delegates": "2"}
    assert stored("77177") == {"county": "Polk", "name": "WINDSOR HEIGHTS-03", "delegates": "9"}
    assert redis_client.exists(keys.precinct("77178")) == 0
    assert stored("73005") == {
        "county": "Page",
        "name": "Pierce and Fremont Townships, Essex",
        "delegates": "5",
    }
    # A Lee County split with no precinct name is known by its short name.
    assert stored("56006") == {"county": "Lee", "name": "FM4B", "delegates": "0"}

    # Every generated PIN on the sheet is the one Redis knows (by its digest).
    with redis_client.pipeline(transaction=False) as pipe:
        for code in sheet_pins:
            pipe.hget(keys.precinct(code), "pin_digest")
        digests = pipe.execute()
    mismatched = [
        code
        for (code, pin), stored_digest in zip(sheet_pins.items(), digests, strict=True)
        if stored_digest != digest(code, pin)
    ]
    assert mismatched == []
    assert all(GENERATED_PIN.fullmatch(pin) for pin in sheet_pins.values())


# block, unblock, blocks


def test_block_a_number_for_a_while(hotline, redis_client):
    before = time.time()
    result = hotline(
        "block",
        "+1 (515) 555-0199",
        "--for",
        "2h",
        "--reason",
        "leaked number troll",
        "--by",
        "alice",
    )
    after = time.time()

    assert result.exit_code == 0, result.output
    stored = json.loads(redis_client.hget(keys.BLOCKS, "+15155550199"))
    assert before <= stored["created_at"] <= after
    assert stored == {
        "reason": "leaked number troll",
        "author": "alice",
        "created_at": stored["created_at"],
        "expires_at": stored["created_at"] + 7200.0,
    }
    assert result.output == (
        f"Blocked +15155550199 until {utc(stored['expires_at'])} UTC: leaked number troll\n"
    )
    [entry] = audit.recent(redis_client)
    assert before <= entry.at <= after
    assert (entry.action, entry.target, entry.author, entry.reason, entry.details) == (
        "block",
        "+15155550199",
        "alice",
        "leaked number troll",
        {"automatic": False, "expires_at": stored["expires_at"]},
    )
    assert redis_client.hgetall(keys.BLOCKS).keys() == {"+15155550199"}
    # An admin block does not count towards the number's automatic escalation.
    assert redis_client.exists(keys.caller("+15155550199")) == 0


def test_block_a_prefix_until_unblocked(hotline, redis_client, monkeypatch):
    monkeypatch.setenv("LOGNAME", "carol")  # the author when --by is not given

    result = hotline("block", "+1900*")

    assert result.exit_code == 0, result.output
    assert result.output == "Blocked +1900* until unblocked: blocked by an admin\n"
    stored = json.loads(redis_client.hget(keys.BLOCKS, "+1900*"))
    assert (stored["author"], stored["reason"], stored["expires_at"]) == (
        "carol",
        "blocked by an admin",
        None,
    )
    assert audit_trail(redis_client) == [
        (
            "block",
            "+1900*",
            "carol",
            "blocked by an admin",
            {"automatic": False, "expires_at": None},
        ),
    ]


USAGE = {
    "block": "Usage: hotline block [OPTIONS] TARGET\nTry 'hotline block --help' for help.\n\n",
    "unblock": "Usage: hotline unblock [OPTIONS] TARGET\n"
    "Try 'hotline unblock --help' for help.\n\n",
    "allow": "Usage: hotline allow [OPTIONS] NUMBER\nTry 'hotline allow --help' for help.\n\n",
}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["block", "hello"], "Invalid value for NUMBER|PREFIX: 'hello' is not a phone number"),
        (["block", "12"], "Invalid value for NUMBER|PREFIX: '12' is not a phone number"),
        (
            ["block", "+1900x*"],
            "Invalid value for NUMBER|PREFIX: '+1900x*' is not a prefix: write it as + and "
            "digits, then *",
        ),
        (
            ["block", "1900*"],
            "Invalid value for NUMBER|PREFIX: '1900*' is not a prefix: write it as + and "
            "digits, then *",
        ),
        (
            ["block", "+15155550199", "--for", "soon"],
            "Invalid value for --for: not a duration: 'soon' (use e.g. 90s, 15m, 2h30m, 1d)",
        ),
        (
            ["block", "+15155550199", "--for", "0m"],
            "Invalid value for --for: must be longer than zero",
        ),
        (["unblock", "hello"], "Invalid value for NUMBER|PREFIX: 'hello' is not a phone number"),
        (["allow", "+1900*"], "Invalid value for NUMBER: allow takes a number, not a prefix"),
        (["allow", "nobody"], "Invalid value for NUMBER|PREFIX: 'nobody' is not a phone number"),
    ],
)
def test_a_bad_target_is_a_usage_error_and_changes_nothing(hotline, redis_client, args, error):
    result = hotline(*args, "--by", "alice")

    assert result.exit_code == 2
    assert result.output == USAGE[args[0]] + f"Error: {error}\n"
    assert redis_client.dbsize() == 0


def test_unblock(hotline, redis_client):
    assert hotline("block", "+15155550199", "--by", "alice").exit_code == 0
    assert hotline("block", "+1900*", "--by", "alice").exit_code == 0

    result = hotline("unblock", "515-555-0199", "--by", "dave", "--reason", "false alarm")

    assert result.exit_code == 0, result.output
    assert result.output == "Unblocked +15155550199\n"
    assert redis_client.hgetall(keys.BLOCKS).keys() == {"+1900*"}
    assert audit_trail(redis_client)[-1] == ("unblock", "+15155550199", "dave", "false alarm", {})

    again = hotline("unblock", "+15155550199", "--by", "dave")
    assert again.exit_code == 0
    assert again.output == "+15155550199 was not blocked\n"
    assert redis_client.hgetall(keys.BLOCKS).keys() == {"+1900*"}

    result = hotline("unblock", "+1900*", "--by", "dave")
    assert result.output == "Unblocked +1900*\n"
    assert redis_client.exists(keys.BLOCKS) == 0


def test_blocks_lists_those_in_force_prefixes_first(hotline, services, redis_client):
    assert hotline("blocks").output == "No blocks in force.\n"
    # Expired long ago (the fixture's clock is in February 2020): not listed.
    services.store.blocks.block("+15155550111", reason="old", author="triage", duration_s=3600)
    assert hotline("blocks").output == "No blocks in force.\n"

    assert (
        hotline(
            "block",
            "+15155550199",
            "--for",
            "2h",
            "--reason",
            "leaked number troll",
            "--by",
            "alice",
        ).exit_code
        == 0
    )
    assert hotline("block", "+1900*", "--by", "bob").exit_code == 0
    assert (
        hotline("block", "+15155550100", "--reason", "spoofs a chair", "--by", "carol").exit_code
        == 0
    )
    before = time.time()
    result = hotline("blocks")
    after = time.time()

    assert result.exit_code == 0, result.output
    stored = {target: json.loads(raw) for target, raw in redis_client.hgetall(keys.BLOCKS).items()}

    def line(target: str, by: str, expires: str, reason: str) -> str:
        since = utc(stored[target]["created_at"])
        return f"{target:<18} {by:<12} {since:<20} {expires:<32} {reason}"

    # "in 2h" unless the clock crossed a rounding boundary while the command ran.
    expires_at = stored["+15155550199"]["expires_at"]
    candidates = {
        f"{utc(expires_at)} (in {format_duration(seconds)})"
        for seconds in range(round(expires_at - after), round(expires_at - before) + 1)
    }
    lines = result.output.splitlines()
    assert len(lines) == 4, result.output
    assert lines[0] == BLOCKS_HEADER
    assert lines[1] == line("+1900*", "bob", "never", "blocked by an admin")
    assert lines[2] == line("+15155550100", "carol", "never", "spoofs a chair")
    assert lines[3] in {
        line("+15155550199", "alice", when, "leaked number troll") for when in candidates
    }


def test_block_then_a_call_from_the_number_is_rejected(hotline, client, redis_client):
    assert hotline("block", "+1900*", "--reason", "premium-rate", "--by", "alice").exit_code == 0

    response = signed_post(
        client, "/voice/incoming", {"CallSid": "CA1", "From": "+19005550100", "To": "+15155550000"}
    )

    assert response.status_code == 200
    assert xml.shape(response.data) == [("Reject", {"reason": "busy"}, "", [])]
    assert hotline("unblock", "+1900*", "--by", "alice").exit_code == 0
    response = signed_post(
        client, "/voice/incoming", {"CallSid": "CA2", "From": "+19005550100", "To": "+15155550000"}
    )
    assert xml.verbs(response.data) == ["Gather"]


# allow, flood


def test_allow_and_withdraw(hotline, redis_client):
    result = hotline("allow", "515-555-0142", "--reason", "county chair's cell", "--by", "erin")

    assert result.exit_code == 0, result.output
    assert result.output == "Allowed: +15155550142\n"
    assert redis_client.hkeys(keys.ALLOWED) == ["+15155550142"]
    assert redis_client.exists(keys.caller("+15155550142")) == 0

    result = hotline("allow", "+15155550142", "--remove", "--by", "erin")

    assert result.exit_code == 0, result.output
    assert result.output == "No longer allowed: +15155550142\n"
    assert redis_client.hkeys(keys.ALLOWED) == []
    assert audit_trail(redis_client) == [
        ("allow", "+15155550142", "erin", "county chair's cell", {}),
        ("disallow", "+15155550142", "erin", "", {}),
    ]


def test_flood_switch(hotline, redis_client):
    assert hotline("flood", "status").output == "Flood mode is off.\n"

    result = hotline("flood", "on", "--by", "frank")
    assert result.exit_code == 0, result.output
    assert result.output == "Flood mode is ON.\n"
    assert redis_client.get(keys.FLOOD) == "frank"
    assert hotline("flood", "status").output == "Flood mode is ON.\n"

    result = hotline("flood", "off", "--by", "grace")
    assert result.output == "Flood mode is off.\n"
    assert redis_client.exists(keys.FLOOD) == 0
    assert hotline("flood", "status").output == "Flood mode is off.\n"

    assert audit_trail(redis_client) == [
        ("flood-on", "*", "frank", "", {}),
        ("flood-off", "*", "grace", "", {}),
    ]


def test_flood_takes_only_on_off_or_status(hotline, redis_client):
    result = hotline("flood", "maybe")

    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '{on|off|status}': 'maybe' is not one of 'on', 'off', 'status'."
    )
    assert redis_client.dbsize() == 0


# calls


def incoming(client, call_sid: str, caller: str):
    response = signed_post(
        client, "/voice/incoming", {"CallSid": call_sid, "From": caller, "To": "+15155550000"}
    )
    assert response.status_code == 200
    return response


def press(client, response, call_sid: str, caller: str, digits: str):
    [gather] = [verb for verb in xml.parse(response.data) if verb.tag == "Gather"]
    answer = post_to_url(
        client,
        gather.get("action"),
        {"CallSid": call_sid, "From": caller, "To": "+15155550000", "Digits": digits},
    )
    assert answer.status_code == 200
    return answer


def test_calls_begins_with_the_pin_alarm_while_it_is_raised(hotline, redis_client):
    """Finding 3: guessing across the hotline raised nothing admins could see."""
    now = time.time()
    redis_client.zadd(keys.PIN_FAILURES, {f"CA{n}:0": now - n for n in range(61)})
    redis_client.set(keys.FLOOD, "pin-alarm")

    result = hotline("calls")

    assert result.output.splitlines() == [
        "*** PIN alarm: 61 failed PINs across the hotline in the last 10 minutes (alarm at 60, "
        "flood mode at 120). Flood mode was switched on by the alarm; switch it off when it "
        "is over.",
        "No calls yet.",
    ]


def test_calls_lists_recent_calls_with_their_verdicts(hotline, client, clock, run_jobs, tmp_path):
    assert hotline("calls").output == "No calls yet.\n"
    roster = write(
        tmp_path,
        "roster.csv",
        "precinct,county,name,pin,backup_code\n1001,Adair,A,246813,13572468\n",
    )
    assert hotline("precincts", "import", str(roster)).exit_code == 0
    assert hotline("block", "+1900*", "--reason", "premium-rate", "--by", "alice").exit_code == 0

    # 00:00 an unknown caller hangs up at the first prompt; the call-end job records the verdict.
    incoming(client, "CA0001", "+15155550123")
    ended = signed_post(
        client,
        "/voice/status",
        {"CallSid": "CA0001", "CallStatus": "completed", "CallDuration": "3"},
    )
    assert ended.status_code == 200
    run_jobs()
    # 00:01 a blocked prefix.
    clock.advance(60)
    assert xml.verbs(incoming(client, "CA0002", "+19005550100").data) == ["Reject"]
    # 00:02 a chair keys in precinct and PIN and waits in line.
    clock.advance(60)
    response = incoming(client, "CA0003", "+15155550199")
    response = press(client, response, "CA0003", "+15155550199", "1001")
    response = press(client, response, "CA0003", "+15155550199", "246813")
    response = press(client, response, "CA0003", "+15155550199", "2")  # a volunteer, please
    assert xml.verbs(response.data) == ["Say", "Enqueue"]
    # 00:03 flood mode: an unknown caller gets one short prompt, and hangs up.
    clock.advance(60)
    assert hotline("flood", "on", "--by", "frank").exit_code == 0
    assert xml.verbs(incoming(client, "CA0004", "+15155550124").data) == ["Gather"]
    signed_post(
        client,
        "/voice/status",
        {"CallSid": "CA0004", "CallStatus": "completed", "CallDuration": "20"},
    )
    run_jobs()
    # 00:04 a withheld caller ID too, still on the line.
    clock.advance(60)
    incoming(client, "CA0005", "Anonymous")

    result = hotline("calls")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        CALLS_HEADER,
        "2020-02-05 00:04:00  withheld         (in progress)      -         in progress  ",
        "2020-02-05 00:03:00  +15155550124     challenge          -         completed    "
        "flood mode switched on by an admin",
        "2020-02-05 00:02:00  +15155550199     (in progress)      1001      verified     ",
        "2020-02-05 00:01:00  +19005550100     reject             -         in progress  "
        "blocked (+1900*): premium-rate",
        "2020-02-05 00:00:00  +15155550123     challenge          -         completed    "
        "unknown caller",
    ]

    limited = hotline("calls", "--limit", "2")
    assert limited.output.splitlines() == result.output.splitlines()[:3]


def test_import_iowa_2020_roster_with_its_satellite_caucuses(hotline, redis_client, tmp_path):
    sheet = tmp_path / "iowa-sheet.csv"
    results = IOWA_ROSTER.parent / "results-2020-02-08.csv"

    result = hotline(
        "precincts",
        "import",
        "--format",
        "iowa-2020",
        str(IOWA_ROSTER),
        "--satellites",
        str(results),
        "--pin-sheet",
        str(sheet),
    )

    assert result.exit_code == 0, result.output
    assert result.output == (
        imported_line(IOWA_ROSTER, 1768, 1768, 0, 1768)
        + f"87 of them are satellite caucuses, from {results}.\n"
        + sheet_line(sheet)
    )
    assert redis_client.scard(keys.PRECINCTS) == 1681 + 87
    paris = redis_client.hgetall(keys.precinct("100013"))
    assert (paris["county"], paris["name"], paris["satellite"]) == (
        "Out of State Satellite",
        "Paris, France - CIEE Student Housing",
        "FR",
    )
    traits = redis_client.hgetall(keys.PRECINCT_TRAITS)
    assert len(traits) == 87 and traits["100013"] == '{"satellite": "FR"}'
    assert len(read_sheet(sheet)) == 1768  # a PIN and a backup code for every satellite too


def test_satellites_that_cannot_be_read_import_nothing(hotline, redis_client, tmp_path):
    bad = tmp_path / "results.csv"
    bad.write_text(
        ',,\n,,\nCounty,Precinct,\nOut of State Satellite,"Lisbon, Portugal - Somewhere",0\n'
    )

    result = hotline(
        "precincts",
        "import",
        "--format",
        "iowa-2020",
        str(IOWA_ROSTER),
        "--satellites",
        str(bad),
        "--pin-sheet",
        str(tmp_path / "s.csv"),
    )

    assert result.exit_code == 1
    assert result.output == (
        f"Error: {bad} was not imported (nor {IOWA_ROSTER}):\n"
        "line 4: cannot tell where the satellite caucus 'Lisbon, Portugal - Somewhere' met\n"
    )
    assert redis_client.scard(keys.PRECINCTS) == 0
