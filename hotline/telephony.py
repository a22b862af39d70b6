"""The one door to Twilio's REST API, for RQ workers and the admins' command line (webhooks
never call Twilio).

Every request goes to `TWILIO_API_BASE_URL` (default https://api.twilio.com; plain http only
on loopback, since every request carries the account's credentials): Twilio's own
library builds the request, and the HTTP client below swaps the scheme, host and port of
each URL for the base URL's (and puts the base URL's path, if any, in front). So the
simulator's stand-in (hotline.sim.rest) is reached with the same code and the same paths as
Twilio itself. The `edge`/`region` settings of twilio-python only rename Twilio hosts and
cannot point at another server; this rewrite happens after them, so they cannot defeat it.

Failures come out as one of these exceptions, which are the contract for callers:

    TelephonyError                  (base; raised as such: another 4xx, a refusal of
    |                                this one request, such as a number Twilio will not
    |                                dial, or a bug)
    +-- CallGone                    the call or queue member is not there any more
    |   +-- QueueNotFound           Twilio has no queue of that name: nobody waits in it
    +-- AccountRefused              401 or 403: our credentials or account, so every
    |                                request fails alike until an admin fixes them
    +-- TransientTelephonyError     5xx, 429, timeouts, connection errors: retry later

Catch the subclasses before TelephonyError. A job that lets a TransientTelephonyError
escape is retried by RQ with backoff. `maybe_done` on it says whether Twilio may have
carried out the request anyway (a read timeout, a 5xx): a retried move of a queue member
may then answer CallGone because the first attempt did move it.

The auth token lives only inside twilio's Client (which sends it as HTTP Basic auth); it is
in no message, log line or repr of this module.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from hotline.phone import mask_number
from hotline.settings import ConfigError, Settings, checked_api_base_url
from hotline.store import keys

if TYPE_CHECKING:
    from hotline.services import Services

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.twilio.com"
# Seconds to wait for a connection, and then again for each read of the answer.
DEFAULT_TIMEOUT_S = 5.0
# Queues listed per request when looking one up by name (Twilio's maximum page size).
QUEUE_PAGE_SIZE = 1000
# Twilio's error code for a redirect or update of a call that has ended.
CALL_NOT_IN_PROGRESS = 21220

# Incoming phone numbers listed per request when looking through the account's numbers.
NUMBER_PAGE_SIZE = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class IncomingNumber:
    """A phone number the account owns (Twilio's IncomingPhoneNumber), with its webhooks."""

    sid: str
    phone_number: str
    voice_url: str
    status_callback: str


class TelephonyError(Exception):
    """Twilio refused a request for a reason that retrying will not fix (raised as such for
    a 4xx other than those below: a bug or bad configuration). Base of the others.
    """

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # HTTP status, when Twilio answered
        self.code = code  # Twilio's error code, when it gave one


class CallGone(TelephonyError):
    """The call or queue member is not there any more (hung up, moved, or never was):
    a 404 on a call or member, or a 400 with code 21220 ("Call is not in-progress").
    """


class QueueNotFound(CallGone):
    """Twilio has no queue of that name. Twilio creates a queue at the first <Enqueue>
    into it, so this means nobody has waited in it: whoever was to be moved is not there.
    """


class AccountRefused(TelephonyError):
    """Twilio refused the account itself (401 or 403: wrong credentials, a suspended
    account): every request fails the same way until the configuration is fixed, so the
    failure says nothing about the call or number the request named.
    """


class TransientTelephonyError(TelephonyError):
    """Twilio could not be reached or could not answer now (5xx, 429, a timeout, a refused
    or broken connection): the same request may succeed later.

    `maybe_done`: Twilio may have carried out the request before the failure (a read
    timeout, a 5xx); False when it certainly did not (429, no connection was made).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        maybe_done: bool = True,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.maybe_done = maybe_done


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending every request to `base_url` instead of Twilio's host."""

    def __init__(self, base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout_s)
        self.base = urlsplit(checked_api_base_url(base_url))

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        path = self.base.path.rstrip("/") + parts.path
        return urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, ""))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


