"""Tonight's thresholds: the settings of the triage policy an admin may change during the
night, without a restart, and the checks a change must pass.

Only thresholds are open to change, each with a range: how many calls divert a caller or
block them for a while (for ordinary and for untrusted callers), and the call rate that
switches flood mode on by itself. The windows, the PIN defence and the modes stay as
config/ has them: changing those mid-night would weaken the bounds the README promises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from hotline.triage.policy import Escalation, Policy, Thresholds


@dataclass(frozen=True)
class Setting:
    name: str  # as written under [triage] in config/hotline.toml
    label: str
    lowest: int
    highest: int
    read: Callable[[Policy], int]
    write: Callable[[Policy, int], Policy]


def _thresholds(policy: Policy, kind: str, **change: int) -> Policy:
    escalation: Escalation = policy.escalation
    current: Thresholds = getattr(escalation, kind)
    return replace(policy, escalation=replace(escalation, **{kind: replace(current, **change)}))


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "escalation.divert_calls_short",
            "Calls within the short window that divert a caller",
            1,
            1000,
            lambda p: p.escalation.normal.divert_calls_short,
            lambda p, v: _thresholds(p, "normal", divert_calls_short=v),
        ),
        Setting(
            "escalation.temp_block_calls_long",
            "Calls within the long window that block a caller for a while",
            1,
            1000,
            lambda p: p.escalation.normal.temp_block_calls_long,
            lambda p, v: _thresholds(p, "normal", temp_block_calls_long=v),
        ),
        Setting(
            "escalation.untrusted.divert_calls_short",
            "The same for an untrusted caller (caller ID failed, out of state, abroad): divert",
            1,
            1000,
            lambda p: p.escalation.untrusted.divert_calls_short,
            lambda p, v: _thresholds(p, "untrusted", divert_calls_short=v),
        ),
        Setting(
            "escalation.untrusted.temp_block_calls_long",
            "The same for an untrusted caller: block for a while",
            1,
            1000,
            lambda p: p.escalation.untrusted.temp_block_calls_long,
            lambda p, v: _thresholds(p, "untrusted", temp_block_calls_long=v),
        ),
        Setting(
            "flood.auto_calls_per_minute",
            "Calls a minute, all callers together, that switch flood mode on (0: never)",
            0,
            100_000,
            lambda p: p.flood_auto_calls_per_minute,
            lambda p, v: replace(p, flood_auto_calls_per_minute=v),
        ),
    )
}

# Untrusted callers are never let off more lightly than ordinary ones.
_NO_HIGHER_THAN = {
    "escalation.untrusted.divert_calls_short": "escalation.divert_calls_short",
    "escalation.untrusted.temp_block_calls_long": "escalation.temp_block_calls_long",
}


def apply(policy: Policy, values: Mapping[str, int]) -> Policy:
    """The policy with tonight's values in place of config/'s; unknown names are ignored
    (a setting that is no longer open to change keeps config/'s value).
    """
    for name, value in values.items():
        setting = SETTINGS.get(name)
        if setting is not None:
            policy = setting.write(policy, int(value))
    return policy


def checked(base: Policy, values: Mapping[str, int], name: str, raw: str | int) -> int:
    """`raw` as the new value of setting `name` over tonight's `values`, if it may be:
    otherwise ValueError, saying why in an admin's words.
    """
    setting = SETTINGS.get(name)
    if setting is None:
        raise ValueError(f"{name!r} is not a threshold that can be changed tonight")
    text = str(raw).strip()
    if not text.isdigit():
        raise ValueError(f"{setting.label}: {text!r} is not a whole number")
    value = int(text)
    if not setting.lowest <= value <= setting.highest:
        raise ValueError(
            f"{setting.label}: must be from {setting.lowest} to {setting.highest}, not {value}"
        )
    after = apply(base, {**values, name: value})
    for untrusted, normal in _NO_HIGHER_THAN.items():
        if SETTINGS[untrusted].read(after) > SETTINGS[normal].read(after):
            raise ValueError(
                f"an untrusted caller's threshold ({untrusted} = "
                f"{SETTINGS[untrusted].read(after)}) may not be higher than an "
                f"ordinary caller's ({normal} = {SETTINGS[normal].read(after)})"
            )
    return value
