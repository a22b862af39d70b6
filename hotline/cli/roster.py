"""The precinct roster: importing it, with its PINs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from hotline.cli.common import (
    free_path,
    opened_services,
)
from hotline.settings import ConfigError
from hotline.text_files import NotUtf8Error, read_utf8


@click.group(help="The precinct roster.")
def precincts() -> None:
    pass


@precincts.command("import", help="Load a roster CSV, replacing the current roster.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "layout",
    type=click.Choice(["hotline", "iowa-2020"]),
    default="hotline",
    show_default=True,
    help="hotline: precinct,county,name[,chair_phone,pin,backup_code,delegates]. "
    "iowa-2020: the Iowa Democratic Party's 2020 precinct list.",
)
@click.option(
    "--pin-sheet",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write generated PINs and backup codes "
    "(default: a new file under $HOTLINE_DATA_DIR).",
)
@click.option(
    "--new-pins",
    is_flag=True,
    help="Issue new PINs and backup codes for precincts whose row has none, even if they had them.",
)
@click.option(
    "--allow-short-pins",
    is_flag=True,
    help="Accept PINs of 4 or 5 digits. The README's bound on guessing assumes "
    "at least 6 and no longer holds.",
)
@click.option(
    "--satellites",
    "satellites_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also load the satellite caucuses listed in a results file in the "
    "party's 2020 shape (hotline/data/iowa-2020/results-2020-02-08.csv: 87).",
)
def import_precincts(
    file: Path,
    layout: str,
    pin_sheet: Path | None,
    new_pins: bool,
    allow_short_pins: bool,
    satellites_file: Path | None,
) -> None:
    from hotline.roster_file import RosterError, read_roster, with_satellites
    from hotline.roster_import import import_roster
    from hotline.roster_satellites import read_satellites

    text = _read_text(file)
    with opened_services() as services:
        settings = services.settings
        try:
            rows = read_roster(
                text,
                layout=layout,
                region=settings.default_region,
                allow_short_pins=allow_short_pins,
            )
            pin_key = settings.pin_key()
        except RosterError as error:
            raise click.ClickException(f"{file} was not imported:\n{error}") from None
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        if satellites_file is not None:
            try:
                rows = with_satellites(rows, read_satellites(_read_text(satellites_file)))
            except RosterError as error:
                raise click.ClickException(
                    f"{satellites_file} was not imported (nor {file}):\n{error}"
                ) from None
        stamp = datetime.fromtimestamp(services.clock.now(), UTC).strftime("%Y%m%d-%H%M%S")
        sheet_path = pin_sheet or free_path(settings.data_dir / f"pin-sheet-{stamp}.csv")
        try:
            result = import_roster(
                services.store.roster,
                rows,
                pin_key=pin_key,
                pin_sheet=sheet_path,
                new_pins=new_pins,
            )
        except FileExistsError:
            raise click.ClickException(f"{sheet_path} already exists; nothing imported") from None
    click.echo(
        f"Imported {result.imported} precincts from {file} "
        f"({result.generated} new PINs, {result.kept} kept; "
        f"{result.generated_backup_codes} new backup codes)."
    )
    satellites = sum(1 for row in rows if row.satellite)
    if satellites:
        click.echo(f"{satellites} of them are satellite caucuses, from {satellites_file}.")
    if allow_short_pins:
        click.echo(
            "Short PINs were allowed: the bound on guessing in the README no longer "
            "holds for precincts with PINs under 6 digits."
        )
    if result.pin_sheet:
        click.echo(
            f"PIN sheet: {result.pin_sheet} (readable only by you; hand each chair "
            "their row, then keep it offline)"
        )


def _read_text(file: Path) -> str:
    try:
        return read_utf8(file)
    except NotUtf8Error as error:
        raise click.ClickException(f"{file}: {error}") from None


COMMANDS = (precincts,)
