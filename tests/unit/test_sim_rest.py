"""The simulated Twilio REST API through Flask's test client: credentials, Queue Member
updates, call redirects and creation, messages, conference participants; and Twilio's own
Python library talking to it unawares.
"""

from __future__ import annotations

import logging
import urllib.parse

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hotline.clock import ManualClock
from hotline.sim.loop import EventLoop
from hotline.sim.network import Network, SimCall
from hotline.sim.people import Listener
from hotline.sim.rest import create_rest_app

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "sim-auth-token"
AUTH = (ACCOUNT, TOKEN)
KEY_SID = "SK" + "fedcba9876543210" * 2
KEY_SECRET = "api-key-secret"
BASE = f"/2010-04-01/Accounts/{ACCOUNT}"
APP_URL = "https://hotline.example.test"
VOICE_URL = f"{APP_URL}/voice/incoming"
WAIT_URL = f"{APP_URL}/voice/wait"
LEFT_URL = f"{APP_URL}/voice/left"
ROOM_URL = f"{APP_URL}/voice/room"
CALLBACK_URL = f"{APP_URL}/voice/callback"
STATUS_URL = f"{APP_URL}/voice/status"
HOTLINE = "+15155550000"
CHAIR = "+15155550101"
OTHER_CHAIR = "+15155550102"
START = "Wed, 05 Feb 2020 00:00:00 +0000"  # ManualClock's default start
PAUSE = '<Response><Pause length="600"/></Response>'
ENQUEUE = f'<Response><Enqueue action="{LEFT_URL}" waitUrl="{WAIT_URL}">line</Enqueue></Response>'
ROOM = "<Response><Dial><Conference>room-1</Conference></Dial></Response>"


