"""A chart of a night as one self-contained HTML page, or as a figure on such a page.

Each named series is a list of (minutes into the night, value) points, drawn as a line
in inline SVG: no scripts, fonts or anything else fetched, so the page opens the same
from a laptop's disk as from a shared drive. Lines differ in colour and in dash pattern,
so they can be told apart in greyscale and by readers who do not see the colours. The
simulator's nights are one chart to a page (render_chart); the night's report from the
real records puts its figures and several charts on one page (page, chart_figure).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

SVG_NS = "http://www.w3.org/2000/svg"

# Okabe and Ito's palette, which stays distinct for the common colour-vision deficiencies
# (its yellow is left out: it disappears on white).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
# Paired with the colours in order; the lengths differ, so past the first seven series
# the pairs still do not repeat.
DASHES = ("", "9 5", "2 4", "14 4 3 4", "5 3", "16 4 3 4 3 4")

WIDTH = 900
PLOT_HEIGHT = 340
MARGIN_LEFT = 76
MARGIN_RIGHT = 28
MARGIN_TOP = 14
MARGIN_BOTTOM = 56
LEGEND_ROW = 24
LEGEND_SWATCH = 32
LEGEND_FONT = 13.5
# About how wide a character of the page's sans-serif is, per unit of font size.
CHAR_WIDTH = 0.52

# How the chart itself is drawn: a page that shows the chart alone (render_svg), such as
# the admins' board, links these rules as a style sheet of its own.
SVG_STYLE = """
svg { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; fill: #3e4c59; font-variant-numeric: tabular-nums; }
.tick text { font-size: 12.5px; }
.axis-label { font-size: 13px; fill: #52606d; }
.legend text { font-size: 13.5px; fill: #1f2933; }
.tick line { stroke: #9aa5b1; stroke-width: 1; }
.tick line.grid { stroke: #e4e7eb; }
.axis { stroke: #7b8794; stroke-width: 1; }
.plot-area { fill: #fff; }
.series { fill: none; stroke-width: 2.25; stroke-linejoin: round; stroke-linecap: butt; }
.peak { stroke: #fff; stroke-width: 1.5; }
"""

PAGE_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0; padding: 24px 16px 40px; background: #f6f7f9; color: #1f2933;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
  line-height: 1.45;
}
main {
  max-width: 900px; margin: 0 auto; background: #fff; border: 1px solid #e1e5ea;
  border-radius: 8px; padding: 24px 28px 28px;
}
h1 { font-size: 1.35rem; font-weight: 650; margin: 0 0 4px; letter-spacing: -0.01em; }
.subtitle { margin: 0 0 12px; color: #52606d; font-size: 0.95rem; }
.empty { margin: 24px 0 8px; padding: 32px; text-align: center; color: #52606d;
  background: #f6f7f9; border-radius: 6px; }
figure { margin: 8px 0 0; }
table { border-collapse: collapse; margin: 20px 0 0; font-size: 0.9rem;
  font-variant-numeric: tabular-nums; min-width: 60%; }
th, td { padding: 6px 14px 6px 0; text-align: left; border-bottom: 1px solid #e4e7eb; }
th { font-weight: 600; color: #52606d; font-size: 0.8rem; text-transform: uppercase;
  letter-spacing: 0.04em; }
td.num, th.num { text-align: right; padding-right: 0; padding-left: 24px;
  white-space: nowrap; }
td.key { width: 38px; padding-right: 10px; }
.swatch { display: block; width: 28px; height: 3px; }
h2 { font-size: 1.05rem; font-weight: 650; margin: 28px 0 6px; }
td.level-1 { padding-left: 18px; }
td.level-2 { padding-left: 36px; }
ul { margin: 8px 0 0; padding-left: 20px; font-size: 0.9rem; }
"""
STYLE = PAGE_STYLE + SVG_STYLE


@dataclass(frozen=True)
class _Scale:
    """A linear map from data values onto a span of the drawing."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


def render_chart(
    series: dict[str, list[tuple[float, int]]],
    *,
    title: str,
    subtitle: str = "",
    y_label: str = "chairs waiting",
    x_label: str = "minutes into the night",
) -> str:
    """A complete HTML page charting each series as a line over time.

    Points are (minutes, value), drawn in order of time; points with a coordinate that is
    not a finite number (NaN, infinity) are left out. The x axis runs from the first
    minute to the last, ticked in hours and minutes; the y axis runs from zero (or the
    lowest value, if below zero) to a round number at or above the highest value. Under
    the chart, a table gives each series' peak and when it came (the first time, if it
    came more than once). With no points at all, the page says there is no data.
    """
    body = chart_figure(series, title=title, y_label=y_label, x_label=x_label)
    return page(title, body, subtitle=subtitle)


def page(title: str, body: str, *, subtitle: str = "") -> str:
    """A complete HTML page: the title as its heading, the subtitle under it, then `body`
    (HTML), in the charts' style.
    """
    heading = f"<h1>{escape(title)}</h1>\n"
    if subtitle:
        heading += f'<p class="subtitle">{escape(subtitle)}</p>\n'
    return f"{_head(title)}<body>\n<main>\n{heading}{body}</main>\n</body>\n</html>\n"


def chart_figure(
    series: dict[str, list[tuple[float, int]]],
    *,
    title: str,
    y_label: str,
    x_label: str,
    figure_id: str = "chart",
) -> str:
    """One chart and the table of its peaks, as HTML for a page (see render_chart);
    `figure_id` tells the charts of one page apart. With no points at all, a line that
    says there is no data.
    """
    lines = {name: _clean(points) for name, points in series.items()}
    if not any(lines.values()):
        return '<p class="empty">No data to chart.</p>\n'
    figure = _figure(lines, title=title, y_label=y_label, x_label=x_label, chart_id=figure_id)
    return figure + _table(lines, y_label)


def render_svg(
    series: dict[str, list[tuple[float, float]]],
    *,
    title: str,
    y_label: str,
    x_label: str,
    chart_id: str = "chart",
    x_text: Callable[[float], str] | None = None,
) -> str:
    """The chart of render_chart alone, as a <figure> holding the <svg>, for a page of its
    own that styles it with SVG_STYLE; `chart_id` tells two charts on one page apart, and
    `x_text` writes a tick's time (default: clock). With no points at all, a paragraph
    that says so.
    """
    lines = {name: _clean(points) for name, points in series.items()}
    if not any(lines.values()):
        return '<p class="empty">No data to chart.</p>\n'
    return _figure(
        lines,
        title=title,
        y_label=y_label,
        x_label=x_label,
        chart_id=chart_id,
        x_text=x_text or clock,
    )


def write_chart(path: Path, html: str) -> Path:
    """Write the page to path, making its directory if need be."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def clock(minutes: float) -> str:
    """Minutes as hours:minutes, to the nearest minute: 90 -> "1:30"."""
    total = round(minutes)
    sign = "-" if total < 0 else ""
    hours, mins = divmod(abs(total), 60)
    return f"{sign}{hours}:{mins:02d}"


def _clean(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    kept = [(float(x), y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    return sorted(kept, key=lambda point: point[0])


def _head(title: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
    )


def _figure(
    lines: dict[str, list[tuple[float, float]]],
    *,
    title: str,
    y_label: str,
    x_label: str,
    chart_id: str = "chart",
    x_text: Callable[[float], str] = clock,
) -> str:
    points = [point for line in lines.values() for point in line]
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    integral = all(float(y).is_integer() for y in ys)

    legend, legend_height = _legend(list(lines))
    top = MARGIN_TOP + legend_height
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    bottom = top + PLOT_HEIGHT
    height = bottom + MARGIN_BOTTOM

    x_lo, x_hi = min(xs), max(xs)
    if x_hi - x_lo < 1e-9:
        x_lo, x_hi = x_lo - 30, x_hi + 30
    y_ticks = _value_ticks(min(0.0, min(ys)), max(ys), integral)
    x_scale = _Scale(x_lo, x_hi, left, right)
    y_scale = _Scale(y_ticks[0], y_ticks[-1], bottom, top)

    out = [
        f'<figure>\n<svg xmlns="{SVG_NS}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-title" '
        'preserveAspectRatio="xMidYMid meet">\n'
        f'<title id="{chart_id}-title">{escape(title)}</title>\n',
        f'<rect class="plot-area" x="{left}" y="{top}" width="{right - left}" '
        f'height="{PLOT_HEIGHT}"/>\n',
    ]
    out.append('<g class="y-axis">\n')
    step = y_ticks[1] - y_ticks[0]
    for value in y_ticks:
        y = _num(y_scale(value))
        out.append(
            f'<g class="tick"><line class="grid" x1="{left}" y1="{y}" x2="{right}" y2="{y}"/>'
            f'<text x="{left - 10}" y="{y}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(_value_text(value, step))}</text></g>\n"
        )
    out.append("</g>\n")
    out.append('<g class="x-axis">\n')
    out.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>\n')
    for minute in _time_ticks(x_lo, x_hi):
        x = _num(x_scale(minute))
        out.append(
            f'<g class="tick"><line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}"/>'
            f'<text x="{x}" y="{bottom + 20}" text-anchor="middle">{x_text(minute)}</text></g>\n'
        )
    out.append("</g>\n")
    middle_y = _num((top + bottom) / 2)
    out.append(
        f'<text class="axis-label" x="{_num((left + right) / 2)}" y="{height - 10}" '
        f'text-anchor="middle">{escape(x_label)}</text>\n'
        f'<text class="axis-label" x="18" y="{middle_y}" text-anchor="middle" '
        f'transform="rotate(-90 18 {middle_y})">{escape(y_label)}</text>\n'
    )
    out.append('<g class="lines">\n')
    for index, (name, line) in enumerate(lines.items()):
        if not line:
            continue
        colour, dash = _style(index)
        coords = " ".join(f"{_num(x_scale(x))},{_num(y_scale(y))}" for x, y in line)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline class="series" data-series="{index}" stroke="{colour}"{dash_attr} '
            f'points="{coords}"><title>{escape(name)}</title></polyline>\n'
        )
    for index, (name, line) in enumerate(lines.items()):
        if not line:
            continue
        colour, _ = _style(index)
        peak_x, peak_y = _peak(line)
        out.append(
            f'<circle class="peak" data-series="{index}" cx="{_num(x_scale(peak_x))}" '
            f'cy="{_num(y_scale(peak_y))}" r="4" fill="{colour}">'
            f"<title>{escape(name)}: peak {escape(_value_text(peak_y))} at "
            f"{x_text(peak_x)}</title></circle>\n"
        )
    out.append("</g>\n")
    out.append(legend)
    out.append("</svg>\n</figure>\n")
    return "".join(out)


def _legend(names: list[str]) -> tuple[str, int]:
    """The legend, laid out in rows above the plot, and the height it takes."""
    usable = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    rows: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for index, name in enumerate(names):
        width = LEGEND_SWATCH + 8 + len(name) * LEGEND_FONT * CHAR_WIDTH
        if rows[-1] and used + width > usable:
            rows.append([])
            used = 0.0
        rows[-1].append((index, name, used))
        used += width + 26
    out = ['<g class="legend">\n']
    for row_number, row in enumerate(rows):
        y = MARGIN_TOP + row_number * LEGEND_ROW + LEGEND_ROW / 2
        for index, name, offset in row:
            colour, dash = _style(index)
            x = MARGIN_LEFT + offset
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<g class="legend-item" data-series="{index}">'
                f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + LEGEND_SWATCH)}" '
                f'y2="{_num(y)}" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
                f'<text x="{_num(x + LEGEND_SWATCH + 8)}" y="{_num(y)}" '
                f'dominant-baseline="middle">{escape(name)}</text></g>\n'
            )
    out.append("</g>\n")
    return "".join(out), len(rows) * LEGEND_ROW + 10


def _table(lines: dict[str, list[tuple[float, float]]], y_label: str) -> str:
    out = [
        '<table class="peaks">\n<thead><tr><th colspan="2">Series</th>'
        f'<th class="num">Peak {escape(y_label)}</th><th class="num">Time of peak</th>'
        "</tr></thead>\n<tbody>\n"
    ]
    for index, (name, line) in enumerate(lines.items()):
        swatch = f'<span class="swatch" style="{_swatch_css(index)}"></span>'
        if line:
            peak_x, peak_y = _peak(line)
            cells = (
                f'<td class="num">{escape(_value_text(peak_y))}</td>'
                f'<td class="num">{clock(peak_x)}</td>'
            )
        else:
            cells = '<td class="num" colspan="2">no data</td>'
        out.append(f'<tr><td class="key">{swatch}</td><td>{escape(name)}</td>{cells}</tr>\n')
    out.append("</tbody>\n</table>\n")
    return "".join(out)


def _peak(line: list[tuple[float, float]]) -> tuple[float, float]:
    """The highest point, the earliest if there are several."""
    best = line[0]
    for point in line:
        if point[1] > best[1]:
            best = point
    return best


def _style(index: int) -> tuple[str, str]:
    return COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]


def _swatch_css(index: int) -> str:
    """The series' colour and dash pattern as a CSS background, for the table."""
    colour, dash = _style(index)
    if not dash:
        return f"background: {colour}"
    stops, at, drawn = [], 0.0, True
    for length in (float(part) for part in dash.split()):
        paint = colour if drawn else "transparent"
        stops.append(f"{paint} {_num(at)}px {_num(at + length)}px")
        at += length
        drawn = not drawn
    return f"background: repeating-linear-gradient(90deg, {', '.join(stops)})"


def _value_ticks(lo: float, hi: float, integral: bool) -> list[float]:
    """Round ticks from lo (or below) to hi (or above), 1, 2, 2.5 or 5 times a power of ten
    apart: of the sets with four to eight steps, the one that leaves the least room."""
    if hi - lo <= 0:
        hi = lo + (5 if integral else 1)
    magnitude = 10.0 ** math.floor(math.log10((hi - lo) / 6))
    candidates: list[list[float]] = []
    for scale in (magnitude / 10, magnitude, magnitude * 10):
        for multiple in (1, 2, 2.5, 5):
            step = multiple * scale
            if integral and not step.is_integer():
                continue
            first = math.floor(lo / step + 1e-9)
            last = math.ceil(hi / step - 1e-9)
            candidates.append([float(f"{n * step:.12g}") for n in range(first, last + 1)])
    for fewest, most in ((5, 9), (3, 11), (2, math.inf)):
        fitting = [ticks for ticks in candidates if fewest <= len(ticks) <= most]
        if fitting:
            return min(fitting, key=lambda ticks: (ticks[-1] - ticks[0], abs(len(ticks) - 6)))
    return [lo, hi]


def _value_text(value: float, step: float | None = None) -> str:
    """A value as printed: whole numbers with thousands separators; fractions to as many
    places as the tick step needs (one, for a value with no step)."""
    if step is None:
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.1f}"
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9), 6)
    return f"{value:,.{decimals}f}"


def _time_ticks(lo: float, hi: float) -> list[float]:
    """Round times (whole minutes, quarter hours, hours...) across [lo, hi], at most eight
    steps apart."""
    span = hi - lo
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440)
    step = next((s for s in steps if span / s <= 8), None)
    if step is None:
        step = 1440 * math.ceil(span / (1440 * 8))
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    ticks = [float(n * step) for n in range(first, last + 1)]
    return ticks or [lo, hi]


def _num(value: float) -> str:
    """A coordinate, to a tenth of a unit."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text
