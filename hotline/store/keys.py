"""Every Redis key Hotline uses, spelled in this one place.

tests/unit/test_keys.py pins the exact strings: changing one is a data
migration, not a refactor.
"""

from __future__ import annotations

import re

PREFIX = "hotline"

# What may stand for a CallSid inside a key. Twilio's are "CA" and 32 hex digits; any short
# ASCII token is accepted, so that test and simulator SIDs work, but nothing that could
# smuggle a key separator.
CALL_SID = re.compile(r"[A-Za-z0-9]{1,64}")

# One hash for all blocks: field is a number ("+15155550100") or a prefix
# ("+1900*"), value is JSON {reason, author, created_at, expires_at}.
BLOCKS = f"{PREFIX}:blocks"
# Indexes of that hash, written in the same transaction as it (store/blocks.py), so that
# nothing need read the whole hash: member is the hash's field, score its created_at (the
# newest blocks, for the console) ...
BLOCKS_BY_TIME = f"{PREFIX}:blocks:by-time"
# ... its expires_at, for blocks that expire (the sweep of expired blocks) ...
BLOCKS_BY_EXPIRY = f"{PREFIX}:blocks:by-expiry"
# ... and 0, so that ZRANGEBYLEX finds every number and prefix that starts with some digits.
BLOCKS_BY_TARGET = f"{PREFIX}:blocks:by-target"
# Registered chair phones: field is the E.164 number, value the precinct code.
CHAIR_PHONES = f"{PREFIX}:chair-phones"
# Hash: precinct code -> JSON {satellite, language}, for the precincts that have either.
PRECINCT_TRAITS = f"{PREFIX}:precinct-traits"
# Every precinct code on the roster, for listing without scanning.
PRECINCTS = f"{PREFIX}:precincts"
# Numbers an admin vouches for: field is the E.164 number, value the time it was allowed.
# Apart from the callers' expiring hashes, because an admin's word lasts until taken back.
ALLOWED = f"{PREFIX}:allowed"
# Admin switch: present means flood mode is on.
FLOOD = f"{PREFIX}:flood"
# The priority line: member is a waiting call's CallSid, score orders it (see store/line.py).
LINE = f"{PREFIX}:line"
# Who is waiting in the line: field is a CallSid, value JSON about the call and its precinct.
WAITING = f"{PREFIX}:waiting"
# Waiting calls that are in Twilio's queue (their wait URL was requested): a set of
# CallSids. Only these can be moved to a volunteer.
HOLDING = f"{PREFIX}:holding"
# A precinct's place while any call for it waits: field precinct code, value the score
# every call verified for that precinct gets.
PRECINCT_PLACES = f"{PREFIX}:precinct-places"
# How many calls for a precinct wait in the line: field precinct code, value a count.
PRECINCT_CALLS = f"{PREFIX}:precinct-calls"
# CallSids in Twilio's queue that Redis had no line entry for when the queue was last
# reconciled (its data lost): their next wait request puts them back in line.
ORPHANS = f"{PREFIX}:orphans"
# Failed PIN checks across the whole hotline (sorted set: attempt id -> time), the
# hotline-wide budget of the PIN defence.
PIN_FAILURES = f"{PREFIX}:pin-failures"
# CallSids of recent inbound calls, newest first (capped).
RECENT_CALLS = f"{PREFIX}:recent-calls"
# Every call on record by the time it started: member CallSid, score its started_at. Written
# with the call's record (lua/arrive.lua, store/calls.py); entries are trimmed once their
# record has expired, and the key expires with the last of them. The night's report finds
# a night's calls here: a flood is more calls than the capped list above holds.
CALLS_BY_TIME = f"{PREFIX}:calls:by-time"
# Failed PINs by all withheld callers (sorted set of timestamps).
WITHHELD_PIN_FAILURES = f"{PREFIX}:pin-failures:withheld"
# The audit trail: a stream of blocks, unblocks, allows and automatic actions.
AUDIT = f"{PREFIX}:audit"
# The time the PIN alarm was last put on the audit trail (expiring after the PIN defence's
# alarm window), so that one alarm is recorded once however many checks see it raised.
PIN_ALARM = f"{PREFIX}:pin-alarm"
# Volunteers: field is a volunteer id ("v1"), value JSON {name, phone, pin_digest, created_at}.
VOLUNTEERS = f"{PREFIX}:volunteers"
# Registered volunteer phones: field is the E.164 number, value the volunteer id.
VOLUNTEER_PHONES = f"{PREFIX}:volunteer-phones"
# Counter behind volunteer ids.
VOLUNTEER_IDS = f"{PREFIX}:volunteer-ids"
# Console logins: field is the user name, value JSON {role, password_hash, created_at}.
USERS = f"{PREFIX}:users"
# Volunteers' live state: field is a volunteer id, value JSON {status, call_sid, room,
# precinct, caller_call_sid, since}. One hash, so the pairing script can read and write it.
VOLUNTEER_STATES = f"{PREFIX}:volunteer-states"
# Volunteers free to take a caller: member is a volunteer id, score the time they became free.
FREE_VOLUNTEERS = f"{PREFIX}:free-volunteers"
# Pairings in flight (caller chosen, Twilio not yet told): field volunteer id, value JSON.
PAIRINGS = f"{PREFIX}:pairings"
# Chairs Twilio refused for good to put through, parked out of the line until an admin
# puts them back (see store/parked.py): field CallSid, value JSON.
PARKED = f"{PREFIX}:parked"
# Twilio's SID for each queue name the app uses, learnt once from the REST API.
TWILIO_QUEUE_SIDS = f"{PREFIX}:twilio-queue-sids"
# Stored results (store/results.py). Which version is each reported precinct's latest:
# field precinct code, value its newest version number (1..n).
RESULTS_LATEST = f"{PREFIX}:results:latest"
# Receipt codes read to chairs: field the 6-digit code, value "<precinct>:<version>".
RESULTS_RECEIPTS = f"{PREFIX}:results:receipts"
# Saves already applied: field an idempotency key (a confirming call's CallSid and step, a
# form's submission id), value "<precinct>:<version>" it stored.
RESULTS_SAVES = f"{PREFIX}:results:saves"
# What the workers count for GET /metrics (store/figures.py), kept where every web server
# can read it: field "failed:<job function>" or "retried:<job function>", value a count.
# One field per job function and kind, so it never grows with the night.
JOB_FIGURES = f"{PREFIX}:figures:jobs"
# The dispatch latency histogram: field "le:<bound>" counts the dispatches that took at
# most that long and longer than the bound below it ("le:inf" the rest), "sum" their
# seconds together.
DISPATCH_FIGURES = f"{PREFIX}:figures:dispatch"
# The hotline's own numbers (store/numbers.py): field the E.164 number, value JSON {sid,
# state "current" or "retired", since, retired_at, voice_url, status_callback, rotation}.
NUMBERS = f"{PREFIX}:numbers"
# Retired numbers alone, which still answer: field the E.164 number, value the time it was
# retired. The inbound script reads it on every call.
RETIRED_NUMBERS = f"{PREFIX}:numbers:retired"
# Rotations of the hotline's number, oldest first: member the rotation id, score its time.
ROTATIONS = f"{PREFIX}:rotations"
# Counter behind rotation ids.
ROTATION_IDS = f"{PREFIX}:rotation-ids"
# The policy's thresholds as admins changed them for tonight, over config/'s (store/
# tonight.py). Hash: "version" (a token, new at each change) and "values" (JSON {setting:
# value}, only the settings changed). The inbound script reads it with the caller's facts.
TONIGHT = f"{PREFIX}:policy:tonight"
# Every version of tonight's values: field the version, value its JSON. A call's record
# names the version it was judged by, so its bookkeeping judges it the same way later.
TONIGHT_VERSIONS = f"{PREFIX}:policy:tonight:versions"
# The changes to tonight's thresholds, newest first: JSON {id, setting, before, value,
# author, reason, at, reverts}.
TONIGHT_CHANGES = f"{PREFIX}:policy:tonight:changes"
# Numbers that called more than once within the long window: member the number, score
# its calls within the window as of its latest call (the inbound script's count) ...
TOP_CALLERS = f"{PREFIX}:top-callers"
# ... and the time of that call, so that the numbers gone quiet are dropped.
TOP_CALLERS_SEEN = f"{PREFIX}:top-callers:seen"
# The top callers as the last sample ranked them (JSON), for the board.
TOP_CALLERS_RANKED = f"{PREFIX}:top-callers:ranked"
# RQ queue names.
QUEUE_DEFAULT = "hotline"


