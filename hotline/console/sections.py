"""The console page's sections as HTML, each with a version: a short hash of its HTML.

The page polls GET /console/state with the versions it holds, and is sent only the
sections whose HTML has changed. A section is rendered afresh for every poll (that is
cheap: each reads a bounded amount from Redis); only sending it is spared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from flask import render_template

# Section id on the page -> its template; which a viewer gets depends on their login.
TEMPLATES = {
    "line": "console/_line.html",
    "volunteer": "console/_volunteer.html",
    "results": "console/_results.html",
    "admin": "console/_admin.html",
}
# Longer than any version is ever sent: a client's `have` is cut to this.
MAX_HAVE = 200


def render(state: dict[str, Any]) -> dict[str, str]:
    """The HTML of each section this viewer sees."""
    shown = {
        "line": True,
        "volunteer": state["volunteer"] is not None,
        "results": state["volunteer"] is not None,
        "admin": "admin" in state,
    }
    return {
        name: render_template(TEMPLATES[name], state=state) for name, show in shown.items() if show
    }


def version(html: str) -> str:
    return hashlib.blake2b(html.encode(), digest_size=6).hexdigest()


def versions(sections: dict[str, str]) -> dict[str, str]:
    return {name: version(html) for name, html in sections.items()}


def etag(current: dict[str, str]) -> str:
    """One tag for the versions of every section: the same tag, nothing changed."""
    return version(",".join(f"{name}:{v}" for name, v in sorted(current.items())))


def parse_have(text: str, known: Iterable[str] = TEMPLATES) -> dict[str, str]:
    """ "line:ab12,admin:cd34" as {"line": "ab12", "admin": "cd34"}; anything else in it,
    and any section not `known` to the page, is ignored (that section is then sent whole).
    """
    have = {}
    for item in text[:MAX_HAVE].split(","):
        name, _, held = item.partition(":")
        if name in known and held:
            have[name] = held
    return have


def changed(
    sections: dict[str, str], current: dict[str, str], have: dict[str, str]
) -> dict[str, str]:
    """The HTML of the sections whose version is not the one the client holds."""
    return {name: html for name, html in sections.items() if have.get(name) != current[name]}
