"""The fast form parser gives exactly what Werkzeug's parse_qsl call gives, for any body."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from hotline.forms import ERRORS, parse_urlencoded

# Bodies made of the characters that matter to the parser, escapes that decode and
# escapes that do not (a lone "%", half a UTF-8 sequence), and any text at all.
pieces = st.one_of(
    st.sampled_from(
        [
            "&",
            "=",
            "+",
            "%",
            "%2B",
            "%20",
            "%E2%82",
            "%E2%82%AC",
            "%zz",
            "%%",
            "é",
            "From",
            "+1515",
            "a",
            "",
        ]
    ),
    st.text(max_size=6),
)
bodies = st.lists(pieces, max_size=30).map("".join)


def werkzeug_parse(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True, errors=ERRORS)


@given(bodies)
def test_same_as_parse_qsl_on_any_body(text):
    assert parse_urlencoded(text) == werkzeug_parse(text)


@given(st.lists(st.tuples(st.text(), st.text()), max_size=10))
def test_same_as_parse_qsl_on_encoded_forms(fields):
    text = urlencode(fields)
    assert parse_urlencoded(text) == werkzeug_parse(text) == fields


def test_a_twilio_webhook_body():
    text = (
        "CallSid=CA1&From=%2B15155550100&FromCity=DES+MOINES&StirVerstat=&Digits"
        "&To=%2B15155550199&x=%E2%82%AC"
    )
    assert parse_urlencoded(text) == werkzeug_parse(text)
    assert dict(parse_urlencoded(text))["FromCity"] == "DES MOINES"
    assert dict(parse_urlencoded(text))["Digits"] == ""