def precinct(code: str) -> str:
    """Hash: county, name, chair_phone, pin_digest, delegates."""
    return f"{PREFIX}:precinct:{code}"


def call(call_sid: str) -> str:
    """Hash: one call's from, facts, verdict, precinct, status and timings."""
    return f"{PREFIX}:call:{call_sid}"


def caller_calls(number: str) -> str:
    """Sorted set: CallSid -> arrival time, the calls a number placed recently."""
    return f"{PREFIX}:caller:{number}:calls"


def caller_pin_failures(number: str) -> str:
    """Sorted set: failure id -> time, failed PINs entered from a number."""
    return f"{PREFIX}:caller:{number}:pin-failures"


def caller_hangups(number: str) -> str:
    """Sorted set: CallSid -> time, instant hang-ups from a number."""
    return f"{PREFIX}:caller:{number}:hangups"


def caller(number: str) -> str:
    """Hash: a number's reputation: flags, temp_blocks, verified_at. Every write renews
    its time to live (the policy's remember_caller_for), so a flood of one-off numbers
    leaves nothing behind.
    """
    return f"{PREFIX}:caller:{number}"


def inbound_minute(minute: int) -> str:
    """Counter of all inbound calls in one clock minute (for flood mode)."""
    return f"{PREFIX}:inbound:{minute}"


