"""Job: remove the blocks that have expired, from the blocks hash and its indexes.

The inbound script drops an expired block when its number calls again; a number that
never calls again would stay in the hash, and in the console's count, for ever. The
housekeeping queues this job every round.
"""

from __future__ import annotations

import logging

from workers import runtime

log = logging.getLogger(__name__)


def sweep_blocks() -> dict[str, int]:
    services = runtime.current()
    removed = services.store.blocks.prune(services.clock.now())
    log.info("swept %d expired block%s", removed, "" if removed == 1 else "s")
    return {"removed": removed}
