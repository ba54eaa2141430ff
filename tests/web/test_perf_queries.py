"""Lists and the dashboard read a fixed number of queries whatever the amount of data (page
first, counts after, no per-row query), and keyset pages walk a whole API list exactly once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finres.web import api
from finres.web.assessments.models import Assessment, RequirementResult, Result
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.frameworks.models import Framework, Requirement
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022-annex-a"
TWSE = "twse-securities-tiered-protection"


def populate(organisation: Organisation, size: int) -> Assessment:
    """``size`` assessments of each framework (results at every level), evidence linked to
    results, findings with milestones and exceptions: all growing with ``size``."""
    first = None
    for code in (ISO, TWSE):
        framework = Framework.objects.get(code=code)
        requirements = list(
            Requirement.objects.filter(framework=framework, assessable=True).order_by("position")[
                :20
            ]
        )
        for index in range(size):
            start = dt.date(2020 + index // 2, 1 + 6 * (index % 2), 1)
            assessment = Assessment.objects.create(
                organisation=organisation,
                framework=framework,
                name=f"{code} {index}",
                period_start=start,
                period_end=start + dt.timedelta(days=180),
            )
            first = first or assessment
            RequirementResult.objects.bulk_create(
                RequirementResult(
                    organisation=organisation,
                    assessment=assessment,
                    requirement=requirement,
                    result=list(Result.values)[n % 5],
                    maturity_level=1 + n % 5,
                )
                for n, requirement in enumerate(requirements)
            )
    today = dt.date.today()
    Evidence.objects.bulk_create(
        Evidence(
            organisation=organisation,
            title=f"Evidence {n}",
            kind=Evidence.Kind.LINK,
            url=f"https://intranet.example/{n}",
            expiry_date=today + dt.timedelta(days=n % 40 - 10),
        )
        for n in range(size * 10)
    )
    evidence = list(Evidence.objects.filter(organisation=organisation).values_list("pk", flat=True))
    results = list(
        RequirementResult.objects.filter(organisation=organisation).values_list("pk", flat=True)
    )
    EvidenceLink.objects.bulk_create(
        EvidenceLink(
            organisation=organisation, evidence_id=evidence[n % len(evidence)], result_id=r
        )
        for n, r in enumerate(results)
    )
    for n in range(size * 3):
        finding = Finding.objects.create(
            organisation=organisation,
            title=f"Finding {n}",
            severity=Finding.Severity.HIGH,
            due_date=today + dt.timedelta(days=n - 5),
        )
        Milestone.objects.create(
            organisation=organisation,
            finding=finding,
            title=f"Milestone {n}",
            due_date=today + dt.timedelta(days=n - 3),
        )
        RiskException.objects.create(
            organisation=organisation,
            title=f"Exception {n}",
            risk="Legacy system.",
            compensating_controls="Isolated network.",
            expiry_date=today + dt.timedelta(days=n + 1),
        )
    assert first is not None
    return first


PAGES: list[tuple[str, Any]] = [
    ("dashboard", lambda a: reverse("reports:dashboard")),
    ("assessment list", lambda a: reverse("assessments:list")),
    ("requirement list", lambda a: reverse("assessments:detail", args=[a.pk])),
    ("evidence list", lambda a: reverse("evidence:list")),
    ("evidence expiring", lambda a: reverse("evidence:expiring")),
    ("findings", lambda a: reverse("improvements:finding_list")),
    ("exceptions", lambda a: reverse("improvements:exception_list")),
    ("API assessments", lambda a: "/api/assessments/"),
    ("API results", lambda a: "/api/assessment-results/"),
    ("API results, deep page", lambda a: "/api/assessment-results/?page=2"),
    ("API results, keyset", lambda a: "/api/assessment-results/?cursor="),
    ("API evidence", lambda a: "/api/evidence/"),
    ("API evidence, keyset", lambda a: "/api/evidence/?cursor="),
    ("API evidence links", lambda a: "/api/evidence-links/"),
    ("API findings", lambda a: "/api/findings/"),
    ("API milestones", lambda a: "/api/milestones/"),
    ("API exceptions", lambda a: "/api/exceptions/"),
    ("API dashboard", lambda a: "/api/dashboard/maturity/"),
]


def counted(client: Client, url: str) -> int:
    client.get(url)  # per-process caches (library, CSF structure) warmed once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def test_lists_and_dashboard_read_a_fixed_number_of_queries(client_for: Any, make_org: Any) -> None:
    small_org = make_org(name="Small")
    large_org = make_org(name="Large")
    small = populate(small_org, 2)
    large = populate(large_org, 8)
    small_client = client_for(Role.CISO, small_org)
    large_client = client_for(Role.CISO, large_org)
    for name, url in PAGES:
        few = counted(small_client, url(small))
        many = counted(large_client, url(large))
        assert few == many, f"{name}: {few} queries with little data, {many} with more"
        # the dashboard also reads each domain's resilience tile (graph, reviews, drills, …)
        assert many <= (40 if name == "dashboard" else 24), f"{name}: {many} queries"


def test_keyset_pages_walk_a_list_once_in_order(
    client_for: Any, make_org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = make_org(name="Mine"), make_org(name="Theirs")
    populate(mine, 3)
    populate(theirs, 1)
    client = client_for(Role.CISO, mine)
    seen: list[int] = []
    url: str | None = "/api/assessment-results/?cursor="
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as captured:
            data = client.get(url).json()
        assert "count" not in data  # keyset pages are not counted
        assert len(captured.captured_queries) <= 12
        seen.extend(row["id"] for row in data["results"])
        url = data["next"]
        pages += 1
    expected = list(
        RequirementResult.objects.filter(organisation=mine)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert pages > 1
    assert seen == expected  # every row of the organisation once, in id order; none of theirs
    # walking back from the end with the previous links finds the same rows
    back = client.get(data["previous"]).json() if data["previous"] else None
    assert back is not None and back["results"][-1]["id"] < seen[-len(data["results"])]


def test_numbered_pages_read_ids_first_and_equal_the_plain_ones(
    client_for: Any, org: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(org, 3)
    client = client_for(Role.CISO, org)
    ids_first = [client.get("/api/assessment-results/", {"page": n}).json() for n in (1, 2, 3)]
    monkeypatch.setattr(api.ListPagination, "django_paginator_class", Paginator)
    plain = [client.get("/api/assessment-results/", {"page": n}).json() for n in (1, 2, 3)]
    assert plain == ids_first
    assert plain[0]["count"] == RequirementResult.objects.filter(organisation=org).count()
    for form in ({"page": 1}, {"cursor": ""}):
        evidence = client.get("/api/evidence/", form).json()
        assert evidence["results"]
        for row in evidence["results"]:
            assert row["link_count"] == EvidenceLink.objects.filter(evidence_id=row["id"]).count()
    one = evidence["results"][0]["id"]
    alone = client.get(f"/api/evidence/{one}/").json()
    assert alone["link_count"] == EvidenceLink.objects.filter(evidence_id=one).count()


@pytest.mark.parametrize("cursor", ["not-base64!", "cD0x", "bz0tMQ==", "x" * 500, "%00"])
def test_a_bad_cursor_is_a_404_not_a_500(ciso_client: Client, cursor: str) -> None:
    response = ciso_client.get("/api/evidence/", {"cursor": cursor})
    assert response.status_code in (200, 404)
    assert response["Content-Type"].startswith("application/json")


def test_the_schema_describes_both_pagination_forms(ciso_client: Client) -> None:
    schema = ciso_client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"]["/api/evidence/"]["get"]["parameters"]}
    assert {"page", "cursor"} <= parameters
    listed = schema["components"]["schemas"]["PaginatedEvidenceList"]
    assert listed["required"] == ["results"]
    assert "count" in listed["properties"] and "next" in listed["properties"]
    evidence = schema["components"]["schemas"]["Evidence"]["properties"]["link_count"]
    assert evidence["type"] == "integer"


def test_list_counts_are_kept_until_the_organisations_data_changes(
    client_for: Any, org: Organisation, other_org: Organisation
) -> None:
    """A numbered page's count is not taken again on every page, and yet follows every change:
    a new row of the organisation (audited) at once, a filter apart, another organisation's
    change not at all; the audit trail's own count follows its security events too."""
    from finres.web.audit import actions
    from finres.web.audit.log import record_security_event

    populate(org, 2)
    client = client_for(Role.CISO, org)

    def count(url: str, **query: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query)
        counts = sum('COUNT(*) AS "__count"' in q["sql"] for q in captured.captured_queries)
        if url.startswith("/api/"):
            return response.json()["count"], counts
        return response.context["paginator"].count, counts

    evidence = Evidence.objects.filter(organisation=org)
    assert count("/api/evidence/") == (evidence.count(), 1)
    assert count("/api/evidence/") == (evidence.count(), 0)  # kept
    assert count("/api/evidence/", kind="link") == (evidence.filter(kind="link").count(), 1)
    Evidence.objects.create(organisation=other_org, title="Theirs", kind="link", url="https://x")
    assert count("/api/evidence/") == (evidence.count(), 0)
    Evidence.objects.create(organisation=org, title="New", kind="link", url="https://example.org")
    assert count("/api/evidence/") == (evidence.count(), 1)
    assert count(reverse("evidence:list"))[0] == evidence.count()

    trail = client_for(Role.AUDITOR, org)
    client = trail
    before, _ = count(reverse("audit:list"))
    assert count(reverse("audit:list")) == (before, 0)
    record_security_event(actions.EXPORT, username="someone", organisation_id=org.pk)
    assert count(reverse("audit:list"))[0] == before + 1


