"""Rotating the hotline's number when it leaks: a new number bought (or one the account
owns, named), its webhooks set, the old number retired, and every chair with a registered
phone texted the new number, at the pace one number may text.

The old number keeps answering: /voice/incoming learns from the inbound script that a call
came in on a retired number, and the triage policy lets registered chairs, numbers an admin
allowed and callers who verified a PIN recently through; anyone else hears that the number
changed (never the new one) and gets flood mode's one short chance, so that a chair who
was not texted still gets in.

`rotate_number` calls Twilio, so it runs in the admins' command, a worker or the simulator,
never in a web request: a console button calls `request_rotation`, which queues it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from hotline.jobs import enqueue_rotation, enqueue_rotation_texts
from hotline.phone import mask_number, normalise_block_target
from hotline.services import Services
from hotline.settings import Settings
from hotline.store.numbers import OwnedNumber, Rotation
from hotline.telephony import (
    AccountRefused,
    IncomingNumber,
    Telephony,
    TelephonyError,
    TransientTelephonyError,
)

log = logging.getLogger(__name__)

# A run of the texting job that starts late may send this many texts at once, no more.
TEXT_BURST = 2
# Tries of one text while Twilio cannot be reached, and the wait between them.
TEXT_TRIES = 3
TEXT_RETRY_AFTER_S = 30.0
# Numbers offered for sale tried in turn, should one be sold meanwhile (Twilio's 21422).
PURCHASE_TRIES = 3
NOT_AVAILABLE = 21422
FRIENDLY_NAME = "Caucus results hotline"


class RotationError(Exception):
    """The rotation cannot be done as asked; the message says why, for the admin."""


@dataclass(frozen=True)
class Rotated:
    rotation: Rotation
    number: IncomingNumber
    bought: bool  # False: a number the account owned, named with --number


def webhook_urls(settings: Settings) -> tuple[str, str]:
    """The voice URL and the status callback every hotline number is given."""
    return f"{settings.public_url}/voice/incoming", f"{settings.public_url}/voice/status"


_AREA_CODE = re.compile(r"[2-9][0-9]{2}")
_REGION = re.compile(r"[A-Za-z]{2}")


class BadChoice(ValueError):
    """Where to get the new number, as asked, cannot be used; `option` names the part at
    fault ("--number", "--area-code", "--region").
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


def rotation_choice(
    number: str | None, area_code: str | None, region: str | None
) -> dict[str, str | None]:
    """The new number's source, checked, as rotate_number and request_rotation take it: a
    number the account owns, or where to buy one. The command line and the board alike.
    """
    if number is not None and (area_code or region):
        raise BadChoice("--number", "name a number, or where to buy one, not both")
    if number is not None:
        try:
            normalised = normalise_block_target(number)
        except ValueError as error:
            raise BadChoice("--number", str(error)) from None
        if normalised.endswith("*"):
            raise BadChoice("--number", "a whole number, not a prefix")
        return {"number": normalised}
    if area_code is not None and not _AREA_CODE.fullmatch(area_code):
        raise BadChoice("--area-code", "three digits, e.g. 515")
    if region is not None and not _REGION.fullmatch(region):
        raise BadChoice("--region", "two letters, e.g. IA")
    return {"area_code": area_code, "region": region.upper() if region else None}


def request_rotation(
    svc: Services,
    *,
    author: str,
    number: str | None = None,
    area_code: str | None = None,
    region: str | None = None,
) -> None:
    """Rotate the number from a web request (the admins' console): queued for a worker,
    since a web request never calls Twilio.
    """
    enqueue_rotation(svc, author=author, number=number, area_code=area_code, region=region)


def rotate_number(
    svc: Services,
    telephony: Telephony,
    *,
    author: str,
    number: str | None = None,
    area_code: str | None = None,
    region: str | None = None,
) -> Rotated:
    """Give the hotline a new number and retire the one in use.

    The new number is `number` (E.164), one the account already owns, or else the first
    local number for sale in `area_code`, or in `region` (a state; default: the home
    state). Its voice URL and status callback are set to the hotline's; the numbers
    retired are the current one (or, before the first rotation, every number of the
    account whose voice URL is the hotline's). Then every chair with a registered phone
    is queued a text from the new number, chairs whose precinct has not reported first.
    """
    settings = svc.settings
    if not settings.public_url:
        raise RotationError(
            "HOTLINE_PUBLIC_URL is not set: a new number needs the hotline's "
            "address for its webhooks"
        )
    voice_url, status_url = webhook_urls(settings)
    old = _in_use(svc, telephony, voice_url)
    if number is not None:
        if any(o.number == number for o in old):
            raise RotationError(f"{number} is the hotline's number already")
        new = _assign(telephony, number, voice_url, status_url)
    else:
        taken = {o.number for o in old}
        new = _buy(settings, telephony, area_code, region, taken, voice_url, status_url)
    reported = set(svc.store.results.reported_precincts())
    chairs = sorted(svc.store.roster.chair_phones(), key=lambda c: (c[0] in reported, c[0]))
    rotation = svc.store.numbers.rotate(
        now=svc.clock.now(),
        author=author,
        new=OwnedNumber(new.phone_number, new.sid, new.voice_url, new.status_callback),
        old=old,
        chairs=chairs,
    )
    log.info(
        "rotation %s: %s is the hotline's number, %s retired; %d chairs to text",
        rotation.id,
        new.phone_number,
        ", ".join(rotation.old),
        len(chairs),
    )
    if chairs:
        enqueue_rotation_texts(svc, rotation.id)
    return Rotated(rotation=rotation, number=new, bought=number is None)


