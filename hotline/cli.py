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
from hotline.phone import normalise_block_target, normalise_caller_id
from hotline.pins import (
    generate_backup_code,
    generate_pin,
    volunteer_backup_digest,
    volunteer_pin_digest,
)
from hotline.services import Services, ensure_redis
from hotline.settings import ConfigError, Settings
from hotline.store.users import MIN_PASSWORD_LENGTH, ROLES
from hotline.store.users import is_valid_name as is_valid_user_name


@contextlib.contextmanager
def opened_services(settings: Settings | None = None, *,
                    supervise: bool = False) -> Iterator[Services]:  # fmt: skip
    """Services for one command; an embedded Redis started for it is stopped after (and,
    with `supervise`, restarted should it die meanwhile: for long-running commands).
    """
    settings = settings or _settings()
    server = ensure_redis(settings)
    if server is not None and supervise:
        server.supervise()
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


def _settings_to_run() -> Settings:
    """Settings for a web server or worker: in production, only if they can do their job."""
    settings = _settings()
    try:
        settings.check_for_production()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    return settings


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

    settings = _settings_to_run()
    server = ensure_redis(settings)
    if server is not None:
        server.supervise()
    try:
        serve_forever(settings)
    finally:
        if server is not None:
            server.stop()


@main.command(help="Run an RQ worker for Hotline's background jobs.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    from workers.main import run_worker

    with opened_services(_settings_to_run(), supervise=not burst) as services:
        run_worker(services, burst=burst)


@main.command(help="Check what the night depends on: Redis, workers, the queue, the clock.")
def doctor() -> None:
    from hotline.health import every_check

    with opened_services() as services:
        checks = every_check(services)
    for check in checks:
        click.echo(f"{'ok' if check.ok else 'FAIL':<5} {check.name:<12} {check.detail}")
    if not all(check.ok for check in checks):
        raise SystemExit(1)


@main.group(help="The precinct roster.")
def precincts() -> None:
    pass


@precincts.command("import", help="Load a roster CSV, replacing the current roster.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "layout", type=click.Choice(["hotline", "iowa-2020"]),
              default="hotline", show_default=True,
              help="hotline: precinct,county,name[,chair_phone,pin,backup_code,delegates]. "
                   "iowa-2020: the Iowa Democratic Party's 2020 precinct list.")
@click.option("--pin-sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write generated PINs and backup codes "
                   "(default: a new file under $HOTLINE_DATA_DIR).")
@click.option("--new-pins", is_flag=True,
              help="Issue new PINs and backup codes for precincts whose row has none, "
                   "even if they had them.")
@click.option("--allow-short-pins", is_flag=True,
              help="Accept PINs of 4 or 5 digits. The README's bound on guessing assumes "
                   "at least 6 and no longer holds.")
def import_precincts(file: Path, layout: str, pin_sheet: Path | None, new_pins: bool,
                     allow_short_pins: bool) -> None:  # fmt: skip
    from hotline.roster_file import RosterError, read_roster
    from hotline.roster_import import import_roster

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file}: not UTF-8 text ({error.reason})") from None
    with opened_services() as services:
        settings = services.settings
        try:
            rows = read_roster(text, layout=layout, region=settings.default_region,
                               allow_short_pins=allow_short_pins)  # fmt: skip
            pin_key = settings.pin_key()
        except RosterError as error:
            raise click.ClickException(f"{file} was not imported:\n{error}") from None
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        stamp = datetime.fromtimestamp(services.clock.now(), UTC).strftime("%Y%m%d-%H%M%S")
        sheet_path = pin_sheet or _free_path(settings.data_dir / f"pin-sheet-{stamp}.csv")
        try:
            result = import_roster(services.store.roster, rows, pin_key=pin_key,
                                   pin_sheet=sheet_path, new_pins=new_pins)  # fmt: skip
        except FileExistsError:
            raise click.ClickException(f"{sheet_path} already exists; nothing imported") from None
    click.echo(f"Imported {result.imported} precincts from {file} "
               f"({result.generated} new PINs, {result.kept} kept; "
               f"{result.generated_backup_codes} new backup codes).")  # fmt: skip
    if allow_short_pins:
        click.echo("Short PINs were allowed: the bound on guessing in the README no longer "
                   "holds for precincts with PINs under 6 digits.")  # fmt: skip
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
    from hotline.steps.verification import alarm_notice

    with opened_services() as services:
        records = services.store.calls.recent(limit)
        notice = alarm_notice(services)
    if notice:
        click.echo(f"*** {notice}")
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


