"""Background jobs that failed: list them, and put them back on the queue."""

from __future__ import annotations

import click

from hotline.cli.common import opened_services, utc_time, who_acts
from hotline.steps import admin
from hotline.store import job_registries


@click.group(help="Background jobs that failed: list them, retry them.")
def jobs() -> None:
    pass


@jobs.command("list", help="The failed jobs, the latest failures first.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def list_failed(limit: int) -> None:
    with opened_services() as services:
        failed = job_registries.failed(services.queue, limit)
    if not failed:
        click.echo("No failed jobs.")
        return
    click.echo(f"{'ID':<36}  {'FAILED (UTC)':<19}  {'JOB':<36}  ARGUMENTS / ERROR")
    for job in failed:
        click.echo(
            f"{job.id:<36}  {utc_time(job.failed_at):<19}  {job.function:<36}  {job.arguments}"
        )
        click.echo(f"{'':<36}  {'':<19}  {'':<36}  {job.error}")


@jobs.command(help="Put a failed job back on the queue (JOB_ID), or every one (--all).")
@click.argument("job_id", required=False)
@click.option("--all", "every", is_flag=True, help="Retry every failed job.")
@click.option("--by", "author", help="Who is retrying (default: your login name).")
def retry(job_id: str | None, every: bool, author: str | None) -> None:
    if every == bool(job_id):
        raise click.UsageError("give either a JOB_ID or --all")
    with opened_services() as services:
        if every:
            retried = admin.retry_all_jobs(services, author=who_acts(author))
        else:
            try:
                retried = [admin.retry_job(services, job_id, author=who_acts(author))]
            except admin.Refused as refused:
                raise click.ClickException(str(refused)) from None
    if not retried:
        click.echo("No failed jobs.")
    for job in retried:
        click.echo(f"Retrying {job.id} ({job.function})")


COMMANDS = (jobs,)
