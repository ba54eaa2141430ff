"""The CISO's journey through the demo institution, in headless Chromium, in zh-TW.

onboarding → assessment with evidence → mapped results proposed on a second framework →
maturity radar → improvement plan → board report PDF. Each step checks what the person sees
in the browser and what was stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader, PdfWriter

from finres.web.assessments.models import Assessment, ProposalState, RequirementResult, Result
from finres.web.audit.models import AuditEvent
from finres.web.audit.verification import verify_trail
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.frameworks.models import Framework, Mapping
from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation
from finres.web.reports.models import BoardReport
from tests.browser.support import DASHBOARD_URL, DemoSite, log_in, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TWSE = "twse-securities-tiered-protection"
CSF = "nist-csf-2.0"
ZERO_TRUST = "fsc-zero-trust-maturity"
BLUEPRINT = "fsc-resilience-blueprint-2025"
TIER_1_CAPITAL = 25_000_000_000  # 200億以上: tier 1 of the TWSE tiered protection

Shoot = Callable[[Page, str], Path]


def open_assessment(organisation: Organisation, framework: str) -> Assessment:
    """The organisation's latest open assessment of a framework."""
    return (
        Assessment.objects.filter(
            organisation=organisation,
            framework__code=framework,
            status=Assessment.Status.IN_PROGRESS,
        )
        .order_by("-period_start")
        .get()
    )


def mapped_pair(
    source: Assessment, target: Assessment
) -> tuple[RequirementResult, RequirementResult]:
    """A result of ``source``, not yet non-compliant, whose requirement the library maps to a
    requirement assessed in ``target`` (so a new result on it is proposed there)."""
    target_rows = {row.requirement_id: row for row in target.results.all()}
    rows = (
        source.results.exclude(result=Result.NON_COMPLIANT)
        .select_related("requirement")
        .order_by("requirement__position")
    )
    for row in rows:
        for mapping in Mapping.objects.filter(source=row.requirement).order_by("pk"):
            if mapping.target_id in target_rows:
                found = RequirementResult.objects.select_related("requirement").get(
                    pk=target_rows[mapping.target_id].pk
                )
                return row, found
    raise AssertionError(f"no mapping from {source} to {target} in the library")


def messages(page: Page) -> Locator:
    return page.locator("ul.messages")


def small_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "年度自評佐證資料"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_text(path: Path) -> str:
    reader = PdfReader(str(path))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", "", text)


# --- the steps -----------------------------------------------------------------------------------


def step_log_in_to_the_dashboard(page: Page, shoot: Shoot) -> None:
    assert log_in(page, "demo-ciso")  # a CISO enrols a TOTP device on the first log-in
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-TW")
    expect(page.get_by_role("heading", level=1)).to_contain_text("儀表板")
    chart = page.locator('figure.chart[aria-label="各框架符合情形"] svg')
    expect(chart).to_be_visible()
    assert chart.locator("path").count() > 10  # bars, axes and legend, not an empty frame
    shoot(page, "dashboard")


