"""What a precinct reports: attendance, first and final alignment, and any coin tosses.

Counts are keyed by candidate key; groups of zero may be absent. `to_dict`/`from_dict`
give the JSON-ready shape that is stored; `from_dict` takes the numbers as they come
(a string or a float stays one) so that the checks, not the parser, name what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class CoinToss:
    """A coin toss between tied groups; the winner gets (or keeps) the delegate at stake."""

    between: tuple[str, ...]
    winner: str

    def to_dict(self) -> dict[str, Any]:
        return {"between": list(self.between), "winner": self.winner}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CoinToss:
        return cls(between=tuple(data["between"]), winner=data["winner"])


@dataclass(frozen=True)
class PrecinctReport:
    precinct: str
    attendance: int
    first: Mapping[str, int] = field(default_factory=dict)
    final: Mapping[str, int] = field(default_factory=dict)
    coin_tosses: tuple[CoinToss, ...] = ()

    def __post_init__(self) -> None:
        # Read-only copies: a frozen report must not change under whoever holds it.
        object.__setattr__(self, "first", MappingProxyType(dict(self.first)))
        object.__setattr__(self, "final", MappingProxyType(dict(self.final)))
        object.__setattr__(self, "coin_tosses", tuple(self.coin_tosses))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrecinctReport):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(
            (
                self.precinct,
                self.attendance,
                tuple(sorted(self.first.items())),
                tuple(sorted(self.final.items())),
                self.coin_tosses,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "precinct": self.precinct,
            "attendance": self.attendance,
            "first": dict(self.first),
            "final": dict(self.final),
            "coin_tosses": [toss.to_dict() for toss in self.coin_tosses],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PrecinctReport:
        return cls(
            precinct=str(data["precinct"]),
            attendance=data["attendance"],
            first=dict(data.get("first") or {}),
            final=dict(data.get("final") or {}),
            coin_tosses=tuple(CoinToss.from_dict(t) for t in data.get("coin_tosses") or ()),
        )
