"""Console logins for volunteers and admins, with argon2id password hashes.

Only the hash is stored. `verify` takes about as long for a name that does not
exist as for a wrong password (it checks a throw-away hash instead), so the
console's answers do not tell which names are real. A hash made with weaker
parameters than the current ones is replaced on the next successful login.

Each login has a session version: a console session remembers the one it was signed in
under and is refused once it changes. Signing out and a new password bump it, which
ends every session of that login at once, wherever it was signed in.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hotline.clock import Clock
from hotline.store import audit, keys

ROLES = ("volunteer", "admin")
NAME_PATTERN = re.compile(r"[a-z0-9._-]{1,32}")
MIN_PASSWORD_LENGTH = 12


def is_valid_name(name: str) -> bool:
    return bool(NAME_PATTERN.fullmatch(name))


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    created_at: float
    session_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_json(self) -> str:
        return json.dumps(
            {
                "role": self.role,
                "password_hash": self.password_hash,
                "created_at": self.created_at,
                "session_version": self.session_version,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, name: str, raw: str) -> User:
        data = json.loads(raw)
        return cls(
            name=name,
            role=data["role"],
            password_hash=data["password_hash"],
            created_at=float(data["created_at"]),
            # Logins stored before sessions had versions are at the first one.
            session_version=int(data.get("session_version", 0)),
        )


class Users:
    def __init__(
        self, client: redis.Redis, clock: Clock, hasher: PasswordHasher | None = None
    ) -> None:
        self._redis = client
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def add(self, name: str, role: str, password: str, *, author: str) -> User:
        """Create a login. Raises ValueError for a bad name, role or password, or a taken name."""
        if not is_valid_name(name):
            raise ValueError(f"{name!r} is not a user name: use 1 to 32 of a-z 0-9 . _ -")
        if role not in ROLES:
            raise ValueError(f"{role!r} is not a role: use {' or '.join(ROLES)}")
        _check_length(password)
        # Hash before taking the lock: argon2 is slow on purpose.
        password_hash = self._hasher.hash(password)
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(keys.USERS)
                    if pipe.hexists(keys.USERS, name):
                        raise ValueError(f"there is already a user called {name}")
                    now = self._clock.now()
                    user = User(name=name, role=role, password_hash=password_hash, created_at=now)
                    pipe.multi()
                    pipe.hset(keys.USERS, name, user.to_json())
                    audit.record(pipe, now, "user-add", name, author, "", role=role)
                    pipe.execute()
                    return user
                except redis.WatchError:
                    continue

    def get(self, name: str) -> User | None:
        raw = self._redis.hget(keys.USERS, name)
        return None if raw is None else User.from_json(name, raw)

    def all(self) -> list[User]:
        """Every login, by name."""
        users = [User.from_json(n, raw) for n, raw in self._redis.hgetall(keys.USERS).items()]
        return sorted(users, key=lambda u: u.name)

    def remove(self, name: str, *, author: str, reason: str = "") -> bool:
        """Delete a login; True if there was one. Only a real removal is audited."""
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(keys.USERS)
                    raw = pipe.hget(keys.USERS, name)
                    if raw is None:
                        pipe.unwatch()
                        return False
                    role = User.from_json(name, raw).role
                    pipe.multi()
                    pipe.hdel(keys.USERS, name)
                    audit.record(
                        pipe, self._clock.now(), "user-remove", name, author, reason, role=role
                    )
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def set_password(self, name: str, password: str, *, author: str) -> User | None:
        """Give a login a new password and end every session of it; None if there is no
        such login. Raises ValueError for a password that is too short. Audited.
        """
        _check_length(password)
        password_hash = self._hasher.hash(password)  # slow on purpose: before the lock
        return self._change(
            name,
            lambda user: replace(
                user, password_hash=password_hash, session_version=user.session_version + 1
            ),
            audit_action="user-passwd",
            author=author,
        )

    def end_sessions(self, name: str) -> User | None:
        """End every console session of a login (signing out); None if there is no such login."""
        return self._change(
            name, lambda user: replace(user, session_version=user.session_version + 1)
        )

    def _change(
        self,
        name: str,
        change: Callable[[User], User],
        *,
        audit_action: str | None = None,
        author: str = "",
    ) -> User | None:
        """Read, change and write one login atomically (retrying if it changed meanwhile)."""
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(keys.USERS)
                    raw = pipe.hget(keys.USERS, name)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    changed = change(User.from_json(name, raw))
                    pipe.multi()
                    pipe.hset(keys.USERS, name, changed.to_json())
                    if audit_action is not None:
                        audit.record(
                            pipe,
                            self._clock.now(),
                            audit_action,
                            name,
                            author,
                            "",
                            role=changed.role,
                        )
                    pipe.execute()
                    return changed
                except redis.WatchError:
                    continue

    def verify(self, name: str, password: str) -> User | None:
        """The user if `password` is theirs, else None; about as slow either way."""
        user = self.get(name) if is_valid_name(name) else None
        if user is None:
            self._check(self._dummy(), password)
            return None
        if not self._check(user.password_hash, password):
            return None
        if self._hasher.check_needs_rehash(user.password_hash):
            user = self._rehash(user, password)
        return user

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        # Made on first use with this hasher's parameters, so it costs what a real check costs.
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))
        return self._dummy_hash

    def _rehash(self, user: User, password: str) -> User:
        """Store a fresh hash unless the login changed since it was read (then keep that)."""
        fresh = replace(user, password_hash=self._hasher.hash(password))
        with self._redis.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(keys.USERS)
                current = pipe.hget(keys.USERS, user.name)
                if current is None or User.from_json(user.name, current) != user:
                    pipe.unwatch()
                    return user
                pipe.multi()
                pipe.hset(keys.USERS, user.name, fresh.to_json())
                pipe.execute()
            except redis.WatchError:
                return user
        return fresh


def _check_length(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
