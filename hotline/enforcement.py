"""Carrying out a verdict's lasting effects: automatic blocks, written with their reasons."""

from __future__ import annotations

import logging

from hotline.durations import format_duration
from hotline.phone import mask_number
from hotline.store import Store
from hotline.triage import Action, Verdict

log = logging.getLogger(__name__)

AUTOMATIC_AUTHOR = "triage"


def apply_block(store: Store, number: str | None, verdict: Verdict) -> None:
    """Write the block a verdict calls for (nothing in log-only mode or for withheld callers)."""
    if number is None or not verdict.enforced:
        return
    reason = "; ".join(verdict.reasons)
    if verdict.action is Action.TEMP_BLOCK:
        store.blocks.block(
            number,
            reason=reason,
            author=AUTOMATIC_AUTHOR,
            duration_s=verdict.block_for_s,
            automatic=True,
        )
        log.info(
            "blocked %s for %s: %s",
            mask_number(number),
            format_duration(verdict.block_for_s),
            reason,
        )
    elif verdict.action is Action.BLOCK:
        store.blocks.block(number, reason=reason, author=AUTOMATIC_AUTHOR, automatic=True)
        log.info("blocked %s until an admin unblocks it: %s", mask_number(number), reason)