def step_onboarding(page: Page, shoot: Shoot, site: DemoSite) -> Assessment:
    securities = site.organisation("securities")
    page.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("Applicability")
    ).click()
    expect(page).to_have_url(re.compile(r"/assessments/onboarding/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("適用性與導入精靈")
    expect(page.locator("p.kpi strong")).to_have_text("第 2 級")  # 15 billion NT$: tier 2
    expect(page.locator("#changes")).to_contain_text("與前次快照相同，沒有變動。")
    frameworks = page.locator("details")
    expect(frameworks.filter(has_text="證券商資通安全分級防護")).to_have_count(1)
    twse = frameworks.filter(has_text="證券商資通安全分級防護")
    twse.locator("summary strong").click()  # not the links to its assessments
    expect(twse.locator("tbody tr").first).to_be_visible()
    expect(twse.locator("tbody .badge.ok").first).to_have_text("已生效")
    shoot(page, "onboarding")

    # On an earlier date the resilience blueprint is not yet in force: shown as upcoming.
    page.locator("#as-of").fill("2025-06-01")
    page.get_by_role("button", name=t("Recompute")).click()
    expect(page).to_have_url(re.compile(r"as_of=2025-06-01"))
    blueprint = Framework.objects.get(code=BLUEPRINT).name()
    upcoming = page.locator("details").filter(has_text=blueprint)
    upcoming.locator("summary strong").click()
    expect(upcoming.locator("tbody .badge.warn").first).to_have_text("即將生效")

    # A larger paid-in capital moves the firm to tier 1; the difference is shown.
    page.get_by_role("link", name=t("Edit the profile")).click()
    expect(page).to_have_url(re.compile(r"/accounts/organisation/profile/$"))
    page.locator("#id_paid_in_capital").fill(str(TIER_1_CAPITAL))
    page.get_by_role("button", name=t("Save")).click()
    expect(page).to_have_url(re.compile(r"/assessments/onboarding/$"))
    expect(messages(page)).to_contain_text("機構概況已儲存。")
    expect(page.locator("p.kpi strong")).to_have_text("第 1 級")
    changes = page.locator("#changes")
    expect(changes.locator(".badge.warn").first).to_have_text("分級已變動")
    expect(changes).to_contain_text("新增適用")
    expect(changes.locator("li .badge.ok").first).to_be_visible()  # a newly applicable one
    securities.refresh_from_db()
    assert securities.paid_in_capital == TIER_1_CAPITAL
    shoot(page, "onboarding-tier-changed")

    # Step 4 of the wizard: create an assessment of one framework for this year.
    form = page.locator("form", has=page.locator('input[name="frameworks"]'))
    for box in form.locator('input[name="frameworks"]').all():
        box.uncheck()
    form.locator(f'input[name="frameworks"][value="{ZERO_TRUST}"]').check()
    form.get_by_role("button", name=t("Create the assessments")).click()
    expect(page).to_have_url(re.compile(r"/assessments/$"))
    expect(messages(page)).to_contain_text("已建立 1 項評估。")
    created = Assessment.objects.get(organisation=securities, framework__code=ZERO_TRUST)
    assert created.results.count() > 0
    expect(
        page.locator(f'a[href="{reverse("assessments:detail", args=[created.pk])}"]')
    ).to_have_text(created.name)
    shoot(page, "assessment-created")
    return created


def step_record_a_result(page: Page, shoot: Shoot, source: RequirementResult) -> None:
    """Open the TWSE assessment, find the requirement and record it as non-compliant inline."""
    assessment = source.assessment
    page.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("Assessments")
    ).click()
    page.locator(f'a[href="{reverse("assessments:detail", args=[assessment.pk])}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(assessment.name)
    page.locator("#id_q").fill(source.requirement.code)
    page.get_by_role("button", name="篩選").click()
    expect(page).to_have_url(re.compile(rf"q={re.escape(source.requirement.code)}"))
    page.wait_for_load_state("load")

    row = page.locator(f"#result-{source.pk}")
    with page.expect_response(lambda r: f"/results/{source.pk}/row/?edit=1" in r.url):
        row.get_by_role("link", name="編輯").click()
    editing = page.locator(f"tr#result-{source.pk}.editing")
    expect(editing).to_be_visible()
    editing.locator('select[name="result"]').select_option(Result.NON_COMPLIANT.value)
    editing.locator('textarea[name="comments"]').fill("年度自評發現未依規定辦理，需提出改善措施。")
    shoot(page, "result-inline-form")
    with page.expect_response(
        lambda r: r.url.endswith(f"/results/{source.pk}/row/") and r.request.method == "POST"
    ) as response:
        editing.get_by_role("button", name="儲存").click()
    assert response.value.ok
    saved = page.locator(f"tr#result-{source.pk}:not(.editing)")
    expect(saved.locator("td").nth(2)).to_have_text("不符合")  # the result column
    source.refresh_from_db()
    assert source.result == Result.NON_COMPLIANT
    assert source.comments.startswith("年度自評發現")
    shoot(page, "result-saved")


def step_evidence(
    page: Page, shoot: Shoot, source: RequirementResult, target: RequirementResult
) -> Evidence:
    """Upload a file for the result from its page, then link it to a second framework's result."""
    page.locator(f"#result-{source.pk}").get_by_role("link", name=source.requirement.label).click()
    expect(page).to_have_url(re.compile(rf"/assessments/results/{source.pk}/$"))
    page.get_by_role("link", name="新增此規範要求之佐證資料").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新增佐證資料")
    content = small_pdf()
    page.locator("#id_title").fill("年度自評佐證資料")
    page.locator("#id_file").set_input_files(
        files=[
            {"name": "self-assessment-2026.pdf", "mimeType": "application/pdf", "buffer": content}
        ]
    )
    page.locator("#id_expiry_date").fill(
        (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    )
    page.get_by_role("button", name="儲存").click()
    expect(page).to_have_url(re.compile(r"/evidence/\d+/$"))
    page.wait_for_load_state("load")  # htmx is set up: the link search below uses it
    expect(page.locator("[data-sha256]")).to_have_text(hashlib.sha256(content).hexdigest())
    links = page.locator("#evidence-links")
    expect(links).to_contain_text(source.assessment.name)
    evidence = Evidence.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    shoot(page, "evidence-uploaded")

    # One piece of evidence, many requirements: link it to the mapped requirement (HTMX search).
    with page.expect_response(lambda r: "/links/search/" in r.url):
        page.locator("#link-assessment").select_option(str(target.assessment_id))
    with page.expect_response(lambda r: "/links/search/" in r.url and "q=" in r.url):
        page.locator("#link-q").fill(target.requirement.code)
    candidate = page.locator(f"#candidate-{target.pk}")
    expect(candidate).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/links/add/")):
        candidate.get_by_role("button", name="連結").click()
    expect(links).to_contain_text(target.assessment.name)
    expect(candidate).to_have_count(0)
    assert set(EvidenceLink.objects.filter(evidence=evidence).values_list("result", flat=True)) == {
        source.pk,
        target.pk,
    }
    shoot(page, "evidence-linked")
    return evidence


def step_accept_the_proposal(
    page: Page, shoot: Shoot, source: RequirementResult, target: RequirementResult
) -> None:
    """The non-compliant result is proposed on NIST CSF with its provenance; accept it."""
    target.refresh_from_db()
    assert target.proposal_state == ProposalState.PENDING
    assert target.proposed_result == Result.NON_COMPLIANT
    assessment = target.assessment
    page.goto(reverse("assessments:list"))
    pending_link = page.locator(
        f'a[href="{reverse("assessments:proposals", args=[assessment.pk])}"]'
    )
    expect(pending_link).to_be_visible()
    page.locator(f'a[href="{reverse("assessments:detail", args=[assessment.pk])}"]').click()
    expect(page.locator("#pending-proposals")).to_be_visible()
    page.locator("#pending-proposals").get_by_role("link", name="審查全部建議結果").click()
    expect(page).to_have_url(re.compile(rf"/assessments/{assessment.pk}/proposals/$"))
    provenance = page.locator("ul.provenance li")
    expect(provenance.first).to_be_visible()
    assert provenance.count() >= 1
    shoot(page, "proposals")

    page.goto(reverse("assessments:detail", args=[assessment.pk]))
    page.locator("#id_q").fill(target.requirement.code)
    page.locator("#id_proposal_state").select_option("pending")
    page.get_by_role("button", name="篩選").click()
    page.wait_for_load_state("load")
    row = page.locator(f"#result-{target.pk}")
    expect(row.locator("td").nth(6)).to_have_text("不符合")  # the proposal column
    row.get_by_role("link", name=target.requirement.label).click()
    expect(page).to_have_url(re.compile(rf"/assessments/results/{target.pk}/$"))
    source_url = reverse("frameworks:requirement", args=[TWSE, source.requirement.code])
    entry = page.locator("ul.provenance li").filter(has=page.locator(f'a[href="{source_url}"]'))
    expect(entry).to_contain_text(source.assessment.name)
    expect(entry.locator(".badge.bad").first).to_have_text("不符合")
    shoot(page, "proposal-provenance")
    page.get_by_role("button", name="採用", exact=True).click()
    expect(messages(page)).to_contain_text(f"已採用 {target.requirement.label} 之建議結果。")
    target.refresh_from_db()
    assert target.proposal_state == ProposalState.ACCEPTED
    assert target.result == Result.NON_COMPLIANT
    shoot(page, "proposal-accepted")


def step_maturity_radar(page: Page, shoot: Shoot) -> None:
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name="儀表板").click()
    expect(page).to_have_url(DASHBOARD_URL)
    radar = page.locator('figure.chart[aria-label="成熟度雷達圖"] svg')
    expect(radar).to_be_visible()
    assert radar.locator("polygon, path, polyline").count() > 0
    expect(page.get_by_role("heading", name="依 NIST CSF 2.0 功能之成熟度")).to_be_visible()
    for function in ("治理", "識別", "保護", "偵測", "回應", "復原"):
        expect(radar).to_contain_text(function)
    shoot(page, "maturity-radar")


def step_improvement_plan(page: Page, shoot: Shoot, source: RequirementResult) -> Finding:
    """From the non-compliant result: a finding with a plan and a milestone."""
    page.goto(reverse("assessments:result", args=[source.pk]))
    page.get_by_role("link", name="登錄查核發現及改善計畫").click()
    expect(page).to_have_url(re.compile(rf"/improvements/findings/from-result/{source.pk}/$"))
    expect(page.locator("#id_title")).not_to_have_value("")
    today = timezone.localdate()
    page.locator("#id_plan").fill("訂定改善措施並指派負責人，於期限內完成，由內部稽核追蹤確認。")
    page.locator("#id_due_date").fill((today + dt.timedelta(days=120)).isoformat())
    page.get_by_role("button", name="儲存").click()
    expect(page).to_have_url(re.compile(r"/improvements/findings/\d+/$"))
    expect(messages(page)).to_contain_text("已登錄查核發現。")
    page.wait_for_load_state("load")  # the milestone form is sent by htmx
    finding = Finding.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert finding.result_id == source.pk
    assert finding.requirement_id == source.requirement_id

    milestones = page.locator("#milestones")
    milestones.locator("#id_title").fill("提交改善措施執行紀錄予內部稽核覆核")
    milestones.locator("#id_due_date").fill((today + dt.timedelta(days=45)).isoformat())
    with page.expect_response(lambda r: r.url.endswith(f"/findings/{finding.pk}/milestones/")):
        milestones.get_by_role("button", name="新增").click()
    expect(page.locator("#milestones")).to_contain_text("提交改善措施執行紀錄予內部稽核覆核")
    assert finding.milestones.count() == 1
    shoot(page, "finding-with-milestone")

    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name="改善計畫").click()
    # the demo's checks and SBOM matching raised many dated findings: narrow to assessments'
    page.locator("#id_source").select_option(Finding.Source.ASSESSMENT.value)
    page.get_by_role("button", name="篩選").click()
    listed = page.locator(f'tr[data-finding="{finding.pk}"]')
    expect(listed).to_contain_text(finding.title)
    expect(listed).to_contain_text("0 / 1")
    shoot(page, "findings")
    return finding


def step_board_report(page: Page, shoot: Shoot, site: DemoSite, tmp_path: Path) -> None:
    report = BoardReport.objects.filter(organisation=site.organisation("securities")).latest("year")
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name="報告").click()
    page.locator(f'a[href="{reverse("reports:board_detail", args=[report.pk])}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "資安長向董事會報告年度資安整體執行情形"
    )
    expect(page.locator(".report-body")).to_contain_text("資安計畫執行及變更情形")
    shoot(page, "board-report")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下載 PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"board-report-{report.year}-zh-TW.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    for heading in (
        "資安長向董事會報告年度資安整體執行情形",
        "資安計畫執行及變更情形",
        "重大資安事件與改善措施",
        "現行資安風險評估情形及控制措施之有效性",
        "資安預算運用與資源配置情形",
    ):
        assert heading in text, heading
    assert "範例綜合證券股份有限公司" in text


