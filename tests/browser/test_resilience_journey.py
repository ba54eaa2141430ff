"""The BCM manager's journey in headless Chromium (issue 9, "Done when"): load the demo, see
which critical services cannot meet their RTO and why, run a scenario, record a drill whose
result changes the analysis, and record an incident that appears in the board report.

The BCM manager is the demo's control owner (view, edit and reports rights; password only).
Screenshots of every new page are saved in zh-TW and in English at 1366 px (under the test's
temporary folder, or FINRES_SCREENSHOTS when set).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from finres.web.continuity import graph
from finres.web.continuity.models import Drill, Node
from finres.web.incidents.models import Incident, ReportingRegime
from finres.web.reports.models import BoardReport
from tests.browser.support import DemoSite, log_in, t


def shooter(tmp_path: Path) -> Callable[[Page, str], None]:
    folder = Path(os.environ.get("FINRES_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page: Page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return shoot


def test_the_bcm_managers_journey(
    demo_site: DemoSite, new_page: Callable[[], Page], tmp_path: Path
) -> None:
    shoot = shooter(tmp_path)
    securities = demo_site.organisation("securities")
    page = new_page()
    assert not log_in(page, "demo-owner")

    # 1. Which critical services cannot meet their RTO, and why: the flag and the critical path.
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Continuity")).click()
    etrade = page.locator('tr[data-service="SVC-ETRADE"]')
    expect(etrade.locator('[data-flag="rto"]')).to_be_visible()
    expect(etrade).to_contain_text("SUP-MS")  # the cloud identity supplier on the critical path
    expect(page.locator('[data-spof="SUP-MS"]').first).to_be_attached()
    shoot(page, "01-analysis")

    # 2. Run a scenario: ransomware on every core system. Settlement meets its RTO because the
    #    demo's drill DR-2026-01 demonstrated a quicker restore, and the page says so.
    page.get_by_role("link", name=t("Scenarios")).first.click()
    page.get_by_role("link", name="勒索軟體加密所有核心系統").click()
    expect(page.locator('tr[data-service="SVC-ETRADE"] [data-flag="rto"]')).to_be_visible()
    settle = page.locator('tr[data-service="SVC-SETTLE"]')
    expect(settle.locator('[data-flag="rto"]')).to_have_count(0)
    expect(settle.locator('[data-demonstrated-by="DR-2026-01"]').first).to_be_visible()
    shoot(page, "02-scenario-ransomware")

    # 3. Perform the planned cloud-identity drill with Microsoft and record what it achieved.
    page.get_by_role("link", name=t("Drills")).first.click()
    expect(page.locator('[data-due="system:SYS-TRADE"]')).to_have_attribute("data-state", "never")
    shoot(page, "03-drills")
    page.get_by_role("link", name="雲端身分服務中斷切換演練").click()
    page.get_by_role("link", name=t("Edit or record as performed")).click()
    today = timezone.localdate().isoformat()
    page.get_by_label(t("performed on")).fill(today)
    page.get_by_label(t("result summary")).fill(
        "與 Microsoft 聯合演練，切換至次要區域於 90 分鐘內恢復。"
    )
    page.get_by_role("button", name=t("Save")).click()
    expect(page.locator("[data-performed]")).to_have_attribute("data-performed", today)
    node_form = page.locator('form[data-form="node-result"]')
    supplier = Node.objects.get(organisation=securities, code="SUP-MS")
    node_form.get_by_label(t("node")).select_option(str(supplier.pk))
    node_form.get_by_label(t("achieved recovery time (minutes)")).fill("90")
    node_form.get_by_role("button", name=t("Save")).click()
    service_form = page.locator('form[data-form="service-result"]')
    service_form.get_by_label(t("service")).select_option(label="SVC-ETRADE 電子下單（網路及 App）")
    service_form.get_by_label(t("achieved recovery time (minutes)")).fill("110")
    service_form.get_by_label(t("data loss (minutes)")).fill("0")
    service_form.get_by_role("button", name=t("Save")).click()
    expect(page.locator('tr[data-service="SVC-ETRADE"]')).to_have_attribute("data-meets-rto", "yes")
    shoot(page, "04-drill-recorded")

    # The analysis changed: e-trading now meets its RTO in the worst single failure, and the
    # supplier's node gives the drill as the reason for its recovery time.
    page.goto(reverse("continuity:overview"))
    expect(page.locator('tr[data-service="SVC-ETRADE"] [data-flag="rto"]')).to_have_count(0)
    assert graph.run(securities).single_points == []
    page.goto(reverse("continuity:node_detail", args=[supplier.pk]))
    expect(page.locator('[data-demonstrated-by="DR-2026-02"]')).to_contain_text(today)
    shoot(page, "05-node-demonstrated")

    # 4. Record a major incident under the institution's own regime; it gets deadlines.
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Incidents")).click()
    expect(page.locator('tr[data-incident="INC-2026-001"]')).to_have_attribute(
        "data-overdue", "yes"
    )
    shoot(page, "06-incidents")
    page.get_by_role("link", name=t("Record an incident")).click()
    page.get_by_label(t("code")).fill("INC-2026-003")
    page.get_by_label(t("title")).fill("交割專線中斷")
    page.get_by_label(t("incident type")).select_option("third_party")
    page.get_by_label(t("severity")).select_option("high")
    page.get_by_label(t("major incident")).check()
    detected = timezone.localtime() - timezone.timedelta(hours=2)
    page.get_by_label(t("detected at")).fill(detected.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(t("classified at")).fill(
        (detected + timezone.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("款券交割").check()
    page.get_by_label(t("lessons learnt")).fill("建立第二條交割專線")
    regime = ReportingRegime.objects.get(organisation=securities, code="INT-ESC")
    page.get_by_label(t("reporting regime")).select_option(regime.key)
    page.get_by_role("button", name=t("Save")).click()
    expect(page.locator('[data-section="deadlines"]')).to_be_visible()
    expect(page.locator('tr[data-stage="stage-1"]')).to_have_attribute("data-status", "overdue")
    shoot(page, "07-incident")
    incident = Incident.objects.get(organisation=securities, code="INC-2026-003")
    assert incident.major and list(incident.services.values_list("code", flat=True)) == [
        "SVC-SETTLE"
    ]

    # It appears in this year's board report.
    report = BoardReport.objects.get(organisation=securities, year=timezone.localdate().year)
    page.goto(reverse("reports:board_detail", args=[report.pk]))
    expect(page.locator("body")).to_contain_text("INC-2026-003 交割專線中斷")
    expect(page.locator("body")).to_contain_text("INC-2026-001")
    shoot(page, "08-board-report")

    # The zh-TW report and the regimes; then the new pages in English.
    page.goto(reverse("incidents:report", args=[incident.pk]))
    expect(page.locator("h1")).to_contain_text("事件報告")
    shoot(page, "09-incident-report")
    page.goto(reverse("incidents:regime_list"))
    shoot(page, "10-regimes")
    page.goto(reverse("incidents:shipped", args=["eu-dora"]))
    expect(page.locator("body")).to_contain_text("2025/301")
    shoot(page, "11-regime-dora")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    drill = Drill.objects.get(organisation=securities, code="DR-2026-02")
    for name, url in (
        ("en-drills", reverse("continuity:drill_list")),
        ("en-drill", reverse("continuity:drill_detail", args=[drill.pk])),
        ("en-incidents", reverse("incidents:incident_list")),
        ("en-incident", reverse("incidents:incident_detail", args=[incident.pk])),
        ("en-regimes", reverse("incidents:regime_list")),
    ):
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        shoot(page, name)
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting regimes")
