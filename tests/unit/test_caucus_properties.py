"""Properties of the 2020 caucus math that must hold for any precinct (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.caucus.election import PrecinctRules
from hotline.caucus.iowa2020 import allocate, viability_threshold
from hotline.caucus.report import CoinToss, PrecinctReport

KEYS = ("bennet", "biden", "buttigieg", "klobuchar", "sanders", "warren", "yang", "uncommitted")


@st.composite
def precincts(draw):
    delegates = draw(st.integers(min_value=1, max_value=14))
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=len(KEYS), unique=True))
    final = {key: draw(st.integers(min_value=1, max_value=120)) for key in keys}
    attendance = sum(final.values()) + draw(st.integers(min_value=0, max_value=60))
    rules = PrecinctRules("9001", "Test", "Test 1", delegates, 0.05)
    report = PrecinctReport("9001", attendance, dict(final), final)
    # Every tie the math meets is settled by a coin toss with a drawn winner.
    for _ in range(40):
        open_ties = allocate(report, rules).unsettled
        if not open_ties:
            break
        between = open_ties[0].between
        toss = CoinToss(between, draw(st.sampled_from(between)))
        report = PrecinctReport(
            "9001", attendance, report.first, report.final, report.coin_tosses + (toss,)
        )
    return report, rules


@settings(max_examples=400, deadline=None)
@given(precincts())
def test_delegates_add_up_to_the_precincts(case):
    report, rules = case
    allocation = allocate(report, rules)
    if allocation.viable and not allocation.unsettled and len(allocation.viable) <= rules.delegates:
        assert sum(allocation.delegates.values()) == rules.delegates


@settings(max_examples=400, deadline=None)
@given(precincts())
def test_a_larger_viable_group_never_gets_fewer_delegates(case):
    report, rules = case
    allocation = allocate(report, rules)
    if allocation.unsettled:
        return
    for a in allocation.viable:
        for b in allocation.viable:
            if report.final[a] > report.final[b]:
                assert allocation.delegates[a] >= allocation.delegates[b], (a, b)


@settings(max_examples=400, deadline=None)
@given(precincts())
def test_viable_groups_get_at_least_one_and_others_none(case):
    report, rules = case
    allocation = allocate(report, rules)
    threshold = viability_threshold(report.attendance, rules.delegates)
    if threshold is not None:
        assert set(allocation.viable) == {k for k, n in report.final.items() if n >= threshold}
    if not allocation.unsettled:
        for key in allocation.viable:
            assert allocation.delegates[key] >= 1
    for key in report.final:
        if key not in allocation.viable:
            assert allocation.delegates.get(key, 0) == 0


@settings(max_examples=300, deadline=None)
@given(precincts(), st.randoms(use_true_random=False))
def test_the_order_of_the_mappings_does_not_matter(case, random):
    report, rules = case
    items = list(report.final.items())
    random.shuffle(items)
    tosses = list(report.coin_tosses)
    shuffled = PrecinctReport(
        report.precinct, report.attendance, dict(reversed(items)), dict(items), tuple(tosses)
    )
    a, b = allocate(report, rules), allocate(shuffled, rules)
    assert (a.threshold, a.viable, dict(a.delegates), dict(a.sdes), a.ties) == (
        b.threshold,
        b.viable,
        dict(b.delegates),
        dict(b.sdes),
        b.ties,
    )


@settings(max_examples=200, deadline=None)
@given(precincts())
def test_sdes_are_delegates_times_the_ratio(case):
    report, rules = case
    allocation = allocate(report, rules)
    assert set(allocation.sdes) == set(allocation.delegates)
    for key, delegates in allocation.delegates.items():
        assert allocation.sdes[key] == delegates * rules.sde_ratio
