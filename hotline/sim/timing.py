"""How long the things a caller hears take, so virtual time passes as a call's would."""

from __future__ import annotations

from hotline.sim.twiml import Verb

# Text-to-speech runs at about 150 words a minute; digits read one by one
# ("1 0 0 1") count as words, which they are when spoken.
WORDS_PER_SECOND = 2.5
# A <Play> of a URL the simulator cannot fetch: a typical hold-music track.
PLAY_SECONDS = 30.0
PAUSE_DEFAULT_SECONDS = 1.0


def spoken_seconds(verb: Verb) -> float:
    """Seconds a Say, Play or Pause keeps the caller listening (0 for anything else)."""
    loops = max(int(verb.number("loop", 1)), 1)
    if verb.name == "Say":
        return loops * max(len(verb.text.split()), 1) / WORDS_PER_SECOND
    if verb.name == "Play":
        return loops * PLAY_SECONDS
    if verb.name == "Pause":
        return max(verb.number("length", PAUSE_DEFAULT_SECONDS), 0.0)
    return 0.0
