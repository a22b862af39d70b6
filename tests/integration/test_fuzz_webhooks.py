"""Random and missing form fields, signed correctly, at every webhook (every route under
/voice/, read from the app): the answer is always valid TwiML (200) or a 4xx, never a 5xx
or a traceback.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.roster import load_small_roster
from tests.support.twilio import signed_post

FIELDS = ["CallSid", "From", "To", "Digits", "CallStatus", "SequenceNumber", "CallDuration",
          "StirVerstat", "FromState", "FromCountry", "QueueResult", "QueuePosition"]  # fmt: skip
QUERY = ["precinct", "how", "tries", "reprompts", "step", "strict", "volunteer", "pairing",
         "verification"]  # fmt: skip

# Values that look like what Twilio sends, mixed with anything at all.
plausible = st.sampled_from(["CA1", "+15155550100", "Anonymous", "+266696687", "1001", "482913",
                             "completed", "in-progress", "-1", "99999999999999999999", "",
                             "TN-Validation-Failed-A", "IA", "US", "hangup", "0", "#"])
text = st.one_of(plausible, st.text(max_size=40))
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=10)),
                        text, max_size=8)  # fmt: skip
queries = st.dictionaries(st.sampled_from(QUERY), text, max_size=4)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data(), form=forms, query=queries)
def test_every_webhook_answers_twiml_or_4xx(app, client, services, data, form, query):
    if not services.store.roster.count():
        load_small_roster(services)
    path = data.draw(st.sampled_from(sorted(
        rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/voice/"))))
    response = signed_post(client, path, form, query=query or None)
    assert response.status_code < 500
    if response.status_code == 200:
        assert response.mimetype == "text/xml"
        assert ET.fromstring(response.data).tag == "Response"
    else:
        assert 400 <= response.status_code < 500
        assert b"Traceback" not in response.data