# --- the tests -----------------------------------------------------------------------------------


def test_the_ciso_journey(
    demo_site: DemoSite, new_page: Callable[[], Page], shots: Shoot, tmp_path: Path
) -> None:
    securities = demo_site.organisation("securities")
    source, target = mapped_pair(
        open_assessment(securities, TWSE), open_assessment(securities, CSF)
    )
    page = new_page()

    step_log_in_to_the_dashboard(page, shots)
    step_onboarding(page, shots, demo_site)
    step_record_a_result(page, shots, source)
    step_evidence(page, shots, source, target)
    step_accept_the_proposal(page, shots, source, target)
    step_maturity_radar(page, shots)
    step_improvement_plan(page, shots, source)
    step_board_report(page, shots, demo_site, tmp_path)

    # Everything the CISO changed in the browser is in the audit trail, and the chain holds.
    assert AuditEvent.objects.filter(
        model="assessments.requirementresult", object_id=str(source.pk), actor_name="demo-ciso"
    ).exists()
    assert verify_trail().breaks == []  # keyed with the site's audit key, up to the stored head


def test_switching_to_english(
    demo_site: DemoSite, new_page: Callable[[], Page], shots: Shoot
) -> None:
    page = new_page()
    assert not log_in(page, "demo-owner")  # a control owner: password only
    expect(page.get_by_role("heading", level=1)).to_contain_text("儀表板")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Assessments")).to_be_visible()
    expect(page.get_by_role("heading", name="Compliance by framework")).to_be_visible()
    shots(page, "dashboard-english")
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-TW")
    expect(page.get_by_role("heading", level=1)).to_contain_text("儀表板")


