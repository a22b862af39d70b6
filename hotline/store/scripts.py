"""The Lua scripts in store/lua/, registered once per Redis client.

redis-py's Script sends EVALSHA and falls back to EVAL when the server does
not know the script yet, so each call is one round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import redis
from redis.commands.core import Script


def _source(name: str) -> str:
    return resources.files("hotline.store").joinpath("lua", f"{name}.lua").read_text()


@dataclass(frozen=True)
class Scripts:
    arrive: Script
    verified: Script
    pin_failed: Script
    call_ended: Script
    pair: Script
    holding: Script
    confirm_pairing: Script
    sign_in_attempt: Script

    @classmethod
    def register(cls, client: redis.Redis) -> Scripts:
        return cls(
            **{name: client.register_script(_source(name)) for name in cls.__dataclass_fields__}
        )
