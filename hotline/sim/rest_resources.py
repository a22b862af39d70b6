"""Resources of the simulated REST API as Twilio serialises them: snake_case fields from
Twilio's OpenAPI schemas, dates in RFC 2822, lists in Twilio's page envelope.

The network (network.py) holds the state; these functions only describe it.
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

from hotline.sim.network import API_VERSION, Conference, Network, SimCall, SimQueue
from hotline.sim.phone_numbers import OfferedNumber, PhoneNumber

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_QUEUE_SIZE = 1000  # what the network tells wait URLs (MaxQueueSize)


def rfc2822(when: float | None) -> str | None:
    """Epoch seconds as Twilio writes dates: "Tue, 31 Aug 2010 20:36:28 +0000"."""
    if when is None:
        return None
    return email.utils.format_datetime(datetime.fromtimestamp(int(when), UTC))


def account_uri(network: Network) -> str:
    return f"/{API_VERSION}/Accounts/{network.account_sid}"


def call(network: Network, sim_call: SimCall) -> dict[str, object]:
    resource = sim_call.to_resource(network.account_sid)
    updated = sim_call.ended_at or sim_call.answered_at or sim_call.created_at
    base = str(resource["uri"]).removesuffix(".json")
    resource.update(
        {
            "date_created": rfc2822(sim_call.created_at),
            "date_updated": rfc2822(updated),
            "start_time": None if sim_call.status == "queued" else rfc2822(sim_call.created_at),
            "end_time": rfc2822(sim_call.ended_at),
            "parent_call_sid": None,
            "phone_number_sid": None,
            "to_formatted": sim_call.to,
            "from_formatted": sim_call.from_,
            "answered_by": None,
            "forwarded_from": None,
            "caller_name": None,
            "group_sid": None,
            "trunk_sid": None,
            "queue_time": "0",
            "price": None,
            "price_unit": "USD",
            "subresource_uris": {
                name: f"{base}/{name.title()}.json" for name in ("notifications", "recordings")
            },
        }
    )
    return resource


def queue(network: Network, sim_queue: SimQueue) -> dict[str, object]:
    return {
        "sid": sim_queue.sid,
        "account_sid": network.account_sid,
        "friendly_name": sim_queue.name,
        "current_size": len(sim_queue.members),
        "max_size": MAX_QUEUE_SIZE,
        "average_wait_time": sim_queue.average_wait_s(),
        "date_created": None,
        "date_updated": None,
        "uri": f"{account_uri(network)}/Queues/{sim_queue.sid}.json",
    }


def member(network: Network, resource: dict[str, object]) -> dict[str, object]:
    """The network's member resource, with the date the call was enqueued filled in."""
    enqueued_at = network.calls[str(resource["call_sid"])].enqueued_at
    return {**resource, "date_enqueued": rfc2822(enqueued_at)}


def message(record: dict[str, object]) -> dict[str, object]:
    """A message the network recorded (network.messages), as the Message resource."""
    created = rfc2822(record["sent_at"])  # type: ignore[arg-type]
    uri = str(record["uri"])
    return {
        "sid": record["sid"],
        "account_sid": record["account_sid"],
        "to": record["to"],
        "from": record["from"] or None,
        "body": record["body"],
        "status": record["status"],
        "direction": record["direction"],
        "num_segments": record["num_segments"],
        "num_media": "0",
        "api_version": record["api_version"],
        "uri": uri,
        "messaging_service_sid": record.get("messaging_service_sid"),
        "date_created": created,
        "date_updated": created,
        "date_sent": None,
        "error_code": record.get("error_code"),
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
    }


# What a number can do: every number the stand-in sells or owns takes calls and texts.
CAPABILITIES = {"voice": True, "sms": True, "mms": True, "fax": False}