def test_another_organisation_cannot_open_the_firms_pages(
    demo_site: DemoSite, new_page: Callable[[], Page], shots: Shoot
) -> None:
    securities = demo_site.organisation("securities")
    assessment = open_assessment(securities, TWSE)
    result = assessment.results.order_by("pk").first()
    assert result is not None
    report = BoardReport.objects.filter(organisation=securities).latest("year")
    urls = [
        reverse("assessments:detail", args=[assessment.pk]),
        reverse("assessments:result", args=[result.pk]),
        reverse("assessments:proposals", args=[assessment.pk]),
        reverse("reports:board_detail", args=[report.pk]),
        reverse("reports:board_pdf", args=[report.pk]),
    ]
    evidence = Evidence.objects.filter(organisation=securities).order_by("pk").first()
    if evidence is not None:
        urls.append(reverse("evidence:detail", args=[evidence.pk]))

    page = new_page()
    assert log_in(page, "demo-bank-ciso")
    expect(page.get_by_role("heading", level=1)).to_contain_text("範例商業銀行股份有限公司")
    options = page.locator("#org-select option")
    expect(options).to_have_count(1)
    expect(options).to_have_text("範例商業銀行股份有限公司")
    for url in urls:
        response = page.goto(url)
        assert response is not None
        assert response.status == 404, (url, response.status)
        expect(page.get_by_role("heading", level=1)).to_have_text("找不到頁面")
        expect(page.locator("body")).not_to_contain_text(assessment.name)
    shots(page, "other-organisation-not-found")
