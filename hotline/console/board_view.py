"""What the admins' board shows, as plain data for its templates: the live figures (read in
one pipeline, store/board.py), the plots, and the parts read once per page: blocks and
allowed numbers found, tonight's thresholds and their changes, failed jobs, the audit
trail.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hotline.console.views import block_search_text, blocks_state
from hotline.durations import format_duration
from hotline.services import Services
from hotline.sim.chart import clock, render_svg
from hotline.steps import admin
from hotline.store import audit, job_registries, night_figures
from hotline.store.board import BUSY, FREE, BoardFigures, read_board
from hotline.store.dispatch import OFFLINE, PAUSED
from hotline.triage import AlarmLevel, pin_alarm
from hotline.triage.tonight import SETTINGS

# The plots' window, and the rows of the table of calls per minute.
PLOT_HOURS = 3
PLOT_AT_LEAST_MINUTES = 60
MINUTES_LISTED = 5
# The windows, in minutes, the numbers panel sums each number's calls and chairs over.
NUMBER_WINDOWS = (15, 60)
# A number calls arrived on that no rotation has recorded yet: the one in use before the
# first rotation (or another line of the account, such as the volunteer line's).
NOT_ON_RECORD = "not on record"
ALLOWED_SHOWN = 50
FAILED_JOBS_SHOWN = 50
AUDIT_SHOWN = 100
# The calls' columns, in the order the table and the plot give them.
CALL_COLUMNS = (
    ("all", "all calls"),
    (night_figures.FAST_TRACK, "fast track"),
    (night_figures.CHALLENGE, "challenge"),
    (night_figures.DIVERTED, "diverted"),
    (night_figures.REJECTED, "rejected (blocked already)"),
    (night_figures.BLOCKED, "blocked now"),
)
ALARM_WORDS = {
    AlarmLevel.QUIET: "quiet",
    AlarmLevel.ALARM: "ALARM: PINs are being guessed",
    AlarmLevel.FLOOD: "FLOOD: enough failed PINs to switch flood mode on",
}
# Longest text read from a search box.
QUERY_MAX = 40
TIME_FORMAT = "%Y-%m-%d %H:%M"


def hhmm(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%H:%M")


def calls_in(counts: dict[str, int]) -> dict[str, int]:
    """One minute's calls by what they got; "not over yet": answered calls still waiting
    to be told apart as a challenge or a fast track (store/night_figures.py).
    """
    row = {name: counts.get(name, 0) for name in night_figures.VERDICTS}
    answered = counts.get(night_figures.ANSWERED, 0)
    row["all"] = answered + row[night_figures.REJECTED]
    told_apart = (
        night_figures.FAST_TRACK,
        night_figures.CHALLENGE,
        night_figures.DIVERTED,
        night_figures.BLOCKED,
    )
    row["not over yet"] = max(answered - sum(row[name] for name in told_apart), 0)
    return row


def live_state(svc: Services) -> dict[str, Any]:
    """The board's live sections as data: figures, plots, top callers, the numbers."""
    policy = svc.store.tonight.base
    read = read_board(
        svc.store.redis,
        now=svc.clock.now(),
        hours=PLOT_HOURS,
        alarm_window_s=policy.pin_defence.alarm_window_s,
        job_keys=job_registries.job_keys(svc.queue),
    )
    return {
        "figures": _figures(svc, read),
        "plots": _plots(read),
        "callers": _callers(svc, read),
        "numbers": _number_figures(read),
    }