def available_number(offer: OfferedNumber) -> dict[str, object]:
    """A number for sale, as AvailablePhoneNumbers/{Country}/Local lists it."""
    place = offer.exchange
    return {
        "friendly_name": offer.friendly_name,
        "phone_number": offer.number,
        "lata": place.lata,
        "locality": place.locality,
        "rate_center": place.rate_center,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "region": place.region,
        "postal_code": place.postal_code,
        "iso_country": "US",
        "address_requirements": "none",
        "beta": False,
        "capabilities": CAPABILITIES,
    }


def incoming_number(network: Network, line: PhoneNumber) -> dict[str, object]:
    """A number the account owns, as IncomingPhoneNumbers returns it."""
    return {
        "account_sid": network.account_sid,
        "address_sid": None,
        "address_requirements": "none",
        "api_version": API_VERSION,
        "beta": False,
        "capabilities": CAPABILITIES,
        "date_created": rfc2822(line.created_at),
        "date_updated": rfc2822(line.updated_at),
        "friendly_name": line.friendly_name,
        "identity_sid": None,
        "phone_number": line.number,
        "origin": "twilio",
        "sid": line.sid,
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": line.sms_method,
        "sms_url": line.sms_url,
        "status_callback": line.status_callback,
        "status_callback_method": line.status_callback_method,
        "trunk_sid": None,
        "uri": f"{account_uri(network)}/IncomingPhoneNumbers/{line.sid}.json",
        "voice_receive_mode": "voice",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": line.voice_method,
        "voice_url": line.voice_url,
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "bundle_sid": None,
        "status": "in-use",
        "type": "local",
    }


def conference_status(conference: Conference) -> str:
    if not conference.participants:
        return "completed"
    if any(c.connected_at is not None for c in conference.participants):
        return "in-progress"
    return "init"


def conference(network: Network, room: Conference) -> dict[str, object]:
    uri = f"{account_uri(network)}/Conferences/{room.sid}.json"
    return {
        "sid": room.sid,
        "account_sid": network.account_sid,
        "friendly_name": room.name,
        "status": conference_status(room),
        "region": "us1",
        "api_version": API_VERSION,
        "date_created": None,
        "date_updated": None,
        "uri": uri,
        "reason_conference_ended": None,
        "call_sid_ending_conference": None,
        "subresource_uris": {
            "participants": uri.removesuffix(".json") + "/Participants.json",
            "recordings": uri.removesuffix(".json") + "/Recordings.json",
        },
    }


def participant(
    network: Network, room: Conference, sim_call: SimCall, settings: dict[str, object]
) -> dict[str, object]:
    """A call in a conference; `settings` holds what REST updates set (Hold, Muted, ...)."""
    return {
        "account_sid": network.account_sid,
        "call_sid": sim_call.sid,
        "conference_sid": room.sid,
        "label": None,
        "status": "connected",
        "hold": bool(settings.get("hold", False)),
        "muted": bool(settings.get("muted", False)),
        "coaching": bool(settings.get("coaching", False)),
        "call_sid_to_coach": settings.get("call_sid_to_coach"),
        "end_conference_on_exit": sim_call.sid in room.end_on_exit,
        "start_conference_on_enter": True,
        "queue_time": None,
        "date_created": rfc2822(sim_call.connected_at),
        "date_updated": None,
        "uri": f"{account_uri(network)}/Conferences/{room.sid}/Participants/{sim_call.sid}.json",
    }


def page(
    items: Sequence[dict[str, object]], key: str, uri: str, *, page_size: int, page_number: int
) -> dict[str, object]:
    """One page of a list, in Twilio's envelope (first page: Page=0)."""
    start = page_size * page_number
    chunk = list(items[start : start + page_size])

    def page_uri(number: int) -> str:
        return f"{uri}?{urlencode({'PageSize': page_size, 'Page': number})}"

    return {
        key: chunk,
        "uri": page_uri(page_number),
        "first_page_uri": page_uri(0),
        "next_page_uri": page_uri(page_number + 1) if start + page_size < len(items) else None,
        "previous_page_uri": page_uri(page_number - 1) if page_number > 0 else None,
        "page": page_number,
        "page_size": page_size,
        "start": start,
        "end": start + max(len(chunk) - 1, 0),
    }
