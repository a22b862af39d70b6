"""The simulation's chart: one self-contained HTML page with an inline SVG line per series."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from hotline.sim.chart import COLOURS, DASHES, SVG_NS, clock, render_chart, write_chart

S = f"{{{SVG_NS}}}"
NIGHT = {
    "Hotline triage": [(float(m), min(m, 150)) for m in range(0, 301)],
    "2020 hotline (first come, first served)": [
        (float(m), m * 3 if m <= 200 else 600) for m in range(0, 301)
    ],
    "calm night": [(float(m), min(m, 140)) for m in range(0, 241)],
}


def page(series, **kwargs) -> ET.Element:
    """The page, parsed as XML: it has to be well formed for that to work at all."""
    kwargs.setdefault("title", "Chairs waiting")
    return ET.fromstring(render_chart(series, **kwargs))


def svg_of(root: ET.Element) -> ET.Element:
    (svg,) = root.iter(f"{S}svg")
    return svg


def polylines(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{S}polyline"))


def points_of(polyline: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in polyline.get("points").split()]


def plot_area(root: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the plot area."""
    (rect,) = [r for r in root.iter(f"{S}rect") if r.get("class") == "plot-area"]
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def tick_labels(root: ET.Element, axis: str) -> list[str]:
    (group,) = [g for g in root.iter(f"{S}g") if g.get("class") == axis]
    return [text.text for text in group.iter(f"{S}text")]


