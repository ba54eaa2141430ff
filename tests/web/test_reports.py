"""Dashboard, group view, reports index, maturity figures and the dashboard API."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finres.web.assessments.models import Assessment, MaturityTarget, RequirementResult, Result
from finres.web.evidence.models import Evidence
from finres.web.frameworks.models import Framework, Requirement
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.reports import metrics
from finres.web.reports.views import DashboardView

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022-annex-a"
TWSE = "twse-securities-tiered-protection"
ZERO_TRUST = "fsc-zero-trust-maturity"
RESULT_CYCLE = [
    Result.COMPLIANT,
    Result.PARTIAL,
    Result.NON_COMPLIANT,
    Result.NOT_APPLICABLE,
    Result.NOT_ASSESSED,
]


def assess(
    org: Organisation,
    code: str,
    year: int,
    level: int | None,
    count: int = 10,
    results: Iterable[str] = RESULT_CYCLE,
) -> Assessment:
    """An assessment of ``count`` requirements of a framework, every one at ``level``."""
    framework = Framework.objects.get(code=code)
    assessment = Assessment.objects.create(
        organisation=org,
        framework=framework,
        name=f"{code} {year}",
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
    )
    requirements = Requirement.objects.filter(framework=framework, assessable=True).order_by(
        "position"
    )[:count]
    RequirementResult.objects.bulk_create(
        RequirementResult(
            organisation=org,
            assessment=assessment,
            requirement=requirement,
            result=result,
            maturity_level=level,
        )
        for requirement, result in zip(requirements, itertools.cycle(results), strict=False)
    )
    return assessment


def populate(org: Organisation, size: int = 10, extras: int = 3) -> None:
    """Two years of ISO 27001 results (levels 2 then 3), TWSE and zero trust in 2025, targets,
    late findings and milestones, expiring evidence, an exception and an incident."""
    assess(org, ISO, 2024, 2, size)
    assess(org, ISO, 2025, 3, size)
    assess(org, TWSE, 2025, 2, size)
    assess(org, ZERO_TRUST, 2025, 2, 5)
    MaturityTarget.objects.create(
        organisation=org, framework=Framework.objects.get(code=ISO), tier=None, level=3
    )
    MaturityTarget.objects.create(
        organisation=org, framework=Framework.objects.get(code=TWSE), tier=None, level=3
    )
    MaturityTarget.objects.create(
        organisation=org, framework=Framework.objects.get(code=TWSE), tier=2, level=4
    )
    past = dt.date(2025, 6, 30)
    for index in range(extras):
        finding = Finding.objects.create(
            organisation=org,
            title=f"Late finding {index}",
            severity=Finding.Severity.HIGH,
            due_date=past,
        )
        Milestone.objects.create(
            organisation=org, finding=finding, title=f"Late milestone {index}", due_date=past
        )
        Evidence.objects.create(
            organisation=org,
            title=f"Expired evidence {index}",
            kind=Evidence.Kind.LINK,
            url="https://example.com/e",
            expiry_date=past,
        )
    Finding.objects.create(
        organisation=org,
        title="Phishing incident",
        source=Finding.Source.INCIDENT,
        severity=Finding.Severity.CRITICAL,
        status=Finding.Status.CLOSED,
        closed_at=timezone.now(),
        plan="MFA for every account",
    )
    RiskException.objects.create(
        organisation=org,
        title="Legacy system without MFA",
        risk="Password-only login",
        compensating_controls="Network isolation",
        expiry_date=dt.date(2030, 1, 1),
        status=RiskException.Status.APPROVED,
        approver=get_user_model().objects.get_or_create(username=f"approver-{org.pk}")[0],
        approved_at=timezone.now(),
    )


# --- maturity and compliance figures -------------------------------------------------------------


def test_figures_of_the_latest_year_against_the_previous_one(org: Organisation) -> None:
    populate(org)
    found = metrics.for_organisation(org)
    assert found.year == 2025 and found.tier == 2
    by_code = {status.code: status for status in found.frameworks}
    assert set(by_code) == {ISO, TWSE, ZERO_TRUST}
    iso = by_code[ISO]
    assert iso.latest.year == 2025
    assert iso.compliance.counts == {r: 2 for r in RESULT_CYCLE}
    assert iso.compliance.rate == pytest.approx((2 + 1) / 6)
    assert iso.maturity is not None and iso.maturity.mean == 3
    assert iso.previous is not None and iso.previous.mean == 2
    assert iso.change == 1
    assert iso.maturity.target == 3 and iso.maturity.share_at_target == 1
    # The tier's own target wins over the any-tier one.
    assert by_code[TWSE].maturity.target == 4
    assert by_code[TWSE].maturity.share_at_target == 0
    # Zero trust is scored on its own 1-4 scale.
    assert by_code[ZERO_TRUST].maturity.scale.maximum == 4
    assert found.compliance.total == 25


def test_csf_functions_through_the_mappings(org: Organisation) -> None:
    assess(org, ISO, 2024, 2, 40)
    assess(org, ISO, 2025, 3, 40)
    MaturityTarget.objects.create(
        organisation=org, framework=Framework.objects.get(code=ISO), tier=None, level=4
    )
    found = metrics.for_organisation(org)
    functions = {f.id: f for f in found.functions("en")}
    scored = [f for f in functions.values() if f.current is not None]
    assert scored, "the first 40 ISO controls map to several CSF functions"
    for function in scored:
        assert function.current == pytest.approx(3)
        assert function.previous == pytest.approx(2)
        assert function.change == pytest.approx(1)
        assert function.target == pytest.approx(4)
    assert functions["GV"].title == "Govern"
    assert found.trend()["overall"][-2:] == [pytest.approx(2), pytest.approx(3)]
    assert found.years == [2021, 2022, 2023, 2024, 2025]


def test_a_year_in_the_past_ignores_later_assessments(org: Organisation) -> None:
    populate(org)
    found = metrics.for_organisation(org, 2024)
    assert found.year == 2024
    assert [s.code for s in found.frameworks] == [ISO]
    assert found.frameworks[0].latest.year == 2024
    assert found.frameworks[0].maturity.mean == 2


def test_figures_never_mix_organisations(org: Organisation, other_org: Organisation) -> None:
    populate(org)
    assess(other_org, ISO, 2025, 5, 10)
    mine = metrics.for_organisation(org)
    theirs = metrics.for_organisation(other_org)
    assert {s.code: s.maturity.mean for s in theirs.frameworks} == {ISO: 5}
    assert {s.code: s.maturity.mean for s in mine.frameworks}[ISO] == 3


# --- dashboard ---------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client: Client) -> None:
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("orgs:login"))


def test_dashboard_for_the_ciso(ciso_client: Client, org: Organisation) -> None:
    populate(org)
    page = ciso_client.get(reverse("reports:dashboard")).content.decode()
    assert page.count("<svg") >= 3  # compliance bars, radar, trend
    assert "ISO/IEC 27001" in page
    assert "各框架符合情形" in page and "成熟度趨勢" in page  # Chinese by default
    assert "Late finding 0" in page and "Late milestone 0" in page
    assert "Expired evidence 0" in page
    assert "<script" not in page.split("</main>")[0].split("<main>")[1]


def test_dashboard_for_a_board_member_shows_counts_not_items(
    client_for: Any, org: Organisation
) -> None:
    populate(org)
    board = client_for(Role.BOARD, org)
    response = board.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    assert "Late finding 0" not in page and "Expired evidence 0" not in page
    assert reverse("assessments:list") not in page  # no way into the assessments
    assert reverse("reports:index") in page
    # Reports yes, assessments no.
    assert board.get(reverse("reports:index")).status_code == 200
    assert board.get(reverse("assessments:list")).status_code == 403


def test_requirements_coming_into_force_come_from_the_engine(
    ciso_client: Client, org: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DashboardView, "today", lambda self: dt.date(2021, 1, 1))
    response = ciso_client.get(reverse("reports:dashboard"))
    upcoming = response.context["upcoming"]
    assert upcoming and response.context["upcoming_count"] >= len(upcoming)
    dates = [item.effective_from for item in upcoming]
    assert all(date and date > dt.date(2021, 1, 1) for date in dates)
    assert dates == sorted(dates)
    assert upcoming[0].title in response.content.decode()


def test_dashboard_in_english(ciso_client: Client, org: Organisation) -> None:
    populate(org)
    ciso_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = ciso_client.get(reverse("reports:dashboard")).content.decode()
    assert "Compliance by framework" in page
    assert "Govern" in page


@pytest.mark.parametrize("size,extras", [(5, 1), (60, 12)])
def test_dashboard_queries_do_not_grow_with_the_data(
    ciso_client: Client,
    org: Organisation,
    django_assert_max_num_queries: Any,
    size: int,
    extras: int,
) -> None:
    populate(org, size=size, extras=extras)
    ciso_client.get(reverse("reports:dashboard"))  # warm the per-process caches
    # 24 for the figures, 16 for the resilience tiles (graph, reviews, drills, incidents, crypto,
    # TLS checks, SBOMs)
    with django_assert_max_num_queries(40):
        assert ciso_client.get(reverse("reports:dashboard")).status_code == 200


# --- group view --------------------------------------------------------------------------------


@pytest.fixture
def group(make_org: Any) -> tuple[Organisation, Organisation, Organisation]:
    holding = make_org(name="Holding", industry="bank", is_group=True, uses=[])
    securities = make_org(name="Sub Securities", parent=holding)
    bank = make_org(name="Sub Bank", parent=holding, industry="bank", uses=[])
    return holding, securities, bank


def test_group_view_puts_subsidiaries_side_by_side(
    client_for: Any, group: tuple[Organisation, ...], make_org: Any
) -> None:
    holding, securities, bank = group
    assess(securities, ISO, 2025, 3, 10)
    assess(bank, ISO, 2025, 2, 10)
    stranger = make_org(name="Stranger Sub", parent=make_org(name="Other Holding", is_group=True))
    assess(stranger, ISO, 2025, 5, 10)
    response = client_for(Role.CISO, holding).get(reverse("reports:group"))
    assert response.status_code == 200
    rows = {row["organisation"].name: row for row in response.context["rows"]}
    assert set(rows) == {"Sub Securities", "Sub Bank"}  # the holding has no assessment itself
    assert rows["Sub Securities"]["maturity"] == pytest.approx(3)
    assert rows["Sub Bank"]["maturity"] == pytest.approx(2)
    page = response.content.decode()
    assert "<svg" in page and "Stranger" not in page


def test_group_view_is_only_for_a_group(client_for: Any, group: tuple[Organisation, ...]) -> None:
    _, securities, _ = group
    assert client_for(Role.CISO, securities).get(reverse("reports:group")).status_code == 404


def test_group_view_queries_do_not_grow_with_subsidiaries(
    client_for: Any, make_org: Any, django_assert_max_num_queries: Any
) -> None:
    holding = make_org(name="Big Holding", industry="bank", is_group=True, uses=[])
    for index in range(6):
        assess(make_org(name=f"Sub {index}", parent=holding), ISO, 2025, 3, 10)
    client = client_for(Role.CISO, holding)
    client.get(reverse("reports:group"))
    with django_assert_max_num_queries(26):
        assert client.get(reverse("reports:group")).status_code == 200


# --- index -------------------------------------------------------------------------------------


def test_index_lists_years_and_offers_to_write_what_is_missing(
    client_for: Any, ciso_client: Client, org: Organisation
) -> None:
    page = ciso_client.get(reverse("reports:index")).content.decode()
    assert reverse("reports:board_create") in page and reverse("reports:declaration_create") in page
    board_page = client_for(Role.BOARD, org).get(reverse("reports:index")).content.decode()
    assert reverse("reports:board_create") not in board_page


# --- API ---------------------------------------------------------------------------------------


def test_dashboard_api(client_for: Any, org: Organisation, other_org: Organisation) -> None:
    populate(org)
    assess(other_org, ISO, 2025, 5, 10)
    board = client_for(Role.BOARD, org)
    compliance = board.get("/api/dashboard/compliance/").json()
    assert compliance["year"] == 2025
    by_code = {f["code"]: f for f in compliance["frameworks"]}
    assert by_code[ISO]["counts"]["compliant"] == 2
    assert by_code[ISO]["name"]["zh-TW"]
    maturity = board.get("/api/dashboard/maturity/", {"year": 2024}).json()
    assert maturity["year"] == 2024
    assert {f["code"]: f["maturity"]["mean"] for f in maturity["frameworks"]} == {ISO: 2}
    assert [f["id"] for f in maturity["functions"]] == ["GV", "ID", "PR", "DE", "RS", "RC"]
    assert board.get("/api/dashboard/maturity/", {"year": "soon"}).status_code == 400


def test_dashboard_api_needs_a_login(client: Client) -> None:
    assert client.get("/api/dashboard/compliance/").status_code in (401, 403)


# --- charts ------------------------------------------------------------------------------------


def test_charts_are_svg_with_chinese_text() -> None:
    from finres.web.reports import charts

    svg = charts.radar(
        ["治理", "識別", "保護"],
        [
            charts.Series("2025", [3, None, 2], "current"),
            charts.Series("目標", [4, 4, 4], "target"),
        ],
    )
    assert svg.startswith("<svg") and "viewBox" in svg
    assert "治理" in svg and "目標" in svg  # real text, drawn with the CJK font
    assert "Noto Sans CJK TC" in svg and "sans-serif" in svg
    paths = charts.radar(
        ["治理", "識別", "保護"], [charts.Series("x", [1, 2, 3], "current")], output="svg-paths"
    )
    assert "<text" not in paths and "NotoSansCJK" in paths  # glyphs as outlines for the PDF
    png = charts.trend([2024, 2025], [charts.Series("整體", [2.0, 3.0], "current")], output="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_charts_still_render_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    from finres.web.reports import charts

    monkeypatch.setattr(charts, "cjk_family", lambda: None)
    svg = charts.stacked_bars(["ISO 27001"], [("compliant", "Compliant", [3])])
    assert "<svg" in svg and "DejaVu Sans" in svg and "Noto" not in svg


# --- bounded pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("extras", [1, 15])
def test_index_and_report_pages_stay_within_a_query_budget(
    ciso_client: Client, org: Organisation, django_assert_max_num_queries: Any, extras: int
) -> None:
    from finres.web.reports.models import BoardReport

    populate(org, size=10 * extras, extras=extras)
    for year in range(2010, 2010 + extras):
        BoardReport.objects.create(organisation=org, year=year)
    report = BoardReport.objects.create(organisation=org, year=2025)
    ciso_client.get(reverse("reports:board_detail", args=[report.pk]))
    with django_assert_max_num_queries(12):
        assert ciso_client.get(reverse("reports:index")).status_code == 200
    with django_assert_max_num_queries(22):
        assert ciso_client.get(reverse("reports:board_detail", args=[report.pk])).status_code == 200


def test_a_chart_is_drawn_again_only_for_a_change_it_can_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One result among thousands moves a share by less than a tenth of a percent, a score by
    less than a hundredth: the chart already drawn is kept; a visible change is drawn."""
    from django.core.cache import cache

    from finres.web.reports import charts

    cache.clear()
    drawn: list[str] = []
    render = charts._render
    monkeypatch.setattr(
        charts,
        "_render",
        lambda figure, output, salt: drawn.append(salt) or render(figure, output, salt),
    )
    labels = ["ISO/IEC 27001:2022"]

    def bars(compliant: int) -> str | bytes:
        return charts.stacked_bars(
            labels,
            [("compliant", "符合", [compliant]), ("partial", "部分符合", [6000 - compliant])],
        )

    def scores(value: float) -> str | bytes:
        return charts.radar(
            ["GV", "ID", "PR"], [charts.Series("2026", [value, 2.0, 3.0], "current")]
        )

    first = bars(3000)
    assert bars(3001) == first and len(drawn) == 1  # 50.00 % → 50.02 %
    assert bars(3100) != first and len(drawn) == 2  # 51.7 %
    shown = scores(2.5)
    assert scores(2.5004) == shown and len(drawn) == 3
    assert scores(2.6) != shown and len(drawn) == 4
