"""Redis adapters. keys.py spells every key; lua/ holds the atomic scripts."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from hotline.clock import Clock
from hotline.store.audit import AuditTrail
from hotline.store.blocks import Blocks
from hotline.store.calls import Calls
from hotline.store.dispatch import Dispatch
from hotline.store.figures import Figures
from hotline.store.line import Line
from hotline.store.night_figures import NightFigures
from hotline.store.numbers import Numbers
from hotline.store.parked import Parked
from hotline.store.pin_guard import PinGuard
from hotline.store.reputation import Reputation
from hotline.store.results import Results
from hotline.store.roster import Roster
from hotline.store.scripts import Scripts
from hotline.store.sign_in_attempts import SignInAttempts
from hotline.store.tonight import Tonight
from hotline.store.users import Users
from hotline.store.verifications import Verifications
from hotline.store.volunteers import Volunteers
from hotline.triage import Policy


@dataclass(frozen=True)
class Store:
    """Every adapter, sharing one Redis client and one clock."""

    redis: redis.Redis
    clock: Clock
    calls: Calls
    blocks: Blocks
    line: Line
    roster: Roster
    reputation: Reputation
    volunteers: Volunteers
    users: Users
    sign_in_attempts: SignInAttempts
    dispatch: Dispatch
    parked: Parked
    pin_guard: PinGuard
    verifications: Verifications
    results: Results
    figures: Figures
    numbers: Numbers
    tonight: Tonight
    night_figures: NightFigures
    audit: AuditTrail

    @classmethod
    def open(cls, client: redis.Redis, clock: Clock, policy: Policy) -> Store:
        scripts = Scripts.register(client)
        tonight = Tonight(client, clock, policy)
        return cls(
            redis=client,
            clock=clock,
            calls=Calls(client, scripts, policy, tonight),
            blocks=Blocks(client, scripts, clock, policy.remember_caller_for_s),
            line=Line(client, scripts, policy.remember_caller_for_s),
            roster=Roster(client),
            reputation=Reputation(client, clock, policy.remember_caller_for_s),
            volunteers=Volunteers(client, clock),
            users=Users(client, clock),
            sign_in_attempts=SignInAttempts(client, scripts),
            dispatch=Dispatch(client, scripts),
            parked=Parked(client, clock),
            pin_guard=PinGuard(client, scripts, policy.pin_defence, policy.long_window_s),
            verifications=Verifications(client, scripts, policy.pin_defence),
            results=Results(client),
            figures=Figures(client),
            numbers=Numbers(client, scripts),
            tonight=tonight,
            night_figures=NightFigures(client, policy.long_window_s),
            audit=AuditTrail(client, clock),
        )
