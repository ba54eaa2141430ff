"""The dashboard's figures are kept in the cache under the organisation's audit trail position:
after every kind of change through the application they equal a fresh computation, and without
a change they are not computed again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from finres.web.assessments.models import Assessment, Result
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.orgs.models import Organisation
from finres.web.reports import metrics

from .test_aggregates import CSF, ISO, make_assessment

pytestmark = pytest.mark.django_db


def fresh(organisation: Organisation, year: int | None = None) -> metrics.OrganisationMetrics:
    found = metrics.collect([organisation], year)[organisation.pk]
    return dataclasses.replace(found, organisation=organisation)


def test_cached_metrics_follow_every_change(
    org: Organisation, other_org: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_assessment(org, ISO, 2025, 12)

    def set_result(value: str, level: int | None) -> None:
        row = first.results.order_by("pk").first()
        assert row is not None
        row.result, row.maturity_level = value, level
        row.save()

    def complete() -> None:
        first.status = Assessment.Status.COMPLETED
        first.save()

    def capital() -> None:
        org.paid_in_capital = 90_000_000_000  # another tier
        org.save()

    steps: list[Any] = [
        lambda: set_result(Result.COMPLIANT, 3),
        lambda: set_result(Result.NON_COMPLIANT, 1),
        lambda: make_assessment(org, CSF, 2025, 10),
        complete,
        capital,
        lambda: Assessment.objects.get(pk=first.pk).delete(),
    ]
    changed = 0
    for step in steps:
        before = metrics.for_organisation(org)
        step()
        after = metrics.for_organisation(org)
        assert after == fresh(org)
        assert metrics.for_organisation(org, 2025) == fresh(org, 2025)
        changed += before != after
    assert changed >= 4

    computed: list[int] = []
    collect = metrics.collect
    monkeypatch.setattr(metrics, "collect", lambda *a, **k: computed.append(1) or collect(*a, **k))
    make_assessment(other_org, ISO, 2025, 5)  # another organisation's change
    assert metrics.for_organisation(org) == fresh(org) and computed == [1]  # only fresh() ran


def test_the_dashboards_late_items_follow_every_change(ciso_client: Any, org: Organisation) -> None:
    """Compliant results whose evidence has expired, and expiring evidence, are kept under the
    trail position and the date: linking, re-dating or unlinking evidence shows at once."""
    assessment = make_assessment(org, ISO, 2025, 3)
    row = assessment.results.order_by("pk").first()
    assert row is not None
    row.result = Result.COMPLIANT
    row.save()

    def late() -> tuple[int, int]:
        context = ciso_client.get("/").context
        return context["unsupported_count"], context["evidence_counts"]["expired"]

    assert late() == (0, 0)
    evidence = Evidence.objects.create(
        organisation=org,
        title="Pen test",
        kind="url",
        url="https://example.org/report",
        expiry_date=dt.date(2020, 1, 1),
    )
    assert late() == (0, 1)
    link = EvidenceLink.objects.create(organisation=org, evidence=evidence, result=row)
    assert late() == (1, 1)
    evidence.expiry_date = dt.date(2099, 1, 1)
    evidence.save()
    assert late() == (0, 0)
    evidence.expiry_date = dt.date(2020, 1, 1)
    evidence.save()
    assert late() == (1, 1)
    link.delete()
    assert late() == (0, 1)


def test_security_events_leave_the_cached_figures_in_place(
    org: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Log-ins, exports and downloads change no data: the figures are not computed again after
    them (downloading the board report every minute would otherwise keep the dashboard cold),
    and the next change of data is seen at once."""
    from finres.web.audit import actions, versioned
    from finres.web.audit.log import record_security_event

    def trail_position(organisation_id: int) -> object:
        """The version of the organisation's data changes (security events left out)."""
        return versioned.Versions(organisation_id).special(versioned.CHANGES)

    first = make_assessment(org, ISO, 2025, 12)
    metrics.for_organisation(org)
    position = trail_position(org.pk)
    computed: list[int] = []
    collect = metrics.collect
    monkeypatch.setattr(metrics, "collect", lambda *a, **k: computed.append(1) or collect(*a, **k))
    for action in (actions.LOGIN, actions.EXPORT, actions.DOWNLOAD):
        record_security_event(action, username="someone", organisation_id=org.pk, target=first)
    assert trail_position(org.pk) == position
    assert metrics.for_organisation(org) == fresh(org) and computed == [1]  # only fresh() ran
    row = first.results.order_by("pk").first()
    assert row is not None
    row.result, row.maturity_level = Result.COMPLIANT, 3
    row.save()
    assert trail_position(org.pk) != position
    assert metrics.for_organisation(org) == fresh(org)