def send_due_texts(svc: Services, telephony: Telephony, rotation_id: str) -> float | None:
    """Send the texts of a rotation that the pace allows now; returns when to run again,
    or None when every text has been sent (or has failed for good).

    A rotation made since texts its own number: this one's texts left are canceled.
    A text Twilio refuses (a number it will not text, a chair who texted STOP) is failed,
    with Twilio's code, and the next one goes. While Twilio cannot be reached, or refuses
    the account, the text goes back to the front and the run stops for a while; after
    TEXT_TRIES it is failed. (A text Twilio may have sent before a timeout can so reach a
    chair twice: a second text of the new number harms no one.)
    """
    numbers = svc.store.numbers
    rotation = numbers.rotation(rotation_id)
    if rotation is None:
        return None
    current = numbers.current()
    if current is None or current.number != rotation.new:
        # A later rotation texts every chair its own number: this one's are not sent.
        canceled = numbers.cancel_texts(rotation_id)
        log.info("rotation %s superseded: %d texts not sent", rotation_id, canceled)
        return None
    # Each chair reads it in the precinct's language (its roster row's), else the first.
    languages = svc.store.roster.languages()
    every_s = svc.settings.numbers.text_every_s
    while True:
        turn = numbers.take_text(
            rotation_id, now=svc.clock.now(), every_s=every_s, burst=TEXT_BURST
        )
        if turn.precinct is None or turn.phone is None:
            return turn.wait_until
        callback = text_status_url(svc.settings, rotation_id, turn.precinct)
        prompts = svc.settings.language(languages.get(turn.precinct)).prompts
        body = prompts["number_changed_sms"].format(number=rotation.new)
        try:
            sid = telephony.send_sms(turn.phone, rotation.new, body, status_callback=callback)
        except (TransientTelephonyError, AccountRefused) as error:
            if turn.tries < TEXT_TRIES:
                log.warning(
                    "text to %s (precinct %s) not sent, trying again: %s",
                    mask_number(turn.phone),
                    turn.precinct,
                    error,
                )
                numbers.put_back(rotation_id, turn.precinct)
                return svc.clock.now() + TEXT_RETRY_AFTER_S
            _failed(svc, rotation_id, turn.precinct, error)
        except TelephonyError as error:
            _failed(svc, rotation_id, turn.precinct, error)
        else:
            numbers.text_status(rotation_id, turn.precinct, "queued", now=svc.clock.now(), sid=sid)


def text_status_url(settings: Settings, rotation_id: str, precinct: str) -> str:
    """Where Twilio posts a text's status: the URL names the rotation and the precinct,
    and Twilio signs the whole URL, so neither can be forged.
    """
    query = urlencode({"rotation": rotation_id, "precinct": precinct})
    return f"{settings.public_url}/voice/text-status?{query}"


def _failed(svc: Services, rotation_id: str, precinct: str, error: TelephonyError) -> None:
    log.warning("text to precinct %s failed: %s", precinct, error)
    svc.store.numbers.text_status(
        rotation_id, precinct, "failed", now=svc.clock.now(), error_code=error.code
    )


def _in_use(svc: Services, telephony: Telephony, voice_url: str) -> list[OwnedNumber]:
    """The numbers to retire: the current one, or before the first rotation the account's
    numbers that answer at the hotline's voice URL.
    """
    current = svc.store.numbers.current()
    if current is not None:
        return [
            OwnedNumber(current.number, current.sid, current.voice_url, current.status_callback)
        ]
    found = [
        OwnedNumber(n.phone_number, n.sid, n.voice_url, n.status_callback)
        for n in telephony.owned_numbers()
        if n.voice_url == voice_url
    ]
    if not found:
        raise RotationError(
            f"no number of the account answers at {voice_url}: there is no hotline number to retire"
        )
    return found


def _assign(telephony: Telephony, number: str, voice_url: str, status_url: str) -> IncomingNumber:
    owned = telephony.owned_number(number)
    if owned is None:
        raise RotationError(
            f"the Twilio account does not own {number}: buy it first, or "
            "leave out --number to buy one"
        )
    return telephony.set_webhooks(owned.sid, voice_url=voice_url, status_callback=status_url)


def _buy(
    settings: Settings,
    telephony: Telephony,
    area_code: str | None,
    region: str | None,
    taken: set[str],
    voice_url: str,
    status_url: str,
) -> IncomingNumber:
    country = settings.numbers.country
    where = (
        {"area_code": area_code} if area_code else {"region": region or settings.policy.home_state}
    )
    offered = [n for n in telephony.available_local_numbers(country, **where) if n not in taken]
    for candidate in offered[:PURCHASE_TRIES]:
        try:
            return telephony.buy_number(
                candidate,
                voice_url=voice_url,
                status_callback=status_url,
                friendly_name=FRIENDLY_NAME,
            )
        except TelephonyError as error:
            if error.code != NOT_AVAILABLE:
                raise
            log.info("%s was sold meanwhile; trying the next", candidate)
    place = f"area code {area_code}" if area_code else where["region"]
    raise RotationError(f"Twilio offers no local number in {place} ({country}) to buy")
