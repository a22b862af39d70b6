"""The `hotline` command line, one module per group of commands: the processes of the
night, the roster, callers, the hotline's numbers, the people, simulated nights,
elections and results, the night's report, and the background jobs that failed.
"""

from __future__ import annotations

import click

from hotline.cli import (
    callers,
    jobs,
    nights,
    numbers,
    people,
    processes,
    report,
    results,
    roster,
)
from hotline.cli.people import PIN_NOTE

__all__ = ["PIN_NOTE", "main"]


@click.group(help="Hotline: triage for an election results hotline.")
def main() -> None:
    pass


for module in (processes, roster, callers, numbers, people, nights, results, report, jobs):
    for command in module.COMMANDS:
        main.add_command(command)
