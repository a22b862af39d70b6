"""Carrying out a verdict's lasting effects: automatic blocks, written with their reasons."""

from __future__ import annotations

from hotline.store import Store
from hotline.triage import Action, Verdict

AUTOMATIC_AUTHOR = "triage"


def apply_block(store: Store, number: str | None, verdict: Verdict) -> None:
    """Write the block a verdict calls for (nothing in log-only mode or for withheld callers)."""
    if number is None or not verdict.enforced:
        return
    if verdict.action is Action.TEMP_BLOCK:
        store.blocks.block(
            number,
            reason="; ".join(verdict.reasons),
            author=AUTOMATIC_AUTHOR,
            duration_s=verdict.block_for_s,
            automatic=True,
        )
    elif verdict.action is Action.BLOCK:
        store.blocks.block(
            number, reason="; ".join(verdict.reasons), author=AUTOMATIC_AUTHOR, automatic=True
        )
