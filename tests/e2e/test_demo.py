"""`hotline demo` on a short night: real processes (an embedded Redis, `hotline serve`,
`hotline worker`), the night played live over HTTP, and at its end the night's report made
from Hotline's own records. What the records say agrees with what the simulator's people
lived through.
"""

from __future__ import annotations

import contextlib
import re
import socket
from pathlib import Path

import pytest

from hotline.demo import run_demo

SCENARIO = str(Path(__file__).parent / "scenarios" / "demo-short.toml")
REPORT_HEADING = "The same night from Hotline's own records, as `hotline report` tells it:"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def figure(table: str, label: str) -> int:
    """The first column's figure on the row `label` of a printed table."""
    (row,) = re.findall(rf"^{re.escape(label)} +([0-9,]+)", table, re.MULTILINE)
    return int(row.replace(",", ""))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, Path]:
    workdir = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        capture = workdir / "out.txt"
        with capture.open("w") as out, contextlib.redirect_stdout(out):
            assert run_demo(free_port(), SCENARIO) == 0
    return capture.read_text(), workdir / "var" / "demo"


def test_the_demo_ends_with_the_nights_report_from_the_records(demo):
    output, demo_dir = demo
    _, _, recorded = output.partition(REPORT_HEADING)
    assert recorded.splitlines()[2].startswith("The night's report: ")
    assert f"The night's report, with charts: {demo_dir / 'night-report.html'}" in recorded
    page = (demo_dir / "night-report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg ") == 2


def test_the_records_agree_with_what_the_callers_lived_through(demo):
    output, _ = demo
    simulated, _, recorded = output.partition(REPORT_HEADING)
    assert figure(recorded, "Chairs who called") == figure(simulated, "Chairs who called") == 12
    for label in ("  answered by a volunteer", "  calls placed"):
        assert figure(recorded, label) == figure(simulated, label), label
    assert figure(recorded, "Reports stored") == figure(simulated, "  stored")
    assert figure(recorded, "Nuisance calls") == (
        figure(simulated, "Nuisance calls placed") + figure(simulated, "Information calls")
    )
    assert figure(recorded, "Volunteers who called in") == 3
