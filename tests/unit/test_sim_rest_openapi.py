"""Every route the simulated REST API serves, checked against Twilio's own OpenAPI
description: the path and method exist, the parameters each handler reads are ones the
operation takes, and a real response carries only fields (and status codes) the spec lists.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hotline.clock import ManualClock
from hotline.sim.loop import EventLoop
from hotline.sim.network import Network
from hotline.sim.people import Listener
from hotline.sim.rest import PARAMETERS, create_rest_app

# Twilio's own description, shipped in data/twilio/ (MIT licence beside it).
SPEC_PATH = Path(__file__).resolve().parents[2] / "data/twilio/twilio_api_v2010.json"
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "sim-auth-token"
AUTH = (ACCOUNT, TOKEN)
BASE = f"/2010-04-01/Accounts/{ACCOUNT}"
APP_URL = "https://hotline.example.test"
VOICE_URL = f"{APP_URL}/voice/incoming"
WAIT_URL = f"{APP_URL}/voice/wait"
ROOM_URL = f"{APP_URL}/voice/room"
STATUS_URL = f"{APP_URL}/voice/status"
# The network's own number (its default), which the account owns.
HOTLINE = "+15155550000"
PAUSE = '<Response><Pause length="600"/></Response>'
ENQUEUE = f'<Response><Enqueue waitUrl="{WAIT_URL}">line</Enqueue></Response>'
ROOM = "<Response><Dial><Conference>room-1</Conference></Dial></Response>"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


class StubTransport:
    """The app's side of the network: a fixed TwiML document per URL, Pause elsewhere."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.documents = documents
        self.posts: list[tuple[str, dict[str, str]]] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        self.posts.append((url, params))
        return 200, self.documents.get(url, PAUSE)


class Night:
    """A network with one call waiting in the queue "line" and one in the room "room-1"."""

    def __init__(self) -> None:
        transport = StubTransport({VOICE_URL: ENQUEUE, ROOM_URL: ROOM})
        self.network = Network(
            EventLoop(ManualClock()),
            transport,
            account_sid=ACCOUNT,
            voice_url=VOICE_URL,
            status_url=STATUS_URL,
        )
        self.waiting = self.network.place_inbound(Listener(), "+15155550101")
        self.talking = self.network.place_inbound(Listener(), "+15155550102")
        self.queue = self.network.queues["line"]
        self.network.update_queue_member(self.queue.sid, self.talking.sid, url=ROOM_URL)
        self.room = self.network.conferences["room-1"]
        self.client = create_rest_app(self.network, auth_token=TOKEN).test_client()


# One request per endpoint: (method, path under BASE, form or query parameters).
Example = Callable[[Night], tuple[str, str, dict[str, str]]]
EXAMPLES: dict[str, Example] = {
    "create_call": lambda n: (
        "POST",
        "/Calls.json",
        {
            "To": "+15155550199",
            "From": "+15155550000",
            "Url": f"{APP_URL}/voice/callback",
            "StatusCallback": STATUS_URL,
            "Timeout": "30",
        },
    ),
    "fetch_call": lambda n: ("GET", f"/Calls/{n.waiting.sid}.json", {}),
    "update_call": lambda n: ("POST", f"/Calls/{n.waiting.sid}.json", {"Url": ROOM_URL}),
    "list_queues": lambda n: ("GET", "/Queues.json", {"PageSize": "10", "Page": "0"}),
    "fetch_queue": lambda n: ("GET", f"/Queues/{n.queue.sid}.json", {}),
    "list_members": lambda n: ("GET", f"/Queues/{n.queue.sid}/Members.json", {"PageSize": "10"}),
    "fetch_member": lambda n: ("GET", f"/Queues/{n.queue.sid}/Members/Front.json", {}),
    "update_member": lambda n: (
        "POST",
        f"/Queues/{n.queue.sid}/Members/{n.waiting.sid}.json",
        {"Url": ROOM_URL},
    ),
    "create_message": lambda n: (
        "POST",
        "/Messages.json",
        {
            "To": "+15155550101",
            "From": "+15155550000",
            "Body": "We will call you back.",
            "StatusCallback": f"{APP_URL}/voice/text-status?rotation=r1&precinct=0101",
        },
    ),
    "list_available_local": lambda n: (
        "GET",
        "/AvailablePhoneNumbers/US/Local.json",
        {
            "AreaCode": "515",
            "InRegion": "IA",
            "VoiceEnabled": "true",
            "SmsEnabled": "true",
            "PageSize": "5",
        },
    ),
    "list_incoming_numbers": lambda n: (
        "GET",
        "/IncomingPhoneNumbers.json",
        {"PhoneNumber": HOTLINE},
    ),
    "create_incoming_number": lambda n: (
        "POST",
        "/IncomingPhoneNumbers.json",
        {
            "PhoneNumber": "+15155550200",
            "FriendlyName": "Caucus results hotline",
            "VoiceUrl": VOICE_URL,
            "VoiceMethod": "POST",
            "StatusCallback": STATUS_URL,
            "StatusCallbackMethod": "POST",
        },
    ),
    "update_incoming_number": lambda n: (
        "POST",
        f"/IncomingPhoneNumbers/{n.network.numbers.owned[HOTLINE].sid}.json",
        {
            "VoiceUrl": VOICE_URL,
            "VoiceMethod": "POST",
            "StatusCallback": STATUS_URL,
            "StatusCallbackMethod": "POST",
        },
    ),
    "list_conferences": lambda n: (
        "GET",
        "/Conferences.json",
        {"FriendlyName": "room-1", "Status": "init"},
    ),
    "fetch_conference": lambda n: ("GET", f"/Conferences/{n.room.sid}.json", {}),
    "list_participants": lambda n: (
        "GET",
        f"/Conferences/{n.room.sid}/Participants.json",
        {"Hold": "false", "Muted": "false"},
    ),
    "fetch_participant": lambda n: (
        "GET",
        f"/Conferences/{n.room.sid}/Participants/{n.talking.sid}.json",
        {},
    ),
    "update_participant": lambda n: (
        "POST",
        f"/Conferences/{n.room.sid}/Participants/{n.talking.sid}.json",
        {"Hold": "true", "Muted": "true", "EndConferenceOnExit": "false"},
    ),
    "delete_participant": lambda n: (
        "DELETE",
        f"/Conferences/{n.room.sid}/Participants/{n.talking.sid}.json",
        {},
    ),
}


