"""Reading TwiML back into (verb, attributes, text) for exact assertions."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def parse(document: str | bytes) -> ET.Element:
    root = ET.fromstring(document)
    assert root.tag == "Response", root.tag
    return root


def verbs(document: str | bytes) -> list[str]:
    return [child.tag for child in parse(document)]


def shape(document: str | bytes) -> list[tuple]:
    """Each verb as (tag, attributes, text, nested shape)."""

    def walk(element: ET.Element) -> tuple:
        return (
            element.tag,
            dict(element.attrib),
            (element.text or "").strip(),
            [walk(child) for child in element],
        )

    return [walk(child) for child in parse(document)]