@main.group(help="Volunteers who take calls: their phones and PINs.")
def volunteers() -> None:
    pass


PIN_NOTE = ("The PIN and backup code will not be shown again: give them to the volunteer now "
            "(only digests are kept). The backup code is asked for on nights the PIN is "
            "under attack.")


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
                name, number, lambda volunteer_id: volunteer_pin_digest(pin_key, volunteer_id, pin),
                author=_author(author),
                backup_digest=lambda volunteer_id: volunteer_backup_digest(pin_key, volunteer_id,
                                                                           code),
            )  # fmt: skip
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
            volunteer_id, author=_author(author), reason=reason
        ):
            click.echo(f"Removed volunteer {gone.id}: {gone.name}, {gone.phone}")
            return
    click.echo(f"{volunteer_id} is not a volunteer")


@volunteers.command("reset-pin",
                    help="Issue a volunteer a new PIN and backup code; the old ones stop working.")
@click.argument("volunteer_id", metavar="ID")
@click.option("--by", "author", help="Who is resetting (default: your login name).")
def reset_volunteer_pin(volunteer_id: str, author: str | None) -> None:
    with opened_services() as services:
        pin_key = _pin_key(services.settings)
        pin, code = generate_pin(), generate_backup_code()
        changed = services.store.volunteers.set_pin_digest(
            volunteer_id, volunteer_pin_digest(pin_key, volunteer_id, pin),
            backup_digest=volunteer_backup_digest(pin_key, volunteer_id, code),
            author=_author(author))  # fmt: skip
    if changed is None:
        raise click.ClickException(f"{volunteer_id} is not a volunteer")
    click.echo(f"New PIN and backup code for volunteer {changed.id} ({changed.name}); "
               "the old ones no longer work.")  # fmt: skip
    click.echo(f"PIN for {changed.id}: {pin}")
    click.echo(f"Backup code for {changed.id}: {code}")
    click.echo(PIN_NOTE)


@main.group(help="Console logins for volunteers and admins.")
def users() -> None:
    pass


@users.command("add", help="Create a console login; the password is asked for twice.")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@click.option("--by", "author", help="Who is adding (default: your login name).")
def add_user(name: str, role: str, password_stdin: bool, author: str | None) -> None:
    if not is_valid_user_name(name):
        raise click.BadParameter(f"{name!r} is not a user name: use 1 to 32 of a-z 0-9 . _ -",
                                 param_hint="NAME")  # fmt: skip
    with opened_services() as services:
        if services.store.users.get(name) is not None:
            raise click.ClickException(f"there is already a user called {name}")
        password = _new_password(password_stdin)
        try:
            added = services.store.users.add(name, role, password, author=_author(author))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Added {added.role} {added.name}.")


@users.command("passwd", help="Give a console login a new password (asked for twice); "
                              "every console session of that login ends.")  # fmt: skip
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@click.option("--by", "author", help="Who is changing it (default: your login name).")
def change_password(name: str, password_stdin: bool, author: str | None) -> None:
    with opened_services() as services:
        if services.store.users.get(name) is None:
            raise click.ClickException(f"{name} is not a user")
        password = _new_password(password_stdin)
        try:
            changed = services.store.users.set_password(name, password, author=_author(author))
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
    return click.prompt("Password", hide_input=True, confirmation_prompt=True,
                        value_proc=_long_enough)  # fmt: skip


