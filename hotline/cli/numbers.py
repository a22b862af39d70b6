"""The hotline's phone number: rotate it when it leaks, and see what each number does."""

from __future__ import annotations

import math
from collections import Counter

import click

from hotline.cli.common import opened_services, utc_time, who_acts
from hotline.durations import format_duration
from hotline.phone import mask_number
from hotline.store.numbers import CANCELED, DELIVERED, FAILED

# The statuses a text is counted under in `hotline number status`, in the order shown.
SHOWN_STATUSES = ("delivered", "failed", "sent", "queued", "sending", "waiting")


@click.group(help="The hotline's phone number: rotate it when it leaks, and list the numbers.")
def number() -> None:
    pass


@number.command(
    help="Give the hotline a new number and retire the one that leaked: buy a local number "
    "(or use one the account owns, --number), point its webhooks at the hotline, and text "
    "every chair with a registered phone the new number. The old number keeps answering "
    "registered chairs and callers who verified a PIN recently; anyone else hears that the "
    "number changed (never the new one) and gets one short chance to key a precinct, its "
    "PIN and its backup code."
)
@click.option("--number", "new_number", help="A number the Twilio account owns, to use.")
@click.option("--area-code", help="Buy a number in this area code, e.g. 515.")
@click.option("--region", help="Buy a number in this state, e.g. IA (default: home_state).")
@click.option("--by", "author", help="Who is rotating (default: your login name).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rotate(
    new_number: str | None,
    area_code: str | None,
    region: str | None,
    author: str | None,
    yes: bool,
) -> None:
    from hotline.steps.numbers import BadChoice, RotationError, rotate_number, rotation_choice
    from hotline.telephony import Telephony, TelephonyError

    try:
        chosen = rotation_choice(new_number, area_code, region)
    except BadChoice as bad:
        raise click.BadParameter(str(bad), param_hint=bad.option) from None
    if not yes:
        click.confirm(
            "Retire the hotline's number (unknown callers on it get one short chance) and "
            "text every chair the new one?",
            abort=True,
        )
    with opened_services() as services:
        settings = services.settings
        try:
            rotated = rotate_number(
                services, Telephony.from_services(services), author=who_acts(author), **chosen
            )
        except (RotationError, TelephonyError, ValueError) as error:
            raise click.ClickException(str(error)) from None
    rotation, new = rotated.rotation, rotated.number
    verb = "Bought" if rotated.bought else "Assigned"
    click.echo(
        f"{verb} {new.phone_number} for the hotline (voice {new.voice_url}, "
        f"status {new.status_callback})."
    )
    window = format_duration(settings.policy.long_window_s)
    click.echo(
        f"Retired {', '.join(rotation.old)}: it still answers registered chairs' phones and "
        f"numbers that verified a PIN in the last {window}; anyone else hears that the "
        "number changed and gets one short chance (precinct, PIN and backup code)."
    )
    if not rotation.chairs:
        click.echo("No chair has a registered phone: nobody is texted. Tell the chairs yourself.")
        return
    every = settings.numbers.text_every_s
    click.echo(
        f"Texting {rotation.chairs} chairs from {new.phone_number}, one every "
        f"{format_duration(every)} (about {math.ceil(rotation.chairs * every / 60)} min). "
        "`hotline number status` shows the receipts."
    )


@number.command(help="The hotline's numbers, what each answers, and the texts of each rotation.")
@click.option(
    "--failed",
    "show_failed",
    default=10,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Failed texts listed per rotation.",
)
def status(show_failed: int) -> None:
    with opened_services() as services:
        numbers = services.store.numbers
        known = numbers.all()
        rotations = [(r, numbers.texts(r.id)) for r in numbers.rotations()]
        window = format_duration(services.settings.policy.long_window_s)
    if not known:
        click.echo(
            "No number is recorded yet: the first `hotline number rotate` records the number "
            "in use and the new one."
        )
        return
    click.echo(f"{'NUMBER':<16} {'STATE':<8} {'SINCE (UTC)':<20} {'RETIRED (UTC)':<20} WEBHOOKS")
    for item in known:
        since = utc_time(item.since) if item.since is not None else "-"
        click.echo(
            f"{item.number:<16} {item.state:<8} {since:<20} {utc_time(item.retired_at):<20} "
            f"voice {item.voice_url or '-'}, status {item.status_callback or '-'}"
        )
    click.echo(
        "\nThe current number answers everyone. A retired number answers registered chairs' "
        f"phones, numbers an admin allowed and numbers that verified a PIN in the last {window}; "
        "anyone else hears that the number changed and gets one short chance (precinct, PIN "
        "and backup code)."
    )
    for rotation, texts in rotations:
        click.echo(
            f"\nRotation {rotation.id}, {utc_time(rotation.at)} UTC, by {rotation.author}: "
            f"{', '.join(rotation.old)} -> {rotation.new}"
        )
        counts = Counter(_shown_status(text.status) for text in texts)
        shown = ", ".join(f"{counts[name]} {name}" for name in SHOWN_STATUSES)
        if counts[CANCELED]:
            shown += f", {counts[CANCELED]} canceled (a later rotation texts them)"
        click.echo(f"  texts to {len(texts)} chairs: {shown}")
        failed = [text for text in texts if _shown_status(text.status) == "failed"]
        for text in failed[:show_failed]:
            code = f"error {text.error_code}" if text.error_code else "no error code"
            click.echo(
                f"  {text.status}: precinct {text.precinct} ({mask_number(text.phone)}), {code}"
            )
        if len(failed) > show_failed:
            click.echo(f"  ... and {len(failed) - show_failed} more failed")


def _shown_status(status: str) -> str:
    """A text's status as counted: Twilio's final statuses fold into delivered and failed,
    and those not sent yet (accepted, scheduled) count as queued.
    """
    if status in DELIVERED:
        return "delivered"
    if status in FAILED:
        return "failed"
    return status if status in (*SHOWN_STATUSES, CANCELED) else "queued"


COMMANDS = (number,)
