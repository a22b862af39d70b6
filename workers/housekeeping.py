"""The workers' housekeeping: jobs that no call triggers, enqueued on a timer.

Each round reconciles the line with Twilio's queue, sweeps expired blocks, samples the
night's figures for the admins' board (the line, the top callers), and starts again the
texts of a number rotation whose job was lost.
Every worker runs the timer; a key per period in Redis lets one of them enqueue each
round's jobs. A Redis that has restarted (its run_id changed: a crash and a restart from
the append-only file, or a failover) is reconciled at once, by every worker that sees
it: reconciling twice does no harm.
"""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError

from hotline.jobs import (
    enqueue_night_sample,
    enqueue_reconcile,
    enqueue_rotation_texts,
    enqueue_sweep_blocks,
)
from hotline.services import Services
from hotline.store import keys

log = logging.getLogger(__name__)

EVERY_S = 60.0
# Texts of a rotation still to send, none taken for this long: the job sending them is lost.
TEXTS_STALLED_AFTER_S = 120.0


class Housekeeping(threading.Thread):
    def __init__(self, services: Services, every_s: float = EVERY_S) -> None:
        super().__init__(name="housekeeping", daemon=True)
        self.services = services
        self.every_s = every_s
        self._stopped = threading.Event()
        self._run_id: str | None = None

    def run(self) -> None:
        while True:
            self.tick()
            if self._stopped.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stopped.set()

    def tick(self) -> bool:
        """One round; True when it enqueued the round's jobs."""
        redis = self.services.store.redis
        try:
            run_id = redis.info("server")["run_id"]
            restarted = self._run_id is not None and run_id != self._run_id
            if restarted:
                log.warning(
                    "Redis restarted (run_id %s, was %s): reconciling the line",
                    run_id,
                    self._run_id,
                )
            self._run_id = run_id
            slot = int(self.services.clock.now() // self.every_s)
            mine = redis.set(keys.housekeeping(slot), "1", nx=True, ex=int(self.every_s * 2))
            if not (restarted or mine):
                return False
            enqueue_reconcile(self.services)
            enqueue_sweep_blocks(self.services)
            stalled = self.services.store.numbers.stalled(
                now=self.services.clock.now(), quiet_for_s=TEXTS_STALLED_AFTER_S
            )
            for rotation_id in stalled:
                log.warning("texts of rotation %s stalled: sending them again", rotation_id)
                enqueue_rotation_texts(self.services, rotation_id)
            enqueue_night_sample(self.services)
            return True
        except RedisError as error:
            log.warning(
                "housekeeping skipped a round: Redis unavailable (%s)", type(error).__name__
            )
            return False