@users.command("list", help="Every console login, by name.")
def list_users() -> None:
    with opened_services() as services:
        everyone = services.store.users.all()
    if not everyone:
        click.echo("No users.")
        return
    click.echo(f"{'NAME':<32} {'ROLE':<10} ADDED (UTC)")
    for user in everyone:
        click.echo(f"{user.name:<32} {user.role:<10} {_when(user.created_at)}")


@users.command("remove", help="Delete a console login.")
@click.argument("name")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--by", "author", help="Who is removing (default: your login name).")
def remove_user(name: str, reason: str, author: str | None) -> None:
    with opened_services() as services:
        removed = services.store.users.remove(name, author=_author(author), reason=reason)
    click.echo(f"Removed user {name}" if removed else f"{name} is not a user")


# `simulate` and `plan` take the same assumption about the keypad, checked the same way.
_keypad_share_option = click.option(
    "--keypad-share", type=click.FloatRange(0, 1),
    help="Share of chairs who report on the keypad (default: the scenario's).")  # fmt: skip


@main.command(help="Simulate a caucus night: Hotline's triage, the 2020 line and a calm night.")
@click.argument("scenario")
@click.option("--seed", default=1, show_default=True, help="Draws the same night again.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the figures as JSON.")
@click.option("--chart", "chart_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the chart of chairs waiting (default under var/sim/).")
@_keypad_share_option
def simulate(scenario: str, seed: int, json_path: Path | None, chart_path: Path | None,
             keypad_share: float | None) -> None:  # fmt: skip
    from hotline.sim.chart import render_chart, write_chart
    from hotline.sim.compare import simulate as run_all
    from hotline.sim.compare import simulation_redis
    from hotline.sim.report import POLICY_TITLES, render, write_json

    loaded = _scenario(scenario, keypad_share)
    click.echo(f"Simulating {loaded.name}: {loaded.description} (seed {seed})", err=True)
    with simulation_redis() as redis_url, _progress_bars() as on_progress:
        nights = run_all(loaded, seed=seed, redis_url=redis_url, on_progress=on_progress)
    results = {policy: night.figures for policy, night in nights.items()}
    click.echo(render(results, title=f"{loaded.name}, seed {seed}"))
    if json_path:
        write_json(json_path, {p: {k: v for k, v in r.items() if k != "run"}
                               for p, r in results.items()})  # fmt: skip
        click.echo(f"\nFigures: {json_path}")
    chart_path = chart_path or Path("var") / "sim" / f"{loaded.name}-seed{seed}.html"
    series = {POLICY_TITLES[p]: [(minute, waiting) for minute, waiting, _ in n.samples]
              for p, n in nights.items()}  # fmt: skip
    write_chart(chart_path, render_chart(series, title=f"Chairs waiting: {loaded.name}",
                                         subtitle=loaded.description,
                                         x_label="time into the night (h:mm)"))  # fmt: skip
    click.echo(f"Chart: {chart_path}")
    wall = sum(r["run"]["wall_s"] for r in results.values())
    click.echo(f"Simulated in {wall:.1f} s of wall time.", err=True)


@main.command(help="Find the fewest volunteers that keep the chairs' 90th-percentile wait "
                   "under a target (a chair on the keypad waits until their report is "
                   "stored).")
@click.argument("scenario")
@click.option("--target-wait", required=True, help="e.g. 5m")
@click.option("--seed", default=1, show_default=True)
@click.option("--max-volunteers", default=400, show_default=True, type=click.IntRange(1, 5000))
@_keypad_share_option
def plan(scenario: str, target_wait: str, seed: int, max_volunteers: int,
         keypad_share: float | None) -> None:  # fmt: skip
    from hotline.sim.compare import simulation_redis
    from hotline.sim.planner import plan_staffing
    from hotline.sim.report import clock_text

    loaded = _scenario(scenario, keypad_share)
    target = _duration(target_wait, "--target-wait")
    click.echo(f"Planning {loaded.name} for a 90th-percentile wait under {clock_text(target)}:")
    click.echo(f"Keypad share {loaded.chairs.keypad_share:g}: a chair on the keypad waits until "
               "their report is stored, the others until a volunteer answers.")  # fmt: skip
    with simulation_redis() as redis_url:
        result = plan_staffing(
            loaded, target_wait_s=target, seed=seed, redis_url=redis_url,
            ceiling=max_volunteers,
            on_try=lambda n, p90: click.echo(f"  {n:>4} volunteers: p90 wait {clock_text(p90)}"),
        )  # fmt: skip
    click.echo("\nVolunteers  p90 wait")
    for count, p90 in result.curve.items():
        bar = "#" * min(int(p90 / 60), 60)
        click.echo(f"{count:>10}  {clock_text(p90):>8}  {bar}")
    if result.volunteers is None:
        click.echo(f"\nNot reachable with {max_volunteers} volunteers.")
    else:
        click.echo(f"\n{result.volunteers} volunteers keep the chairs' 90th-percentile wait under "
                   f"{clock_text(target)}.")  # fmt: skip