def kept_place(precinct_code: str) -> str:
    """A chair's score in the line, kept for a while after they hang up."""
    return f"{PREFIX}:kept-place:{precinct_code}"


def login_attempts_by_device(nonce: str) -> str:
    """Sorted set: attempt id -> time, failed console sign-ins (and ones being checked)
    from the browser whose device cookie carries `nonce`.
    """
    return f"{PREFIX}:login-attempts:device:{nonce}"


def login_attempts_untrusted(name: str) -> str:
    """Sorted set: attempt id -> time, failed console sign-ins (and ones being checked)
    as user `name` from browsers without a device cookie for it.
    """
    return f"{PREFIX}:login-attempts:untrusted:{name}"


def login_attempts_by_address(address: str) -> str:
    """Sorted set: attempt id -> time, failed console sign-ins (and ones being checked)
    from a client address without a device cookie, across user names.
    """
    return f"{PREFIX}:login-attempts:addr:{address}"


def precinct_pin_failures(precinct_code: str) -> str:
    """Sorted set: attempt id -> time, failed PIN checks against a precinct (its budget)."""
    return f"{PREFIX}:precinct:{precinct_code}:pin-failures"


def volunteer_pin_failures(volunteer_id: str) -> str:
    """Sorted set: attempt id -> time, failed PIN checks against a volunteer (their budget)."""
    return f"{PREFIX}:volunteer:{volunteer_id}:pin-failures"


def pin_checks(hour: int) -> str:
    """Hash: "precinct:<code>" or "volunteer:<id>" -> PIN checks made in one clock hour."""
    return f"{PREFIX}:pin-checks:{hour}"


def held_pin(call_sid: str) -> str:
    """The keyed digest of a PIN a call entered, held until its backup code is checked."""
    return f"{PREFIX}:call:{call_sid}:held-pin"


def call_backs(phone: str) -> str:
    """Sorted set: verification id -> time, calls back placed to a registered phone."""
    return f"{PREFIX}:call-backs:{phone}"


def verification(verification_id: str) -> str:
    """Hash: a call back that proves a chair or volunteer (who, phone, place, answered by)."""
    return f"{PREFIX}:verification:{verification_id}"


def housekeeping(slot: int) -> str:
    """Taken by the one worker that enqueues the housekeeping jobs of a period."""
    return f"{PREFIX}:housekeeping:{slot}"


def given_up_pairing(pairing_id: str) -> str:
    """The CallSid of a pairing given up as stale, in case the caller turns up after all."""
    return f"{PREFIX}:pairing-given-up:{pairing_id}"


def results_versions(precinct_code: str) -> str:
    """Hash: version number ("1", "2", ...) -> JSON of that stored report; never overwritten."""
    return f"{PREFIX}:results:{precinct_code}:versions"


def results_verified(precinct_code: str) -> str:
    """Hash: version number -> JSON {by, at}: a volunteer checked that (keypad) version."""
    return f"{PREFIX}:results:{precinct_code}:verified"


def results_draft(precinct_code: str, call_sid: str) -> str:
    """A keypad report being keyed on one call (JSON), expiring: what a dropped call left,
    resumed on the chair's next call. One per call, so that two calls keying one precinct
    at once never key into each other's report.
    """
    return f"{PREFIX}:results:{precinct_code}:draft:{call_sid}"


def results_drafts(precinct_code: str) -> str:
    """Sorted set: CallSid -> when its draft was last keyed, since the precinct's latest
    stored version (each save empties it); how the newest unfinished draft of a precinct
    is found. Expires with the drafts.
    """
    return f"{PREFIX}:results:{precinct_code}:drafts"


def rotation(rotation_id: str) -> str:
    """Hash: one rotation: old and new numbers, who, when, and the texts' pace."""
    return f"{PREFIX}:rotation:{rotation_id}"


def rotation_texts(rotation_id: str) -> str:
    """Hash: precinct code -> JSON {phone, status, sid, error_code, tries, at}, the text of
    the new number to that precinct's chair.
    """
    return f"{PREFIX}:rotation:{rotation_id}:texts"


def rotation_outbox(rotation_id: str) -> str:
    """List: precinct codes whose chairs are still to be texted, in order."""
    return f"{PREFIX}:rotation:{rotation_id}:outbox"


def night_minutes(hour: int) -> str:
    """Hash: "<minute>:<figure>" -> a count, for each minute of one clock hour (both since
    the epoch): calls by what they got when they arrived, and the line sampled once a
    minute (store/night_figures.py).
    """
    return f"{PREFIX}:minutes:{hour}"
