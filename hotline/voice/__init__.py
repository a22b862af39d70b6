"""Twilio voice webhooks: signature check, routes, and pure TwiML builders."""

from __future__ import annotations

from flask import Flask


def init_voice(app: Flask) -> None:
    """Register every voice blueprint, guarded in one place (voice/common.py): whatever is
    served under /voice/ answers 403 unless Twilio signed the request.
    """
    from hotline.voice.callbacks import bp as callbacks
    from hotline.voice.common import guard_voice_routes
    from hotline.voice.keypad_report import bp as keypad_report
    from hotline.voice.proof_calls import bp as proof_calls
    from hotline.voice.routes import bp as chairs_line
    from hotline.voice.texts import bp as texts
    from hotline.voice.volunteer_line import bp as volunteer_line

    blueprints = (chairs_line, keypad_report, volunteer_line, callbacks, proof_calls, texts)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    guard_voice_routes(app)
