"""Reporting regimes as data and the deadlines they give (finres.core.incidents), and the drill
frequency rule (finres.core.drills): the shipped DORA example pinned to its source, validation,
and properties of the deadline computation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core import drills
from finres.core import incidents as core

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def dora() -> core.Regime:
    return core.shipped_regimes()["eu-dora"]


def regime(stages: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "test",
        "name": {"zh": "測試", "en": "Test"},
        "regulator": "R",
        "source": "Rule 1",
        "stages": stages,
    }
    data.update(fields)
    return data


def stage(sid: str, *limits: dict[str, Any], source: str = "Rule 1(a)") -> dict[str, Any]:
    return {"id": sid, "name": {"zh": sid, "en": sid}, "within": list(limits), "source": source}


# --- the shipped DORA example -------------------------------------------------------------------


def test_the_dora_example_is_pinned_to_the_rts(dora: core.Regime) -> None:
    assert dora.example_only
    assert "2025/301" in dora.source and "Article 5" in dora.source
    assert [s.id for s in dora.stages] == ["initial", "intermediate", "final"]
    initial, intermediate, final = dora.stages
    assert {(lim.amount, lim.unit.value, lim.after.value) for lim in initial.within} == {
        (4, "hours", "classified"),
        (24, "hours", "detected"),
    }
    assert [(lim.amount, lim.unit.value, lim.stage) for lim in intermediate.within] == [
        (72, "hours", "initial")
    ]
    assert [(lim.amount, lim.unit.value, lim.stage) for lim in final.within] == [
        (1, "months", "intermediate")
    ]
    for item, article in zip(dora.stages, ("5(1)(a)", "5(1)(b)", "5(1)(c)"), strict=True):
        assert f"Art. {article}" in item.source


def test_dora_initial_is_4h_after_classification_capped_at_24h_after_awareness(
    dora: core.Regime,
) -> None:
    early = core.deadlines(dora, core.Facts(T0, classified=T0 + dt.timedelta(hours=2)), T0)
    assert early[0].due == T0 + dt.timedelta(hours=6)
    late = core.deadlines(dora, core.Facts(T0, classified=T0 + dt.timedelta(hours=22)), T0)
    assert late[0].due == T0 + dt.timedelta(hours=24)  # the 24-hour cap
    unclassified = core.deadlines(dora, core.Facts(T0), T0)
    assert unclassified[0].due == T0 + dt.timedelta(hours=24)
    assert unclassified[0].waiting_for == ("classified",)


def test_dora_chain_of_reports(dora: core.Regime) -> None:
    initial = T0 + dt.timedelta(hours=3)
    intermediate = initial + dt.timedelta(hours=80)
    facts = core.Facts(
        T0,
        classified=T0 + dt.timedelta(hours=1),
        submitted={"initial": initial, "intermediate": intermediate},
    )
    rows = core.deadlines(dora, facts, intermediate + dt.timedelta(days=40))
    assert [r.status for r in rows] == ["on_time", "late", "overdue"]
    assert rows[1].due == initial + dt.timedelta(hours=72)
    assert rows[2].due == core.add_months(intermediate, 1)
    assert core.overdue(rows) and core.next_due(rows) is rows[2]


# --- validation ---------------------------------------------------------------------------------


def test_a_regime_without_a_source_is_refused() -> None:
    hours = {"amount": 1, "unit": "hours", "after": "detected"}
    with pytest.raises(core.RegimeError) as caught:
        core.regime_from_data(regime([stage("a", hours)], source=""))
    assert any(p.startswith("source") for p in caught.value.problems)
    with pytest.raises(core.RegimeError) as caught:
        core.regime_from_data(regime([stage("a", hours, source="")]))
    assert any("stages.0.source" in p for p in caught.value.problems)


def test_a_stage_counts_only_from_an_earlier_stage() -> None:
    after_b = {"amount": 1, "unit": "days", "after": "stage", "stage": "b"}
    hours = {"amount": 1, "unit": "hours", "after": "detected"}
    with pytest.raises(core.RegimeError, match="not an earlier stage"):
        core.regime_from_data(regime([stage("a", after_b), stage("b", hours)]))
    with pytest.raises(core.RegimeError, match="needs 'stage'"):
        core.regime_from_data(regime([stage("a", {"amount": 1, "unit": "days", "after": "stage"})]))
    with pytest.raises(core.RegimeError, match="twice"):
        core.regime_from_data(regime([stage("a", hours), stage("a", hours)]))
    with pytest.raises(core.RegimeError):
        core.regime_from_data(regime([stage("a", {"amount": 0, "unit": "hours", "after": "x"})]))


def test_a_bad_file_is_refused_whole(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(core.RegimeError, match="YAML"):
        core.shipped_regimes(tmp_path)


def test_months_end_on_the_last_day_of_a_short_month() -> None:
    moment = dt.datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert core.add_months(moment, 1) == dt.datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert core.add_months(moment, 13) == dt.datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert core.add_months(dt.datetime(2028, 1, 31, tzinfo=UTC), 1).day == 29


def test_countdown_text_in_both_languages() -> None:
    left = dt.timedelta(hours=3, minutes=20)
    assert core.countdown_text(left, "en") == "3 h 20 min left"
    assert core.countdown_text(-dt.timedelta(days=1, hours=2), "en") == "overdue by 1 d 2 h 0 min"
    assert core.countdown_text(left, "zh") == "尚餘 3 小時 20 分"
    assert core.countdown_text(None, "zh") == ""


# --- properties ---------------------------------------------------------------------------------

limits = st.builds(
    dict,
    amount=st.integers(1, 2000),
    unit=st.sampled_from(["hours", "days", "months"]),
    after=st.sampled_from(["detected", "classified", "recovered"]),
)
offsets = st.integers(0, 60 * 24 * 90).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(
    within=st.lists(limits, min_size=1, max_size=4),
    classified=st.none() | offsets,
    recovered=st.none() | offsets,
    now=offsets,
    submitted=st.none() | offsets,
)
def test_deadline_properties(
    within: list[dict[str, Any]],
    classified: dt.timedelta | None,
    recovered: dt.timedelta | None,
    now: dt.timedelta,
    submitted: dt.timedelta | None,
) -> None:
    the_regime = core.regime_from_data(regime([stage("s", *within)]))
    facts = core.Facts(
        T0,
        classified=T0 + classified if classified is not None else None,
        recovered=T0 + recovered if recovered is not None else None,
        submitted={"s": T0 + submitted} if submitted is not None else {},
    )
    (row,) = core.deadlines(the_regime, facts, T0 + now)
    # the due time is the earliest of the limits whose anchor happened, and never before it
    anchors = {
        "detected": facts.detected,
        "classified": facts.classified,
        "recovered": facts.recovered,
    }
    candidates = [
        core.after(anchors[limit.after.value], limit)
        for limit in the_regime.stages[0].within
        if anchors[limit.after.value] is not None
    ]
    assert row.due == (min(candidates) if candidates else None)
    if row.due is not None:
        assert row.due > T0
    # status is a function of due, submission and now
    if submitted is not None:
        assert row.status in ("on_time", "late") and row.remaining is None
        assert (row.status == "late") == (row.due is not None and T0 + submitted > row.due)
    elif row.due is None:
        assert row.status == "waiting"
    else:
        assert row.status == ("overdue" if T0 + now > row.due else "open")
        assert row.remaining == row.due - (T0 + now)


@settings(max_examples=100, deadline=None)
@given(earlier=offsets, extra=offsets)
def test_a_later_anchor_never_moves_a_deadline_later(
    earlier: dt.timedelta, extra: dt.timedelta
) -> None:
    """Learning of a classification can only bring the initial report forward (min of limits)."""
    dora = core.shipped_regimes()["eu-dora"]
    before = core.deadlines(dora, core.Facts(T0), T0)[0].due
    after = core.deadlines(dora, core.Facts(T0, classified=T0 + earlier + extra), T0)[0].due
    assert before is not None and after is not None and after <= before


# --- drill frequency ----------------------------------------------------------------------------


def test_cc_20000_frequency_is_data_with_its_source() -> None:
    found = drills.load_frequency()
    rule = found.rule_for("securities", 2, dt.date(2026, 1, 1))
    assert rule is not None and rule.requirement == "CC-20000" and rule.tiers == [1, 2, 3]
    assert rule.scope == "core_systems" and rule.effective == dt.date(2022, 1, 1)
    assert "定期辦理業務持續運作演練" in rule.quote and "111年" in found.source
    assert rule.interval_from_source is False  # the slides state no interval
    assert found.rule_for("securities", 4, dt.date(2026, 1, 1)) is None
    assert found.rule_for("bank", 1, dt.date(2026, 1, 1)) is None
    assert found.rule_for("securities", 1, dt.date(2021, 12, 31)) is None


@settings(max_examples=100, deadline=None)
@given(
    last=st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    interval=st.integers(1, 36),
    today=st.dates(dt.date(2020, 1, 1), dt.date(2032, 1, 1)),
)
def test_due_state_properties(last: dt.date, interval: int, today: dt.date) -> None:
    due = drills.due_state(last, interval, today)
    assert due.due is not None and due.due > last
    assert (due.state == "overdue") == (due.due < today)
    assert drills.due_state(None, interval, today).state == "never"
