"""A worker stops when told, not a minute later.

RQ's workers listen for commands (stop, kill a job) in a thread that waits up to 60 s
for each. Once the worker unsubscribes, that thread waits out its whole wait for a
subscription that will not come, and redis-py 8.2's PubSubWorkerThread.stop() waits for
the thread: so a burst worker in the tests, or `hotline worker` told to stop, could take
a minute to finish. Hotline's workers poll every second (workers/worker_classes.py).
"""

from __future__ import annotations

import threading

import pytest
import redis

from workers.worker_classes import HotlineSimpleWorker, HotlineWorker

# Far above the poll (a second), far below RQ's minute: a liveness bound, not a speed one.
STOPS_WITHIN_S = 20.0


@pytest.mark.parametrize("worker_class", [HotlineWorker, HotlineSimpleWorker])
def test_the_command_listener_stops_though_it_waits_for_a_subscription(
    services, redis_url, worker_class
):
    worker = worker_class([services.queue], connection=redis.Redis.from_url(redis_url))
    worker.subscribe()
    assert worker.pubsub.subscribed_event.wait(STOPS_WITHIN_S)
    # Unsubscribed: the listener now waits for a subscription, as it does when the worker
    # unsubscribes just before stopping it.
    worker.pubsub.unsubscribe()
    while worker.pubsub.subscribed:
        threading.Event().wait(0.01)
    stopping = threading.Thread(target=worker.pubsub_thread.stop, daemon=True)
    stopping.start()
    stopping.join(STOPS_WITHIN_S)
    assert not stopping.is_alive()
    worker.pubsub.close()
