"""Callers: blocks, the allow list, flood mode, and the calls they made."""

from __future__ import annotations

import click

from hotline.cli.common import (
    duration_option,
    opened_services,
    utc_time,
    who_acts,
)
from hotline.durations import format_duration
from hotline.phone import normalise_block_target
from hotline.steps import admin


@click.command(help="Block a number, or a prefix written as +1900*.")
@click.argument("target")
@click.option("--for", "duration", help="How long, e.g. 30m, 2h, 1d (default: until unblocked).")
@click.option("--reason", default="blocked by an admin", show_default=True)
@click.option("--by", "author", help="Who is blocking (default: your login name).")
def block(target: str, duration: str | None, reason: str, author: str | None) -> None:
    normalised = _target(target)
    seconds = duration_option(duration) if duration else None
    with opened_services() as services:
        made = admin.block(
            services, normalised, reason=reason, author=who_acts(author), duration_s=seconds
        )
    until = f"until {utc_time(made.expires_at)} UTC" if made.expires_at else "until unblocked"
    click.echo(f"Blocked {normalised} {until}: {reason}")


@click.command(help="Lift the block on a number or prefix.")
@click.argument("target")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--by", "author", help="Who is unblocking (default: your login name).")
def unblock(target: str, reason: str, author: str | None) -> None:
    normalised = _target(target)
    with opened_services() as services:
        removed = admin.unblock(services, normalised, author=who_acts(author), reason=reason)
    click.echo(f"Unblocked {normalised}" if removed else f"{normalised} was not blocked")


@click.command(help="List the blocks in force.")
def blocks() -> None:
    with opened_services() as services:
        active = services.store.blocks.active()
        now = services.clock.now()
    if not active:
        click.echo("No blocks in force.")
        return
    click.echo(f"{'NUMBER/PREFIX':<18} {'BY':<12} {'SINCE (UTC)':<20} {'EXPIRES (UTC)':<32} REASON")
    for item in active:
        expires = (
            "never"
            if item.expires_at is None
            else f"{utc_time(item.expires_at)} (in {format_duration(item.expires_at - now)})"
        )
        click.echo(
            f"{item.target:<18} {item.author:<12} {utc_time(item.created_at):<20} "
            f"{expires:<32} {item.reason}"
        )


@click.command(help="Vouch for a number: never escalated (it is still asked for a PIN).")
@click.argument("number")
@click.option("--remove", is_flag=True, help="Withdraw the allowance.")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--by", "author", help="Who is allowing (default: your login name).")
def allow(number: str, remove: bool, reason: str, author: str | None) -> None:
    normalised = _target(number)
    if normalised.endswith("*"):
        raise click.BadParameter("allow takes a number, not a prefix", param_hint="NUMBER")
    with opened_services() as services:
        if remove:
            admin.disallow(services, normalised, author=who_acts(author), reason=reason)
        else:
            admin.allow(services, normalised, author=who_acts(author), reason=reason)
    click.echo(f"{'No longer allowed' if remove else 'Allowed'}: {normalised}")


@click.command(help="Switch flood mode: every caller not known as a chair is diverted.")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.option("--by", "author", help="Who is switching (default: your login name).")
def flood(state: str, author: str | None) -> None:
    with opened_services() as services:
        if state != "status":
            admin.switch_flood(services, state == "on", author=who_acts(author))
        on = services.store.reputation.flood()
    click.echo(f"Flood mode is {'ON' if on else 'off'}.")


@click.command(help="Recent calls, newest first, with the verdict each got and why.")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 10_000))
def calls(limit: int) -> None:
    from hotline.steps.verification import alarm_notice

    with opened_services() as services:
        records = services.store.calls.recent(limit)
        notice = alarm_notice(services)
    if notice:
        click.echo(f"*** {notice}")
    if not records:
        click.echo("No calls yet.")
        return
    click.echo(
        f"{'STARTED (UTC)':<20} {'FROM':<16} {'VERDICT':<18} {'PRECINCT':<9} "
        f"{'OUTCOME':<12} REASONS"
    )
    for record in records:
        verdict = record.verdict or "(in progress)"
        if not record.enforced:
            verdict += " (log)"
        outcome = "verified" if record.verified_at else (record.status or "in progress")
        click.echo(
            f"{utc_time(record.started_at):<20} {record.number or 'withheld':<16} "
            f"{verdict:<18} {record.precinct or '-':<9} {outcome:<12} "
            f"{'; '.join(record.reasons)}"
        )


def _target(text: str) -> str:
    try:
        return normalise_block_target(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="NUMBER|PREFIX") from None


COMMANDS = (block, unblock, blocks, allow, flood, calls)