def _figures(svc: Services, read: BoardFigures) -> dict[str, Any]:
    last = night_figures.minute_of(read.now)
    rows = [
        {"minute": hhmm(m), **calls_in(read.minutes.get(m, {}))}
        for m in range(last, last - MINUTES_LISTED, -1)
    ]
    hour = [calls_in(read.minutes.get(m, {})) for m in range(last - 59, last + 1)]
    defence = svc.store.tonight.base.pin_defence
    alarm = pin_alarm(read.pin_failures_in_window, defence)
    auto = SETTINGS["flood.auto_calls_per_minute"]
    auto_at = read.tonight_values.get(auto.name, auto.read(svc.store.tonight.base))
    return {
        "columns": CALL_COLUMNS,
        "rows": rows,
        "last_hour": {name: sum(row[name] for row in hour) for name in hour[0]},
        "line": {"depth": read.line_depth, "longest_wait_s": read.longest_wait_s},
        "volunteers": {name: read.volunteers[name] for name in (FREE, BUSY, PAUSED, OFFLINE)},
        "pins": {
            "per_minute": [(hhmm(m), count) for m, count in read.pin_failures],
            "in_window": read.pin_failures_in_window,
            "window_minutes": int(defence.alarm_window_s // 60),
            "alarm_at": defence.alarm_failures,
            "flood_at": defence.flood_failures,
            "level": alarm.level.value,
            "words": ALARM_WORDS[alarm.level],
        },
        "flood": {
            "on": read.flood_by is not None,
            "by": read.flood_by,
            "auto_at": auto_at,
            "this_minute": read.minutes.get(last, {}).get(night_figures.ANSWERED, 0),
        },
        "jobs": read.jobs,
    }


def _plotted(read: BoardFigures) -> tuple[range, int]:
    """The minutes the plots draw, and the first minute of the day they begin in."""
    last = night_figures.minute_of(read.now)
    # From the first minute with anything to show (a night that began an hour ago is not
    # drawn as two hours of nothing first), and at least the last hour.
    first = min([*sorted(read.minutes)[:1], last - PLOT_AT_LEAST_MINUTES + 1])
    return range(first, last + 1), first // 1440 * 1440


def _plots(read: BoardFigures) -> dict[str, str]:
    minutes, day = _plotted(read)
    calls = {
        label: tuple((m - day, calls_in(read.minutes.get(m, {}))[name]) for m in minutes)
        for name, label in CALL_COLUMNS
    }
    depth = tuple(
        (m - day, read.minutes[m][night_figures.LINE_DEPTH])
        for m in minutes
        if night_figures.LINE_DEPTH in read.minutes.get(m, {})
    )
    return {
        "calls": _svg(
            "calls", "Calls per minute, by what they got", "calls a minute", tuple(calls.items())
        ),
        "line": _svg(
            "line",
            "Chairs waiting in line, once a minute",
            "chairs waiting",
            (("chairs waiting", depth),),
        ),
    }


def _number_figures(read: BoardFigures) -> dict[str, Any]:
    """Each of the hotline's numbers, current first, then retired, then any other number
    calls arrived on: its calls and chairs verified over each of NUMBER_WINDOWS, and a plot
    of its chairs verified per minute. Nothing is masked: these are the hotline's own.
    """
    per_minute = {m: night_figures.by_number(counts) for m, counts in read.minutes.items()}

    def count(minute: int, number: str, figure: str) -> int:
        return per_minute.get(minute, {}).get(number, {}).get(figure, 0)

    last = night_figures.minute_of(read.now)

    def summed(number: str, minutes: int) -> tuple[int, int]:
        window = range(last - minutes + 1, last + 1)
        return (
            sum(count(m, number, night_figures.CALLS_ON) for m in window),
            sum(count(m, number, night_figures.VERIFIED_ON) for m in window),
        )

    on_record = [(n.number, n.state, n.since, n.retired_at) for n in read.numbers]
    known = {number for number, *_ in on_record}
    seen = sorted({number for found in per_minute.values() for number in found} - known)
    rows = [
        {
            "number": number,
            "state": state,
            "since": since,
            "retired_at": retired_at,
            "windows": [summed(number, minutes) for minutes in NUMBER_WINDOWS],
        }
        for number, state, since, retired_at in [
            *on_record,
            *((number, NOT_ON_RECORD, None, None) for number in seen),
        ]
    ]
    minutes, day = _plotted(read)
    verified = tuple(
        (
            f"{row['number']} ({row['state']})",
            tuple((m - day, count(m, row["number"], night_figures.VERIFIED_ON)) for m in minutes),
        )
        for row in rows
    )
    plot = _svg(
        "numbers",
        "Chairs verified per minute, by the number they called",
        "chairs verified a minute",
        verified,
    )
    return {"windows": NUMBER_WINDOWS, "rows": rows, "plot": plot if rows else ""}


@functools.lru_cache(maxsize=8)
def _svg(
    chart_id: str,
    title: str,
    y_label: str,
    series: tuple[tuple[str, tuple[tuple[int, int], ...]], ...],
) -> str:
    """A plot, drawn once for every board polling the same figures."""
    return render_svg(
        {name: list(points) for name, points in series},
        title=title,
        y_label=y_label,
        x_label="time (UTC)",
        chart_id=chart_id,
        x_text=_time_of_day,
    )


def _time_of_day(minutes: float) -> str:
    return clock(minutes % 1440)


def _callers(svc: Services, read: BoardFigures) -> dict[str, Any] | None:
    top = read.top_callers
    if top is None:
        return None
    return {
        "window": format_duration(svc.store.tonight.base.long_window_s),
        "at": top.at,
        "rows": [{"number": c.number, "calls": c.calls, "blocked": c.blocked} for c in top.callers],
    }


@dataclass(frozen=True)
class Filters:
    """What the page was asked to find: blocks and allowed numbers, audit entries."""

    find: str = ""
    action: str = ""
    author: str = ""
    target: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def of(cls, args: Any) -> Filters:
        return cls(
            **{
                name: args.get(arg, "").strip()[:QUERY_MAX]
                for name, arg in (
                    ("find", "find"),
                    ("action", "action"),
                    ("author", "author"),
                    ("target", "target"),
                    ("since", "since"),
                    ("until", "until"),
                )
            }
        )


def page_state(svc: Services, filters: Filters) -> dict[str, Any]:
    """The parts read once per page, beside the live sections."""
    return {
        "lists": _lists(svc, filters.find),
        "thresholds": {
            "rows": admin.thresholds(svc),
            "changes": svc.store.tonight.changes(),
            "short_window": format_duration(svc.store.tonight.base.short_window_s),
            "long_window": format_duration(svc.store.tonight.base.long_window_s),
        },
        "failed_jobs": job_registries.failed(svc.queue, FAILED_JOBS_SHOWN),
        "audit": _audit(svc, filters),
        "numbers": _numbers(svc),
    }


def _numbers(svc: Services) -> dict[str, Any]:
    """The texts of the latest rotation by status (the numbers themselves, with their
    figures, are a live section).
    """
    rotations = svc.store.numbers.rotations()
    latest = rotations[-1] if rotations else None
    texts: dict[str, int] = {}
    if latest is not None:
        for text in svc.store.numbers.texts(latest.id):
            texts[text.status] = texts.get(text.status, 0) + 1
    return {"latest": latest, "texts": sorted(texts.items())}


def _lists(svc: Services, find: str) -> dict[str, Any]:
    starting = block_search_text(find, svc.settings.default_region) if find else ""
    allowed = (
        svc.store.reputation.allowed(starting, ALLOWED_SHOWN) if (starting or not find) else []
    )
    return {
        "blocks": blocks_state(svc, find),
        "allowed": [{"number": n, "at": at} for n, at in allowed[:ALLOWED_SHOWN]],
        "allowed_more": len(allowed) > ALLOWED_SHOWN,
    }


def parse_time(text: str) -> float | None:
    """ "2020-02-03 21:30" (UTC) as a timestamp; ValueError for anything else."""
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise ValueError(f"{text!r} is not a time written as YYYY-MM-DD HH:MM (UTC)") from None


def _audit(svc: Services, filters: Filters) -> dict[str, Any]:
    try:
        wanted = audit.AuditFilter(
            action=filters.action,
            author=filters.author,
            target=filters.target,
            since=parse_time(filters.since),
            until=parse_time(filters.until),
        )
    except ValueError as error:
        return {"error": str(error), "entries": [], "complete": True}
    found = svc.store.audit.search(wanted, AUDIT_SHOWN)
    return {
        "error": None,
        "entries": found.entries,
        "complete": found.complete,
        "full": len(found.entries) == AUDIT_SHOWN,
    }
