"""The 2020 hotline, for comparison: every caller answered into one line, first come
first served, with nothing asked and no one turned away.
"""

from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse

BASELINE_QUEUE = "hotline"


def create_baseline_app() -> Flask:
    app = Flask(__name__)
    answer = VoiceResponse()
    answer.say("Thank you for calling the caucus results hotline. Please hold for a volunteer.")
    answer.enqueue(BASELINE_QUEUE)
    document = answer.to_xml()

    @app.post("/voice/incoming")
    def incoming() -> Response:
        return Response(document, mimetype="text/xml")

    @app.post("/voice/status")
    def status() -> Response:
        return Response(VoiceResponse().to_xml(), mimetype="text/xml")

    return app
