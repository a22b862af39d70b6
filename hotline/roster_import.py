"""Importing a validated roster: digest the PINs and backup codes, generate the missing
ones, write the PIN sheet.

A precinct that is already on the roster keeps its PIN and backup code when the file
gives none (chairs may already hold their sheets); `new_pins` issues fresh ones.
Generated secrets are written once, to a PIN sheet readable only by its owner; Redis
only ever holds their keyed digests. A row of the sheet whose PIN was kept leaves the
PIN empty: the chair's earlier sheet has it.
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass
from pathlib import Path

from hotline import pins
from hotline.roster_file import RosterRow
from hotline.store.roster import Precinct, Roster

PIN_SHEET_COLUMNS = ("precinct", "county", "name", "chair_phone", "pin", "backup_code")


@dataclass(frozen=True)
class ImportResult:
    imported: int
    generated: int  # new PINs
    kept: int  # PINs kept from the roster already loaded
    pin_sheet: Path | None
    generated_backup_codes: int = 0


def import_roster(
    roster: Roster,
    rows: list[RosterRow],
    *,
    pin_key: bytes,
    pin_sheet: Path,
    new_pins: bool = False,
    rng: random.Random | None = None,
) -> ImportResult:
    precincts: list[Precinct] = []
    sheet: list[dict[str, str]] = []
    kept = generated = generated_codes = 0
    for row in rows:
        existing = None if new_pins else roster.get(row.code)
        new_pin = new_code = ""
        if row.pin:
            digest = pins.pin_digest(pin_key, row.code, row.pin)
        elif existing is not None:
            digest = existing.pin_digest
            kept += 1
        else:
            new_pin = pins.generate_pin(rng)
            digest = pins.pin_digest(pin_key, row.code, new_pin)
            generated += 1
        if row.backup_code:
            backup = pins.backup_digest(pin_key, row.code, row.backup_code)
        elif existing is not None and existing.backup_digest:
            backup = existing.backup_digest
        else:
            new_code = pins.generate_backup_code(rng)
            backup = pins.backup_digest(pin_key, row.code, new_code)
            generated_codes += 1
        if new_pin or new_code:
            sheet.append(
                {
                    "precinct": row.code,
                    "county": row.county,
                    "name": row.name,
                    "chair_phone": row.chair_phone or "",
                    "pin": new_pin,
                    "backup_code": new_code,
                }
            )
        precincts.append(
            Precinct(
                code=row.code,
                county=row.county,
                name=row.name,
                pin_digest=digest,
                chair_phone=row.chair_phone,
                delegates=row.delegates,
                backup_digest=backup,
                satellite=row.satellite,
                language=row.language,
            )
        )
    # The sheet is written before the roster changes: if it cannot be written,
    # nothing is imported and no chair is left with a secret nobody knows.
    written = write_pin_sheet(pin_sheet, sheet) if sheet else None
    roster.replace_all(precincts)
    return ImportResult(
        imported=len(precincts),
        generated=generated,
        kept=kept,
        pin_sheet=written,
        generated_backup_codes=generated_codes,
    )


def write_pin_sheet(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PIN_SHEET_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