def legend_items(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{S}g") if g.get("class") == "legend-item"]


def table_rows(root: ET.Element) -> list[list[str]]:
    (tbody,) = root.iter("tbody")
    return [["".join(td.itertext()) for td in tr.iter("td")] for tr in tbody.iter("tr")]


class TagCounter(HTMLParser):
    """Counts start tags the way a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def count_tags(html: str) -> dict[str, int]:
    counter = TagCounter()
    counter.feed(html)
    counter.close()
    return counter.tags


def test_a_complete_page_with_exactly_one_svg():
    html = render_chart(NIGHT, title="Chairs waiting", subtitle="Caucus night")
    assert html.startswith("<!DOCTYPE html>")
    tags = count_tags(html)
    assert tags["svg"] == 1
    assert tags["html"] == tags["head"] == tags["body"] == tags["table"] == 1
    root = ET.fromstring(html)
    svg = svg_of(root)
    assert re.fullmatch(r"0 0 \d+ \d+", svg.get("viewBox"))
    assert root.find("head/title").text == "Chairs waiting"
    assert root.find(".//h1").text == "Chairs waiting"
    assert root.find(".//p[@class='subtitle']").text == "Caucus night"


def test_nothing_is_fetched():
    html = render_chart(NIGHT, title="Chairs waiting", subtitle="Caucus night")
    tags = count_tags(html)
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use"):
        assert tag not in tags
    assert "@import" not in html and "url(" not in html and "@font-face" not in html
    assert "src=" not in html and "href" not in html
    # The only address on the page is the SVG namespace, which is a name, not a fetch.
    assert [m.start() for m in re.finditer("http", html)] == [
        m.start() for m in re.finditer(re.escape(SVG_NS), html)
    ]
    assert html.count(SVG_NS) == 1


def test_one_line_per_series_with_every_point():
    root = page(NIGHT)
    lines = polylines(root)
    assert len(lines) == len(NIGHT)
    for line, (name, points) in zip(lines, NIGHT.items(), strict=True):
        assert line.find(f"{S}title").text == name
        assert len(points_of(line)) == len(points)


def test_points_map_onto_the_plot_area():
    root = page({"line": [(0.0, 0), (60.0, 50), (120.0, 100)]})
    left, top, right, bottom = plot_area(root)
    assert left < right and top < bottom
    (first, middle, last) = points_of(polylines(root)[0])
    # The first minute is the left edge, the last the right; zero is the bottom and
    # the highest value (a round number here) the top.
    assert first == pytest.approx((left, bottom), abs=0.06)
    assert last == pytest.approx((right, top), abs=0.06)
    assert middle == pytest.approx(((left + right) / 2, (top + bottom) / 2), abs=0.06)


def test_a_peak_off_the_round_numbers_sits_below_the_top_tick():
    root = page({"line": [(0.0, 0), (10.0, 583), (20.0, 0)]})
    left, top, right, bottom = plot_area(root)
    labels = tick_labels(root, "y-axis")
    assert labels[0] == "0" and labels[-1] == "600"
    _, peak_y = points_of(polylines(root)[0])[1]
    assert peak_y == pytest.approx(bottom - (bottom - top) * 583 / 600, abs=0.06)


def test_y_ticks_are_round():
    assert tick_labels(page(NIGHT), "y-axis") == [str(n) for n in range(0, 601, 100)]
    labels = tick_labels(page({"a": [(0.0, 0), (5.0, 150)]}), "y-axis")
    assert labels == ["0", "25", "50", "75", "100", "125", "150"]
    big = tick_labels(page({"a": [(0.0, 0), (5.0, 12_345)]}), "y-axis")
    assert big == ["0", "2,500", "5,000", "7,500", "10,000", "12,500"]


def test_y_ticks_of_counts_are_whole_numbers():
    labels = tick_labels(page({"a": [(0.0, 0), (5.0, 3)]}), "y-axis")
    assert labels == ["0", "1", "2", "3"]
    # Fractions get as many places as the step needs, the same on every tick.
    fractions = tick_labels(page({"a": [(0.0, 0.0), (5.0, 0.3)]}), "y-axis")
    assert fractions == ["0.00", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30"]


def test_x_ticks_read_hours_and_minutes():
    night = {"a": [(float(m), 1) for m in range(0, 841)]}
    assert tick_labels(page(night), "x-axis") == [f"{h}:00" for h in range(0, 15, 2)]
    short = tick_labels(page({"a": [(0.0, 1), (90.0, 2)]}), "x-axis")
    assert short == ["0:00", "0:15", "0:30", "0:45", "1:00", "1:15", "1:30"]


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0:00"), (45, "0:45"), (90, "1:30"), (59.6, "1:00"), (605, "10:05"), (-30, "-0:30")],
)
def test_clock(minutes, text):
    assert clock(minutes) == text


def test_axis_labels():
    root = page(NIGHT)
    labels = [t.text for t in root.iter(f"{S}text") if t.get("class") == "axis-label"]
    assert labels == ["minutes into the night", "chairs waiting"]
    root = page(NIGHT, y_label="callers in the line", x_label="time <since> 7 pm")
    labels = [t.text for t in root.iter(f"{S}text") if t.get("class") == "axis-label"]
    assert labels == ["time <since> 7 pm", "callers in the line"]


def test_legend_names_every_series_in_order():
    items = legend_items(page(NIGHT))
    assert [item.find(f"{S}text").text for item in items] == list(NIGHT)


def test_text_is_escaped():
    name = "<b>&"
    html = render_chart(
        {name: [(0.0, 1), (1.0, 2)]}, title="<i>Night</i> & day", subtitle='"quoted" <script>'
    )
    assert "<b>" not in html and "<i>" not in html and "<script>" not in html
    assert "&lt;b&gt;&amp;" in html
    assert "&lt;i&gt;Night&lt;/i&gt; &amp; day" in html
    root = ET.fromstring(html)
    assert [item.find(f"{S}text").text for item in legend_items(root)] == [name]
    assert polylines(root)[0].find(f"{S}title").text == name
    assert table_rows(root)[0][1] == name
    assert root.find(".//h1").text == "<i>Night</i> & day"
    assert root.find(".//p[@class='subtitle']").text == '"quoted" <script>'
    assert "script" not in count_tags(html)


def test_series_differ_in_colour_and_in_dash_pattern():
    series = {f"series {n}": [(0.0, n), (10.0, n + 1)] for n in range(len(DASHES))}
    lines = polylines(page(series))
    colours = [line.get("stroke") for line in lines]
    dashes = [line.get("stroke-dasharray", "") for line in lines]
    assert len(set(colours)) == len(lines)
    # Told apart without colour, too: each line its own dash pattern (one of them solid).
    assert len(set(dashes)) == len(lines)
    assert "" in dashes


def test_styles_do_not_repeat_for_many_series():
    count = len(COLOURS) * len(DASHES) // math.gcd(len(COLOURS), len(DASHES))
    series = {f"series {n}": [(0.0, 1)] for n in range(count)}
    lines = polylines(page(series))
    pairs = {(line.get("stroke"), line.get("stroke-dasharray", "")) for line in lines}
    assert len(pairs) == count


def test_legend_swatches_match_the_lines():
    root = page(NIGHT)
    for item, line in zip(legend_items(root), polylines(root), strict=True):
        swatch = item.find(f"{S}line")
        assert swatch.get("stroke") == line.get("stroke")
        assert swatch.get("stroke-dasharray") == line.get("stroke-dasharray")


def test_table_of_peaks():
    rows = table_rows(page(NIGHT))
    assert rows == [
        ["", "Hotline triage", "150", "2:30"],
        ["", "2020 hotline (first come, first served)", "600", "3:20"],
        ["", "calm night", "140", "2:20"],
    ]


def test_a_peak_reached_twice_is_timed_the_first_time():
    root = page({"a": [(0.0, 0), (30.0, 7), (45.0, 3), (90.0, 7)]})
    assert table_rows(root) == [["", "a", "7", "0:30"]]
    (marker,) = [c for c in root.iter(f"{S}circle") if c.get("class") == "peak"]
    first, peak, *_ = points_of(polylines(root)[0])
    assert (float(marker.get("cx")), float(marker.get("cy"))) == peak


@pytest.mark.parametrize("series", [{}, {"Hotline triage": []}, {"a": [], "b": []}])
def test_no_data_is_a_page_that_says_so(series):
    html = render_chart(series, title="Chairs waiting", subtitle="Nobody called")
    root = ET.fromstring(html)
    assert "svg" not in count_tags(html)
    assert root.find(".//p[@class='empty']").text == "No data to chart."
    assert root.find(".//h1").text == "Chairs waiting"


def test_an_empty_series_beside_others_is_listed_without_a_line():
    root = page({"quiet": [], "busy": [(0.0, 0), (10.0, 4)]})
    lines = polylines(root)
    assert [line.find(f"{S}title").text for line in lines] == ["busy"]
    assert [item.find(f"{S}text").text for item in legend_items(root)] == ["quiet", "busy"]
    assert table_rows(root) == [["", "quiet", "no data"], ["", "busy", "4", "0:10"]]


def test_a_single_point():
    root = page({"only": [(75.0, 12)]})
    left, top, right, bottom = plot_area(root)
    (line,) = polylines(root)
    ((x, y),) = points_of(line)
    assert x == pytest.approx((left + right) / 2, abs=0.06)
    assert top <= y < bottom
    # A one-point polyline draws nothing; the peak marker is what shows it.
    (marker,) = [c for c in root.iter(f"{S}circle") if c.get("class") == "peak"]
    assert (float(marker.get("cx")), float(marker.get("cy"))) == (x, y)
    assert table_rows(root) == [["", "only", "12", "1:15"]]


def test_a_night_when_nobody_waits():
    root = page({"calm night": [(float(m), 0) for m in range(0, 61)]})
    _, _, _, bottom = plot_area(root)
    assert {y for _, y in points_of(polylines(root)[0])} == {bottom}
    assert tick_labels(root, "y-axis") == ["0", "1", "2", "3", "4", "5"]


def test_points_are_drawn_in_time_order_and_non_numbers_dropped():
    root = page({"a": [(20.0, 2), (0.0, 0), (10.0, float("nan")), (float("inf"), 1), (5.0, 1)]})
    xs = [x for x, _ in points_of(polylines(root)[0])]
    assert len(xs) == 3 and xs == sorted(xs)


def test_write_chart_makes_the_directory(tmp_path):
    html = render_chart(NIGHT, title="Chairs waiting")
    path = tmp_path / "var" / "sim" / "night.html"
    assert write_chart(path, html) == path
    assert path.read_text(encoding="utf-8") == html
    # Writing again over the same file is fine.
    assert write_chart(path, "<!DOCTYPE html>\n") == path
    assert path.read_text(encoding="utf-8") == "<!DOCTYPE html>\n"
