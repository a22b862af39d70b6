"""A Finding: one inconsistency of a report, as a reason an admin can read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hotline.caucus.wording import ENGLISH, sentence


@dataclass(frozen=True)
class Finding:
    code: str  # stable, for counting and filtering: "final-above-first"
    message: str  # names the candidates and the numbers, in English
    blocking: bool  # impossible: the report cannot be stored as it is
    # What a phone call says it with in its own language: the prompt finding_<wording>
    # (the code, unless one code has several sentences) and the figures the message
    # names, by the prompt's field names (caucus/wording.py). Not compared: the same
    # message is the same finding.
    wording: str = field(default="", compare=False)
    figures: Mapping[str, object] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, code: str, *, blocking: bool, wording: str = "", **figures: object) -> Finding:
        """A finding of the checks, its message its English sentence with `figures`."""
        message = sentence(_prompt(code, wording), figures, ENGLISH)
        return cls(code, message, blocking, wording, figures)

    @property
    def prompt(self) -> str:
        """The name of the prompt this finding is said with."""
        return _prompt(self.code, self.wording)

    def said_in(self, words: Mapping[str, str]) -> str:
        """The finding in the language of `words` (a language's prompts)."""
        return sentence(self.prompt, self.figures, words)

    def __str__(self) -> str:
        return f"{'error' if self.blocking else 'warning'}: {self.message}"


def _prompt(code: str, wording: str) -> str:
    return f"finding_{wording or code}"
