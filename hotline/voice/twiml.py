"""Pure TwiML builders: arguments in, an XML document out, built with the twilio library.

Each is cached: a flood calls the same few builders with the same arguments
thousands of times a minute, and the documents never change for given inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse


@dataclass(frozen=True)
class Speech:
    """How <Say> speaks: Twilio's default voice unless one is configured."""

    voice: str = ""
    language: str = "en-US"

    def say(self, parent: VoiceResponse | Gather, text: str) -> None:
        attributes = {"language": self.language} if self.language else {}
        if self.voice:
            attributes["voice"] = self.voice
        parent.say(text, **attributes)


@lru_cache(maxsize=64)
def reject_busy() -> str:
    """Refuse the call before it is answered: the caller hears busy and is never billed."""
    response = VoiceResponse()
    response.reject(reason="busy")
    return response.to_xml()


@lru_cache(maxsize=256)
def goodbye(message: str, speech: Speech) -> str:
    response = VoiceResponse()
    speech.say(response, message)
    response.hangup()
    return response.to_xml()


@lru_cache(maxsize=1024)
def ask_digits(
    prompt: str,
    action_url: str,
    timeout_s: int,
    speech: Speech,
    preface: str = "",
    offer: tuple[str, Speech] | None = None,
) -> str:
    """Ask for digits ended by "#". Silence still posts to `action_url` (with empty Digits),
    so the same handler decides whether to ask again or end the call. `offer` is said
    after the prompt, in its own voice: the other language, at a call's first prompt.
    """
    response = VoiceResponse()
    if preface:
        speech.say(response, preface)
    gather = Gather(
        input="dtmf",
        action=action_url,
        method="POST",
        finish_on_key="#",
        timeout=timeout_s,
        action_on_empty_result=True,
    )
    speech.say(gather, prompt)
    if offer is not None:
        offer_text, offer_speech = offer
        offer_speech.say(gather, offer_text)
    response.append(gather)
    return response.to_xml()


@lru_cache(maxsize=1024)
def ask_key(prompt: str, action_url: str, timeout_s: int, speech: Speech, preface: str = "") -> str:
    """Ask for one key (a menu choice). Silence still posts to `action_url` (empty Digits)."""
    response = VoiceResponse()
    if preface:
        speech.say(response, preface)
    gather = Gather(
        input="dtmf",
        action=action_url,
        method="POST",
        num_digits=1,
        timeout=timeout_s,
        action_on_empty_result=True,
    )
    speech.say(gather, prompt)
    response.append(gather)
    return response.to_xml()


@lru_cache(maxsize=1024)
def hold_in_line(
    message: str, queue_name: str, wait_url: str, action_url: str, speech: Speech
) -> str:
    """Hand the caller's audio to a Twilio queue; the wait URL keeps them informed."""
    response = VoiceResponse()
    speech.say(response, message)
    response.enqueue(
        queue_name, wait_url=wait_url, wait_url_method="POST", action=action_url, method="POST"
    )
    return response.to_xml()


@lru_cache(maxsize=1024)
def waiting(
    message: str, hold_music_url: str, pause_s: int, speech: Speech, callback_url: str = ""
) -> str:
    """One cycle of the wait URL: where the caller stands, then music or quiet.

    With `callback_url`, the cycle listens for one key while it plays: the
    message offers a call back, and pressing a key posts to that URL. Twilio
    runs this document again when it finishes, for as long as the caller waits.
    """
    response = VoiceResponse()
    parent: VoiceResponse | Gather = response
    if callback_url:
        parent = Gather(
            input="dtmf",
            num_digits=1,
            action=callback_url,
            method="POST",
            timeout=1 if hold_music_url else pause_s,
        )
    if message:
        speech.say(parent, message)
    if hold_music_url:
        parent.play(hold_music_url)
    elif not callback_url:
        response.pause(length=pause_s)
    if callback_url:
        response.append(parent)
    return response.to_xml()


@lru_cache(maxsize=1024)
def conference_room(
    message: str, room: str, *, end_on_exit: bool, speech: Speech, action_url: str | None = None
) -> str:
    """Say `message`, then join the conference `room`.

    A volunteer's own leg ends the room when they hang up (`end_on_exit`); a
    caller's does not, so the volunteer stays for the next caller. A caller still on
    the line when the room ends goes on to `action_url`, rather than being hung up.
    """
    response = VoiceResponse()
    if message:
        speech.say(response, message)
    dial = Dial(action=action_url, method="POST") if action_url else Dial()
    dial.conference(
        room, start_conference_on_enter=True, end_conference_on_exit=end_on_exit, beep=False
    )
    response.append(dial)
    return response.to_xml()


@lru_cache(maxsize=256)
def press_any_key(message: str, action_url: str, timeout_s: int, speech: Speech) -> str:
    """Say `message` and wait for one key; silence hangs up."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, action=action_url, method="POST", timeout=timeout_s)
    speech.say(gather, message)
    response.append(gather)
    response.hangup()
    return response.to_xml()


@lru_cache(maxsize=64)
def redirect(target: str) -> str:
    response = VoiceResponse()
    response.redirect(target, method="POST")
    return response.to_xml()


@lru_cache(maxsize=1024)
def hold_then_return(hold_music_url: str, pause_s: int, target: str) -> str:
    """Music (or quiet) for a while, then back to `target`: a caller on hold keeps holding
    while the hotline cannot answer properly.
    """
    response = VoiceResponse()
    if hold_music_url:
        response.play(hold_music_url)
    else:
        response.pause(length=pause_s)
    response.redirect(target, method="POST")
    return response.to_xml()


@lru_cache(maxsize=1024)
def moment_then_retry(message: str, pause_s: int, target: str, speech: Speech) -> str:
    """A word, a pause, then the same step again: a caller mid-step is not dropped for a
    moment's trouble.
    """
    response = VoiceResponse()
    speech.say(response, message)
    response.pause(length=pause_s)
    response.redirect(target, method="POST")
    return response.to_xml()


@lru_cache(maxsize=64)
def say_then_redirect(message: str, target: str, speech: Speech) -> str:
    response = VoiceResponse()
    speech.say(response, message)
    response.redirect(target, method="POST")
    return response.to_xml()


@lru_cache(maxsize=8)
def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return response.to_xml()


@lru_cache(maxsize=8)
def empty() -> str:
    """Nothing to do: the answer to status callbacks."""
    return VoiceResponse().to_xml()