def test_a_draft_board_reports_plans_and_evidence_follow_every_change(org: Organisation) -> None:
    """The draft's findings, plans and evidence figures are kept until the data changes: a new
    finding, its closing and an evidence file's expiry each show at once."""
    from django.utils import timezone

    from finres.web.improvements.models import Finding
    from finres.web.reports import content

    year = timezone.localdate().year

    def figures() -> dict[str, Any]:
        built = content.build(org, year)
        return {key: built[key] for key in built if key not in ("generated",)}

    def fresh_plans() -> dict[str, Any]:
        return {
            **content.improvements_data(org, year, content.as_of_for(year)),
            "evidence": content.evidence_data(org, content.as_of_for(year)),
        }

    start = figures()
    finding = Finding.objects.create(
        organisation=org, title="Late patching", severity=Finding.Severity.HIGH
    )
    opened = figures()
    assert opened != start
    finding.status, finding.closed_at = Finding.Status.CLOSED, timezone.now()
    finding.save()
    closed = figures()
    assert closed != opened
    Evidence.objects.create(
        organisation=org,
        title="Expired pen test",
        kind="link",
        url="https://example.org/report",
        expiry_date=dt.date(2020, 1, 1),
    )
    expired = figures()
    assert expired != closed
    assert {key: expired[key] for key in fresh_plans()} == fresh_plans()


def test_the_dashboards_requirement_statuses_follow_the_profile(
    ciso_client: Any, org: Organisation
) -> None:
    """What applies, is upcoming or overdue is kept per profile, date and language: a changed
    profile shows at once, as the engine computes it."""
    from django.utils import timezone

    def shown() -> tuple[int, int, int]:
        context = ciso_client.get("/").context
        return (
            context["upcoming_count"],
            context["overdue_requirements_count"],
            context["conditional_count"],
        )

    def computed() -> tuple[int, int, int]:
        found = metrics.requirement_statuses(org, timezone.localdate())
        return found.upcoming_count, found.overdue_count, found.conditional_count

    assert shown() == computed()
    before = shown()
    org.uses = []
    org.internet_order = False
    org.facts = {}
    org.save()
    assert shown() == computed() != before


def test_compliant_results_on_expired_evidence_equal_a_count_from_the_rows(
    org: Organisation,
) -> None:
    """Random links to evidence without an expiry date, expired or still valid: the results
    found are exactly the compliant ones with a linked piece and none valid, counted in Python
    from the rows."""
    import random

    from django.utils import timezone

    rng = random.Random(11)
    today = timezone.localdate()
    assessment = make_assessment(org, ISO, 2025, 30)
    rows = list(assessment.results.order_by("pk"))
    for row in rows:
        row.result = rng.choice([Result.COMPLIANT, Result.COMPLIANT, Result.PARTIAL])
        row.save()
    pieces = [
        Evidence.objects.create(
            organisation=org,
            title=f"E{index}",
            kind="url",
            url="https://example.org/e",
            expiry_date=expiry,
        )
        for index, expiry in enumerate(
            rng.choice([None, today - dt.timedelta(days=1), today, today + dt.timedelta(days=9)])
            for _ in range(12)
        )
    ]
    for row in rows:
        for piece in rng.sample(pieces, rng.randint(0, 3)):
            EvidenceLink.objects.create(organisation=org, evidence=piece, result=row)

    def valid(piece: Evidence) -> bool:
        return piece.expiry_date is None or piece.expiry_date >= today

    expected = set()
    for row in rows:
        linked = [link.evidence for link in EvidenceLink.objects.filter(result=row)]
        if row.result == Result.COMPLIANT and linked and not any(map(valid, linked)):
            expected.add(row.pk)
    found = metrics.compliant_on_expired_evidence(org, [assessment.pk], today)
    assert set(found.values_list("pk", flat=True)) == expected
    assert 0 < len(expected) < len(rows)
