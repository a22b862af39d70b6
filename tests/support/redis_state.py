"""Reading back everything a test left in Redis: whole snapshots and a search for secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator


def snapshot(client, pattern: str = "*") -> dict[str, tuple[str, object]]:
    """Every key (matching `pattern`) with its type and whole value (streams as their
    entries' fields). RQ's job hashes hold pickles, which a decoding client cannot read:
    match "hotline:*" where jobs may be queued.
    """
    state: dict[str, tuple[str, object]] = {}
    for key in sorted(client.scan_iter(pattern)):
        kind = client.type(key)
        if kind == "string":
            value: object = client.get(key)
        elif kind == "hash":
            value = client.hgetall(key)
        elif kind == "set":
            value = sorted(client.smembers(key))
        elif kind == "zset":
            value = client.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = client.lrange(key, 0, -1)
        elif kind == "stream":
            value = [fields for _, fields in client.xrange(key)]
        else:
            raise AssertionError(f"unexpected Redis type {kind} for {key}")
        state[key] = (kind, value)
    return state


def stored_strings(client) -> Iterator[str]:
    """Every key name, field and value in Redis, with JSON values opened down to their leaves.

    Stream entry ids are left out: they are times the server chose, not data.
    """
    for key, (_, value) in snapshot(client).items():
        yield key
        yield from _walk(value)


def is_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_nowhere_in_redis(client, secret: str) -> None:
    """`secret` is not stored: no string contains it, and no number is it.

    Numbers (times, counters) are only compared whole, so that a six-digit PIN does not
    "appear" by chance inside a timestamp.
    """
    for text in stored_strings(client):
        if is_numeric(text):
            assert text.strip() != secret, f"{secret!r} is stored in Redis"
        else:
            assert secret not in text, f"{secret!r} is stored in Redis, in {text!r}"


def _walk(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for field, item in value.items():
            yield from _walk(field)
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, str):
        yield value
        opened = _json(value)
        if isinstance(opened, dict | list):
            yield from _walk(opened)
    elif value is not None:
        yield str(value)


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None
