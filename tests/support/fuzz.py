"""Random and missing form fields and query arguments for Twilio's webhooks, and what
makes an answer acceptable. Shared by the fast fuzz test (`make test`) and the long
one (`make bench`, tests/bench/fuzz.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Flask
from hypothesis import strategies as st

from hotline.voice.common import VOICE_PREFIX

FIELDS = [
    "CallSid",
    "From",
    "To",
    "Digits",
    "CallStatus",
    "SequenceNumber",
    "CallDuration",
    "StirVerstat",
    "FromState",
    "FromCountry",
    "QueueResult",
    "QueuePosition",
]
QUERY = [
    "precinct",
    "how",
    "tries",
    "reprompts",
    "step",
    "strict",
    "volunteer",
    "pairing",
    "verification",
]

# Values that look like what Twilio sends, mixed with anything at all.
plausible = st.sampled_from(
    [
        "CA1",
        "+15155550100",
        "Anonymous",
        "+266696687",
        "1001",
        "482913",
        "completed",
        "in-progress",
        "-1",
        "99999999999999999999",
        "",
        "TN-Validation-Failed-A",
        "IA",
        "US",
        "hangup",
        "0",
        "#",
    ]
)
text = st.one_of(plausible, st.text(max_size=40))
any_forms = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=10)), text, max_size=8
)
# Most webhooks answer 400 at once without a CallSid they accept, and most random forms
# have none: half the forms carry a well-formed one, so that the routes' own logic (the
# steps of a call, the keypad answers, the line) sees the random rest.
call_sids = st.one_of(st.just("CA1"), st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True))
twilio_forms = st.builds(
    lambda extra, sid: {**extra, "CallSid": sid},
    st.dictionaries(st.sampled_from(FIELDS), text, max_size=8),
    call_sids,
)
forms = st.one_of(any_forms, twilio_forms)
queries = st.dictionaries(st.sampled_from(QUERY), text, max_size=4)


def webhook_paths(app: Flask) -> list[str]:
    """Every route under /voice/, read from the app: a webhook added later is fuzzed too."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith(VOICE_PREFIX)
    )


def fault(response) -> str | None:
    """What is wrong with a webhook's answer, or None: it must be valid TwiML (200, a
    <Response> document) or a 4xx without a traceback, never a 5xx.
    """
    if response.status_code >= 500:
        return "5xx"
    if response.status_code == 200:
        if response.mimetype != "text/xml":
            return "invalid-twiml"
        try:
            root = ET.fromstring(response.data)
        except ET.ParseError:
            return "invalid-twiml"
        return None if root.tag == "Response" else "invalid-twiml"
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}"
    if b"Traceback" in response.data:
        return "traceback"
    return None
