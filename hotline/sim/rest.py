"""The part of Twilio's REST API (2010-04-01) the app uses, served over the simulated network.

The app's telephony adapter reaches it through `TWILIO_API_BASE_URL` and cannot tell it from
Twilio: the same paths, HTTP Basic auth with the account SID (or an API key) and a secret,
form-encoded parameters, Twilio's JSON resources, status codes and error bodies. Routes,
parameter names and response fields follow Twilio's OpenAPI description
(`data/twilio/twilio_api_v2010.json`); a unit test checks every route against it.

Every operation is one of the network's (network.py); this module only speaks HTTP.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Mapping

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from hotline.sim import rest_resources as resources
from hotline.sim.network import API_VERSION, ApiError, Network, Reply, SimCall
from hotline.sim.people import Listener
from hotline.sim.phone_numbers import SETTINGS as NUMBER_SETTINGS
from hotline.sim.phone_numbers import NumberBookError

PREFIX = f"/{API_VERSION}/Accounts/<AccountSid>"

# Every route served: (path under PREFIX, method, endpoint). Path parameters carry the
# names Twilio's OpenAPI description gives them.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("/Calls.json", "POST", "create_call"),
    ("/Calls/<Sid>.json", "GET", "fetch_call"),
    ("/Calls/<Sid>.json", "POST", "update_call"),
    ("/Queues.json", "GET", "list_queues"),
    ("/Queues/<Sid>.json", "GET", "fetch_queue"),
    ("/Queues/<QueueSid>/Members.json", "GET", "list_members"),
    ("/Queues/<QueueSid>/Members/<CallSid>.json", "GET", "fetch_member"),
    ("/Queues/<QueueSid>/Members/<CallSid>.json", "POST", "update_member"),
    ("/Messages.json", "POST", "create_message"),
    ("/AvailablePhoneNumbers/<CountryCode>/Local.json", "GET", "list_available_local"),
    ("/IncomingPhoneNumbers.json", "GET", "list_incoming_numbers"),
    ("/IncomingPhoneNumbers.json", "POST", "create_incoming_number"),
    ("/IncomingPhoneNumbers/<Sid>.json", "POST", "update_incoming_number"),
    ("/Conferences.json", "GET", "list_conferences"),
    ("/Conferences/<Sid>.json", "GET", "fetch_conference"),
    ("/Conferences/<ConferenceSid>/Participants.json", "GET", "list_participants"),
    ("/Conferences/<ConferenceSid>/Participants/<CallSid>.json", "GET", "fetch_participant"),
    ("/Conferences/<ConferenceSid>/Participants/<CallSid>.json", "POST", "update_participant"),
    ("/Conferences/<ConferenceSid>/Participants/<CallSid>.json", "DELETE", "delete_participant"),
)

_PAGING = ("PageSize", "Page")
_NUMBER_SETTINGS = tuple(name for name, _ in NUMBER_SETTINGS)
# What each endpoint reads: form fields of a POST, query parameters of a GET. Handlers see
# only these (`_params`), so anything else is ignored, as Twilio ignores what it does not know.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "create_call": ("To", "From", "Url", "Twiml", "StatusCallback", "Timeout"),
    "update_call": ("Url", "Twiml", "Status"),
    "list_queues": _PAGING,
    "list_members": _PAGING,
    "update_member": ("Url",),
    "create_message": ("To", "From", "MessagingServiceSid", "Body", "StatusCallback"),
    "list_available_local": ("AreaCode", "InRegion", "VoiceEnabled", "SmsEnabled", *_PAGING),
    "list_incoming_numbers": ("PhoneNumber", "FriendlyName", *_PAGING),
    "create_incoming_number": ("PhoneNumber", "AreaCode", *_NUMBER_SETTINGS),
    "update_incoming_number": _NUMBER_SETTINGS,
    "list_conferences": ("FriendlyName", "Status", *_PAGING),
    "list_participants": ("Muted", "Hold", *_PAGING),
    "update_participant": ("Muted", "Hold", "Coaching", "CallSidToCoach", "EndConferenceOnExit"),
}

DEFAULT_TIMEOUT_S = 60
MAX_TIMEOUT_S = 600


class Outage:
    """A switch that makes the stand-in answer every request 503, as Twilio does when its
    API is down (error 20503), and counts the requests it refused so.

    Flipped from any thread (a fault drill's timer); read by the server's thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._on = False
        self.refused = 0

    @property
    def on(self) -> bool:
        return self._on

    def start(self) -> None:
        self._on = True

    def end(self) -> None:
        self._on = False

    def refuse(self) -> bool:
        """True (and counted) when the request must be refused now."""
        if not self._on:
            return False
        with self._lock:
            self.refused += 1
        return True


class NoOne(Listener):
    """The callee of a number nobody registered in `network.callees`: the phone rings out."""

    kind = "nobody"

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        return Reply(hang_up=True)


def create_rest_app(
    network: Network,
    *,
    auth_token: str,
    api_keys: Mapping[str, str] | None = None,
    outage: Outage | None = None,
) -> Flask:
    """The REST API over `network`. Credentials: the network's account SID with
    `auth_token`, or an API key SID from `api_keys` with that key's secret. While
    `outage` is on, every request is answered 503 before anything else is looked at.
    """
    app = Flask(__name__, static_folder=None)
    credentials = {network.account_sid: auth_token, **(api_keys or {})}
    api = _Api(network)
    for path, method, endpoint in ROUTES:
        app.add_url_rule(
            PREFIX + path,
            endpoint,
            getattr(api, endpoint),
            methods=[method],
            provide_automatic_options=False,
        )

    @app.before_request
    def _unavailable() -> tuple[Response, int] | None:
        if outage is None or not outage.refuse():
            return None
        return jsonify(ApiError(503, 20503, "Service Unavailable").to_resource()), 503

    @app.url_value_preprocessor
    def _take_account(endpoint: str | None, values: dict | None) -> None:
        g.account_sid = values.pop("AccountSid", None) if values else None

    @app.before_request
    def _authenticate() -> Response | None:
        auth = request.authorization
        secret = credentials.get(auth.username or "") if auth and auth.type == "basic" else None
        if secret is None or not hmac.compare_digest(
            (auth.password or "").encode(), secret.encode()
        ):
            body = ApiError(401, 20003, "Authenticate").to_resource()
            body["detail"] = "Your AccountSid or AuthToken was incorrect."
            response = jsonify(body)
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if g.get("account_sid") not in (None, network.account_sid):
            raise _not_found()
        return None

    @app.before_request
    def _take_the_network() -> None:
        # The network is the event loop's too: one of them changes it at a time.
        network.loop.lock.acquire()
        g.holds_network = True

    @app.teardown_request
    def _give_back_the_network(_error: BaseException | None) -> None:
        if g.pop("holds_network", False):
            network.loop.lock.release()

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return jsonify(error.to_resource()), error.status

    @app.errorhandler(NumberBookError)
    def _number_error(error: NumberBookError) -> tuple[Response, int]:
        return _api_error(ApiError(error.status, error.code, error.message))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        if error.code == 404:
            error = _not_found()
        elif error.code == 405:
            error = ApiError(405, 20004, "Method not allowed")
        elif (error.code or 500) >= 500:
            error = ApiError(500, 20500, "Internal Server Error")
        else:
            error = ApiError(error.code or 400, 20001, error.description or "Bad request")
        return jsonify(error.to_resource()), error.status

    return app


def _not_found() -> ApiError:
    return ApiError(404, 20404, f"The requested resource {request.path} was not found")


def _params() -> dict[str, str]:
    """The declared parameters of this endpoint (PARAMETERS) that the request carries."""
    source = request.form if request.method == "POST" else request.args
    return {
        name: source[name] for name in PARAMETERS.get(request.endpoint or "", ()) if name in source
    }


def _required(params: dict[str, str], name: str, code: int, message: str) -> str:
    if not params.get(name):
        raise ApiError(400, code, message)
    return params[name]


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high) if value is not None else default
    except ValueError:
        return default


