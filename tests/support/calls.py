"""A call driven through the Flask test client, step by step, as Twilio would drive it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.support.twilio import post_to_url, signed_post


class PhoneCall:
    def __init__(self, client, call_sid: str, caller: str | None, **extra: str) -> None:
        self.client = client
        self.call_sid = call_sid
        self.params = {
            "CallSid": call_sid,
            "To": "+15155550000",
            "Direction": "inbound",
            "CallStatus": "ringing",
            **extra,
        }
        if caller is not None:
            self.params["From"] = caller
        self.last = None

    def ring(self):
        return self._keep(signed_post(self.client, "/voice/incoming", self.params))

    def press(self, digits: str):
        """Answer the current <Gather> ("" is silence: Twilio posts empty Digits; "#" is the
        pound key alone: empty Digits, and FinishedOnKey says what ended the entry).
        """
        form = {**self.params, "Digits": digits}
        if digits == "#":
            form.update(Digits="", FinishedOnKey="#")
        return self._keep(post_to_url(self.client, self.gather_action(), form))

    def hold(self, **queue_params: str):
        """Fetch the <Enqueue> wait URL once, as Twilio does while the caller holds."""
        return post_to_url(
            self.client,
            self.enqueue().get("waitUrl"),
            {**self.params, "QueuePosition": "1", **queue_params},
        )

    def end(self, status: str = "completed", duration: int = 30, sequence: int | None = None):
        params = {**self.params, "CallStatus": status, "CallDuration": str(duration)}
        if sequence is not None:
            params["SequenceNumber"] = str(sequence)
        return signed_post(self.client, "/voice/status", params)

    def gather_action(self) -> str:
        gather = self._root().find("Gather")
        assert gather is not None, self.last.data
        return gather.get("action")

    def enqueue(self) -> ET.Element:
        enqueue = self._root().find("Enqueue")
        assert enqueue is not None, self.last.data
        return enqueue

    def _root(self) -> ET.Element:
        return ET.fromstring(self.last.data)

    def _keep(self, response):
        assert response.status_code == 200, (response.status_code, response.data)
        self.last = response
        return response
