"""The Lua scripts in store/lua/, registered once per Redis client.

redis-py's Script sends EVALSHA and falls back to EVAL when the server does
not know the script yet, so each call is one round trip. Lua has no imports:
a script that takes calls out of the line gets lua/lib/line.lua put in front
of its own text.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import redis
from redis.commands.core import Script

# Scripts that use a library, and the libraries they use.
LIBRARIES = {
    "pair": ("line",),
    "call_ended": ("line",),
    "confirm_pairing": ("line",),
    "step_out": ("line",),
}


def _read(path: str) -> str:
    return resources.files("hotline.store").joinpath("lua", path).read_text()


def source(name: str) -> str:
    """A script's full text: its libraries, then its own."""
    parts = [_read(f"lib/{library}.lua") for library in LIBRARIES.get(name, ())]
    return "\n".join([*parts, _read(f"{name}.lua")])


@dataclass(frozen=True)
class Scripts:
    arrive: Script
    verified: Script
    call_ended: Script
    pair: Script
    holding: Script
    confirm_pairing: Script
    pin_check: Script
    pin_alarm: Script
    count_failure: Script
    take_step: Script
    book_call_back: Script
    sign_in_attempt: Script
    prune_blocks: Script
    index_blocks: Script
    step_out: Script
    take_text: Script
    text_status: Script
    record_verdict: Script

    @classmethod
    def register(cls, client: redis.Redis) -> Scripts:
        return cls(
            **{name: client.register_script(source(name)) for name in cls.__dataclass_fields__}
        )