def served_routes() -> list[tuple[str, str, str]]:
    """(Flask rule, method, endpoint) for every route of the REST app."""
    app = create_rest_app(Night().network, auth_token=TOKEN)
    return sorted(
        (rule.rule, method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted((rule.methods or set()) - IGNORED_METHODS)
    )


ROUTES = served_routes()


def spec_path(rule: str) -> str:
    """A Flask rule in the spec's spelling: <Sid> (or <string:Sid>) becomes {Sid}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


@functools.cache
def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def twilio_spec() -> dict:
    """Twilio's OpenAPI description; a test that needs it fails (not skips) without it."""
    if not SPEC_PATH.is_file():
        pytest.fail(f"Twilio's OpenAPI description is missing: {SPEC_PATH}")
    return _load(SPEC_PATH)


def operation(spec: dict, rule: str, method: str) -> dict:
    return spec["paths"][spec_path(rule)][method.lower()]


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def mismatches(spec: dict, value: object, schema: dict, where: str) -> list[str]:
    """Where `value` does not fit `schema`: unknown keys, wrong types, values off the enum."""
    schema = resolve(spec, schema)
    if value is None:
        # OpenAPI 3.0 cannot mark a $ref nullable; Twilio's enums say so in words instead.
        nullable = schema.get("nullable") or (
            "enum" in schema and "null" in schema.get("description", "")
        )
        return [] if nullable else [f"{where}: null"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    kind = schema.get("type")
    expected = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list}
    if kind in expected and (
        not isinstance(value, expected[kind]) or (kind == "integer" and isinstance(value, bool))
    ):
        return [f"{where}: {value!r} is not {kind}"]
    problems = []
    if "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        for key, item in value.items():
            if key not in schema["properties"]:
                problems.append(f"{where}.{key}: not in the spec")
            else:
                problems += mismatches(spec, item, schema["properties"][key], f"{where}.{key}")
    if kind == "array":
        for index, item in enumerate(value):  # type: ignore[arg-type]
            problems += mismatches(spec, item, schema["items"], f"{where}[{index}]")
    return problems


def test_every_endpoint_is_served_once_and_has_an_example():
    endpoints = [endpoint for _, _, endpoint in ROUTES]
    assert sorted(endpoints) == sorted(set(endpoints))
    assert set(endpoints) == set(EXAMPLES)
    assert set(PARAMETERS) <= set(endpoints)


@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES, ids=[r[2] for r in ROUTES])
def test_route_exists_in_the_spec(rule, method, endpoint):
    spec = twilio_spec()
    assert spec_path(rule) in spec["paths"]
    assert method.lower() in spec["paths"][spec_path(rule)]


@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES, ids=[r[2] for r in ROUTES])
def test_parameters_read_are_the_operations_own(rule, method, endpoint):
    spec = twilio_spec()
    op = operation(spec, rule, method)
    read = set(PARAMETERS.get(endpoint, ()))
    if method == "POST":
        body = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        accepted = set(body["properties"])
    else:
        accepted = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    assert read - accepted == set()
    path_names = set(re.findall(r"\{(\w+)\}", spec_path(rule)))
    assert path_names == {p["name"] for p in op["parameters"] if p["in"] == "path"}


@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES, ids=[r[2] for r in ROUTES])
def test_response_fits_the_spec(rule, method, endpoint):
    spec = twilio_spec()
    night = Night()
    verb, path, params = EXAMPLES[endpoint](night)
    assert verb == method
    adapter = night.client.application.url_map.bind("api.twilio.com")
    assert adapter.match(BASE + path, method=method)[0] == endpoint
    if method == "GET":
        response = night.client.get(BASE + path, query_string=params, auth=AUTH)
    else:
        response = night.client.open(BASE + path, method=method, data=params, auth=AUTH)
    assert response.status_code < 300, response.get_data(as_text=True)
    responses = operation(spec, rule, method)["responses"]
    assert str(response.status_code) in responses
    documented = responses[str(response.status_code)]
    if response.status_code == 204:
        assert "content" not in documented
        assert response.get_data() == b""
        return
    assert response.mimetype == "application/json"
    schema = documented["content"]["application/json"]["schema"]
    assert mismatches(spec, response.get_json(), schema, endpoint) == []
