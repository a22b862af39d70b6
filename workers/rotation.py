"""Jobs: rotating the hotline's number (queued from the console), and the texts that tell
chairs the new one, each run sending what the pace allows and queuing the next run.
"""

from __future__ import annotations

import logging

from hotline.jobs import enqueue_rotation_texts
from hotline.steps.numbers import RotationError, rotate_number, send_due_texts
from hotline.telephony import telephony_for
from workers import runtime

log = logging.getLogger(__name__)


def rotate(
    author: str, number: str | None, area_code: str | None, region: str | None
) -> dict[str, object]:
    """A rotation asked for in the console. One that cannot be done as asked is reported
    in the job's result (and the worker's log), not retried.
    """
    services = runtime.current()
    try:
        rotated = rotate_number(
            services,
            telephony_for(services),
            author=author,
            number=number,
            area_code=area_code,
            region=region,
        )
    except RotationError as error:
        log.warning("rotation asked by %s refused: %s", author, error)
        return {"refused": str(error)}
    return {"rotation": rotated.rotation.id, "number": rotated.number.phone_number}


def send_texts(rotation_id: str) -> None:
    services = runtime.current()
    again = send_due_texts(services, telephony_for(services), rotation_id)
    if again is not None:
        enqueue_rotation_texts(services, rotation_id, at=again)