@main.command(help="A night under fire: the scenario live over HTTP against real processes, "
                   "with a worker and Redis killed, Twilio's API down, an undialable chair and "
                   "open consoles, beside the same night without faults. Exits 1 if a target "
                   "is missed or a fault did not happen.")
@click.argument("scenario", default="night-under-fire")
@click.option("--seed", default=1, show_default=True, help="Draws the same night again.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the figures and what the faults did as JSON.")
@click.option("--no-baseline", is_flag=True, help="Skip the night without faults.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("var") / "drill", show_default=True,
              help="Redis's files and the processes' logs, emptied first.")
def drill(scenario: str, seed: int, json_path: Path | None, no_baseline: bool,
          workdir: Path) -> None:  # fmt: skip
    from hotline.sim.drill import drill as run_drill
    from hotline.sim.report import write_json

    try:
        report, status = run_drill(scenario, seed=seed, workdir=workdir.resolve(),
                                   baseline=not no_baseline,
                                   say=lambda text: click.echo(text))  # fmt: skip
    except (ValueError, RuntimeError) as error:
        raise click.ClickException(str(error)) from None
    if json_path:
        write_json(json_path, report)
        click.echo(f"\nFigures: {json_path}")
    sys.exit(status)


@main.command(help="Start Redis, the web server and a worker, and walk through a few calls.")
@click.option("--port", default=5055, show_default=True, type=int)
def demo(port: int) -> None:
    from hotline.demo import run_demo

    sys.exit(run_demo(port=port))


def _scenario(name: str, keypad_share: float | None = None):
    """The scenario, at `--keypad-share` when given instead of its own share."""
    from hotline.sim.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(name)
    except ScenarioError as error:
        raise click.ClickException(str(error)) from None
    return loaded if keypad_share is None else loaded.with_keypad_share(keypad_share)


@contextlib.contextmanager
def _progress_bars():
    """One line of progress bars, one per simulated policy, redrawn on a terminal."""
    fractions: dict[str, float] = {}
    live = sys.stderr.isatty()

    def draw() -> None:
        bars = "  ".join(f"{policy} [{'#' * int(f * 20):<20}] {f:4.0%}"
                         for policy, f in fractions.items())  # fmt: skip
        sys.stderr.write("\r" + bars)
        sys.stderr.flush()

    def update(policy: str, fraction: float) -> None:
        fractions[policy] = min(max(fraction, 0.0), 1.0)
        if live:
            draw()

    try:
        yield update
    finally:
        if live and fractions:
            fractions.update(dict.fromkeys(fractions, 1.0))
            draw()
            sys.stderr.write("\n")


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


def _volunteer_phone(text: str, settings: Settings) -> str:
    number = normalise_caller_id(text, region=settings.default_region,
                                 withheld_numbers=settings.withheld_numbers,
                                 withheld_words=settings.withheld_words)  # fmt: skip
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


def _duration(text: str, option: str = "--for") -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None
    if seconds <= 0:
        raise click.BadParameter("must be longer than zero", param_hint=option)
    return seconds


if __name__ == "__main__":  # pragma: no cover
    main()


@main.group(help="Election definitions (elections/*.toml): race, rules, candidates, precincts.")
def election() -> None:
    pass


