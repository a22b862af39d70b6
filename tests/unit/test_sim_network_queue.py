"""Calls that leave the script: <Enqueue> and its wait URL, <Leave>, Queue Member and Call
updates (Twilio's REST API), <Dial><Conference> with the simulator's volunteer desks, and
calls the REST API places, each as Twilio documents it.
"""

from __future__ import annotations

import re

import pytest

from hotline.sim.desks import VolunteerDesks
from hotline.sim.network import API_VERSION, ApiError, Reply, SimQueue
from tests.unit.test_sim_network import (
    ACCOUNT,
    APP,
    CHAIR,
    HOTLINE,
    OTHER,
    STATUS_URL,
    T0,
    Sim,
    make_sim,
    redirect,
    since,
    status_callback,
    twiml,
    webhook,
)

WAIT = f"{APP}/voice/wait"
LEFT = f"{APP}/voice/left"
ROOM = f"{APP}/voice/room"
CALLBACK = f"{APP}/voice/callback"
ENQUEUE = f'<Enqueue action="{LEFT}" waitUrl="{WAIT}">chairs</Enqueue>'
HOLD = twiml('<Pause length="600"/>')
QUEUE_SID = re.compile(r"^QU[0-9a-f]{32}$")


def queued(wait: str, *, left: str = HOLD, room: str = HOLD, **routes: str) -> Sim:
    """A hotline that puts every caller in the "chairs" queue, `wait` as its wait URL."""
    return make_sim(
        {
            "/voice/incoming": twiml(ENQUEUE),
            "/voice/wait": wait,
            "/voice/left": left,
            "/voice/room": room,
            **routes,
        }
    )


def chairs(sim: Sim) -> SimQueue:
    return sim.network.queues["chairs"]


def wait_params(sim: Sim, path: str = "/voice/wait") -> list[dict[str, str]]:
    """The queue parameters of each request to `path`."""
    names = ("QueuePosition", "QueueTime", "AvgQueueTime", "CurrentQueueSize")
    return [{n: r.params[n] for n in names} for r in sim.app.to(path)]


# --- Enqueue and its wait URL ---------------------------------------------------------------


def test_enqueue_requests_the_wait_url_with_the_queue_parameters():
    sim = queued(HOLD)
    call = sim.call()
    sim.run(1)
    queue = chairs(sim)
    assert QUEUE_SID.match(queue.sid)
    assert queue.members == [call]
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (0.0, "/voice/wait")]
    assert sim.app.requests[1].url == WAIT
    assert sim.app.requests[1].params == webhook(
        call,
        QueueSid=queue.sid,
        QueuePosition="1",
        QueueTime="0",
        AvgQueueTime="0",
        CurrentQueueSize="1",
        MaxQueueSize="1000",
    )
    assert sim.people[0].events == [(0.0, "enqueued")]


def test_the_wait_url_is_requested_again_each_time_its_document_ends():
    sim = queued(twiml("<Say>You are caller number one</Say>", '<Pause length="38"/>'))
    call = sim.call()
    sim.run(125)
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/wait"),
        (40.0, "/voice/wait"),
        (80.0, "/voice/wait"),
        (120.0, "/voice/wait"),
    ]
    assert [p["QueueTime"] for p in wait_params(sim)] == ["0", "40", "80", "120"]
    assert call.heard == ["You are caller number one"] * 4
    assert call.live


@pytest.mark.parametrize("wait", [twiml(), twiml("<Say>Hold</Say>")])
def test_a_wait_document_shorter_than_a_second_is_repeated_each_second(wait):
    sim = queued(wait)
    sim.call()
    sim.run(3.5)
    assert [at for at, _ in sim.app.timeline()] == [0.0, 0.0, 1.0, 2.0, 3.0]


def test_enqueue_without_a_wait_url_plays_twilios_own_hold_music():
    sim = make_sim({"/voice/incoming": twiml(f'<Enqueue action="{LEFT}">chairs</Enqueue>')})
    call = sim.call()
    sim.run(600)
    assert sim.app.timeline() == [(0.0, "/voice/incoming")]
    assert chairs(sim).members == [call]
    assert call.live


