"""The volunteer roster: who takes calls, from which phone, and their PIN's digest.

A volunteer's PIN digest is keyed by their id (see hotline.pins), and the id is
only known once the counter has been bumped, so `add` takes a function from the
new id to the digest rather than the digest itself. Every change lands in the
audit trail in the same transaction; the phone index is kept under WATCH so two
admins can never register one phone to two volunteers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import redis

from hotline.clock import Clock
from hotline.store import audit, keys

ID_PREFIX = "v"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


@dataclass(frozen=True)
class Volunteer:
    id: str
    name: str
    phone: str
    pin_digest: str
    created_at: float
    # The backup code's keyed digest (hotline.pins.volunteer_backup_digest).
    backup_digest: str | None = None

    def to_json(self) -> str:
        fields = {
            "name": self.name,
            "phone": self.phone,
            "pin_digest": self.pin_digest,
            "created_at": self.created_at,
        }
        if self.backup_digest:
            fields["backup_digest"] = self.backup_digest
        return json.dumps(fields, sort_keys=True)

    @classmethod
    def from_json(cls, volunteer_id: str, raw: str) -> Volunteer:
        data = json.loads(raw)
        return cls(
            id=volunteer_id,
            name=data["name"],
            phone=data["phone"],
            pin_digest=data["pin_digest"],
            created_at=float(data["created_at"]),
            backup_digest=data.get("backup_digest"),
        )


def id_number(volunteer_id: str) -> int:
    """The counter value behind an id ("v12" -> 12); ids that are not ours sort last."""
    digits = volunteer_id.removeprefix(ID_PREFIX)
    return int(digits) if volunteer_id.startswith(ID_PREFIX) and digits.isdigit() else 1 << 62


class Volunteers:
    def __init__(self, client: redis.Redis, clock: Clock) -> None:
        self._redis = client
        self._clock = clock

    def add(
        self,
        name: str,
        phone: str,
        pin_digest: Callable[[str], str],
        *,
        author: str,
        backup_digest: Callable[[str], str] | None = None,
    ) -> Volunteer:
        """Register a volunteer with a normalised phone; `pin_digest(id)` gives the PIN's
        digest, and `backup_digest(id)` their backup code's.

        Raises ValueError if the name is blank, the phone is not in E.164 form (normalise
        it first: hotline.phone.normalise_caller_id) or it is already registered.
        """
        name = name.strip()
        if not name:
            raise ValueError("a volunteer needs a name")
        if not E164.fullmatch(phone):
            raise ValueError(f"{phone!r} is not a normalised phone number (+ and digits)")
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(keys.VOLUNTEER_PHONES)
                    holder = pipe.hget(keys.VOLUNTEER_PHONES, phone)
                    if holder is not None:
                        raise ValueError(f"{phone} is already registered to volunteer {holder}")
                    volunteer_id = f"{ID_PREFIX}{self._redis.incr(keys.VOLUNTEER_IDS)}"
                    now = self._clock.now()
                    volunteer = Volunteer(
                        id=volunteer_id,
                        name=name,
                        phone=phone,
                        pin_digest=pin_digest(volunteer_id),
                        created_at=now,
                        backup_digest=backup_digest(volunteer_id) if backup_digest else None,
                    )
                    pipe.multi()
                    pipe.hset(keys.VOLUNTEERS, volunteer_id, volunteer.to_json())
                    pipe.hset(keys.VOLUNTEER_PHONES, phone, volunteer_id)
                    audit.record(
                        pipe, now, "volunteer-add", volunteer_id, author, "", name=name, phone=phone
                    )
                    pipe.execute()
                    return volunteer
                except redis.WatchError:
                    continue  # the phone index changed under us: look again

    def get(self, volunteer_id: str) -> Volunteer | None:
        raw = self._redis.hget(keys.VOLUNTEERS, volunteer_id)
        return None if raw is None else Volunteer.from_json(volunteer_id, raw)

    def by_phone(self, phone: str) -> Volunteer | None:
        volunteer_id = self._redis.hget(keys.VOLUNTEER_PHONES, phone)
        return None if volunteer_id is None else self.get(volunteer_id)

    def all(self) -> list[Volunteer]:
        """Every volunteer, in the order they were added (v2 before v10)."""
        stored = self._redis.hgetall(keys.VOLUNTEERS)
        found = [Volunteer.from_json(volunteer_id, raw) for volunteer_id, raw in stored.items()]
        return sorted(found, key=lambda v: (id_number(v.id), v.id))

    def statuses(self) -> dict[str, str]:
        """Each volunteer's live status ("free", "connecting", ...), for those that have one."""
        found = {}
        for volunteer_id, raw in self._redis.hgetall(keys.VOLUNTEER_STATES).items():
            status = json.loads(raw).get("status")
            if status:
                found[volunteer_id] = str(status)
        return found

    def remove(self, volunteer_id: str, *, author: str, reason: str = "") -> bool:
        """Forget a volunteer: record, phone, live state and place among the free.

        True if there was one; only a real removal is audited.
        """
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(keys.VOLUNTEERS, keys.VOLUNTEER_PHONES)
                    raw = pipe.hget(keys.VOLUNTEERS, volunteer_id)
                    if raw is None:
                        pipe.unwatch()
                        return False
                    volunteer = Volunteer.from_json(volunteer_id, raw)
                    phone_holder = pipe.hget(keys.VOLUNTEER_PHONES, volunteer.phone)
                    pipe.multi()
                    pipe.hdel(keys.VOLUNTEERS, volunteer_id)
                    if phone_holder == volunteer_id:
                        pipe.hdel(keys.VOLUNTEER_PHONES, volunteer.phone)
                    pipe.hdel(keys.VOLUNTEER_STATES, volunteer_id)
                    pipe.zrem(keys.FREE_VOLUNTEERS, volunteer_id)
                    audit.record(
                        pipe,
                        self._clock.now(),
                        "volunteer-remove",
                        volunteer_id,
                        author,
                        reason,
                        name=volunteer.name,
                        phone=volunteer.phone,
                    )
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def set_pin_digest(
        self,
        volunteer_id: str,
        pin_digest: str,
        *,
        author: str,
        reason: str = "",
        backup_digest: str | None = None,
    ) -> Volunteer | None:
        """Replace a volunteer's PIN digest, and with `backup_digest` their backup code's
        (a reset); None if there is no such volunteer.
        """
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(keys.VOLUNTEERS)
                    raw = pipe.hget(keys.VOLUNTEERS, volunteer_id)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    volunteer = replace(
                        Volunteer.from_json(volunteer_id, raw), pin_digest=pin_digest
                    )
                    if backup_digest:
                        volunteer = replace(volunteer, backup_digest=backup_digest)
                    pipe.multi()
                    pipe.hset(keys.VOLUNTEERS, volunteer_id, volunteer.to_json())
                    audit.record(
                        pipe, self._clock.now(), "volunteer-reset-pin", volunteer_id, author, reason
                    )
                    pipe.execute()
                    return volunteer
                except redis.WatchError:
                    continue
