"""What admins do to run the night, from the board (/console/admin) or the command line
alike: block, unblock and allow numbers, switch flood mode, change tonight's thresholds
and revert a change, retry failed jobs. Every one lands in the audit trail with its
author. The console's routes and the commands check who may and parse what was typed;
these steps do it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.services import Services
from hotline.store import job_registries
from hotline.store.blocks import Block
from hotline.store.job_registries import FailedJob
from hotline.store.tonight import Change, Conflict
from hotline.triage import tonight

RETRIED_JOB = "job-retry"


class Refused(ValueError):
    """The step was not taken; the message says why, in an admin's words."""


def block(
    svc: Services, target: str, *, author: str, reason: str, duration_s: float | None = None
) -> Block:
    """Block a number or a prefix (normalised already), until unblocked or for a while."""
    return svc.store.blocks.block(target, reason=reason, author=author, duration_s=duration_s)


def unblock(svc: Services, target: str, *, author: str, reason: str = "") -> bool:
    """Lift a block; False when there was none."""
    return svc.store.blocks.unblock(target, author=author, reason=reason)


def allow(svc: Services, number: str, *, author: str, reason: str = "") -> None:
    """Vouch for a number: never escalated (a PIN is still asked for)."""
    if number.endswith("*"):
        raise Refused("only a whole number can be allowed, not a prefix")
    svc.store.reputation.allow(number, author=author, reason=reason)


def disallow(svc: Services, number: str, *, author: str, reason: str = "") -> None:
    svc.store.reputation.disallow(number, author=author, reason=reason)


def switch_flood(svc: Services, on: bool, *, author: str, reason: str = "") -> None:
    svc.store.reputation.set_flood(on, author=author, reason=reason)


@dataclass(frozen=True)
class Threshold:
    """One of tonight's thresholds as it stands."""

    name: str
    label: str
    configured: int  # config/'s value
    tonight: int  # the value in force


def thresholds(svc: Services) -> list[Threshold]:
    base = svc.store.tonight.base
    now = tonight.apply(base, svc.store.tonight.overlay().values)
    return [
        Threshold(s.name, s.label, s.read(base), s.read(now)) for s in tonight.SETTINGS.values()
    ]


def change_threshold(
    svc: Services, setting: str, value: str | int, *, author: str, reason: str
) -> Change:
    """Change one of tonight's thresholds, with a reason: in force from the next call."""
    if not reason.strip():
        raise Refused("say why, for the audit trail")
    overlay = svc.store.tonight.overlay()
    try:
        checked = tonight.checked(svc.store.tonight.base, overlay.values, setting, value)
    except ValueError as error:
        raise Refused(str(error)) from None
    return _change(
        svc, setting, checked, seen=overlay.version, author=author, reason=reason.strip()
    )


def revert(svc: Services, change_id: int, *, author: str) -> Change:
    """Undo a change: its setting back to what it was before it (config/'s value, if that
    was in force). Only the latest change to a setting can be undone this way: undoing an
    older one would silently undo the later ones too.
    """
    change = svc.store.tonight.find(change_id)
    if change is None:
        raise Refused(f"there is no change {change_id}")
    overlay = svc.store.tonight.overlay()
    if overlay.values.get(change.setting) != change.after:
        raise Refused(
            f"{change.setting} has changed since change {change_id}: revert the "
            "latest change to it instead"
        )
    base = svc.store.tonight.base
    restored = (
        tonight.SETTINGS[change.setting].read(base) if change.before is None else (change.before)
    )
    try:
        tonight.checked(base, overlay.values, change.setting, restored)
    except ValueError as error:
        raise Refused(f"change {change_id} cannot be reverted now: {error}") from None
    return _change(
        svc,
        change.setting,
        change.before,
        seen=overlay.version,
        author=author,
        reason=f"revert of change {change_id} ({change.reason})",
        reverts=change_id,
    )


def _change(
    svc: Services,
    setting: str,
    value: int | None,
    *,
    seen: str,
    author: str,
    reason: str,
    reverts: int | None = None,
) -> Change:
    try:
        return svc.store.tonight.change(
            setting, value, seen=seen, author=author, reason=reason, reverts=reverts
        )
    except Conflict:
        raise Refused(
            "another admin changed tonight's thresholds at the same moment: look "
            "at them again and retry"
        ) from None


def retry_job(svc: Services, job_id: str, *, author: str) -> FailedJob:
    """Put a failed job back on the queue, audited."""
    job = job_registries.retry(svc.queue, job_id)
    if job is None:
        raise Refused(f"no failed job has the id {job_id!r}")
    svc.store.audit.note(RETRIED_JOB, job.id, author, "retried by an admin", job=job.function)
    return job


def retry_all_jobs(svc: Services, *, author: str) -> list[FailedJob]:
    jobs = job_registries.retry_all(svc.queue)
    for job in jobs:
        svc.store.audit.note(RETRIED_JOB, job.id, author, "retried by an admin", job=job.function)
    return jobs
