from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finres.core import plans
from finres.core.plans import DateProblem, ExceptionFlag, TransitionProblem

TODAY = dt.date(2026, 6, 15)
days = st.integers(min_value=-800, max_value=800).map(lambda n: TODAY + dt.timedelta(days=n))
statuses = st.sampled_from([s.value for s in plans.FindingStatus])
exception_statuses = st.sampled_from([s.value for s in plans.ExceptionStatus])


@pytest.mark.parametrize(
    ("current", "target", "open_milestones", "note", "problem"),
    [
        ("open", "in_progress", 0, "", None),
        ("in_progress", "closed", 0, "", None),
        ("open", "closed", 0, "", None),
        ("in_progress", "closed", 2, "", TransitionProblem.MILESTONES_OPEN),
        ("in_progress", "closed", 2, "   ", TransitionProblem.MILESTONES_OPEN),
        ("in_progress", "closed", 2, "accepted by the board instead", None),
        ("closed", "open", 0, "", None),
        ("closed", "in_progress", 0, "", TransitionProblem.NOT_ALLOWED),
        ("open", "open", 0, "", TransitionProblem.UNCHANGED),
    ],
)
def test_transitions(current, target, open_milestones, note, problem) -> None:
    assert plans.transition_problem(current, target, open_milestones, note) == problem


def test_finding_due_dates() -> None:
    assert plans.finding_due_problem(None, TODAY) is None
    assert plans.finding_due_problem(TODAY, TODAY) is None
    assert plans.finding_due_problem(TODAY - dt.timedelta(days=1), TODAY) == DateProblem.IN_PAST
    # an unchanged past date does not block editing an overdue finding
    past = TODAY - dt.timedelta(days=30)
    assert plans.finding_due_problem(past, TODAY, previous=past) is None
    assert plans.finding_due_problem(dt.date(2206, 1, 1), TODAY) == DateProblem.TOO_FAR
    later = TODAY + dt.timedelta(days=40)
    assert (
        plans.finding_due_problem(TODAY + dt.timedelta(days=10), TODAY, open_milestone_dues=[later])
        == DateProblem.BEFORE_OPEN_MILESTONES
    )


def test_milestone_due_dates() -> None:
    finding_due = TODAY + dt.timedelta(days=30)
    assert plans.milestone_due_problem(finding_due, TODAY, finding_due) is None
    assert (
        plans.milestone_due_problem(finding_due + dt.timedelta(days=1), TODAY, finding_due)
        == DateProblem.AFTER_FINDING_DUE
    )
    assert plans.milestone_due_problem(TODAY - dt.timedelta(days=1), TODAY, None) == (
        DateProblem.IN_PAST
    )
    past = TODAY - dt.timedelta(days=3)
    assert plans.milestone_due_problem(past, TODAY, finding_due, previous=past) is None


def test_exception_expiry_window() -> None:
    assert plans.expiry_problem(TODAY, TODAY) == DateProblem.NOT_IN_FUTURE
    assert plans.expiry_problem(TODAY + dt.timedelta(days=1), TODAY) is None
    assert plans.expiry_problem(TODAY + dt.timedelta(days=365), TODAY) is None
    assert plans.expiry_problem(TODAY + dt.timedelta(days=366), TODAY) == DateProblem.TOO_FAR
    assert plans.expiry_problem(TODAY + dt.timedelta(days=90), TODAY, max_days=60) == (
        DateProblem.TOO_FAR
    )


def test_exception_flags_on_fixed_dates() -> None:
    assert plans.exception_flag("approved", TODAY - dt.timedelta(days=1), TODAY) == (
        ExceptionFlag.EXPIRED
    )
    assert plans.exception_flag("approved", TODAY, TODAY) == ExceptionFlag.EXPIRING_SOON
    assert plans.exception_flag("approved", TODAY + dt.timedelta(days=30), TODAY) == (
        ExceptionFlag.EXPIRING_SOON
    )
    assert plans.exception_flag("approved", TODAY + dt.timedelta(days=31), TODAY) is None
    assert plans.exception_flag("closed", TODAY - dt.timedelta(days=1), TODAY) is None
    assert plans.exception_flag("rejected", TODAY, TODAY) is None


def test_overdue_on_fixed_dates() -> None:
    yesterday, tomorrow = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
    assert plans.finding_overdue("open", yesterday, [], TODAY)
    assert not plans.finding_overdue("open", TODAY, [], TODAY)  # due today is not late yet
    assert not plans.finding_overdue("closed", yesterday, [(False, yesterday)], TODAY)
    assert plans.finding_overdue("in_progress", tomorrow, [(False, yesterday)], TODAY)
    assert not plans.finding_overdue("in_progress", tomorrow, [(True, yesterday)], TODAY)
    assert not plans.finding_overdue("open", None, [], TODAY)
    assert plans.milestone_overdue(False, yesterday, "open", TODAY)
    assert not plans.milestone_overdue(False, yesterday, "closed", TODAY)


@given(status=statuses, due=st.none() | days, milestones=st.lists(st.tuples(st.booleans(), days)))
def test_a_finding_is_overdue_exactly_when_it_or_a_milestone_is_late(
    status, due, milestones
) -> None:
    overdue = plans.finding_overdue(status, due, milestones, TODAY)
    late_milestone = any(plans.milestone_overdue(d, m, status, TODAY) for d, m in milestones)
    expected = status != "closed" and ((due is not None and due < TODAY) or late_milestone)
    assert overdue == expected


@given(status=exception_statuses, expiry=days, warning=st.integers(min_value=0, max_value=90))
def test_exception_flag_partitions_the_timeline(status, expiry, warning) -> None:
    flag = plans.exception_flag(status, expiry, TODAY, warning)
    if status in ("rejected", "closed"):
        assert flag is None
    elif expiry < TODAY:
        assert flag == ExceptionFlag.EXPIRED
    elif expiry <= TODAY + dt.timedelta(days=warning):
        assert flag == ExceptionFlag.EXPIRING_SOON
    else:
        assert flag is None


@given(expiry=days, max_days=st.integers(min_value=1, max_value=730))
def test_an_accepted_expiry_is_always_ahead_and_within_the_maximum(expiry, max_days) -> None:
    if plans.expiry_problem(expiry, TODAY, max_days) is None:
        assert TODAY < expiry <= TODAY + dt.timedelta(days=max_days)


@given(current=statuses, target=statuses, open_milestones=st.integers(0, 5), note=st.text())
def test_closing_never_leaves_milestones_unexplained(current, target, open_milestones, note):
    problem = plans.transition_problem(current, target, open_milestones, note)
    if problem is None and target == "closed":
        assert open_milestones == 0 or note.strip()
    if problem is None:
        assert target in plans.FINDING_TRANSITIONS[plans.FindingStatus(current)]