def test_callers_in_the_queue_hear_their_position_and_the_average_wait():
    sim = queued(twiml('<Pause length="10"/>'))
    first = sim.call()
    second = sim.call_at(5.0, caller=OTHER)
    sim.at(12.0, lambda: sim.network.update_queue_member(chairs(sim).sid, first.sid, url=ROOM))
    sim.run(16)
    assert [(r.at, r.params["CallSid"]) for r in sim.app.to("/voice/wait")] == [
        (0.0, first.sid),
        (5.0, second[0].sid),
        (10.0, first.sid),
        (15.0, second[0].sid),
    ]
    assert wait_params(sim) == [
        {"QueuePosition": "1", "QueueTime": "0", "AvgQueueTime": "0", "CurrentQueueSize": "1"},
        {"QueuePosition": "2", "QueueTime": "0", "AvgQueueTime": "0", "CurrentQueueSize": "2"},
        {"QueuePosition": "1", "QueueTime": "10", "AvgQueueTime": "0", "CurrentQueueSize": "2"},
        # The first caller left after 12 s: the second moves up.
        {"QueuePosition": "1", "QueueTime": "10", "AvgQueueTime": "12", "CurrentQueueSize": "1"},
    ]


def test_gather_in_a_wait_document_hears_the_caller_on_hold():
    hold_key = f"{APP}/voice/hold-key"
    sim = queued(
        twiml(
            f'<Gather action="{hold_key}" numDigits="1">'
            "<Say>Press 1 to leave a message</Say></Gather>"
        ),
        **{"/voice/hold-key": twiml("<Leave/>")},
    )
    call = sim.call(Reply("1", delay_s=1.0))
    sim.run(10)
    # 6 words of prompt (2.4 s) and a second to press 1; <Leave> then runs the action.
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/wait"),
        (3.4, "/voice/hold-key"),
        (3.4, "/voice/left"),
    ]
    assert sim.app.requests[2].params["Digits"] == "1"
    assert sim.people[0].prompts == [(0.0, ["Press 1 to leave a message"], True)]
    assert chairs(sim).members == []
    assert call.live


# --- Leaving the queue: <Leave>, the caller hanging up ------------------------------------


def test_leave_runs_the_enqueue_action_with_queue_result_leave():
    sim = queued(
        twiml("<Say>Nobody can take your call</Say>", "<Leave/>"),
        left=twiml("<Say>Please call back</Say>", "<Hangup/>"),
    )
    call = sim.call()
    sim.run()
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/wait"),
        (2.0, "/voice/left"),
        (3.2, "/voice/status"),
    ]
    assert sim.app.requests[2].url == LEFT
    assert sim.app.requests[2].params == webhook(
        call, QueueResult="leave", QueueSid=chairs(sim).sid, QueueTime="2"
    )
    assert call.heard == ["Nobody can take your call", "Please call back"]
    assert chairs(sim).members == []
    assert call.status == "completed"


def test_leave_without_an_action_goes_on_after_the_enqueue():
    sim = make_sim(
        {
            "/voice/incoming": twiml(
                f'<Enqueue waitUrl="{WAIT}">chairs</Enqueue>',
                "<Say>Sorry</Say>",
                redirect("/voice/after"),
            ),
            "/voice/wait": twiml("<Leave/>"),
            "/voice/after": HOLD,
        }
    )
    call = sim.call()
    sim.run(10)
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/wait"),
        (0.4, "/voice/after"),
    ]
    assert call.heard == ["Sorry"]


def test_caller_hanging_up_in_the_queue_is_reported_to_the_action_as_hangup():
    sim = queued(twiml('<Pause length="30"/>'))
    call = sim.call()
    sim.network.hang_up_after(call, 42.0)
    sim.run()
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/wait"),
        (30.0, "/voice/wait"),
        (42.0, "/voice/left"),
        (42.0, "/voice/status"),
    ]
    assert sim.app.to("/voice/left")[0].params == webhook(
        call, "completed", QueueResult="hangup", QueueSid=chairs(sim).sid, QueueTime="42"
    )
    assert sim.app.status().params == status_callback(
        call, "completed", 42, "Wed, 05 Feb 2020 00:00:42 +0000"
    )
    assert chairs(sim).members == []
    assert call.outcome == "caller hung up"


