"""A Finding: one inconsistency of a report, as a reason an admin can read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    code: str  # stable, for counting and filtering: "final-above-first"
    message: str  # names the candidates and the numbers, in English
    blocking: bool  # impossible: the report cannot be stored as it is
    # What a phone call says it with in its own language (hotline/voice/caucus_words.py):
    # the prompt finding_<wording> (the code, unless one code has several sentences) and
    # the figures the message names, by the prompt's field names. The message is that
    # prompt in English. Not compared: the same message is the same finding.
    wording: str = field(default="", compare=False)
    figures: Mapping[str, object] = field(default_factory=dict, compare=False)

    @property
    def prompt(self) -> str:
        """The name of the prompt this finding is said with."""
        return f"finding_{self.wording or self.code}"

    def __str__(self) -> str:
        return f"{'error' if self.blocking else 'warning'}: {self.message}"
