"""A caller that speaks to the app over real HTTP exactly as Twilio would.

It posts signed forms, follows the TwiML it gets back, presses the keys it is
scripted to press, and reports what the caller heard. It takes no time: Say,
Play and Pause are noted and passed over. On <Enqueue> it fetches the wait
URL once, notes the announcement, and stays on hold (the call is left
connected until `hang_up`).
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator


@dataclass
class CallTranscript:
    call_sid: str
    caller: str
    heard: list[str] = field(default_factory=list)
    outcome: str = "in progress"  # rejected, hung up by the hotline, holding, caller hung up
    requests: int = 0


class HttpPhone:
    def __init__(self, public_url: str, auth_token: str, *, to: str = "+15155550000",
                 timeout_s: float = 10.0) -> None:  # fmt: skip
        self.public_url = public_url.rstrip("/")
        self._validator = RequestValidator(auth_token)
        self.to = to
        self._timeout = timeout_s

    def call(
        self,
        call_sid: str,
        caller: str,
        keys: Iterable[str] = (),
        *,
        extra: dict[str, str] | None = None,
        path: str = "/voice/incoming",
    ) -> CallTranscript:
        """Ring the hotline from `caller` and press `keys` at each prompt ("" is silence).

        When the keys run out at a prompt, the caller hangs up.
        """
        transcript = CallTranscript(call_sid=call_sid, caller=caller)
        base = {"CallSid": call_sid, "From": caller, "To": self.to, "Direction": "inbound",
                "CallStatus": "in-progress", "AccountSid": "AC" + "0" * 32,
                "ApiVersion": "2010-04-01", **(extra or {})}  # fmt: skip
        pending = list(keys)
        document = self._post(self.public_url + path, base, transcript)
        while document is not None:
            document = self._follow(document, base, pending, transcript)
        return transcript

    def end(self, transcript: CallTranscript, *, duration_s: int, sequence: int = 0) -> None:
        """Send the status callback Twilio sends when the call is over."""
        status = "busy" if transcript.outcome == "rejected" else "completed"
        self._post(
            self.public_url + "/voice/status",
            {"CallSid": transcript.call_sid, "From": transcript.caller, "To": self.to,
             "CallStatus": status, "CallDuration": str(duration_s),
             "SequenceNumber": str(sequence)},
            transcript,
        )  # fmt: skip

    def _follow(self, document: str, base: dict[str, str], pending: list[str],
                transcript: CallTranscript) -> str | None:  # fmt: skip
        for verb in ET.fromstring(document):
            if verb.tag == "Say":
                transcript.heard.append(verb.text or "")
            elif verb.tag == "Reject":
                transcript.outcome = "rejected"
                return None
            elif verb.tag == "Hangup":
                transcript.outcome = "hung up by the hotline"
                return None
            elif verb.tag == "Redirect":
                return self._post(verb.text or "", base, transcript)
            elif verb.tag == "Gather":
                transcript.heard.extend(s.text or "" for s in verb if s.tag == "Say")
                if not pending:
                    transcript.outcome = "caller hung up"
                    return None
                digits = pending.pop(0)
                return self._post(verb.get("action", ""), {**base, "Digits": digits}, transcript)
            elif verb.tag == "Enqueue":
                transcript.outcome = "holding"
                wait = self._post(
                    verb.get("waitUrl", ""),
                    {**base, "QueuePosition": "1", "QueueTime": "0", "QueueSid": "QU" + "0" * 32},
                    transcript,
                )  # fmt: skip
                if wait:
                    transcript.heard.extend(s.text or "" for s in ET.fromstring(wait)
                                            if s.tag == "Say")  # fmt: skip
                return None
        transcript.outcome = "hung up by the hotline"  # the document ran out: Twilio hangs up
        return None

    def _post(self, url: str, params: dict[str, str], transcript: CallTranscript) -> str:
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("X-Twilio-Signature", self._validator.compute_signature(url, params))
        transcript.requests += 1
        with urllib.request.urlopen(request, timeout=self._timeout) as response:
            return response.read().decode()