# --- Queue Member update: the REST API moves a call out of the queue ----------------------


def test_queue_member_update_moves_the_call_to_the_url():
    sim = queued(twiml('<Pause length="10"/>'))
    call = sim.call()
    moved: list[dict[str, object]] = []
    sim.at(
        25.0,
        lambda: moved.append(sim.network.update_queue_member(chairs(sim).sid, call.sid, url=ROOM)),
    )
    sim.run(100)
    queue = chairs(sim)
    assert moved == [
        {
            "call_sid": call.sid,
            "queue_sid": queue.sid,
            "position": 1,
            "wait_time": 25,
            "date_enqueued": None,
            "uri": f"/{API_VERSION}/Accounts/{ACCOUNT}/Queues/{queue.sid}/Members/{call.sid}.json",
        }
    ]
    # Twilio tells the Enqueue action why the call left, then runs the new URL; the wait
    # document that was playing stops.
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/wait"),
        (10.0, "/voice/wait"),
        (20.0, "/voice/wait"),
        (25.0, "/voice/left"),
        (25.0, "/voice/room"),
    ]
    assert sim.app.requests[4].params == webhook(
        call, QueueResult="redirected", QueueSid=queue.sid, QueueTime="25"
    )
    assert sim.app.requests[5].url == ROOM
    assert sim.app.requests[5].params == webhook(call)
    assert queue.members == []
    assert call.queue is None and call.live


def test_queue_member_front_is_the_longest_waiting_caller():
    sim = queued(HOLD)
    first = sim.call()
    second = sim.call(caller=OTHER)
    sim.network.update_queue_member(chairs(sim).sid, "Front", url=ROOM)
    assert chairs(sim).members == [second]
    assert sim.app.requests[-1].params["CallSid"] == first.sid
    assert sim.app.requests[-1].path == "/voice/room"


def test_queue_member_update_errors_are_twilios():
    sim = queued(HOLD)
    call = sim.call()
    queue_sid = chairs(sim).sid
    with pytest.raises(ApiError) as no_queue:
        sim.network.update_queue_member("QU" + "f" * 32, call.sid, url=ROOM)
    with pytest.raises(ApiError) as no_member:
        sim.network.update_queue_member(queue_sid, "CA" + "f" * 32, url=ROOM)
    sim.network.update_queue_member(queue_sid, "Front", url=ROOM)
    with pytest.raises(ApiError) as empty:
        sim.network.update_queue_member(queue_sid, "Front", url=ROOM)
    assert [(e.value.status, e.value.code) for e in (no_queue, no_member, empty)] == [
        (404, 20404)
    ] * 3


# --- Call update: redirect, hang up ---------------------------------------------------------


def test_redirecting_a_queued_call_takes_it_out_of_the_queue():
    sim = queued(HOLD)
    call = sim.call()
    sim.at(15.0, lambda: sim.network.update_call(call.sid, url=ROOM))
    sim.run(100)
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/wait"),
        (15.0, "/voice/left"),
        (15.0, "/voice/room"),
    ]
    assert sim.app.requests[2].params["QueueResult"] == "redirected"
    assert sim.app.requests[2].params["QueueTime"] == "15"
    assert chairs(sim).members == []


def test_redirecting_a_call_abandons_the_rest_of_its_document():
    sim = make_sim(
        {
            "/voice/incoming": twiml('<Pause length="60"/>', redirect("/voice/after")),
            "/voice/room": HOLD,
        }
    )
    call = sim.call()
    sim.at(10.0, lambda: sim.network.update_call(call.sid, url=ROOM))
    sim.run(200)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (10.0, "/voice/room")]
    assert sim.app.requests[1].params == webhook(call)


def test_updating_a_call_with_twiml_runs_it_in_place():
    sim = make_sim({"/voice/incoming": HOLD})
    call = sim.call()
    sim.at(10.0, lambda: sim.network.update_call(call.sid, twiml=twiml("<Say>Goodbye</Say>")))
    sim.run()
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (10.4, "/voice/status")]
    assert call.heard == ["Goodbye"]


