"""The night's report from the real records: a small night played through the app's webhooks
on the simulated phone network, in virtual time, then reported over its window.

The night, from T (2020-02-05 00:01 UTC), the start of the window, to T+60m, its end:
- T+0: Ann, the volunteer, calls in and goes on duty.
- T+1m: the chair of 1002 calls and hangs up after 5 seconds, before keying anything.
- T+2m: the chair of 1001 proves the precinct and keys the results on the keypad.
- T+10m: the chair of 1002 calls again, proves it, waits and is put through to Ann (T+11m),
  who stores the results on her form.
- T+12m40s: a guesser keys three wrong PINs for 1002: the PIN alarm (at 3 failed PINs on
  this night) is raised.
- T+15m to T+24m: a troll calls ten times, a minute apart: challenged six times, diverted
  twice, blocked on the ninth call, rejected on the tenth.
- T+25m: dana (an admin) blocks a number; it calls and is rejected. She lifts it at T+40m.
- T+27m: a caller with 77001's PIN is put through to Ann, who flags him 40 seconds later.
- T+30m: Ann has gone off duty; the real chair of 77001 calls from the registered phone,
  proves it, waits, and gives up at T+40m.
- T+40m: dana switches flood mode on, and off at T+41m40s; the number is rotated.
A call a minute before the window and one at its end are left out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.caucus.report import PrecinctReport
from hotline.cli import main
from hotline.night_report import night_report
from hotline.night_report.figures import night_figures
from hotline.night_report.render import render_html, render_text
from hotline.night_report.window import Window
from hotline.sim.chart import SVG_NS
from hotline.sim.jobs import drain
from hotline.steps import desk
from hotline.store import audit
from tests.support.phone_night import (
    VOLUNTEER_LINE,
    VOLUNTEER_PHONE,
    VOLUNTEER_PIN,
    Person,
    phone_night,
)
from tests.support.roster import pin_of
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY

START = 1_580_860_800.0 + 60  # T: 2020-02-05 00:01:00 UTC
END = START + 3600
GROUPS = ["2*6", "4*8", "7*8", "9*9", "11*9"]  # Adair 1NW's worksheet (test_keypad_report.py)
TROLL = "+17125550666"
BLOCKED_BY_DANA = "+17125550777"
FLAGGED = "+17125550888"
GUESSER = "+17125550999"
EARLY = "+17125550555"
# Counts that only take in more as the window grows: whatever falls in a narrower window
# falls in a wider one. (Not so the nuisance calls: a call from a chair's number is the
# chair's only if the call that proved the precinct is in the window too.)
GROWING = [
    ("chairs", "count"),
    ("chairs", "answered"),
    ("reports", "stored"),
    ("reports", "keypad"),
    ("reports", "volunteer"),
    ("reports", "precincts"),
    ("calls", "count"),
    ("calls", "calls_back"),
    ("volunteers", "count"),
    ("blocks", "made"),
    ("blocks", "automatic"),
    ("blocks", "by_people"),
    ("blocks", "lifted"),
    ("defence", "pin_failures"),
    ("defence", "pin_alarms"),
    ("defence", "flood_on"),
    ("defence", "rotations"),
]


@pytest.fixture
def night(redis_url, clock, tmp_path):
    overlay = tmp_path / "alarm.toml"
    overlay.write_text("[triage.pins.defence]\nalarm_failures = 3\n")
    with phone_night(redis_url, clock, HOTLINE_CONFIG=str(overlay)) as built:
        yield built


@pytest.fixture
def played(night):
    services, loop, network, _ = night
    calls = play_the_night(services, loop, network)
    return services, calls


def run_until(loop, at: float) -> None:
    loop.run(START + at)


def play_the_night(services, loop, network) -> dict[str, object]:
    """The night above; returns the calls the figures are checked against."""
    calls = {}
    early = network.place_inbound(Person(), EARLY)
    network.hang_up_after(early, 20)
    run_until(loop, 0)

    ann = Person(VOLUNTEER_PIN)
    calls["ann"] = network.place_inbound(ann, VOLUNTEER_PHONE, voice_url=VOLUNTEER_LINE)
    run_until(loop, 60)
    drain(services.queue)

    first_try = network.place_inbound(Person(), "+15155550102")
    network.hang_up_after(first_try, 5)
    run_until(loop, 120)

    keypad = Person("1001", pin_of("1001"), "1", "40", *GROUPS, "", *GROUPS, "", "2", "1")
    calls["1001"] = network.place_inbound(keypad, "+15155550101")
    run_until(loop, 600)
    assert not calls["1001"].live
    assert services.store.results.latest("1001").channel == "keypad"
    drain(services.queue)

    calls["1002"] = network.place_inbound(Person("1002", pin_of("1002"), "2"), "+15155550102")
    run_until(loop, 660)
    drain(services.queue)  # the dispatch puts 1002 through to Ann
    run_until(loop, 700)
    assert calls["1002"].conference is not None
    report = PrecinctReport(
        precinct="1002",
        attendance=20,
        first={"sanders": 12, "warren": 8},
        final={"sanders": 12, "warren": 8},
    )
    services.store.results.save(
        report,
        channel="volunteer",
        author="ann",
        now=loop.now(),
        findings=(),
        idempotency_key="form-1002",
    )
    run_until(loop, 760)
    network.hang_up(calls["1002"])
    drain(services.queue)

    guesser = network.place_inbound(Person("1002", "000001", "000002", "000003"), GUESSER)
    run_until(loop, 900)
    assert not guesser.live
    drain(services.queue)

    for n in range(10):
        troll = network.place_inbound(Person(), TROLL)
        network.hang_up_after(troll, 20)
        run_until(loop, 960 + 60 * n)
        drain(services.queue)

    services.store.blocks.block(BLOCKED_BY_DANA, reason="leaked the number", author="dana")
    network.place_inbound(Person(), BLOCKED_BY_DANA)
    run_until(loop, 1620)

    calls["flagged"] = network.place_inbound(Person("77001", pin_of("77001"), "2"), FLAGGED)
    run_until(loop, 1680)
    drain(services.queue)
    run_until(loop, 1720)
    assert calls["flagged"].conference is not None
    desk.flag_caller(
        services, volunteer_id="v1", call_sid=calls["flagged"].sid, precinct="77001", author="ann"
    )
    drain(services.queue)
    run_until(loop, 1800)
    assert not calls["flagged"].live

    network.hang_up(calls["ann"])
    drain(services.queue)
    calls["77001"] = network.place_inbound(Person(pin_of("77001"), "2"), "+15155550177")
    run_until(loop, 2400)
    network.hang_up(calls["77001"])
    drain(services.queue)

    services.store.blocks.unblock(BLOCKED_BY_DANA, author="dana", reason="a mistake")
    services.store.reputation.set_flood(True, author="dana", reason="the number leaked")
    run_until(loop, 2500)
    services.store.reputation.set_flood(False, author="dana")
    with services.store.redis.pipeline(transaction=True) as pipe:
        # What `hotline number rotate` puts on the audit trail.
        audit.record(pipe, loop.now(), "number-rotated", "+15155550001", "dana", "leaked")
        pipe.execute()
    run_until(loop, 3600)
    late = network.place_inbound(Person(), EARLY)
    network.hang_up_after(late, 20)
    run_until(loop, 3700)
    drain(services.queue)
    return calls


FIGURES = {
    "chairs": {
        "count": 3,  # 1001, 1002 and 77001 (the flagged caller's call for 77001 is not one)
        "answered": 1,  # 1002
        "reported_alone": 1,  # 1001, on the keypad
        "not_served": 1,  # 77001
        "calls": 4,  # 1002 called twice
        "called_back": 0,
        # 1001: from T+2m until stored at T+4m50.8s; 1002: from its first try at T+1m until
        # put through at T+11m; 77001: from T+30m until the window's end at T+60m.
        "wait_p50_s": 600.0,
        "wait_p90_s": 1800.0,
        "wait_p99_s": 1800.0,
        "wait_max_s": 1800.0,
        # The longest: 1002, proved 554.4 s after its first try.
        "get_in_p90_s": 554.4,
        "get_in_max_s": 554.4,
    },
    "reports": {
        "stored": 2,
        "keypad": 1,
        "volunteer": 1,
        "precincts": 2,
        "corrections": 0,
        "verified": 0,
    },
    "calls": {"count": 17, "chairs": 4, "calls_back": 0},
    "calls_by_verdict": {
        "fast-track": 1,  # 77001's registered phone
        "challenge": 11,  # the chairs' 3 others, the guesser, the troll's 6, the flagged one
        "divert": 2,
        "temp-block": 1,
        "block": 0,
        "reject": 2,  # the troll's tenth call, and the number dana blocked
    },
    "nuisance": {
        "calls": 13,
        "reached_volunteer": 1,
        "flagged": 1,
        "volunteer_seconds": 40.0,
    },
    "nuisance_by_verdict": {
        "fast-track": 0,
        "challenge": 8,
        "divert": 2,
        "temp-block": 1,
        "block": 0,
        "reject": 2,
    },
    "volunteers": {"count": 1},
    "blocks": {"made": 3, "automatic": 1, "by_people": 2, "lifted": 1},
    "defence": {
        "pin_failures": 3,
        "pin_alarms": 1,
        "flood_on": 1,
        "flood_on_by_alarm": 0,
        "rotations": 1,
    },
}


def test_the_report_of_a_small_night_gives_its_exact_figures(played):
    services, calls = played
    report = night_report(services, Window(START, END))

    assert report.figures == FIGURES
    assert report.block_authors == {"ann": 1, "dana": 1}
    # The times behind the waits, as the phone network and the store saw them.
    assert calls["1002"].connected_at > services.store.calls.get(calls["1002"].sid).answered_at
    assert services.store.calls.get(calls["1002"].sid).answered_at == START + 660
    assert services.store.results.latest("1001").at - START == pytest.approx(290.8)
    flagged = services.store.calls.get(calls["flagged"].sid)
    assert flagged.ended_at - flagged.answered_at == 40.0


def test_the_report_lists_the_blocks_by_person_the_alarm_the_switches_and_the_rotation(played):
    services, _ = played
    text = render_text(night_report(services, Window(START, END)))

    assert text.splitlines()[-6:] == [
        "Blocks by people: ann 1, dana 1",
        "Alarms, flood mode and number rotations:",
        "  2020-02-05 00:14:08 UTC  PIN alarm: 3 failed PINs across the hotline in the last "
        "10 minutes (alarm at 3)",
        "  2020-02-05 00:41:00 UTC  flood mode on by dana: the number leaked",
        "  2020-02-05 00:42:40 UTC  flood mode off by dana",
        "  2020-02-05 00:42:40 UTC  number rotated by dana (+15155550001): leaked",
    ]
    assert text.splitlines()[:5] == [
        "The night's report: 2020-02-05 00:01:00 UTC to 2020-02-05 01:01:00 UTC",
        "",
        "                                     on record",
        "----------------------------------------------",
        "Chairs who called                            3",
    ]


def test_the_charts_count_the_calls_by_minute_and_the_chairs_waiting(played):
    services, _ = played
    report = night_report(services, Window(START, END))

    def minutes(group: str) -> list[int]:
        return [int(m) for m, n in report.calls_per_minute[group] for _ in range(n)]

    assert list(report.calls_per_minute) == [
        "fast track",
        "challenged",
        "diverted",
        "blocked",
        "rejected",
    ]
    assert all(len(line) == 60 for line in report.calls_per_minute.values())
    assert minutes("challenged") == [1, 2, 10, 12, 15, 16, 17, 18, 19, 20, 27]
    assert minutes("diverted") == [21, 22]
    assert minutes("blocked") == [23]
    assert minutes("rejected") == [24, 25]
    assert minutes("fast track") == [30]
    waiting = dict(report.chairs_waiting)
    assert len(waiting) == 60
    assert [waiting[m] for m in (0.0, 1.0, 2.0, 5.0, 10.0, 11.0, 29.0, 30.0, 59.0)] == [
        0,
        1,
        2,
        1,
        1,
        0,
        0,
        1,
        1,
    ]


def test_the_html_page_stands_alone_with_the_figures_and_two_charts(played):
    services, _ = played
    html = render_html(night_report(services, Window(START, END)))

    root = ET.fromstring(html)
    svgs = list(root.iter(f"{{{SVG_NS}}}svg"))
    assert len(svgs) == 2
    for tag in ("script", "link", "img", "iframe"):
        assert root.find(f".//{tag}") is None
    assert "src=" not in html and "href" not in html and "url(" not in html
    (figures,) = [t for t in root.iter("table") if t.get("class") == "figures"]
    rows = {tr[0].text: tr[1].text for tr in figures.iter("tr") if len(tr) == 2 and tr[0].text}
    assert rows["Chairs who called"] == "3"
    assert rows["wait, longest"] == "30m00s"
    assert rows["volunteer time on them"] == "40s"
    assert [li.text for li in root.iter("li")][0] == (
        "2020-02-05 00:14:08 UTC: PIN alarm: 3 failed PINs across the hotline in the last "
        "10 minutes (alarm at 3)"
    )


def test_the_counts_hold_together_and_never_grow_as_the_window_narrows(played):
    services, _ = played
    calls = services.store.calls.between(0, END + 3600)
    entries = audit.between(services.store.redis, 0, END + 3600)
    policy = services.settings.policy
    whole = night_figures(calls, entries, Window(START - 120, END + 200), policy).figures

    @settings(max_examples=150, deadline=None)
    @given(st.floats(-120, 3800), st.floats(-120, 3800))
    def check(a: float, b: float) -> None:
        if a == b:
            return
        window = Window(START + min(a, b), START + max(a, b))
        figures = night_figures(calls, entries, window, policy).figures
        assert sum(figures["calls_by_verdict"].values()) == figures["calls"]["count"]
        assert sum(figures["nuisance_by_verdict"].values()) == figures["nuisance"]["calls"]
        assert (
            figures["calls"]["chairs"] + figures["nuisance"]["calls"] == (figures["calls"]["count"])
        )
        chairs = figures["chairs"]
        assert (
            chairs["answered"] + chairs["reported_alone"] + chairs["not_served"]
            == (chairs["count"])
        )
        for verdict, count in figures["calls_by_verdict"].items():
            assert count <= whole["calls_by_verdict"][verdict]
        for section, key in GROWING:
            assert figures[section][key] <= whole[section][key], (section, key)

    check()


# The command


@pytest.fixture
def hotline(monkeypatch, redis_url):
    """Run `hotline ARGS...` with the environment pointed at the test Redis."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), prog_name="hotline", catch_exceptions=False)

    return run


