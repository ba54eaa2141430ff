"""The demo assessments: two years of the securities firm, one of the bank, proposals waiting."""

from __future__ import annotations

import pytest
from django.db.models import Avg, Count, Q

from finres.web.assessments import demo
from finres.web.assessments.models import Assessment, ProposalState, RequirementResult, Result
from finres.web.orgs import demo as orgs_demo
from finres.web.setup import DemoContext

pytestmark = pytest.mark.django_db


def load() -> DemoContext:
    context = DemoContext()
    orgs_demo.load(context)
    demo.load(context)
    return context


def test_the_demo_assessments() -> None:
    context = load()
    securities, bank = context.organisations["securities"], context.organisations["bank"]
    found = {
        (a.framework.code, a.period_start.year): a
        for a in Assessment.objects.filter(organisation=securities).select_related("framework")
    }
    assert set(found) == {
        (demo.TWSE, 2025),
        (demo.BLUEPRINT, 2025),
        (demo.ISO, 2025),
        (demo.TWSE, 2026),
        (demo.BLUEPRINT, 2026),
        (demo.ISO, 2026),
        (demo.CSF, 2026),
    }
    for (_code, year), assessment in found.items():
        expected = Assessment.Status.COMPLETED if year == 2025 else Assessment.Status.IN_PROGRESS
        assert assessment.status == expected
    for code in (demo.TWSE, demo.BLUEPRINT, demo.ISO):
        before, after = (
            RequirementResult.objects.filter(assessment=found[(code, year)]).aggregate(
                level=Avg("maturity_level"),
                compliant=Count("pk", filter=Q(result=Result.COMPLIANT)),
            )
            for year in (2025, 2026)
        )
        assert after["level"] > before["level"], code  # the trend grows
        assert after["compliant"] > before["compliant"], code
        outcomes = set(found[(code, 2026)].results.values_list("result", flat=True))
        assert {Result.COMPLIANT, Result.PARTIAL, Result.NON_COMPLIANT} <= outcomes
    owner = context.users["demo-owner"]
    assert found[(demo.TWSE, 2026)].results.filter(owner=owner).exists()
    for code in (demo.ISO, demo.CSF):
        assert found[(code, 2026)].results.filter(proposal_state=ProposalState.PENDING).exists()
    # Not applicable results always carry a reason.
    assert not RequirementResult.objects.filter(
        result=Result.NOT_APPLICABLE, not_applicable_reason=""
    ).exists()
    assert Assessment.objects.filter(
        organisation=bank, framework__code=demo.BLUEPRINT, period_start__year=2026
    ).exists()


def test_the_demo_is_deterministic_and_loads_once() -> None:
    load()
    # Seeded: the same results on every machine and every load.
    twse_2025 = dict(
        RequirementResult.objects.filter(
            assessment__framework__code=demo.TWSE, assessment__period_start__year=2025
        )
        .values_list("result")
        .annotate(n=Count("pk"))
    )
    assert twse_2025 == {"compliant": 13, "partially_compliant": 8, "non_compliant": 7}
    first = list(
        RequirementResult.objects.order_by("assessment__framework__code", "requirement__code")
        .filter(assessment__period_start__year=2025)
        .values_list("requirement__code", "result", "maturity_level")
    )
    count = Assessment.objects.count()
    load()
    assert Assessment.objects.count() == count
    again = list(
        RequirementResult.objects.order_by("assessment__framework__code", "requirement__code")
        .filter(assessment__period_start__year=2025)
        .values_list("requirement__code", "result", "maturity_level")
    )
    assert again == first
