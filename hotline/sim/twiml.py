"""TwiML as the phone network reads it: a document parsed into verbs.

Only what Twilio itself checks is checked here: the root is <Response> and
every verb is one Twilio knows. What a verb does is the network's business
(network.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache

VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Redirect", "Enqueue", "Dial", "Reject", "Hangup", "Leave"}
)
# What Twilio allows inside a wait URL's document (Enqueue's waitUrl).
WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Leave", "Hangup"})


class TwimlError(ValueError):
    """The document is not TwiML Twilio would run (Twilio's error 12100 / 12200)."""


@dataclass(frozen=True)
class Verb:
    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    children: tuple[Verb, ...] = ()

    def attr(self, name: str, default: str = "") -> str:
        return self.attrs.get(name, default)

    def number(self, name: str, default: float) -> float:
        try:
            return float(self.attrs[name])
        except (KeyError, ValueError):
            return default


def parse(document: str) -> list[Verb]:
    """The verbs of `document`. A night fetches the same few thousand documents again and
    again (every wait URL cycle, every prompt), so each is parsed once; the verbs are
    frozen and the list is only ever read.
    """
    return _parse(document)


@lru_cache(maxsize=8192)
def _parse(document: str) -> list[Verb]:
    try:
        root = ET.fromstring(document)
    except ET.ParseError as error:
        raise TwimlError(f"not XML: {error}") from None
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, not <Response>")
    verbs = [_verb(element) for element in root]
    unknown = [v.name for v in verbs if v.name not in VERBS]
    if unknown:
        raise TwimlError(f"unknown verb(s): {', '.join(unknown)}")
    return verbs


def _verb(element: ET.Element) -> Verb:
    return Verb(
        name=element.tag,
        attrs=dict(element.attrib),
        text=(element.text or "").strip(),
        children=tuple(_verb(child) for child in element),
    )
