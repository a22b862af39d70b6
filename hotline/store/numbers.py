"""The hotline's own numbers, and their rotations: which number is current and which are
retired (they leaked, and still answer), and the texts that tell chairs the new one.

The inbound script reads only RETIRED_NUMBERS (lua/arrive.lua), in the round trip it makes
anyway; everything else here is read by the admins' commands and the texting job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from hotline.store import audit, keys
from hotline.store.scripts import Scripts

CURRENT, RETIRED = "current", "retired"
# A text's status while in the outbox (lua/take_text.lua marks it "sending" when taken).
WAITING = "waiting"
# Twilio's final statuses of a message; "read" is delivered, and more.
DELIVERED = frozenset({"delivered", "read"})
FAILED = frozenset({"undelivered", "failed"})
# A text not sent because a later rotation texts every chair its own number.
CANCELED = "canceled"


@dataclass(frozen=True)
class OwnedNumber:
    """A Twilio number of the account, with the webhooks it was given."""

    number: str
    sid: str
    voice_url: str
    status_callback: str


@dataclass(frozen=True)
class HotlineNumber:
    number: str
    sid: str
    state: str  # CURRENT or RETIRED
    # When it became current (None: it was current before the first rotation), and retired.
    since: float | None
    retired_at: float | None
    voice_url: str
    status_callback: str


@dataclass(frozen=True)
class Rotation:
    id: str
    at: float
    author: str
    old: tuple[str, ...]
    new: str
    chairs: int  # chairs with a registered phone, each texted the new number


@dataclass(frozen=True)
class Text:
    precinct: str
    phone: str
    status: str
    sid: str | None
    error_code: int | None
    tries: int
    at: float | None  # when the status last changed


@dataclass(frozen=True)
class TextTurn:
    """What the pace allows now: a text to send (precinct, phone, the how-manyth try), or
    the time the next may go, or nothing left to send.
    """

    precinct: str | None = None
    phone: str | None = None
    tries: int = 0
    wait_until: float | None = None


class Numbers:
    def __init__(self, client: redis.Redis, scripts: Scripts) -> None:
        self._redis = client
        self._scripts = scripts

    # The numbers

    def all(self) -> list[HotlineNumber]:
        """Every number the hotline has had: the current one first, then the retired ones,
        most recently retired first.
        """
        return numbers_from(self._redis.hgetall(keys.NUMBERS))

    def current(self) -> HotlineNumber | None:
        return next((n for n in self.all() if n.state == CURRENT), None)

    def rotate(
        self,
        *,
        now: float,
        author: str,
        new: OwnedNumber,
        old: Sequence[OwnedNumber],
        chairs: Sequence[tuple[str, str]],
    ) -> Rotation:
        """Make `new` the current number and retire `old`, and queue a text to each chair
        in `chairs` ((precinct, phone), in the order they are to be texted): all at once,
        with the audit entry, or none of it.
        """
        rotation_id = f"r{self._redis.incr(keys.ROTATION_IDS)}"
        known = self._redis.hmget(keys.NUMBERS, [n.number for n in old]) if old else []
        with self._redis.pipeline(transaction=True) as pipe:
            for number, raw in zip(old, known, strict=True):
                since = json.loads(raw)["since"] if raw else None
                pipe.hset(
                    keys.NUMBERS, number.number, _fields(number, RETIRED, since, now, rotation_id)
                )
                pipe.hset(keys.RETIRED_NUMBERS, number.number, repr(now))
            pipe.hset(keys.NUMBERS, new.number, _fields(new, CURRENT, now, None, rotation_id))
            pipe.hdel(keys.RETIRED_NUMBERS, new.number)
            pipe.hset(
                keys.rotation(rotation_id),
                mapping={
                    "at": repr(now),
                    "author": author,
                    "new": new.number,
                    "old": json.dumps([n.number for n in old]),
                    "chairs": len(chairs),
                },
            )
            pipe.zadd(keys.ROTATIONS, {rotation_id: now})
            if chairs:
                pipe.hset(
                    keys.rotation_texts(rotation_id),
                    mapping={
                        precinct: json.dumps({"phone": phone, "status": WAITING, "tries": 0})
                        for precinct, phone in chairs
                    },
                )
                pipe.rpush(keys.rotation_outbox(rotation_id), *[p for p, _ in chairs])
            audit.record(
                pipe,
                now,
                "number-rotated",
                new.number,
                author,
                f"{len(chairs)} chairs to text",
                rotation=rotation_id,
                old=[n.number for n in old],
                new=new.number,
            )
            pipe.execute()
        return Rotation(
            id=rotation_id,
            at=now,
            author=author,
            old=tuple(n.number for n in old),
            new=new.number,
            chairs=len(chairs),
        )

    # Rotations and their texts

    def rotations(self) -> list[Rotation]:
        """Every rotation, oldest first."""
        ids = self._redis.zrange(keys.ROTATIONS, 0, -1)
        with self._redis.pipeline(transaction=False) as pipe:
            for rotation_id in ids:
                pipe.hgetall(keys.rotation(rotation_id))
            rows = pipe.execute()
        return [_rotation(rid, fields) for rid, fields in zip(ids, rows, strict=True) if fields]

    def rotation(self, rotation_id: str) -> Rotation | None:
        fields = self._redis.hgetall(keys.rotation(rotation_id))
        return _rotation(rotation_id, fields) if fields else None

    def texts(self, rotation_id: str) -> list[Text]:
        raw = self._redis.hgetall(keys.rotation_texts(rotation_id))
        return sorted(
            (_text(precinct, json.loads(value)) for precinct, value in raw.items()),
            key=lambda text: text.precinct,
        )

    def take_text(self, rotation_id: str, *, now: float, every_s: float, burst: int) -> TextTurn:
        """The next text to send, if the pace allows one now (lua/take_text.lua)."""
        answer = self._scripts.take_text(
            keys=[
                keys.rotation(rotation_id),
                keys.rotation_outbox(rotation_id),
                keys.rotation_texts(rotation_id),
            ],
            args=[repr(now), repr(every_s), burst],
        )
        if answer[0] == "send":
            return TextTurn(precinct=answer[1], phone=answer[2], tries=int(answer[3]))
        if answer[0] == "wait":
            return TextTurn(wait_until=float(answer[1]))
        return TextTurn()

    def text_status(
        self,
        rotation_id: str,
        precinct: str,
        status: str,
        *,
        now: float,
        sid: str = "",
        error_code: int | None = None,
    ) -> bool:
        """Record a text's status; a status that would move it back is ignored (lua/
        text_status.lua). One round trip: Twilio's status callbacks land here.
        """
        return bool(
            self._scripts.text_status(
                keys=[keys.rotation_texts(rotation_id)],
                args=[precinct, status, repr(now), sid, "" if error_code is None else error_code],
            )
        )

    def put_back(self, rotation_id: str, precinct: str) -> None:
        """A text that could not be sent now goes back to the front of the outbox."""
        raw = self._redis.hget(keys.rotation_texts(rotation_id), precinct)
        if raw is None:
            return
        text = {**json.loads(raw), "status": WAITING}
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.rotation_texts(rotation_id), precinct, json.dumps(text))
            pipe.lpush(keys.rotation_outbox(rotation_id), precinct)
            pipe.execute()

    def cancel_texts(self, rotation_id: str) -> int:
        """Take every text still in the rotation's outbox out, those waiting marked
        canceled; returns how many were in it.
        """
        outbox, texts = keys.rotation_outbox(rotation_id), keys.rotation_texts(rotation_id)
        precincts = self._redis.lrange(outbox, 0, -1)
        if not precincts:
            return 0
        raw = self._redis.hmget(texts, precincts)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(outbox)
            for precinct, value in zip(precincts, raw, strict=True):
                if value is not None and json.loads(value)["status"] == WAITING:
                    pipe.hset(
                        texts, precinct, json.dumps({**json.loads(value), "status": CANCELED})
                    )
            pipe.execute()
        return len(precincts)

    def stalled(self, *, now: float, quiet_for_s: float) -> list[str]:
        """Rotations with texts still in their outbox and none taken for `quiet_for_s`: the
        job that sends them was lost (a worker killed, a job expired) and must start again.
        """
        ids = self._redis.zrange(keys.ROTATIONS, 0, -1)
        with self._redis.pipeline(transaction=False) as pipe:
            for rotation_id in ids:
                pipe.llen(keys.rotation_outbox(rotation_id))
                pipe.hmget(keys.rotation(rotation_id), "at", "next_text_at")
            answers = pipe.execute()
        stalled = []
        for rotation_id, left, (at, next_at) in zip(ids, answers[::2], answers[1::2], strict=True):
            last = float(next_at or at or now)
            if left and now - last >= quiet_for_s:
                stalled.append(rotation_id)
        return stalled


def numbers_from(raw: dict[str, str]) -> list[HotlineNumber]:
    """The numbers of the NUMBERS hash as read: the current one first, then the retired
    ones, most recently retired first.
    """
    found = [_number(number, json.loads(value)) for number, value in raw.items()]
    return sorted(found, key=lambda n: (n.state != CURRENT, -(n.retired_at or 0.0)))


def _fields(
    number: OwnedNumber, state: str, since: float | None, retired_at: float | None, rotation_id: str
) -> str:
    return json.dumps(
        {
            "sid": number.sid,
            "state": state,
            "since": since,
            "retired_at": retired_at,
            "voice_url": number.voice_url,
            "status_callback": number.status_callback,
            "rotation": rotation_id,
        }
    )


def _number(number: str, fields: dict[str, Any]) -> HotlineNumber:
    return HotlineNumber(
        number=number,
        sid=fields["sid"],
        state=fields["state"],
        since=fields.get("since"),
        retired_at=fields.get("retired_at"),
        voice_url=fields.get("voice_url", ""),
        status_callback=fields.get("status_callback", ""),
    )


def _rotation(rotation_id: str, fields: dict[str, str]) -> Rotation:
    return Rotation(
        id=rotation_id,
        at=float(fields["at"]),
        author=fields["author"],
        old=tuple(json.loads(fields["old"])),
        new=fields["new"],
        chairs=int(fields["chairs"]),
    )


def _text(precinct: str, fields: dict[str, Any]) -> Text:
    code = fields.get("error_code")
    return Text(
        precinct=precinct,
        phone=fields["phone"],
        status=fields["status"],
        sid=fields.get("sid"),
        error_code=int(code) if code is not None else None,
        tries=int(fields.get("tries", 0)),
        at=fields.get("at"),
    )