class StubTransport:
    """The app's side of the network: a fixed TwiML document per URL, Pause elsewhere."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.documents = documents
        self.posts: list[tuple[str, dict[str, str]]] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        self.posts.append((url, params))
        return 200, self.documents.get(url, PAUSE)

    def urls(self) -> list[str]:
        return [url for url, _ in self.posts]


class Quiet(Listener):
    """A caller (or callee) who listens and presses nothing."""

    def __init__(self) -> None:
        self.ended: list[str] = []

    def on_ended(self, call: SimCall) -> None:
        self.ended.append(call.status)


class Night:
    def __init__(self, **app_options) -> None:
        self.clock = ManualClock()
        self.loop = EventLoop(self.clock)
        self.transport = StubTransport({VOICE_URL: ENQUEUE, ROOM_URL: ROOM})
        self.network = Network(
            self.loop,
            self.transport,
            account_sid=ACCOUNT,
            voice_url=VOICE_URL,
            status_url=STATUS_URL,
            hotline_number=HOTLINE,
        )
        self.client = create_rest_app(self.network, auth_token=TOKEN, **app_options).test_client()

    def api(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        *,
        auth: tuple[str, str] | None = AUTH,
        **options,
    ):
        return self.client.open(BASE + path, method=method, data=data, auth=auth, **options)

    def queued(self, caller_id: str = CHAIR) -> SimCall:
        return self.network.place_inbound(Quiet(), caller_id)

    def in_room(self, caller_id: str = OTHER_CHAIR) -> SimCall:
        call = self.queued(caller_id)
        self.network.update_queue_member(call.queue.sid, call.sid, url=ROOM_URL)
        return call


@pytest.fixture
def night() -> Night:
    return Night()


def error(status: int, code: int, message: str) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "status": status,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
    }


# --- Credentials ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, (ACCOUNT, "wrong-token"), ("AC" + "f" * 32, TOKEN), (KEY_SID, KEY_SECRET)],
    ids=["none", "wrong token", "other account", "unknown key"],
)
def test_bad_credentials_answer_401_as_twilio_does(night, auth):
    response = night.api("GET", "/Queues.json", auth=auth)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    assert response.get_json() == {
        **error(401, 20003, "Authenticate"),
        "detail": "Your AccountSid or AuthToken was incorrect.",
    }


def test_bearer_token_is_not_basic_auth(night):
    response = night.client.get(f"{BASE}/Queues.json", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401


def test_api_key_authenticates_with_its_secret_only():
    night = Night(api_keys={KEY_SID: KEY_SECRET})
    assert night.api("GET", "/Queues.json", auth=(KEY_SID, KEY_SECRET)).status_code == 200
    assert night.api("GET", "/Queues.json", auth=(KEY_SID, TOKEN)).status_code == 401


def test_another_accounts_path_is_not_found(night):
    path = f"/2010-04-01/Accounts/AC{'f' * 32}/Queues.json"
    response = night.client.get(path, auth=AUTH)
    assert response.status_code == 404
    assert response.get_json() == error(404, 20404, f"The requested resource {path} was not found")


def test_unknown_route_and_wrong_method_answer_twilio_errors(night):
    missing = night.api("GET", "/Recordings.json")
    assert missing.status_code == 404
    assert missing.get_json() == error(
        404, 20404, f"The requested resource {BASE}/Recordings.json was not found"
    )
    wrong = night.api("DELETE", "/Messages.json")
    assert wrong.status_code == 405
    assert wrong.get_json() == error(405, 20004, "Method not allowed")


def test_credentials_are_checked_before_routes(night):
    assert night.api("GET", "/Recordings.json", auth=None).status_code == 401


# --- Queues and Queue Members ----------------------------------------------------------


def test_member_update_moves_the_queued_call_to_the_url(night):
    call = night.queued()
    queue = night.network.queues["line"]
    night.loop.run(until=night.clock.now() + 30)
    response = night.api(
        "POST", f"/Queues/{queue.sid}/Members/{call.sid}.json", {"Url": ROOM_URL, "Method": "POST"}
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "call_sid": call.sid,
        "queue_sid": queue.sid,
        "position": 1,
        "wait_time": 30,
        "date_enqueued": START,
        "uri": f"{BASE}/Queues/{queue.sid}/Members/{call.sid}.json",
    }
    assert queue.members == []
    assert call.queue is None
    assert night.transport.urls() == [VOICE_URL, WAIT_URL, LEFT_URL, ROOM_URL]
    url, params = night.transport.posts[-1]
    assert (params["CallSid"], params["CallStatus"]) == (call.sid, "in-progress")
    assert night.transport.posts[2][1]["QueueResult"] == "redirected"
    assert call.conference is night.network.conferences["room-1"]


def test_member_front_is_the_first_in_line(night):
    first, second = night.queued(CHAIR), night.queued(OTHER_CHAIR)
    queue = night.network.queues["line"]
    fetched = night.api("GET", f"/Queues/{queue.sid}/Members/Front.json")
    assert fetched.get_json()["call_sid"] == first.sid
    moved = night.api("POST", f"/Queues/{queue.sid}/Members/Front.json", {"Url": ROOM_URL})
    assert moved.status_code == 200
    assert moved.get_json()["call_sid"] == first.sid
    assert queue.members == [second]


def test_member_update_of_a_call_not_in_the_queue_is_404(night):
    waiting = night.queued(CHAIR)
    talking = night.in_room(OTHER_CHAIR)
    queue = night.network.queues["line"]
    response = night.api(
        "POST", f"/Queues/{queue.sid}/Members/{talking.sid}.json", {"Url": ROOM_URL}
    )
    assert response.status_code == 404
    assert response.get_json() == error(
        404, 20404, f"The requested resource /Members/{talking.sid}.json was not found"
    )
    assert queue.members == [waiting]
    assert talking.conference is night.network.conferences["room-1"]


def test_member_update_of_an_unknown_queue_or_without_url(night):
    call = night.queued()
    queue = night.network.queues["line"]
    unknown = night.api("POST", f"/Queues/QU{'0' * 32}/Members/{call.sid}.json", {"Url": ROOM_URL})
    assert unknown.status_code == 404
    assert unknown.get_json()["code"] == 20404
    no_url = night.api("POST", f"/Queues/{queue.sid}/Members/{call.sid}.json", {})
    assert no_url.status_code == 400
    assert no_url.get_json() == error(400, 21205, "Url is required to dequeue a member.")
    assert queue.members == [call]


def test_queues_and_members_are_listed(night):
    first, second = night.queued(CHAIR), night.queued(OTHER_CHAIR)
    queue = night.network.queues["line"]
    queues = night.api("GET", "/Queues.json").get_json()
    assert [q["friendly_name"] for q in queues["queues"]] == ["line"]
    assert queues["queues"][0]["current_size"] == 2
    members = night.api(
        "GET", f"/Queues/{queue.sid}/Members.json", query_string={"PageSize": "1"}
    ).get_json()
    assert [(m["call_sid"], m["position"]) for m in members["queue_members"]] == [(first.sid, 1)]
    assert members["next_page_uri"] == f"{BASE}/Queues/{queue.sid}/Members.json?PageSize=1&Page=1"
    second_page = night.api(
        "GET", f"/Queues/{queue.sid}/Members.json", query_string={"PageSize": "1", "Page": "1"}
    ).get_json()
    assert [(m["call_sid"], m["position"]) for m in second_page["queue_members"]] == [
        (second.sid, 2)
    ]
    assert second_page["next_page_uri"] is None


# --- Calls ------------------------------------------------------------------------------


def test_redirect_of_an_ended_call_is_400_21220(night):
    call = night.queued()
    night.network.hang_up(call)
    response = night.api("POST", f"/Calls/{call.sid}.json", {"Url": ROOM_URL})
    assert response.status_code == 400
    assert response.get_json() == error(400, 21220, "Call is not in-progress. Cannot redirect.")
    assert night.transport.urls()[-1] == STATUS_URL


def test_redirect_of_a_live_call_runs_the_new_url(night):
    call = night.queued()
    response = night.api("POST", f"/Calls/{call.sid}.json", {"Url": ROOM_URL})
    assert response.status_code == 200
    assert response.get_json()["status"] == "in-progress"
    assert night.network.queues["line"].members == []
    assert night.transport.urls()[-1] == ROOM_URL


def test_status_completed_ends_the_call(night):
    call = night.queued()
    night.loop.run(until=night.clock.now() + 42)
    response = night.api("POST", f"/Calls/{call.sid}.json", {"Status": "completed"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["duration"]) == ("completed", "42")
    assert body["end_time"] == "Wed, 05 Feb 2020 00:00:42 +0000"
    url, params = night.transport.posts[-1]
    assert (url, params["CallStatus"], params["CallDuration"]) == (STATUS_URL, "completed", "42")


def test_invalid_status_is_refused(night):
    call = night.queued()
    response = night.api("POST", f"/Calls/{call.sid}.json", {"Status": "busy"})
    assert response.status_code == 400
    assert response.get_json() == error(400, 20001, "Invalid Status: busy")
    assert call.live


def test_fetch_call_and_unknown_call(night):
    call = night.queued()
    body = night.api("GET", f"/Calls/{call.sid}.json").get_json()
    assert {
        k: body[k]
        for k in (
            "sid",
            "account_sid",
            "from",
            "to",
            "direction",
            "status",
            "date_created",
            "api_version",
            "uri",
        )
    } == {
        "sid": call.sid,
        "account_sid": ACCOUNT,
        "from": CHAIR,
        "to": HOTLINE,
        "direction": "inbound",
        "status": "in-progress",
        "date_created": START,
        "api_version": "2010-04-01",
        "uri": f"{BASE}/Calls/{call.sid}.json",
    }
    missing = night.api("GET", f"/Calls/CA{'0' * 32}.json")
    assert missing.status_code == 404
    assert missing.get_json()["code"] == 20404


def test_create_call_phones_the_registered_callee(night):
    callee = Quiet()
    night.network.callees["+15155550199"] = lambda: (callee, 5.0)
    response = night.api(
        "POST",
        "/Calls.json",
        {
            "To": "+15155550199",
            "From": HOTLINE,
            "Url": CALLBACK_URL,
            "StatusCallback": STATUS_URL,
            "StatusCallbackEvent": "completed",
            "MachineDetection": "Enable",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    call = night.network.calls[body["sid"]]
    assert (call.direction, call.to, call.from_, call.agent) == (
        "outbound-api",
        "+15155550199",
        HOTLINE,
        callee,
    )
    assert (body["direction"], body["status"], body["start_time"]) == (
        "outbound-api",
        "queued",
        None,
    )
    night.loop.run(until=night.clock.now() + 5)
    assert call.status == "in-progress"
    url, params = night.transport.posts[-1]
    assert (url, params["CallSid"], params["Direction"]) == (CALLBACK_URL, call.sid, "outbound-api")


def test_create_call_to_an_unknown_number_rings_out_at_the_timeout(night):
    response = night.api(
        "POST",
        "/Calls.json",
        {
            "To": "+15155550198",
            "From": HOTLINE,
            "Twiml": PAUSE,
            "StatusCallback": STATUS_URL,
            "Timeout": "20",
        },
    )
    call = night.network.calls[response.get_json()["sid"]]
    night.loop.run(until=night.clock.now() + 19)
    assert call.status == "queued"
    night.loop.run(until=night.clock.now() + 1)
    assert call.status == "no-answer"
    url, params = night.transport.posts[-1]
    assert (url, params["CallSid"], params["CallStatus"]) == (STATUS_URL, call.sid, "no-answer")


def test_callee_answering_after_the_timeout_never_answers(night):
    night.network.callees["+15155550199"] = lambda: (Quiet(), 30.0)
    response = night.api(
        "POST",
        "/Calls.json",
        {"To": "+15155550199", "From": HOTLINE, "Url": CALLBACK_URL, "Timeout": "25"},
    )
    call = night.network.calls[response.get_json()["sid"]]
    night.loop.run(until=night.clock.now() + 60)
    assert (call.status, call.ended_at - call.created_at) == ("no-answer", 25.0)
    assert CALLBACK_URL not in night.transport.urls()


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"From": HOTLINE, "Url": CALLBACK_URL}, 21201, "No 'To' number is specified"),
        ({"To": CHAIR, "Url": CALLBACK_URL}, 21213, "No 'From' number is specified"),
        ({"To": CHAIR, "From": HOTLINE}, 21205, "Url or Twiml is required to create a call."),
    ],
    ids=["no To", "no From", "no Url"],
)
def test_create_call_without_a_required_parameter_is_400(night, data, code, message):
    response = night.api("POST", "/Calls.json", data)
    assert response.status_code == 400
    assert response.get_json() == error(400, code, message)
    assert night.network.calls == {}


def test_a_call_to_an_undialable_number_is_refused_as_twilio_refuses_it(night):
    """Finding 2: the stand-in answers a permanent refusal for one number, in Twilio's own
    error shape, so that the dispatcher's handling of it runs over real HTTP.
    """
    night.network.undialable.add(CHAIR)
    response = night.api("POST", "/Calls.json", {"To": CHAIR, "From": HOTLINE, "Url": CALLBACK_URL})
    assert response.status_code == 400
    assert response.get_json() == error(
        400,
        21215,
        f"Account not authorized to call {CHAIR}. Perhaps you need to enable some "
        "international permissions: https://www.twilio.com/console/voice/calls/"
        "geo-permissions/low-risk",
    )
    assert night.network.calls == {}
    other = night.api(
        "POST", "/Calls.json", {"To": OTHER_CHAIR, "From": HOTLINE, "Url": CALLBACK_URL}
    )
    assert other.status_code == 201  # only that number


def test_parameters_in_a_json_body_are_not_read(night):
    response = night.client.post(
        f"{BASE}/Calls.json", auth=AUTH, json={"To": CHAIR, "From": HOTLINE, "Url": CALLBACK_URL}
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == 21201


# --- Messages ---------------------------------------------------------------------------


def test_create_message_is_recorded(night):
    response = night.api(
        "POST",
        "/Messages.json",
        {"To": CHAIR, "From": HOTLINE, "Body": "We will call you back.", "Unknown": "x"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert night.network.messages == [
        {
            "sid": body["sid"],
            "account_sid": ACCOUNT,
            "to": CHAIR,
            "from": HOTLINE,
            "body": "We will call you back.",
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "api_version": "2010-04-01",
            "uri": f"{BASE}/Messages/{body['sid']}.json",
            "sent_at": night.clock.now(),
            "status_callback": None,
            "error_code": None,
        }
    ]
    assert (body["to"], body["from"], body["body"], body["status"], body["date_created"]) == (
        CHAIR,
        HOTLINE,
        "We will call you back.",
        "queued",
        START,
    )
    assert body["sid"].startswith("SM")


def test_message_through_a_messaging_service(night):
    service = "MG" + "1" * 32
    response = night.api(
        "POST", "/Messages.json", {"To": CHAIR, "MessagingServiceSid": service, "Body": "Hello"}
    )
    assert response.status_code == 201
    assert (response.get_json()["messaging_service_sid"], response.get_json()["from"]) == (
        service,
        None,
    )
    assert night.network.messages[0]["messaging_service_sid"] == service


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"From": HOTLINE, "Body": "x"}, 21604, "A 'To' phone number is required."),
        ({"To": CHAIR, "Body": "x"}, 21603, "A 'From' phone number is required."),
        ({"To": CHAIR, "From": HOTLINE}, 21602, "Message body is required."),
    ],
    ids=["no To", "no From", "no Body"],
)
def test_create_message_without_a_required_parameter_is_400(night, data, code, message):
    response = night.api("POST", "/Messages.json", data)
    assert response.status_code == 400
    assert response.get_json() == error(400, code, message)
    assert night.network.messages == []


# --- Conferences and participants -------------------------------------------------------


def test_participants_are_listed_updated_and_removed(night):
    call = night.in_room()
    room = night.network.conferences["room-1"]
    path = f"/Conferences/{room.sid}/Participants"
    listed = night.api("GET", f"{path}.json").get_json()
    assert [
        (p["call_sid"], p["conference_sid"], p["hold"], p["muted"], p["status"])
        for p in listed["participants"]
    ] == [(call.sid, room.sid, False, False, "connected")]

    updated = night.api("POST", f"{path}/{call.sid}.json", {"Hold": "true", "Muted": "true"})
    assert updated.status_code == 200
    assert (updated.get_json()["hold"], updated.get_json()["muted"]) == (True, True)
    fetched = night.api("GET", f"{path}/{call.sid}.json").get_json()
    assert (fetched["hold"], fetched["muted"]) == (True, True)
    held = night.api("GET", f"{path}.json", query_string={"Hold": "true"}).get_json()
    assert [p["call_sid"] for p in held["participants"]] == [call.sid]
    unheld = night.api("GET", f"{path}.json", query_string={"Hold": "false"}).get_json()
    assert unheld["participants"] == []

    removed = night.api("DELETE", f"{path}/{call.sid}.json")
    assert removed.status_code == 204
    assert removed.get_data() == b""
    assert room.participants == []
    assert call.status == "completed"
    assert night.transport.posts[-1][1]["CallStatus"] == "completed"
    again = night.api("DELETE", f"{path}/{call.sid}.json")
    assert again.status_code == 404
    assert again.get_json() == error(
        404, 20404, f"The requested resource /Participants/{call.sid}.json was not found"
    )


def test_end_conference_on_exit_is_set_on_the_room(night):
    call = night.in_room()
    room = night.network.conferences["room-1"]
    path = f"/Conferences/{room.sid}/Participants/{call.sid}.json"
    body = night.api("POST", path, {"EndConferenceOnExit": "true"}).get_json()
    assert body["end_conference_on_exit"] is True
    assert room.end_on_exit == {call.sid}
    night.api("POST", path, {"EndConferenceOnExit": "false"})
    assert room.end_on_exit == set()


def test_conferences_are_found_by_name(night):
    night.in_room()
    room = night.network.conferences["room-1"]
    found = night.api("GET", "/Conferences.json", query_string={"FriendlyName": "room-1"})
    assert [(c["sid"], c["status"]) for c in found.get_json()["conferences"]] == [
        (room.sid, "init")
    ]
    other = night.api("GET", "/Conferences.json", query_string={"FriendlyName": "room-2"})
    assert other.get_json()["conferences"] == []
    fetched = night.api("GET", f"/Conferences/{room.sid}.json").get_json()
    assert (fetched["friendly_name"], fetched["account_sid"]) == ("room-1", ACCOUNT)


def test_participant_of_another_room_is_404(night):
    night.in_room()
    room = night.network.conferences["room-1"]
    stranger = night.queued(CHAIR)
    response = night.api(
        "POST", f"/Conferences/{room.sid}/Participants/{stranger.sid}.json", {"Hold": "true"}
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == 20404


# --- Twilio's own library ---------------------------------------------------------------


class FlaskHttpClient(HttpClient):
    """Twilio's library, sending its requests to the Flask test client instead of the net."""

    def __init__(self, client) -> None:
        super().__init__(logging.getLogger(__name__), is_async=False)
        self.client = client

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        path = urllib.parse.urlsplit(uri).path
        response = self.client.open(
            path, method=method, query_string=params, data=data, headers=headers, auth=auth
        )
        return Response(
            response.status_code, response.get_data(as_text=True), dict(response.headers)
        )


def test_twilios_python_library_works_unawares(night):
    call = night.queued()
    queue = night.network.queues["line"]
    twilio = Client(ACCOUNT, TOKEN, http_client=FlaskHttpClient(night.client))

    member = twilio.queues(queue.sid).members(call.sid).update(url=ROOM_URL, method="POST")
    assert (member.call_sid, member.position) == (call.sid, 1)
    assert queue.members == []

    placed = twilio.calls.create(to=CHAIR, from_=HOTLINE, url=CALLBACK_URL, timeout=15)
    assert night.network.calls[placed.sid].direction == "outbound-api"

    message = twilio.messages.create(to=CHAIR, from_=HOTLINE, body="Hi")
    assert message.sid == night.network.messages[0]["sid"]

    room = night.network.conferences["room-1"]
    participant = twilio.conferences(room.sid).participants(call.sid).update(hold=True)
    assert participant.hold is True
    assert twilio.conferences(room.sid).participants(call.sid).delete() is True
    assert call.status == "completed"

    with pytest.raises(TwilioRestException) as raised:
        twilio.calls(call.sid).update(url=ROOM_URL)
    assert (raised.value.status, raised.value.code) == (400, 21220)