@pytest.mark.parametrize(
    "order",
    [("pk",), ("-pk",), ("due_date", "pk"), ("-status", "-id"), ("due_date",), ()],
)
@pytest.mark.parametrize("per_page, orphans", [(4, 0), (3, 1), (2, 0)])
def test_every_page_equals_djangos_whether_read_from_the_start_or_the_end(
    org: Organisation, order: tuple[str, ...], per_page: int, orphans: int
) -> None:
    """Pages past the middle are read from the end when the order tells the rows apart; any
    other order, and every page, is as Django's paginator gives it."""
    from finres.web.paging import IdsFirstPaginator

    populate(org, 3)
    findings = Finding.objects.filter(organisation=org)
    Finding.objects.filter(pk__in=list(findings.values_list("pk", flat=True)[::3])).update(
        due_date=None
    )  # ties and missing dates, ordered the same both ways
    rows = findings.order_by(*order) if order else findings
    ours, django = IdsFirstPaginator(rows, per_page, orphans), Paginator(rows, per_page, orphans)
    assert ours.num_pages == django.num_pages >= 3
    for number in ours.page_range:
        assert [f.pk for f in ours.page(number)] == [f.pk for f in django.page(number)], number


@pytest.mark.parametrize("order", [("code",), ("-code",), ("name",)])
def test_a_register_ordered_by_its_code_is_read_from_the_end_as_well(
    org: Organisation, other_org: Organisation, order: tuple[str, ...]
) -> None:
    """A code is unique within an organisation: its order tells the systems apart, and the
    last pages read from the end equal Django's; a name may repeat, so it is read from the
    start."""
    from finres.web.paging import IdsFirstPaginator, _without_ties
    from finres.web.registers.models import InformationSystem

    for organisation in (org, other_org):
        InformationSystem.objects.bulk_create(
            InformationSystem(organisation=organisation, code=f"S{n:03d}", name=f"系統 {n % 4}")
            for n in (7, 3, 11, 1, 9, 5, 2, 8, 10, 4, 6)
        )
    rows = InformationSystem.objects.filter(organisation=org).order_by(*order)
    assert _without_ties(rows) == (order != ("name",))
    ours, django = IdsFirstPaginator(rows, 3), Paginator(rows, 3)
    for number in ours.page_range:
        assert [s.pk for s in ours.page(number)] == [s.pk for s in django.page(number)], number


@pytest.mark.parametrize("empty", ["none", "no ids"])
def test_a_list_that_nothing_can_match_is_counted_without_a_query(
    org: Organisation, empty: str
) -> None:
    """Django compiles no SQL for a queryset that nothing can match: its count is 0, not an
    error, under a request's organisation too."""
    from types import SimpleNamespace

    from finres.web.audit.context import serving
    from finres.web.paging import IdsFirstPaginator

    rows = Evidence.objects.none() if empty == "none" else Evidence.objects.filter(pk__in=[])
    request: Any = SimpleNamespace(organisation=org)
    with serving(request), CaptureQueriesContext(connection) as captured:
        paginator = IdsFirstPaginator(rows.order_by("pk"), 50)
        assert paginator.count == 0
        assert list(paginator.page(1)) == []
    assert captured.captured_queries == []
