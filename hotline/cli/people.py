"""The people of the night: volunteers (phones and PINs) and console logins."""

from __future__ import annotations

import sys

import click

from hotline.cli.common import (
    opened_services,
    utc_time,
    who_acts,
)
from hotline.phone import normalise_caller_id
from hotline.pins import (
    generate_backup_code,
    generate_pin,
    volunteer_backup_digest,
    volunteer_pin_digest,
)
from hotline.settings import ConfigError, Settings
from hotline.store.users import MIN_PASSWORD_LENGTH, ROLES
from hotline.store.users import is_valid_name as is_valid_user_name


@click.group(help="Volunteers who take calls: their phones and PINs.")
def volunteers() -> None:
    pass


PIN_NOTE = (
    "The PIN and backup code will not be shown again: give them to the volunteer now "
    "(only digests are kept). The backup code is asked for on nights the PIN is "
    "under attack."
)


@volunteers.command("add", help="Register a volunteer's phone and issue their PIN.")
@click.argument("name")
@click.argument("phone")
@click.option("--by", "author", help="Who is adding (default: your login name).")
def add_volunteer(name: str, phone: str, author: str | None) -> None:
    if not name.strip():
        raise click.BadParameter("a volunteer needs a name", param_hint="NAME")
    with opened_services() as services:
        number = _volunteer_phone(phone, services.settings)
        pin_key = _pin_key(services.settings)
        pin, code = generate_pin(), generate_backup_code()
        try:
            added = services.store.volunteers.add(
                name,
                number,
                lambda volunteer_id: volunteer_pin_digest(pin_key, volunteer_id, pin),
                author=who_acts(author),
                backup_digest=lambda volunteer_id: volunteer_backup_digest(
                    pin_key, volunteer_id, code
                ),
            )
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Added volunteer {added.id}: {added.name}, {added.phone}")
    click.echo(f"PIN for {added.id}: {pin}")
    click.echo(f"Backup code for {added.id}: {code}")
    click.echo(PIN_NOTE)


@volunteers.command("list", help="Every volunteer, with their phone and status.")
def list_volunteers() -> None:
    with opened_services() as services:
        everyone = services.store.volunteers.all()
        statuses = services.store.volunteers.statuses()
    if not everyone:
        click.echo("No volunteers.")
        return
    click.echo(f"{'ID':<6} {'PHONE':<16} {'STATUS':<12} NAME")
    for volunteer in everyone:
        status = statuses.get(volunteer.id, "offline")
        click.echo(f"{volunteer.id:<6} {volunteer.phone:<16} {status:<12} {volunteer.name}")


@volunteers.command("remove", help="Remove a volunteer: their PIN and phone stop working.")
@click.argument("volunteer_id", metavar="ID")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--by", "author", help="Who is removing (default: your login name).")
def remove_volunteer(volunteer_id: str, reason: str, author: str | None) -> None:
    with opened_services() as services:
        gone = services.store.volunteers.get(volunteer_id)
        if gone is not None and services.store.volunteers.remove(
            volunteer_id, author=who_acts(author), reason=reason
        ):
            click.echo(f"Removed volunteer {gone.id}: {gone.name}, {gone.phone}")
            return
    click.echo(f"{volunteer_id} is not a volunteer")


@volunteers.command(
    "reset-pin", help="Issue a volunteer a new PIN and backup code; the old ones stop working."
)
@click.argument("volunteer_id", metavar="ID")
@click.option("--by", "author", help="Who is resetting (default: your login name).")
def reset_volunteer_pin(volunteer_id: str, author: str | None) -> None:
    with opened_services() as services:
        pin_key = _pin_key(services.settings)
        pin, code = generate_pin(), generate_backup_code()
        changed = services.store.volunteers.set_pin_digest(
            volunteer_id,
            volunteer_pin_digest(pin_key, volunteer_id, pin),
            backup_digest=volunteer_backup_digest(pin_key, volunteer_id, code),
            author=who_acts(author),
        )
    if changed is None:
        raise click.ClickException(f"{volunteer_id} is not a volunteer")
    click.echo(
        f"New PIN and backup code for volunteer {changed.id} ({changed.name}); "
        "the old ones no longer work."
    )
    click.echo(f"PIN for {changed.id}: {pin}")
    click.echo(f"Backup code for {changed.id}: {code}")
    click.echo(PIN_NOTE)


@click.group(help="Console logins for volunteers and admins.")
def users() -> None:
    pass


@users.command("add", help="Create a console login; the password is asked for twice.")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@click.option("--by", "author", help="Who is adding (default: your login name).")
def add_user(name: str, role: str, password_stdin: bool, author: str | None) -> None:
    if not is_valid_user_name(name):
        raise click.BadParameter(
            f"{name!r} is not a user name: use 1 to 32 of a-z 0-9 . _ -", param_hint="NAME"
        )
    with opened_services() as services:
        if services.store.users.get(name) is not None:
            raise click.ClickException(f"there is already a user called {name}")
        password = _new_password(password_stdin)
        try:
            added = services.store.users.add(name, role, password, author=who_acts(author))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Added {added.role} {added.name}.")


@users.command(
    "passwd",
    help="Give a console login a new password (asked for twice); "
    "every console session of that login ends.",
)
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@click.option("--by", "author", help="Who is changing it (default: your login name).")
def change_password(name: str, password_stdin: bool, author: str | None) -> None:
    with opened_services() as services:
        if services.store.users.get(name) is None:
            raise click.ClickException(f"{name} is not a user")
        password = _new_password(password_stdin)
        try:
            changed = services.store.users.set_password(name, password, author=who_acts(author))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    if changed is None:  # removed while the password was being typed
        raise click.ClickException(f"{name} is not a user")
    click.echo(f"Changed the password of {name}; every console session of {name} has ended.")


def _new_password(from_stdin: bool) -> str:
    """A password typed twice at the terminal, or the first line of standard input
    (whose length the store checks, with the same message).
    """
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, value_proc=_long_enough
    )


@users.command("list", help="Every console login, by name.")
def list_users() -> None:
    with opened_services() as services:
        everyone = services.store.users.all()
    if not everyone:
        click.echo("No users.")
        return
    click.echo(f"{'NAME':<32} {'ROLE':<10} ADDED (UTC)")
    for user in everyone:
        click.echo(f"{user.name:<32} {user.role:<10} {utc_time(user.created_at)}")


@users.command("remove", help="Delete a console login.")
@click.argument("name")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--by", "author", help="Who is removing (default: your login name).")
def remove_user(name: str, reason: str, author: str | None) -> None:
    with opened_services() as services:
        removed = services.store.users.remove(name, author=who_acts(author), reason=reason)
    click.echo(f"Removed user {name}" if removed else f"{name} is not a user")


def _volunteer_phone(text: str, settings: Settings) -> str:
    number = normalise_caller_id(
        text,
        region=settings.default_region,
        withheld_numbers=settings.withheld_numbers,
        withheld_words=settings.withheld_words,
    )
    if number is None:
        raise click.BadParameter(f"{text!r} is not a phone number", param_hint="PHONE")
    return number


def _pin_key(settings: Settings) -> bytes:
    try:
        return settings.pin_key()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _long_enough(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


COMMANDS = (volunteers, users)
