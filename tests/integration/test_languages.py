"""Prompts in English and Spanish: 9 at a call's first prompt switches, a precinct may
carry its own language, and the call keeps its language from step to step.
"""

from __future__ import annotations

import pytest

from hotline.pins import pin_digest
from hotline.store.roster import Precinct
from tests.support.calls import PhoneCall
from tests.support.twilio import PIN_KEY, PUBLIC_URL
from tests.support.xml import shape

CALLER = "+15155550123"
PARIS_CHAIR = "+33612345678"
EN = {"language": "en-US"}
ES = {"language": "es-US", "voice": "Polly.Lupe"}
GATHER = {
    "actionOnEmptyResult": "true",
    "finishOnKey": "#",
    "input": "dtmf",
    "method": "POST",
    "timeout": "6",
}


@pytest.fixture(autouse=True)
def roster(services):
    services.store.roster.replace_all(
        [
            Precinct(
                code="1001",
                county="Adair",
                name="1NW ADAIR",
                pin_digest=pin_digest(PIN_KEY, "1001", "482913"),
            ),
            Precinct(
                code="100013",
                county="Out of State Satellite",
                name="Paris, France",
                pin_digest=pin_digest(PIN_KEY, "100013", "650217"),
                chair_phone=PARIS_CHAIR,
                satellite="FR",
                language="es",
            ),
        ]
    )


def gather(action: str, *says: tuple[dict, str]) -> list:
    return [
        (
            "Gather",
            {**GATHER, "action": action},
            "",
            [("Say", attributes, text, []) for attributes, text in says],
        )
    ]


def test_the_first_prompt_offers_spanish_in_spanish(client):
    ring = PhoneCall(client, "CA1", CALLER).ring()
    assert shape(ring.data) == gather(
        f"{PUBLIC_URL}/voice/precinct?reprompts=0&step=0",
        (
            EN,
            "Welcome to the caucus results hotline. Please enter your precinct number, "
            "then press pound.",
        ),
        (ES, "Para español, oprima 9."),
    )


def test_nine_at_the_first_prompt_switches_the_call_to_spanish(client):
    call = PhoneCall(client, "CA1", CALLER)
    call.ring()
    switched = call.press("9")
    assert shape(switched.data) == gather(
        f"{PUBLIC_URL}/voice/precinct?reprompts=0&step=1&lang=es",
        (
            ES,
            "Bienvenido a la línea de resultados del caucus. Marque el número de su "
            "precinto y luego oprima la tecla numeral.",
        ),
    )
    pin = call.press("1001")  # the language travels with the call
    assert shape(pin.data) == gather(
        f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=0&reprompts=0&step=2"
        "&lang=es",
        (ES, "Marque su PIN de presidente de precinto y luego oprima la tecla numeral."),
    )
    choice = call.press("482913")
    assert shape(choice.data)[0] == ("Say", ES, "Gracias. El precinto 1 0 0 1 está verificado.", [])


def test_nine_after_the_first_prompt_is_only_digits(client):
    call = PhoneCall(client, "CA1", CALLER)
    call.ring()
    call.press("")  # silence: asked again, no longer the first prompt
    again = call.press("9")
    assert shape(again.data)[0] == ("Say", EN, "We could not find precinct 9.", [])


def test_a_spanish_precincts_chair_hears_spanish_from_the_start_and_can_switch_back(client):
    call = PhoneCall(client, "CA2", PARIS_CHAIR, FromCountry="FR")
    ring = call.ring()
    pin_url = f"{PUBLIC_URL}/voice/pin?precinct=100013&how=registered-phone&tries=0&reprompts=0"
    assert shape(ring.data) == gather(
        f"{pin_url}&step=0&lang=es",
        (
            ES,
            "Bienvenido, presidente del precinto 1 0 0 0 1 3. Marque su PIN y luego oprima "
            "la tecla numeral.",
        ),
        (EN, "For English, press 9."),
    )
    back = call.press("9")
    assert shape(back.data) == gather(
        f"{pin_url}&step=1",
        (EN, "Welcome, chair of precinct 1 0 0 0 1 3. Please enter your PIN, then press pound."),
    )


def test_a_paris_satellite_chair_calling_from_france_is_fast_tracked_as_at_home(
    client, services, run_jobs
):
    call = PhoneCall(client, "CA2", PARIS_CHAIR, FromCountry="FR")
    call.ring()
    facts = services.store.calls.get("CA2").facts
    assert (facts["chair_precinct"], facts["chair_traits"]) == (
        "100013",
        {"language": "es", "satellite": "FR"},
    )
    call.end()
    run_jobs()  # the call-end job records a common-path verdict
    record = services.store.calls.get("CA2")
    assert (record.verdict, record.reasons) == (
        "fast-track",
        ("registered to satellite caucus 100013 (meets in FR)",),
    )


ADAIR_GROUPS = ["2*6", "4*8", "7*8", "9*9", "11*9"]  # Biden, Buttigieg, Klobuchar, Sanders, Warren


def test_a_spanish_keypad_report_hears_its_findings_coin_toss_and_receipt_in_spanish(
    client, services
):
    call = PhoneCall(client, "CA1", CALLER)
    call.ring()
    call.press("9")
    call.press("1001")
    call.press("482913")
    call.press("1")  # the keypad
    call.press("40")
    for group in ADAIR_GROUPS:
        call.press(group)
    call.press("#")
    for group in ADAIR_GROUPS[:-1]:
        call.press(group)
    call.press("11*12")  # Warren grows past what she had: final above first
    review = call.press("#")
    assert review.data.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say language="es-US" voice="Polly.Lupe">Precinto 1 0 0 1. 40 asistentes. '
        "Joe Biden, 6 personas, 1 delegado. Pete Buttigieg, 8 personas, 2 delegados. "
        "Amy Klobuchar, 8 personas, 2 delegados. Bernie Sanders, 9 personas, 2 delegados. "
        "Elizabeth Warren, 12 personas, 2 delegados. Esto no puede ser correcto: la "
        "alineación final suma 43, más que los 40 de la primera. Por favor, revise: "
        "Elizabeth Warren pasó de 9 a 12, más de lo que podían darle las 0 personas de "
        "grupos no viables en la primera alineación.</Say>"
        f'<Gather action="{PUBLIC_URL}/voice/report-review?precinct=1001&amp;reprompts=0'
        '&amp;step=17&amp;lang=es" actionOnEmptyResult="true" input="dtmf" method="POST" '
        'numDigits="1" timeout="6"><Say language="es-US" voice="Polly.Lupe">Para corregir '
        "un dato, oprima 2. Para hablar con un voluntario, oprima 3.</Say></Gather></Response>"
    )
    call.press("2")
    call.press("11")
    call.press("9")
    toss = call.press("9")  # Warren back to 9: Buttigieg and Klobuchar tie
    assert shape(toss.data)[0][3] == [
        (
            "Say",
            ES,
            "Pete Buttigieg y Amy Klobuchar empatan por conservar un delegado. Oprima 1 si "
            "Pete Buttigieg ganó el sorteo. Oprima 2 si Amy Klobuchar ganó el sorteo.",
            [],
        )
    ]
    call.press("2")  # Klobuchar won the toss
    done = call.press("1")
    receipt = " ".join(services.store.results.latest("1001").receipt)
    assert shape(done.data) == [
        (
            "Say",
            ES,
            f"Gracias. Los resultados del precinto 1 0 0 1 están guardados. Su código de "
            f"recibo es {receipt}. Repito, su código de recibo es {receipt}. Adiós.",
            [],
        ),
        ("Hangup", {}, "", []),
    ]