class Telephony:
    """Twilio REST operations the workers need. Build one per worker process and reuse it
    (it keeps a connection pool); `redis` must decode replies (decode_responses=True).
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        redis: redis.Redis,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not account_sid:
            raise ConfigError("TWILIO_ACCOUNT_SID is not set: the workers cannot call Twilio.")
        if not auth_token:
            raise ConfigError("TWILIO_AUTH_TOKEN is not set: the workers cannot call Twilio.")
        self.account_sid = account_sid
        self.base_url = base_url.rstrip("/")
        self.redis = redis
        self.http = BaseUrlHttpClient(self.base_url, timeout_s=timeout_s)
        self._client = Client(account_sid, auth_token, http_client=self.http)

    @classmethod
    def from_settings(
        cls, settings: Settings, redis: redis.Redis, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> Telephony:
        return cls(
            account_sid=settings.twilio_account_sid or "",
            auth_token=settings.twilio_auth_token or "",
            redis=redis,
            base_url=settings.twilio_api_base_url,
            timeout_s=timeout_s,
        )

    @classmethod
    def from_services(
        cls, services: Services, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> Telephony:
        """From a hotline.services.Services: its settings and its (decoding) Redis client."""
        return cls.from_settings(services.settings, services.store.redis, timeout_s=timeout_s)

    def __repr__(self) -> str:
        return f"<Telephony {self.account_sid} at {self.base_url}>"

    # Queues

    def queue_sid(self, queue_name: str) -> str:
        """Twilio's SID of the queue `queue_name`, from the cache in Redis or else looked up
        by friendly name (and cached). QueueNotFound if Twilio has no such queue.
        """
        cached = self.redis.hget(keys.TWILIO_QUEUE_SIDS, queue_name)
        return cached if cached else self._look_up_queue(queue_name)

    def move_queue_member(self, queue_name: str, call_sid: str, url: str) -> None:
        """Take `call_sid` out of the queue and run the TwiML at `url` (fetched with POST).

        A 404 can also mean the cached queue SID is stale (the queue was deleted and made
        again, or the cache outlived another account): the SID is then looked up afresh and,
        if it changed, the move is tried once more before the call is declared gone.
        """
        queue_sid = self.queue_sid(queue_name)
        try:
            self._member_update(queue_sid, call_sid, url)
        except CallGone as gone:
            if gone.status != 404:
                raise
            fresh = self._look_up_queue(queue_name)
            if fresh == queue_sid:
                raise
            log.info("queue %s has a new SID %s; moving %s again", queue_name, fresh, call_sid)
            self._member_update(fresh, call_sid, url)
        log.info("moved %s out of queue %s to %s", call_sid, queue_name, url)

    def queue_members(self, queue_name: str) -> list[str]:
        """The CallSids waiting in Twilio's queue `queue_name` now (none if it has no such
        queue yet: nobody has waited in it).
        """
        try:
            queue_sid = self.queue_sid(queue_name)
        except QueueNotFound:
            return []
        return self._call(
            f"list members of {queue_name!r}",
            False,
            lambda: [
                str(member.call_sid)
                for member in self._client.queues(queue_sid).members.stream(
                    page_size=QUEUE_PAGE_SIZE
                )
            ],
        )

    # Calls

    def hang_up(self, call_sid: str) -> None:
        """End a call (Status=completed). CallGone if it had already ended."""
        self._call(
            f"hang up {call_sid}",
            True,
            lambda: self._client.calls(call_sid).update(status="completed"),
        )
        log.info("hung up %s", call_sid)

    def place_call(
        self, to: str, from_: str, url: str, status_callback: str, timeout_s: int = 25
    ) -> str:
        """Phone `to` from `from_`; when answered the call runs the TwiML at `url`, and
        `status_callback` hears when it completes. Returns the new call's SID.
        """
        call = self._call(
            f"call {to}",
            False,
            lambda: self._client.calls.create(
                to=to,
                from_=from_,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=["completed"],
                timeout=int(timeout_s),
            ),
        )
        log.info("placed call %s to %s", call.sid, mask_number(to))
        return str(call.sid)

    # Messages

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send a text message; returns the message SID. With `status_callback`, Twilio
        posts the message's status there as it changes (sent, delivered, undelivered,
        failed).
        """
        extra = {"status_callback": status_callback} if status_callback else {}
        message = self._call(
            f"text {mask_number(to)}",
            False,
            lambda: self._client.messages.create(to=to, from_=from_, body=body, **extra),
        )
        log.info("sent message %s to %s", message.sid, mask_number(to))
        return str(message.sid)

    # Phone numbers

    def available_local_numbers(
        self,
        country: str,
        *,
        area_code: str | None = None,
        region: str | None = None,
        limit: int = 20,
    ) -> list[str]:
        """Local numbers Twilio offers for sale in `country` (e.g. "US"), in an area code
        or a region (a state, "IA") if given, that take calls and texts.
        """
        search = {"voice_enabled": True, "sms_enabled": True}
        if area_code:
            search["area_code"] = int(area_code)
        if region:
            search["in_region"] = region
        found = self._call(
            f"search numbers in {country}",
            False,
            lambda: self._client.available_phone_numbers(country).local.list(limit=limit, **search),
        )
        return [str(number.phone_number) for number in found]

    def buy_number(
        self, phone_number: str, *, voice_url: str, status_callback: str, friendly_name: str
    ) -> IncomingNumber:
        """Buy `phone_number`, its voice and status webhooks set (both POST)."""
        bought = self._call(
            f"buy {phone_number}",
            False,
            lambda: self._client.incoming_phone_numbers.create(
                phone_number=phone_number,
                friendly_name=friendly_name,
                voice_url=voice_url,
                voice_method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
            ),
        )
        log.info("bought %s (%s)", bought.phone_number, bought.sid)
        return _incoming(bought)

    def owned_number(self, phone_number: str) -> IncomingNumber | None:
        """The account's number `phone_number`, or None if the account does not own it."""
        found = self._call(
            f"look up {phone_number}",
            False,
            lambda: self._client.incoming_phone_numbers.list(phone_number=phone_number),
        )
        return next((_incoming(n) for n in found if n.phone_number == phone_number), None)

    def owned_numbers(self) -> list[IncomingNumber]:
        """Every number the account owns."""
        return self._call(
            "list the account's numbers",
            False,
            lambda: [
                _incoming(number)
                for number in self._client.incoming_phone_numbers.stream(page_size=NUMBER_PAGE_SIZE)
            ],
        )

    def set_webhooks(self, sid: str, *, voice_url: str, status_callback: str) -> IncomingNumber:
        """Point the number `sid` at `voice_url` and `status_callback` (both POST)."""
        updated = self._call(
            f"set the webhooks of {sid}",
            False,
            lambda: self._client.incoming_phone_numbers(sid).update(
                voice_url=voice_url,
                voice_method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
            ),
        )
        log.info("set the webhooks of %s (%s)", updated.phone_number, sid)
        return _incoming(updated)

    # Inside

    def _member_update(self, queue_sid: str, call_sid: str, url: str) -> None:
        self._call(
            f"move {call_sid} out of {queue_sid}",
            True,
            lambda: self._client.queues(queue_sid).members(call_sid).update(url=url, method="POST"),
        )

    def _look_up_queue(self, queue_name: str) -> str:
        def find() -> str | None:
            for queue in self._client.queues.stream(page_size=QUEUE_PAGE_SIZE):
                if queue.friendly_name == queue_name:
                    return str(queue.sid)
            return None

        sid = self._call(f"look up queue {queue_name!r}", False, find)
        if sid is None:
            raise QueueNotFound(
                f"Twilio has no queue named {queue_name!r} yet: nobody has been enqueued in it",
                status=404,
            )
        self.redis.hset(keys.TWILIO_QUEUE_SIDS, queue_name, sid)
        return sid

    def _call(self, what: str, gone_on_404: bool, request: Callable[[], T]) -> T:
        try:
            return request()
        except (TwilioException, requests.RequestException, ValueError) as error:
            raise classify(error, what, gone_on_404=gone_on_404, where=self.base_url) from error