def test_redirecting_an_ended_call_is_error_21220():
    sim = make_sim({"/voice/incoming": twiml("<Say>Bye</Say>")})
    call = sim.call()
    sim.run()
    with pytest.raises(ApiError) as error:
        sim.network.update_call(call.sid, url=ROOM)
    assert (error.value.status, error.value.code) == (400, 21220)
    assert error.value.to_resource()["more_info"] == "https://www.twilio.com/docs/errors/21220"
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (0.4, "/voice/status")]


def test_updating_an_unknown_call_is_error_20404():
    sim = make_sim({})
    with pytest.raises(ApiError) as error:
        sim.network.update_call("CA" + "f" * 32, url=ROOM)
    assert (error.value.status, error.value.code) == (404, 20404)


def test_status_completed_hangs_up_an_answered_call():
    sim = make_sim({"/voice/incoming": HOLD})
    call = sim.call()
    sim.at(30.0, lambda: sim.network.update_call(call.sid, status="completed"))
    sim.run()
    assert call.status == "completed"
    assert call.outcome == "ended by the hotline"
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (30.0, "/voice/status")]
    assert sim.app.status().params["CallDuration"] == "30"


def test_status_canceled_leaves_an_answered_call_alone():
    sim = make_sim({"/voice/incoming": HOLD})
    call = sim.call()
    sim.at(30.0, lambda: sim.network.update_call(call.sid, status="canceled"))
    sim.run(100)
    assert call.live
    assert sim.app.timeline() == [(0.0, "/voice/incoming")]


# --- Dial/Conference ------------------------------------------------------------------------


def conference(room: str = "room-1", **attrs: str) -> str:
    attributes = "".join(f' {name}="{value}"' for name, value in attrs.items())
    return twiml(f"<Dial><Conference{attributes}>{room}</Conference></Dial>")


def test_two_calls_in_one_conference_are_connected():
    sim = make_sim({"/voice/incoming": conference()})
    first = sim.call()
    second = sim.call_at(5.0, caller=OTHER)
    sim.network.hang_up_after(first, 65.0)
    sim.run(100)
    assert sim.people[0].events == [(5.0, "connected"), (65.0, "ended completed")]
    assert sim.people[1].events == [(5.0, "connected")]
    assert since(first.connected_at) == since(second[0].connected_at) == 5.0
    assert sim.network.conferences["room-1"].participants == second
    assert second[0].live


def test_end_conference_on_exit_drops_the_others_when_that_party_leaves():
    # The conference ends and the others drop out of it; with nothing after their <Dial>,
    # their calls are over too.
    sim = make_sim(
        {
            "/voice/incoming": lambda params: (
                conference(endConferenceOnExit="true") if params["From"] == CHAIR else conference()
            )
        }
    )
    first = sim.call()
    second = sim.call_at(5.0, caller=OTHER)
    sim.network.hang_up_after(first, 65.0)
    sim.run(100)
    assert second[0].status == "completed"
    assert since(second[0].ended_at) == 65.0
    assert [
        (r.at, r.params["CallSid"], r.params["CallDuration"]) for r in sim.app.to("/voice/status")
    ] == [(65.0, second[0].sid, "60"), (65.0, first.sid, "65")]


def test_volunteer_desks_take_callers_from_the_queue_in_order_and_talk():
    sim = queued(twiml('<Pause length="40"/>'))
    desks = VolunteerDesks(sim.network, count=1, queue_name="chairs")
    first = sim.network.place_inbound(sim.person(talk_s=120.0), CHAIR)
    second: list = []
    later = sim.person(talk_s=60.0)
    sim.at(10.0, lambda: second.append(sim.network.place_inbound(later, OTHER)))
    sim.run(400)
    (other,) = second
    # The first caller is taken at once: the wait URL is never requested for them.
    assert [
        (at, path, r.params["CallSid"] == first.sid)
        for (at, path), r in zip(sim.app.timeline(), sim.app.requests, strict=True)
    ] == [
        (0.0, "/voice/incoming", True),
        (0.0, "/voice/left", True),
        (10.0, "/voice/incoming", False),
        (10.0, "/voice/wait", False),
        (50.0, "/voice/wait", False),
        (90.0, "/voice/wait", False),
        # 120 s of talk: the volunteer hangs up and at once takes the next caller
        (120.0, "/voice/left", False),
        (120.0, "/voice/status", True),
        (180.0, "/voice/status", False),
    ]
    assert [r.params["QueueResult"] for r in sim.app.to("/voice/left")] == ["redirected"] * 2
    assert [r.params["QueueTime"] for r in sim.app.to("/voice/left")] == ["0", "110"]
    assert sim.people[0].events == [
        (0.0, "enqueued"),
        (0.0, "connected"),
        (120.0, "ended completed"),
    ]
    assert later.events == [(10.0, "enqueued"), (120.0, "connected"), (180.0, "ended completed")]
    assert [r.params["CallDuration"] for r in sim.app.to("/voice/status")] == ["120", "170"]
    assert since(other.connected_at) == 120.0
    assert desks.answered == {"chair": 2}
    assert desks.busy == 0


