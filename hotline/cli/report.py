"""The night's report: `hotline report`."""

from __future__ import annotations

from pathlib import Path

import click

from hotline.cli.common import opened_services

TIME_FORMS = "an ISO time in UTC (2020-02-03T23:00) or a duration back from now (6h)"


@click.command(
    help="The night's report from the records: chairs served and their waits, nuisance "
    "calls, blocks, PIN alarms, number rotations and reports stored."
)
@click.option("--from", "start", help=f"Where it starts: {TIME_FORMS}. Default: a day before --to.")
@click.option("--to", "end", help=f"Where it ends: {TIME_FORMS}. Default: now.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write it as a standalone HTML page, with charts.",
)
def report(start: str | None, end: str | None, html_path: Path | None) -> None:
    from hotline.night_report import night_report
    from hotline.night_report.render import render_html, render_text
    from hotline.night_report.window import moment, window
    from hotline.sim.chart import write_chart

    with opened_services() as services:
        now = services.clock.now()
        moments = {}
        for option, text in (("--from", start), ("--to", end)):
            try:
                moments[option] = None if text is None else moment(text, now=now)
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint=option) from None
        try:
            span = window(moments["--from"], moments["--to"], now=now)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
        made = night_report(services, span)
    click.echo(render_text(made))
    if html_path:
        write_chart(html_path, render_html(made))
        click.echo(f"\nThe report as a page, with charts: {html_path}")


COMMANDS = (report,)