def _incoming(number) -> IncomingNumber:
    return IncomingNumber(
        sid=str(number.sid),
        phone_number=str(number.phone_number),
        voice_url=str(number.voice_url or ""),
        status_callback=str(number.status_callback or ""),
    )


def classify(
    error: Exception, what: str, *, gone_on_404: bool, where: str = DEFAULT_BASE_URL
) -> TelephonyError:
    """The exception callers see for a failure of twilio's library or of the HTTP below it.

    `gone_on_404`: the request named one call or queue member, so a 404 means it is gone.
    `where`: the base URL, named in messages about timeouts and connections.
    """
    if isinstance(error, requests.Timeout):
        connect = isinstance(error, requests.ConnectTimeout)
        stage = "connecting" if connect else "waiting for the answer"
        return TransientTelephonyError(
            f"{what}: {where} timed out ({stage})", maybe_done=not connect
        )
    if isinstance(error, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        refused = _never_connected(error)
        return TransientTelephonyError(
            f"{what}: cannot reach {where} ({_reason(error)})", maybe_done=not refused
        )
    if isinstance(error, requests.RequestException):
        return TelephonyError(f"{what}: bad request to Twilio ({type(error).__name__})")
    status, code, detail = _answer(error)
    if status is None:
        # A body that is not Twilio's JSON, or another failure inside twilio's library.
        return TelephonyError(f"{what}: unexpected answer from Twilio ({type(error).__name__})")
    message = f"{what}: Twilio answered {status}" + (f" (code {code})" if code else "")
    message += f": {detail}" if detail else ""
    if status == 429 or status >= 500:
        return TransientTelephonyError(message, status=status, code=code, maybe_done=status != 429)
    if status in (401, 403):
        return AccountRefused(message, status=status, code=code)
    if gone_on_404 and (status == 404 or (status == 400 and code == CALL_NOT_IN_PROGRESS)):
        return CallGone(message, status=status, code=code)
    return TelephonyError(message, status=status, code=code)


def _answer(error: Exception) -> tuple[int | None, int | None, str]:
    """HTTP status, Twilio error code and message of an error answer, as far as known.

    Fetches and updates raise TwilioRestException (or TwilioServiceException) with the
    status and code; a failed page of a list raises a bare TwilioException carrying the
    HTTP response, whose body is Twilio's error JSON.
    """
    status = getattr(error, "status", None)
    if isinstance(status, int):
        code = getattr(error, "code", None)
        detail = getattr(error, "msg", None) or getattr(error, "detail", None) or ""
        return status, code if isinstance(code, int) else None, str(detail)
    response = error.args[1] if len(error.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return None, None, ""
    try:
        body = json.loads(getattr(response, "text", "") or "")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return status, None, str(error.args[0])
    code = body.get("code")
    detail = body.get("message") or str(error.args[0])
    return status, code if isinstance(code, int) else None, str(detail)


def _never_connected(error: Exception) -> bool:
    """True when the connection itself failed (refused, no route, no such host)."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _reason(error: Exception) -> str:
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return type(reason or error).__name__


def telephony_for(services: Services) -> Telephony:
    """The Telephony of a hotline.services.Services (see Telephony.from_services)."""
    return Telephony.from_services(services)
