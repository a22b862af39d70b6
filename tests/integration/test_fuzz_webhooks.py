"""Random and missing form fields, signed correctly, at every webhook (every route under
/voice/, read from the app): the answer is always valid TwiML (200) or a 4xx, never a 5xx
or a traceback. The long form, 10,000 examples per webhook, is tests/bench/fuzz.py.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fuzz import fault, forms, queries, webhook_paths
from tests.support.roster import load_small_roster
from tests.support.twilio import signed_post


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), form=forms, query=queries)
def test_every_webhook_answers_twiml_or_4xx(app, client, services, data, form, query):
    if not services.store.roster.count():
        load_small_roster(services)
    path = data.draw(st.sampled_from(webhook_paths(app)))
    response = signed_post(client, path, form, query=query or None)
    assert fault(response) is None, (response.status_code, response.data[:300])
