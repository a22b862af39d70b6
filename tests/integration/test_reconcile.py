"""Putting back chairs Redis lost: the reconcile job lists Twilio's queue (the simulator's
REST stand-in over real HTTP), and each lost chair's next wait request rejoins the line.
"""

from __future__ import annotations

from hotline.jobs import enqueue_reconcile
from hotline.sim.jobs import drain
from hotline.store import keys
from tests.support.phone_night import (
    VOLUNTEER_LINE,
    VOLUNTEER_PHONE,
    VOLUNTEER_PIN,
    Person,
    phone_night,
)
from tests.support.roster import pin_of
from workers.housekeeping import Housekeeping
from workers.night_sample import sample_the_night
from workers.reconcile import reconcile_line
from workers.sweep_blocks import sweep_blocks

LINE_KEYS = (keys.LINE, keys.WAITING, keys.HOLDING, keys.PRECINCT_PLACES, keys.PRECINCT_CALLS)


def test_chairs_redis_lost_are_put_back_in_their_order_and_served(redis_url, clock):
    """Finding 4: after a restart that lost data, nothing reconciled Twilio's queue with
    Redis, and chairs whose line entries were lost held forever.
    """
    with phone_night(redis_url, clock) as (services, loop, network, _):
        first = network.place_inbound(Person("1001", pin_of("1001"), "2"), "+15155550101")
        loop.run(loop.now() + 120)
        second = network.place_inbound(Person("1002", pin_of("1002"), "2"), "+15155550102")
        loop.run(loop.now() + 60)
        assert [c.call_sid for c in services.store.line.waiting()] == [first.sid, second.sid]
        drain(services.queue)
        # Redis comes back from its file without the last moments: the line and the calls.
        redis = services.store.redis
        redis.delete(*LINE_KEYS, keys.call(first.sid), keys.call(second.sid))

        enqueue_reconcile(services)
        drain(services.queue)
        assert redis.smembers(keys.ORPHANS) == {first.sid, second.sid}
        loop.run(loop.now() + 90)  # each hears its wait URL again

        back = services.store.line.waiting()
        assert [(c.call_sid, c.precinct, c.verified_how) for c in back] == [
            (first.sid, "1001", "recovered"),
            (second.sid, "1002", "recovered"),
        ]
        assert redis.scard(keys.ORPHANS) == 0
        # A volunteer comes on duty: the first back is the first served.
        network.place_inbound(Person(VOLUNTEER_PIN), VOLUNTEER_PHONE, voice_url=VOLUNTEER_LINE)
        loop.run(loop.now() + 30)
        drain(services.queue)
        loop.run(loop.now() + 30)
        assert first.conference is not None and first.conference.name == "volunteer-v1"
        assert second.queue is not None


def test_a_wait_request_of_a_call_twilio_does_not_hold_is_not_put_back(redis_url, clock):
    with phone_night(redis_url, clock) as (services, loop, network, _):
        chair = network.place_inbound(Person("1001", pin_of("1001"), "2"), "+15155550101")
        loop.run(loop.now() + 60)
        network.hang_up(chair)
        enqueue_reconcile(services)
        drain(services.queue)
        assert services.store.redis.scard(keys.ORPHANS) == 0
        assert (
            services.store.line.adopt(
                now=clock.now(),
                call_sid=chair.sid,
                precinct="1001",
                number="+15155550101",
                hotline_number=None,
                waited_s=30,
            )
            is None
        )
        assert services.store.line.size() == 0


def test_one_worker_enqueues_each_round_and_every_worker_after_redis_restarts(services):
    """Finding 4: a reconcile runs each round, and at once when Redis has restarted."""
    one, other = Housekeeping(services), Housekeeping(services)
    assert (one.tick(), other.tick()) == (True, False)
    assert [job.func for job in services.queue.get_jobs()] == [
        reconcile_line,
        sweep_blocks,
        sample_the_night,
    ]
    other._run_id = "a Redis that is no more"
    assert other.tick() is True
    assert services.queue.count == 6