# --- Calls the REST API places --------------------------------------------------------------


def test_an_answered_outbound_call_requests_its_url_when_answered():
    # 7 words: 2.8 s.
    sim = make_sim({"/voice/callback": twiml("<Say>The results hotline is calling you back</Say>")})
    callee = sim.person()
    call = sim.network.create_call(
        callee,
        to=CHAIR,
        from_=HOTLINE,
        url=CALLBACK,
        status_callback=STATUS_URL,
        answer_after_s=8.0,
    )
    assert call.status == "queued"
    assert sim.app.requests == []
    sim.run()
    assert sim.app.timeline() == [(8.0, "/voice/callback"), (10.8, "/voice/status")]
    assert sim.app.requests[0].params == {
        "CallSid": call.sid,
        "AccountSid": ACCOUNT,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        "ApiVersion": API_VERSION,
        "From": HOTLINE,
        "To": CHAIR,
        "Caller": HOTLINE,
        "Called": CHAIR,
    }
    # CallDuration counts from the answer, not from the dialling.
    assert sim.app.status().params == status_callback(
        call,
        "completed",
        2,
        "Wed, 05 Feb 2020 00:00:10 +0000",
        direction="outbound-api",
        from_=HOTLINE,
        to=CHAIR,
    )
    assert callee.events == [(10.8, "ended completed")]


@pytest.mark.parametrize(
    ("answer_after_s", "timeout_s", "ends_at"),
    [(None, 60.0, 60.0), (None, 20.0, 20.0), (25.0, 20.0, 20.0)],
)
def test_an_unanswered_outbound_call_ends_no_answer_when_the_timeout_runs_out(
    answer_after_s, timeout_s, ends_at
):
    sim = make_sim({"/voice/callback": HOLD})
    call = sim.network.create_call(
        sim.person(),
        to=CHAIR,
        from_=HOTLINE,
        url=CALLBACK,
        status_callback=STATUS_URL,
        answer_after_s=answer_after_s,
        timeout_s=timeout_s,
    )
    sim.run()
    assert call.status == "no-answer"
    assert call.answered_at is None
    assert sim.app.timeline() == [(ends_at, "/voice/status")]
    assert sim.app.status().params["CallStatus"] == "no-answer"
    assert sim.app.status().params["CallDuration"] == "0"


def test_canceling_a_ringing_outbound_call():
    sim = make_sim({"/voice/callback": HOLD})
    call = sim.network.create_call(
        sim.person(),
        to=CHAIR,
        from_=HOTLINE,
        url=CALLBACK,
        status_callback=STATUS_URL,
        answer_after_s=30.0,
    )
    sim.at(5.0, lambda: sim.network.update_call(call.sid, status="canceled"))
    sim.run()
    assert call.status == "canceled"
    assert sim.app.timeline() == [(5.0, "/voice/status")]
    assert sim.app.status().params["CallDuration"] == "0"


def test_call_resource_reports_the_duration_once_over():
    sim = make_sim({"/voice/incoming": twiml('<Pause length="12"/>')})
    call = sim.call()
    assert call.to_resource(ACCOUNT)["duration"] is None
    sim.run()
    resource = call.to_resource(ACCOUNT)
    assert (resource["status"], resource["duration"], resource["direction"]) == (
        "completed",
        "12",
        "inbound",
    )
    assert call.created_at == T0
