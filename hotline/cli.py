"""The `hotline` command line: run the services, load the roster, manage blocks."""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from hotline.durations import format_duration, parse_duration
from hotline.phone import normalise_block_target
from hotline.services import Services, ensure_redis
from hotline.settings import ConfigError, Settings


@contextlib.contextmanager
def opened_services() -> Iterator[Services]:
    """Services for one command; an embedded Redis started for it is stopped after."""
    settings = _settings()
    server = ensure_redis(settings)
    try:
        yield Services.build(settings)
    finally:
        if server is not None:
            server.stop()


def _settings() -> Settings:
    try:
        return Settings.load()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _author(value: str | None) -> str:
    if value:
        return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "admin"


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


@click.group(help="Hotline: triage for an election results hotline.")
def main() -> None:
    pass


@main.command(help="Run the web server for Twilio's webhooks on $HOTLINE_PORT (default 5000).")
def serve() -> None:
    from hotline.web_server import serve_forever

    settings = _settings()
    server = ensure_redis(settings)
    try:
        serve_forever(settings)
    finally:
        if server is not None:
            server.stop()


@main.command(help="Run an RQ worker for Hotline's background jobs.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    from workers.main import run_worker

    with opened_services() as services:
        run_worker(services, burst=burst)


@main.group(help="The precinct roster.")
def precincts() -> None:
    pass


@precincts.command("import", help="Load a roster CSV, replacing the current roster.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "layout", type=click.Choice(["hotline", "iowa-2020"]),
              default="hotline", show_default=True,
              help="hotline: precinct,county,name[,chair_phone,pin,delegates]. "
                   "iowa-2020: the Iowa Democratic Party's 2020 precinct list.")
@click.option("--pin-sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write generated PINs (default: a new file under $HOTLINE_DATA_DIR).")
@click.option("--new-pins", is_flag=True,
              help="Issue new PINs for precincts whose row has none, even if they had one.")
def import_precincts(file: Path, layout: str, pin_sheet: Path | None, new_pins: bool) -> None:
    from hotline.roster_file import RosterError, read_roster
    from hotline.roster_import import import_roster

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file}: not UTF-8 text ({error.reason})") from None
    with opened_services() as services:
        settings = services.settings
        try:
            rows = read_roster(text, layout=layout, region=settings.default_region)
            secret = settings.require_secret_key()
        except RosterError as error:
            raise click.ClickException(f"{file} was not imported:\n{error}") from None
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        stamp = datetime.fromtimestamp(services.clock.now(), UTC).strftime("%Y%m%d-%H%M%S")
        sheet_path = pin_sheet or _free_path(settings.data_dir / f"pin-sheet-{stamp}.csv")
        try:
            result = import_roster(services.store.roster, rows, secret_key=secret,
                                   pin_sheet=sheet_path, new_pins=new_pins)  # fmt: skip
        except FileExistsError:
            raise click.ClickException(f"{sheet_path} already exists; nothing imported") from None
    click.echo(f"Imported {result.imported} precincts from {file} "
               f"({result.generated} new PINs, {result.kept} kept).")  # fmt: skip
    if result.pin_sheet:
        click.echo(f"PIN sheet: {result.pin_sheet} (readable only by you; hand each chair "
                   "their row, then keep it offline)")  # fmt: skip


@main.command(help="Block a number, or a prefix written as +1900*.")
@click.argument("target")
@click.option("--for", "duration", help="How long, e.g. 30m, 2h, 1d (default: until unblocked).")
@click.option("--reason", default="blocked by an admin", show_default=True)
@click.option("--by", "author", help="Who is blocking (default: your login name).")
def block(target: str, duration: str | None, reason: str, author: str | None) -> None:
    normalised = _target(target)
    seconds = _duration(duration) if duration else None
    with opened_services() as services:
        made = services.store.blocks.block(normalised, reason=reason, author=_author(author),
                                           duration_s=seconds)  # fmt: skip
    until = f"until {_when(made.expires_at)} UTC" if made.expires_at else "until unblocked"
    click.echo(f"Blocked {normalised} {until}: {reason}")


@main.command(help="Lift the block on a number or prefix.")
@click.argument("target")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--by", "author", help="Who is unblocking (default: your login name).")
def unblock(target: str, reason: str, author: str | None) -> None:
    normalised = _target(target)
    with opened_services() as services:
        removed = services.store.blocks.unblock(normalised, author=_author(author), reason=reason)
    click.echo(f"Unblocked {normalised}" if removed else f"{normalised} was not blocked")


@main.command(help="List the blocks in force.")
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
            "never" if item.expires_at is None
            else f"{_when(item.expires_at)} (in {format_duration(item.expires_at - now)})"
        )  # fmt: skip
        click.echo(f"{item.target:<18} {item.author:<12} {_when(item.created_at):<20} "
                   f"{expires:<32} {item.reason}")  # fmt: skip


@main.command(help="Vouch for a number: never escalated (it is still asked for a PIN).")
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
            services.store.reputation.disallow(normalised, author=_author(author), reason=reason)
        else:
            services.store.reputation.allow(normalised, author=_author(author), reason=reason)
    click.echo(f"{'No longer allowed' if remove else 'Allowed'}: {normalised}")


@main.command(help="Switch flood mode: every caller not known as a chair is diverted.")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.option("--by", "author", help="Who is switching (default: your login name).")
def flood(state: str, author: str | None) -> None:
    with opened_services() as services:
        if state != "status":
            services.store.reputation.set_flood(state == "on", author=_author(author))
        on = services.store.reputation.flood()
    click.echo(f"Flood mode is {'ON' if on else 'off'}.")


@main.command(help="Recent calls, newest first, with the verdict each got and why.")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 10_000))
def calls(limit: int) -> None:
    with opened_services() as services:
        records = services.store.calls.recent(limit)
    if not records:
        click.echo("No calls yet.")
        return
    click.echo(f"{'STARTED (UTC)':<20} {'FROM':<16} {'VERDICT':<18} {'PRECINCT':<9} "
               f"{'OUTCOME':<12} REASONS")  # fmt: skip
    for record in records:
        verdict = record.verdict or "(in progress)"
        if not record.enforced:
            verdict += " (log)"
        outcome = "verified" if record.verified_at else (record.status or "in progress")
        click.echo(f"{_when(record.started_at):<20} {record.number or 'withheld':<16} "
                   f"{verdict:<18} {record.precinct or '-':<9} {outcome:<12} "
                   f"{'; '.join(record.reasons)}")  # fmt: skip


@main.command(help="Start Redis, the web server and a worker, and walk through a few calls.")
@click.option("--port", default=5055, show_default=True, type=int)
def demo(port: int) -> None:
    from hotline.demo import run_demo

    sys.exit(run_demo(port=port))


def _free_path(path: Path) -> Path:
    """`path`, or the same name with -2, -3, ... when it is taken."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _target(text: str) -> str:
    try:
        return normalise_block_target(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="NUMBER|PREFIX") from None


def _duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--for") from None
    if seconds <= 0:
        raise click.BadParameter("must be longer than zero", param_hint="--for")
    return seconds


if __name__ == "__main__":  # pragma: no cover
    main()
