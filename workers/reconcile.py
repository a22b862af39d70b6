"""Job: put back the chairs Redis lost, from what Twilio's queue still holds.

When Redis restarts with less than it had (its append-only file keeps up to a second
less, and a failover to a replica may lose more), chairs holding in Twilio's queue can
be missing from Hotline's line and would hold forever. This lists the queue's members
and marks those Redis has no trace of; each one's next wait request, whose URL names
its precinct, puts it back with the place its time in the queue gives it.
"""

from __future__ import annotations

from hotline.telephony import telephony_for
from workers import runtime

# An orphan not heard of again within this long has gone.
REMEMBER_ORPHANS_S = 600.0


def reconcile_line() -> dict[str, int]:
    services = runtime.current()
    members = telephony_for(services).queue_members(services.settings.queue_name)
    lost = services.store.line.mark_lost(members, remember_s=REMEMBER_ORPHANS_S)
    return {"in_twilios_queue": len(members), "lost": len(lost)}
