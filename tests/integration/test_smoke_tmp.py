from tests.support.twilio import signed_post
from tests.support.xml import shape

def test_smoke(client):
    r = signed_post(client, "/voice/incoming", {"CallSid": "CA1", "From": "+15155550100", "To": "+15155550000"})
    print(r.status_code, r.data)
    assert r.status_code == 200