def test_the_command_prints_the_report_and_writes_the_page(played, hotline, tmp_path):
    services, _ = played
    page = tmp_path / "reports" / "night.html"

    result = hotline(
        "report", "--from", "2020-02-05T00:01:00Z", "--to", "2020-02-05 01:01", "--html", str(page)
    )

    assert result.exit_code == 0, result.output
    report = night_report(services, Window(START, END))
    assert result.output == (
        f"{render_text(report)}\n\nThe report as a page, with charts: {page}\n"
    )
    assert page.read_text(encoding="utf-8") == render_html(report)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "yesterday"],
            "Invalid value for --from: not a time: 'yesterday' (write "
            "an ISO time in UTC such as 2020-02-03T23:00, or a duration back from now such as 6h)",
        ),
        (["--to", "2020-02-31T00:00"], "Invalid value for --to: not a time: '2020-02-31T00:00'"),
        (["--from", "1h", "--to", "2h"], "the report would cover no time: it starts at "),
        (
            ["--from", "2020-02-05T01:00", "--to", "2020-02-05T00:00"],
            "the report would cover "
            "no time: it starts at 2020-02-05 01:00:00 UTC and ends at 2020-02-05 00:00:00 UTC "
            "(--from must be before --to, and before now)",
        ),
    ],
)
def test_the_command_rejects_a_time_it_cannot_read(hotline, args, message):
    result = hotline("report", *args)

    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
