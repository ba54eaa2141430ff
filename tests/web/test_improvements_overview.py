"""Overdue and expiry logic on fixed dates, the dashboard overview, and the demo."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finres.core import plans
from finres.web.assessments.models import Assessment, RequirementResult, Result
from finres.web.frameworks.models import Framework
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.improvements.queries import overview
from finres.web.orgs.roles import Role
from finres.web.setup import DemoContext

from .test_improvements import make_exception, make_finding, make_milestone, requirement

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def on(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def test_overdue_queries_agree_with_the_rules(org) -> None:
    """Every combination of status, due date and milestone state: the database query and the
    pure rule give the same answer."""
    cases = []
    for n, (status, due, milestone) in enumerate(
        itertools.product(
            ["open", "in_progress", "closed"],
            [None, on(-1), on(0), on(1)],
            [None, (False, on(-1)), (True, on(-1)), (False, on(0)), (False, on(5))],
        )
    ):
        finding = make_finding(org, title=f"case {n}", status=status, due_date=due)
        if milestone is not None:
            make_milestone(finding, done=milestone[0], due_date=milestone[1])
        expected = plans.finding_overdue(status, due, [milestone] if milestone else [], DAY)
        cases.append((finding.pk, expected))
    overdue_ids = set(Finding.objects.overdue(DAY).values_list("pk", flat=True))
    annotated = dict(Finding.objects.with_progress(DAY).values_list("pk", "is_overdue"))
    assert {pk for pk, expected in cases if expected} == overdue_ids
    assert {pk: expected for pk, expected in cases} == annotated
    assert 0 < len(overdue_ids) < len(cases)
    for finding in Finding.objects.prefetch_related("milestones"):
        assert finding.overdue(DAY) == (finding.pk in overdue_ids)


def test_overview_on_a_fixed_day(org, other_org, make_user) -> None:
    approver = make_user(Role.CISO, org)
    decided = {"status": "approved", "approver": approver, "approved_at": timezone.now()}
    late = make_finding(org, title="Late", due_date=on(-3))
    slipping = make_finding(org, title="Slipping", due_date=on(40))
    step = make_milestone(slipping, title="Late step", due_date=on(-1))
    make_milestone(slipping, title="Done step", due_date=on(-9), done=True)
    make_milestone(slipping, title="Future step", due_date=on(3))
    make_finding(org, title="Closed", status="closed", due_date=on(-30))
    make_finding(org, title="On track", due_date=on(10))
    expired = make_exception(org, title="Expired", expiry_date=on(-1), **decided)
    soon = make_exception(org, title="Soon", expiry_date=on(30), **decided)
    proposal_soon = make_exception(org, title="Proposal soon", expiry_date=on(0))
    make_exception(org, title="Later", expiry_date=on(31), **decided)
    make_exception(
        org, title="Closed", status="closed", closed_at=timezone.now(), expiry_date=on(-5)
    )
    make_finding(other_org, title="Foreign late", due_date=on(-3))
    make_exception(other_org, title="Foreign expired", expiry_date=on(-3))

    result = overview(org, DAY)
    assert [f.title for f in result.overdue_findings] == [late.title, slipping.title]
    assert result.overdue_findings_count == 2
    assert result.overdue_milestones == [step] and result.overdue_milestones_count == 1
    assert result.expired_exceptions == [expired] and result.expired_exceptions_count == 1
    assert result.expiring_exceptions == [proposal_soon, soon]
    assert result.expiring_exceptions_count == 2
    assert result.total == 6
    # a day later the "soon" one is still soon, and the proposal due today has expired
    tomorrow = overview(org, on(1))
    assert {e.title for e in tomorrow.expired_exceptions} == {"Expired", "Proposal soon"}


def test_overview_makes_a_fixed_number_of_queries(org) -> None:
    def count(limit: int = 10) -> int:
        with CaptureQueriesContext(connection) as queries:
            found = overview(org, DAY, limit=limit)
            for finding in found.overdue_findings:
                str(finding.owner), str(finding.requirement.framework)
            for milestone in found.overdue_milestones:
                str(milestone.finding), str(milestone.owner)
            for exception in found.expiring_exceptions + found.expired_exceptions:
                str(exception.requirement.framework), str(exception.approver)
        return len(queries)

    make_milestone(make_finding(org, due_date=on(-1)), due_date=on(-2))
    make_exception(org, expiry_date=on(3))
    few = count()
    for n in range(25):
        make_milestone(make_finding(org, title=f"L{n}", due_date=on(-1)), due_date=on(-2))
        make_exception(org, title=f"X{n}", expiry_date=on(-n))
    assert count() == few <= 8
    assert len(overview(org, DAY, limit=5).overdue_findings) == 5
    assert overview(org, DAY, limit=5).overdue_findings_count == 26


# --- demo ---------------------------------------------------------------------------------------


def demo_context() -> DemoContext:
    from finres.web.orgs import demo as orgs_demo

    context = DemoContext()
    orgs_demo.load(context)
    return context


def test_demo_without_assessments_is_standalone_and_idempotent() -> None:
    from finres.web.improvements import demo

    context = demo_context()
    securities = context.organisations["securities"]
    demo.load(context)
    demo.load(context)
    findings = Finding.objects.filter(organisation=securities)
    assert findings.count() == 3 and not findings.filter(result__isnull=False).exists()
    assert all(f.requirement is not None for f in findings)
    today = timezone.localdate()
    summary = overview(securities, today)
    assert summary.overdue_milestones_count == 1
    assert summary.expiring_exceptions_count == 1
    exceptions = RiskException.objects.filter(organisation=securities)
    assert sorted(exceptions.values_list("status", flat=True)) == [
        "approved",
        "approved",
        "proposed",
    ]
    proposal = exceptions.get(status="proposed")
    assert proposal.proposed_by == context.users["demo-ciso"] and proposal.finding is not None
    for exception in exceptions.filter(status="approved"):
        assert exception.approver != exception.proposed_by
    assert Milestone.objects.filter(organisation=securities).count() >= 6


def test_demo_uses_the_non_compliant_results_of_2026() -> None:
    from finres.web.improvements import demo

    context = demo_context()
    securities = context.organisations["securities"]
    assessment = Assessment.objects.create(
        organisation=securities,
        framework=Framework.objects.get(code=demo.TWSE),
        name="TWSE 2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    result = RequirementResult.objects.create(
        organisation=securities,
        assessment=assessment,
        requirement=requirement("cc-17010-health-check"),
        result=Result.NON_COMPLIANT,
    )
    RequirementResult.objects.create(
        organisation=securities,
        assessment=assessment,
        requirement=requirement("cc-17010-antivirus"),
        result=Result.COMPLIANT,
    )
    demo.load(context)
    linked = Finding.objects.get(organisation=securities, result__isnull=False)
    assert linked.result == result and linked.requirement == result.requirement
    assert linked.title.startswith("CC-17010")
    assert Finding.objects.filter(organisation=securities).count() == 3
    assert overview(securities, timezone.localdate()).overdue_milestones_count == 1
