"""The night's report as text (the simulator's table, one column) and as a standalone HTML
page: the same figures, the timeline, and charts drawn as the simulator's are.
"""

from __future__ import annotations

from html import escape

from hotline.night_report.figures import TIMELINE, Event, NightReport
from hotline.night_report.window import iso
from hotline.report_text import cell_text, render_table
from hotline.sim.chart import chart_figure, page
from hotline.steps.verification import PIN_ALARM_AUTHOR

TITLE = "The night's report"
COLUMN = "on record"
VERDICT_LABELS = {
    "fast-track": "fast track",
    "challenge": "challenged",
    "divert": "diverted to a message",
    "temp-block": "blocked for a while",
    "block": "blocked until lifted",
    "reject": "rejected, already blocked",
}


def rows(report: NightReport) -> list[tuple[str, str, str]]:
    """(label, section, key) for each figure, in the order the report lists them; an
    indented label belongs to the row above.
    """

    def verdicts(section: str) -> list[tuple[str, str, str]]:
        return [(f"  {VERDICT_LABELS.get(v, v)}", section, v) for v in report.figures[section]]

    return [
        ("Chairs who called", "chairs", "count"),
        ("  answered by a volunteer", "chairs", "answered"),
        ("  reported without a volunteer", "chairs", "reported_alone"),
        ("  not served in the window", "chairs", "not_served"),
        ("  calls placed", "chairs", "calls"),
        ("  called back by the hotline", "chairs", "called_back"),
        ("  wait, median", "chairs", "wait_p50_s"),
        ("  wait, 90th percentile", "chairs", "wait_p90_s"),
        ("  wait, 99th percentile", "chairs", "wait_p99_s"),
        ("  wait, longest", "chairs", "wait_max_s"),
        ("  time to get in, 90th pct", "chairs", "get_in_p90_s"),
        ("  time to get in, longest", "chairs", "get_in_max_s"),
        ("Reports stored", "reports", "stored"),
        ("  on the keypad", "reports", "keypad"),
        ("  by a volunteer", "reports", "volunteer"),
        ("  precincts reported", "reports", "precincts"),
        ("  corrections (a later version)", "reports", "corrections"),
        ("  verified by a volunteer", "reports", "verified"),
        ("Calls that came in", "calls", "count"),
        *verdicts("calls_by_verdict"),
        ("  chairs' calls", "calls", "chairs"),
        ("Calls back to chairs", "calls", "calls_back"),
        ("Nuisance calls", "nuisance", "calls"),
        *verdicts("nuisance_by_verdict"),
        ("  reached a volunteer", "nuisance", "reached_volunteer"),
        ("  flagged by a volunteer", "nuisance", "flagged"),
        ("  volunteer time on them", "nuisance", "volunteer_seconds"),
        ("Volunteers who called in", "volunteers", "count"),
        ("Blocks made", "blocks", "made"),
        ("  automatically", "blocks", "automatic"),
        ("  by people", "blocks", "by_people"),
        ("Blocks lifted", "blocks", "lifted"),
        ("Failed PINs and backup codes", "defence", "pin_failures"),
        ("PIN alarms", "defence", "pin_alarms"),
        ("Flood mode switched on", "defence", "flood_on"),
        ("  by the PIN alarm", "defence", "flood_on_by_alarm"),
        ("Number rotations", "defence", "rotations"),
    ]


def window_text(report: NightReport) -> str:
    return f"{iso(report.window.start)} to {iso(report.window.end)}"


def render_text(report: NightReport) -> str:
    title = f"{TITLE}: {window_text(report)}"
    lines = [render_table({COLUMN: report.figures}, rows(report), title=title), ""]
    lines.append(f"Blocks by people: {_authors(report) or 'none'}")
    if report.timeline:
        lines.append("Alarms, flood mode and number rotations:")
        lines += [f"  {iso(event.at)}  {_event(event)}" for event in report.timeline]
    else:
        lines.append("Alarms, flood mode and number rotations: none")
    return "\n".join(lines)


def render_html(report: NightReport) -> str:
    """A standalone page: nothing is fetched, the charts are inline SVG."""
    since = f"time since {iso(report.window.start)} (h:mm)"
    body = [_figures_table(report), "<h2>Blocks by people</h2>\n"]
    body.append(f"<p>{escape(_authors(report) or 'none')}</p>\n")
    body.append("<h2>Alarms, flood mode and number rotations</h2>\n")
    if report.timeline:
        items = "".join(
            f"<li>{escape(iso(event.at))}: {escape(_event(event))}</li>\n"
            for event in report.timeline
        )
        body.append(f"<ul>\n{items}</ul>\n")
    else:
        body.append("<p>none</p>\n")
    body.append("<h2>Calls per minute, by verdict</h2>\n")
    body.append(
        chart_figure(
            report.calls_per_minute,
            title="Calls per minute, by verdict",
            y_label="calls per minute",
            x_label=since,
            figure_id="calls",
        )
    )
    body.append("<h2>Chairs waiting</h2>\n")
    body.append(
        chart_figure(
            {"chairs waiting": report.chairs_waiting},
            title="Chairs waiting",
            y_label="chairs waiting",
            x_label=since,
            figure_id="waiting",
        )
    )
    return page(TITLE, "".join(body), subtitle=window_text(report))


def _figures_table(report: NightReport) -> str:
    out = [
        f'<table class="figures">\n<thead><tr><th></th><th class="num">{COLUMN}</th>'
        "</tr></thead>\n<tbody>\n"
    ]
    for label, section, key in rows(report):
        level = (len(label) - len(label.lstrip(" "))) // 2
        value = cell_text(report.figures[section][key], key)
        out.append(
            f'<tr><td class="level-{level}">{escape(label.strip())}</td>'
            f'<td class="num">{escape(value)}</td></tr>\n'
        )
    out.append("</tbody>\n</table>\n")
    return "".join(out)


def _authors(report: NightReport) -> str:
    return ", ".join(f"{author} {count:,}" for author, count in report.block_authors.items())


def _event(event: Event) -> str:
    """An alarm, a switch or a rotation in words: "flood mode on by the PIN alarm: ..."."""
    text = event.what
    if event.author != PIN_ALARM_AUTHOR:
        text += f" by {event.author}"
    elif event.what != TIMELINE["pin-alarm"]:
        text += " by the PIN alarm"
    if event.target not in ("", "*"):
        text += f" ({event.target})"
    return f"{text}: {event.reason}" if event.reason else text
