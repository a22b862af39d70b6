"""Elections and results: the election definitions, checking and exporting results."""

from __future__ import annotations

from pathlib import Path

import click

from hotline.cli.common import (
    loaded_settings,
    opened_services,
)
from hotline.text_files import NotUtf8Error, read_utf8


@click.group(
    help="Election definitions (hotline/elections/*.toml, or a file): race, rules, "
    "candidates, precincts."
)
def election() -> None:
    pass


@election.command(
    "show",
    help="Print an election definition (default: the one the config's [results] election selects).",
)
@click.argument("name", required=False)
def show_election(name: str | None) -> None:
    _print_election(_election(name or loaded_settings().election))


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
    click.echo(
        f"precincts:  {len(definition.precincts)} in {counties} counties, {delegates} delegates"
    )


@click.group(help="Precinct results: checking them against the caucus math.")
def results() -> None:
    pass


@results.command(
    "check",
    help="Check a results file in the party's published shape (as "
    "hotline/data/iowa-2020/results-2020-02-08.csv): each flagged precinct with its "
    "reasons, then the counts by reason. Exits 0 with findings, 2 on an "
    "unreadable file.",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--election",
    "election_name",
    default=None,
    help="Election definition (default: config's [results] election).",
)
def check_results(file: Path, as_json: bool, election_name: str | None) -> None:
    import json

    from hotline.caucus.published import PublishedFileError, check_published

    definition = _election(election_name or loaded_settings().election)
    try:
        text = read_utf8(file)
        outcome = check_published(text, definition)
    except OSError as error:
        click.echo(f"{file}: cannot be read: {error.strerror}", err=True)
        raise SystemExit(2) from None
    except (NotUtf8Error, PublishedFileError) as error:
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
    click.echo(
        f"{summary['precincts']} precincts checked ({summary['off_roster']} not on the "
        f"roster: counts checked, delegates not); {summary['flagged']} flagged, "
        f"{summary['blocking']} with a blocking error"
    )
    blocking = {f.code: f.blocking for c in outcome.flagged for f in c.findings}
    for code, count in sorted(outcome.counts().items(), key=lambda item: (-item[1], item[0])):
        kind = "error" if blocking[code] else "warning"
        click.echo(f"  {count:>5}  {code} ({kind})")


@results.command(
    "export",
    help="The stored results (each reported precinct's latest "
    "version) in the shape of the party's published file: County, Precinct, "
    "then First Expression, Final Expression and SDE for every candidate, and "
    "a Status column (keypad, volunteer, verified or flagged); or as JSON.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of standard output.",
)
@click.option(
    "--election",
    "election_name",
    default=None,
    help="Election definition (default: config's [results] election).",
)
def export_results(fmt: str, output: Path | None, election_name: str | None) -> None:
    from hotline.results_out import export_rows, to_csv, to_json

    definition = _election(election_name or loaded_settings().election)
    with opened_services() as services:
        rows = export_rows(definition, services.store.results.all_latest())
    text = to_csv(definition, rows) if fmt == "csv" else to_json(definition, rows) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"{len(rows)} precincts written to {output}", err=True)


COMMANDS = (election, results)
