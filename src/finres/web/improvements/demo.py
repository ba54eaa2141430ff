"""Demo improvement plans and exceptions of the demo securities firm.

Findings come from the firm's non-compliant results in its 2026 TWSE and blueprint assessments
when the assessments demo created them, otherwise from library requirements directly. Dates are
relative to the day the demo is loaded, so that it always shows an overdue milestone, an
exception expiring soon, one approved and one awaiting a decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from finres.core import plans
from finres.web.assessments.models import RequirementResult, Result
from finres.web.frameworks.models import Requirement
from finres.web.improvements.models import Finding, Milestone, RiskException

TWSE = "twse-securities-tiered-protection"
BLUEPRINT = "fsc-resilience-blueprint-2025"


@dataclass(frozen=True)
class PlannedFinding:
    framework: str
    requirement: str
    title: str
    description: str
    plan: str
    severity: str
    status: str
    due_in_days: int
    milestones: tuple[tuple[str, int, bool], ...]  # title, due in days, done


# The first plan has a milestone past due and not done: the demo's overdue example.
PLANS = (
    PlannedFinding(
        TWSE,
        "cc-17010-penetration-test-remediation",
        "滲透測試發現之高風險弱點尚未完成修補",
        "年度滲透測試發現網路下單系統 3 項高風險弱點，尚有 2 項未完成修補及複測。",
        "由資訊部於期限內完成弱點修補，資安部安排第三方複測，並將複測報告作為佐證資料。",
        "high",
        "in_progress",
        75,
        (
            ("完成弱點修補方案與變更申請", -40, True),
            ("完成高風險弱點修補並上線", -7, False),
            ("第三方複測並取得複測報告", 60, False),
        ),
    ),
    PlannedFinding(
        BLUEPRINT,
        "m-8.sbom",
        "核心系統尚未建立軟體物料清單(SBOM)",
        "自行開發系統已可產出 SBOM，外購之核心交易套件尚未取得。",
        "分階段要求供應商提供 SBOM，並導入軟體成分分析(SCA)工具，連結 CVE 及 KEV 追蹤弱點。",
        "medium",
        "open",
        200,
        (
            ("盤點核心系統外購套件與供應商", 30, False),
            ("修訂委外契約納入 SBOM 條款", 120, False),
            ("導入 SCA 工具並產出首版 SBOM", 190, False),
        ),
    ),
)

AUDIT_FINDING = PlannedFinding(
    TWSE,
    "cc-20000-continuity-exercise",
    "內部稽核：業務持續運作演練紀錄不完整",
    "稽核發現 2025 年度演練缺少復原時間實測紀錄及檢討會議紀錄。",
    "修訂演練紀錄範本，補辦演練並留存 RTO 實測及檢討紀錄。",
    "low",
    plans.FindingStatus.CLOSED,
    -10,
    (("修訂演練紀錄範本", -60, True), ("補辦演練並留存紀錄", -20, True)),
)

# Findings raised from assessment results get a plan in general terms; the first one of them
# again has a milestone past due.
GENERIC_PLAN = "依評估結果釐清差距原因，導入所需控制措施，並提交佐證資料辦理複評。"
GENERIC_MILESTONES: tuple[tuple[tuple[str, int, bool], ...], ...] = (
    (
        ("完成差距分析與改善方案", -30, True),
        ("完成改善措施導入", -7, False),
        ("提交佐證資料並辦理複評", 60, False),
    ),
    (
        ("完成差距分析與改善方案", 20, False),
        ("完成改善措施導入", 100, False),
        ("提交佐證資料並辦理複評", 180, False),
    ),
)


def _requirement(framework: str, code: str) -> Requirement | None:
    return Requirement.objects.filter(framework__code=framework, code=code).first()


def _nonconformities(organisation: Any) -> list[RequirementResult]:
    return list(
        RequirementResult.objects.filter(
            organisation=organisation,
            assessment__framework__code__in=[TWSE, BLUEPRINT],
            assessment__period_start__year=2026,
            result=Result.NON_COMPLIANT,
        )
        .select_related("requirement", "assessment")
        .order_by("assessment__framework__code", "requirement__position")[: len(PLANS)]
    )


def _finding(
    organisation: Any,
    planned: PlannedFinding,
    today: dt.date,
    owner: Any,
    creator: Any,
    result: RequirementResult | None = None,
    source: str = "assessment",
) -> Finding:
    now = timezone.now()
    if result is not None:
        requirement = result.requirement
        title = f"{requirement.label} {requirement.title('zh-TW')}".strip()[:300]
        description = result.comments
        plan = GENERIC_PLAN
        milestones = GENERIC_MILESTONES[0 if planned is PLANS[0] else 1]
        reference = str(result.assessment)
    else:
        requirement = _requirement(planned.framework, planned.requirement)
        title, description, plan = planned.title, planned.description, planned.plan
        milestones = planned.milestones
        reference = "2026 內部稽核報告 第 3 項" if source == "audit" else ""
    closed = planned.status == plans.FindingStatus.CLOSED
    finding = Finding.objects.create(
        organisation=organisation,
        title=title,
        description=description,
        source=source,
        source_reference=reference,
        severity=planned.severity,
        requirement=requirement,
        result=result,
        plan=plan,
        owner=owner,
        due_date=today + dt.timedelta(days=planned.due_in_days),
        status=planned.status,
        created_by=creator,
        closed_at=now if closed else None,
        closing_note="演練已補辦，紀錄經稽核室確認。" if closed else "",
    )
    for milestone_title, due_in_days, done in milestones:
        Milestone.objects.create(
            organisation=organisation,
            finding=finding,
            title=milestone_title,
            owner=owner,
            due_date=today + dt.timedelta(days=due_in_days),
            done=done,
            done_at=now if done else None,
            done_by=owner if done else None,
        )
    return finding


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    if securities is None or Finding.objects.filter(organisation=securities).exists():
        return
    users = context.users
    ciso, owner = users.get("demo-ciso"), users.get("demo-owner")
    today = timezone.localdate()
    now = timezone.now()

    results = _nonconformities(securities)
    findings = [
        _finding(
            securities,
            planned,
            today,
            owner,
            ciso,
            result=results[index] if index < len(results) else None,
        )
        for index, planned in enumerate(PLANS)
    ]
    _finding(securities, AUDIT_FINDING, today, owner, ciso, source="audit")

    RiskException.objects.create(
        organisation=securities,
        title="舊版網路下單系統暫無法導入應用程式防火牆",
        requirement=_requirement(TWSE, "cc-17010-web-application-firewall"),
        risk="舊版系統預計 2027 年汰換，期間應用層攻擊僅由網路層設備防護，存在注入類攻擊風險。",
        compensating_controls="反向代理設定輸入過濾規則；每週弱點掃描；SOC 針對異常請求設定告警；"
        "每季滲透測試納入該系統。",
        proposed_by=owner,
        approver=ciso,
        approved_at=now - dt.timedelta(days=40),
        decision_note="同意至系統汰換前為止，每季檢視補償措施有效性。",
        expiry_date=today + dt.timedelta(days=180),
        status="approved",
    )
    RiskException.objects.create(
        organisation=securities,
        title="資訊安全管理系統驗證範圍尚未涵蓋新上線核心系統",
        requirement=_requirement(TWSE, "cc-12000-isms-certification"),
        risk="新核心系統上線未滿一年，尚未納入第三方驗證範圍，控制措施未經獨立驗證。",
        compensating_controls="已適用公司 ISMS 政策與程序；內部稽核已完成專案查核；"
        "下次驗證稽核納入範圍。",
        proposed_by=owner,
        approver=ciso,
        approved_at=now - dt.timedelta(days=300),
        expiry_date=today + dt.timedelta(days=20),
        status="approved",
    )
    # the SBOM plan doubles as the proposal's finding when it was not replaced by a result
    sbom_finding = findings[1] if findings[1].result_id is None else None
    RiskException.objects.create(
        organisation=securities,
        title="外購核心交易套件暫無法提供 SBOM",
        requirement=_requirement(BLUEPRINT, "m-8.sbom"),
        finding=sbom_finding,
        risk="外購套件元件不透明，新公布之弱點可能無法即時判斷是否受影響。",
        compensating_controls="要求供應商提供元件清單與弱點修補承諾；訂閱供應商安全公告；"
        "以 SCA 工具掃描可取得之元件。",
        proposed_by=ciso,  # the CISO proposes (blueprint measure 2); the administrator decides
        expiry_date=today + dt.timedelta(days=300),
        status="proposed",
    )