def _number_settings(params: dict[str, str]) -> dict[str, str | None]:
    """What a number's create or update sets; an empty URL clears it."""
    return {
        attribute: params[name] or None if name.endswith(("Url", "Callback")) else params[name]
        for name, attribute in NUMBER_SETTINGS
        if name in params
    }


def _bool(value: str) -> bool:
    return value.strip().lower() == "true"


def _json(resource: dict[str, object], status: int = 200) -> tuple[Response, int]:
    return jsonify(resource), status


def _page(items: list[dict[str, object]], key: str, params: dict[str, str]):
    size = _int(params.get("PageSize"), resources.DEFAULT_PAGE_SIZE, 1, resources.MAX_PAGE_SIZE)
    number = _int(params.get("Page"), 0, 0, 1_000_000)
    return _json(resources.page(items, key, request.path, page_size=size, page_number=number))


class _Api:
    """The handlers, one per endpoint in ROUTES (path parameters keep Twilio's names)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        # What participant updates set (Hold, Muted, ...), by (conference SID, call SID).
        self.participants: dict[tuple[str, str], dict[str, object]] = {}

    # Calls

    def create_call(self):
        params = _params()
        to = _required(params, "To", 21201, "No 'To' number is specified")
        from_ = _required(params, "From", 21213, "No 'From' number is specified")
        if not params.get("Url") and not params.get("Twiml"):
            raise ApiError(400, 21205, "Url or Twiml is required to create a call.")
        factory = self.network.callees.get(to)
        agent, answer_after_s = factory() if factory is not None else (NoOne(), None)
        call = self.network.create_call(
            agent,
            to=to,
            from_=from_,
            url=params.get("Url") or None,
            twiml=params.get("Twiml") or None,
            status_callback=params.get("StatusCallback"),
            answer_after_s=answer_after_s,
            timeout_s=_int(params.get("Timeout"), DEFAULT_TIMEOUT_S, 1, MAX_TIMEOUT_S),
        )
        return _json(resources.call(self.network, call), 201)

    def fetch_call(self, Sid: str):
        return _json(resources.call(self.network, self.network.get_call(Sid)))

    def update_call(self, Sid: str):
        params = _params()
        status = params.get("Status")
        if status is not None and status not in ("completed", "canceled"):
            raise ApiError(400, 20001, f"Invalid Status: {status}")
        call = self.network.update_call(
            Sid, url=params.get("Url") or None, twiml=params.get("Twiml") or None, status=status
        )
        return _json(resources.call(self.network, call))

    # Queues and their members

    def list_queues(self):
        queues = [resources.queue(self.network, q) for q in self.network.queues.values()]
        return _page(queues, "queues", _params())

    def fetch_queue(self, Sid: str):
        return _json(resources.queue(self.network, self.network.queue_by_sid(Sid)))

    def list_members(self, QueueSid: str):
        queue = self.network.queue_by_sid(QueueSid)
        members = [
            resources.member(self.network, self.network.member_resource(queue, call))
            for call in queue.members
        ]
        return _page(members, "queue_members", _params())

    def fetch_member(self, QueueSid: str, CallSid: str):
        queue = self.network.queue_by_sid(QueueSid)
        if CallSid == "Front":
            call = queue.members[0] if queue.members else None
        else:
            call = next((c for c in queue.members if c.sid == CallSid), None)
        if call is None:
            raise ApiError(
                404, 20404, f"The requested resource /Members/{CallSid}.json was not found"
            )
        return _json(resources.member(self.network, self.network.member_resource(queue, call)))

    def update_member(self, QueueSid: str, CallSid: str):
        url = _required(_params(), "Url", 21205, "Url is required to dequeue a member.")
        member = self.network.update_queue_member(QueueSid, CallSid, url=url)
        return _json(resources.member(self.network, member))

    # Messages

    def create_message(self):
        params = _params()
        to = _required(params, "To", 21604, "A 'To' phone number is required.")
        service = params.get("MessagingServiceSid") or None
        if not params.get("From") and service is None:
            raise ApiError(400, 21603, "A 'From' phone number is required.")
        body = _required(params, "Body", 21602, "Message body is required.")
        message = self.network.create_message(
            to=to,
            from_=params.get("From", ""),
            body=body,
            status_callback=params.get("StatusCallback") or None,
        )
        if service is not None:
            message["messaging_service_sid"] = service  # recorded with the message
        return _json(resources.message(message), 201)

    # Phone numbers: those for sale, and the account's own

    def list_available_local(self, CountryCode: str):
        params = _params()
        offers = []
        if CountryCode == "US":
            offers = self.network.numbers.for_sale(
                area_code=params.get("AreaCode"), region=params.get("InRegion")
            )
        listed = [resources.available_number(offer) for offer in offers]
        return _page(listed, "available_phone_numbers", params)

    def list_incoming_numbers(self):
        params = _params()
        lines = [
            line
            for line in self.network.numbers.owned.values()
            if params.get("PhoneNumber") in (None, line.number)
            and params.get("FriendlyName") in (None, line.friendly_name)
        ]
        listed = [resources.incoming_number(self.network, line) for line in lines]
        return _page(listed, "incoming_phone_numbers", params)

    def create_incoming_number(self):
        params = _params()
        if not params.get("PhoneNumber") and not params.get("AreaCode"):
            raise ApiError(400, 21451, "Either PhoneNumber or AreaCode is required.")
        line = self.network.numbers.buy(
            number=params.get("PhoneNumber") or None,
            area_code=params.get("AreaCode") or None,
            **_number_settings(params),
        )
        return _json(resources.incoming_number(self.network, line), 201)

    def update_incoming_number(self, Sid: str):
        line = self.network.numbers.update(Sid, **_number_settings(_params()))
        return _json(resources.incoming_number(self.network, line))

    # Conferences and their participants

    def list_conferences(self):
        params = _params()
        rooms = [
            room
            for room in self.network.conferences.values()
            if params.get("FriendlyName") in (None, room.name)
            and params.get("Status") in (None, resources.conference_status(room))
        ]
        return _page(
            [resources.conference(self.network, room) for room in rooms], "conferences", params
        )

    def fetch_conference(self, Sid: str):
        return _json(resources.conference(self.network, self.network.conference_by_sid(Sid)))

    def list_participants(self, ConferenceSid: str):
        params = _params()
        room = self.network.conference_by_sid(ConferenceSid)
        listed = [self._participant(room.sid, call.sid) for call in room.participants]
        listed = [
            p
            for p in listed
            if all(
                name not in params or p[name.lower()] == _bool(params[name])
                for name in ("Muted", "Hold")
            )
        ]
        return _page(listed, "participants", params)

    def fetch_participant(self, ConferenceSid: str, CallSid: str):
        return _json(self._participant(ConferenceSid, CallSid))

    def update_participant(self, ConferenceSid: str, CallSid: str):
        params = _params()
        self._participant(ConferenceSid, CallSid)  # 404 unless the call is in the room
        settings = self.participants.setdefault((ConferenceSid, CallSid), {})
        for name in ("Muted", "Hold", "Coaching"):
            if name in params:
                settings[name.lower()] = _bool(params[name])
        if "CallSidToCoach" in params:
            settings["call_sid_to_coach"] = params["CallSidToCoach"] or None
        if "EndConferenceOnExit" in params:
            room = self.network.conference_by_sid(ConferenceSid)
            if _bool(params["EndConferenceOnExit"]):
                room.end_on_exit.add(CallSid)
            else:
                room.end_on_exit.discard(CallSid)
        return _json(self._participant(ConferenceSid, CallSid))

    def delete_participant(self, ConferenceSid: str, CallSid: str):
        self.network.remove_participant(ConferenceSid, CallSid)
        self.participants.pop((ConferenceSid, CallSid), None)
        return Response(status=204)

    def _participant(self, conference_sid: str, call_sid: str) -> dict[str, object]:
        room = self.network.conference_by_sid(conference_sid)
        call = next((c for c in room.participants if c.sid == call_sid), None)
        if call is None:
            raise ApiError(
                404, 20404, f"The requested resource /Participants/{call_sid}.json was not found"
            )
        settings = self.participants.get((conference_sid, call_sid), {})
        return resources.participant(self.network, room, call, settings)
