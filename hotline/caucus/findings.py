"""A Finding: one inconsistency of a report, as a reason an admin can read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    code: str  # stable, for counting and filtering: "final-above-first"
    message: str  # names the candidates and the numbers
    blocking: bool  # impossible: the report cannot be stored as it is

    def __str__(self) -> str:
        return f"{'error' if self.blocking else 'warning'}: {self.message}"