@election.command("show", help="Print an election definition (default: the one config/"
                  "hotline.toml's [results] election selects).")  # fmt: skip
@click.argument("name", required=False)
def show_election(name: str | None) -> None:
    _print_election(_election(name or _settings().election))


@election.command("check", help="Validate an election definition file and print what it holds.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check_election(file: Path) -> None:
    _print_election(_election(str(file)))
    click.echo("ok")


def _election(name: str):
    from hotline.caucus.election import ElectionError, load_election

    try:
        return load_election(name)
    except ElectionError as error:
        raise click.ClickException(str(error)) from None


def _print_election(definition) -> None:
    click.echo(f"election:   {definition.name}")
    click.echo(f"race:       {definition.race}")
    click.echo(f"rules:      {definition.rules}")
    click.echo("candidates: (keypad number, key, name)")
    for candidate in definition.candidates:
        click.echo(f"  {candidate.keypad:>3}  {candidate.key:<14} {candidate.name}")
    delegates = sum(p.delegates for p in definition.precincts.values())
    counties = len({p.county for p in definition.precincts.values()})
    click.echo(f"precincts:  {len(definition.precincts)} in {counties} counties, "
               f"{delegates} delegates")  # fmt: skip


@main.group(help="Precinct results: checking them against the caucus math.")
def results() -> None:
    pass


@results.command("check", help="Check a results file in the party's published shape (as "
                 "data/iowa-2020/results-2020-02-08.csv): each flagged precinct with its "
                 "reasons, then the counts by reason. Exits 0 with findings, 2 on an "
                 "unreadable file.")  # fmt: skip
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--election", "election_name", default=None,
              help="Election definition (default: config's [results] election).")
def check_results(file: Path, as_json: bool, election_name: str | None) -> None:
    import json

    from hotline.caucus.published import PublishedFileError, check_published

    definition = _election(election_name or _settings().election)
    try:
        text = file.read_text(encoding="utf-8")
        outcome = check_published(text, definition)
    except OSError as error:
        click.echo(f"{file}: cannot be read: {error.strerror}", err=True)
        raise SystemExit(2) from None
    except UnicodeDecodeError:
        click.echo(f"{file}: not UTF-8 text", err=True)
        raise SystemExit(2) from None
    except PublishedFileError as error:
        click.echo(f"{file}: {error}", err=True)
        raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps({"file": str(file), **outcome.to_dict()}, indent=2))
        return
    for checked in outcome.flagged:
        click.echo(f"{checked.precinct.label}, line {checked.precinct.line}:")
        for finding in checked.findings:
            click.echo(f"  {finding}")
    summary = outcome.to_dict()
    click.echo(f"{summary['precincts']} precincts checked ({summary['off_roster']} not on the "
               f"roster: counts checked, delegates not); {summary['flagged']} flagged, "
               f"{summary['blocking']} with a blocking error")  # fmt: skip
    blocking = {f.code: f.blocking for c in outcome.flagged for f in c.findings}
    for code, count in sorted(outcome.counts().items(), key=lambda item: (-item[1], item[0])):
        kind = "error" if blocking[code] else "warning"
        click.echo(f"  {count:>5}  {code} ({kind})")


@results.command("export", help="The stored results (each reported precinct's latest "
                 "version) in the shape of the party's published file: County, Precinct, "
                 "then First Expression, Final Expression and SDE for every candidate, and "
                 "a Status column (keypad, volunteer, verified or flagged); or as JSON.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)  # fmt: skip
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of standard output.")  # fmt: skip
@click.option("--election", "election_name", default=None,
              help="Election definition (default: config's [results] election).")
def export_results(fmt: str, output: Path | None, election_name: str | None) -> None:
    from hotline.results_out import export_rows, to_csv, to_json

    definition = _election(election_name or _settings().election)
    with opened_services() as services:
        rows = export_rows(definition, services.store.results.all_latest())
    text = to_csv(definition, rows) if fmt == "csv" else to_json(definition, rows) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"{len(rows)} precincts written to {output}", err=True)
