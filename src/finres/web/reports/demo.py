"""Demo reports: maturity targets, the CISO's board report for 2025 (final) and 2026 (draft),
and the 2025 information security declaration, for the demo securities firm."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import translation

from finres.web.assessments.models import MaturityTarget
from finres.web.frameworks.models import Framework
from finres.web.reports import workflow
from finres.web.reports.forms import default_statement
from finres.web.reports.models import BoardReport, Declaration, DocumentStatus, Signatory

# framework code -> [(tier or None for any tier, target level)]
TARGETS: dict[str, dict[str, list[tuple[int | None, int]]]] = {
    "securities": {
        "twse-securities-tiered-protection": [(None, 3), (1, 4)],
        "iso27001-2022-annex-a": [(None, 3)],
        "fsc-resilience-blueprint-2025": [(None, 3)],
        "sfa-emerging-tech-guideline": [(None, 3)],
        "nist-csf-2.0": [(None, 3)],
        "fsc-zero-trust-maturity": [(None, 2)],
    },
    "bank": {
        "iso27001-2022-annex-a": [(None, 3)],
        "fsc-resilience-blueprint-2025": [(None, 3)],
        "nist-csf-2.0": [(None, 3)],
    },
}

REPORT_2025 = {
    "summary": (
        "114年度資安整體執行情形良好：年度資安計畫如期完成，未發生須通報主管機關之重大資安事件；"
        "整體資安成熟度較113年度提升，惟供應鏈及雲端組態仍為主要風險，已列入115年度改善重點。"
    ),
    "programme_execution": (
        "一、依董事會核定之114年度資安計畫執行，完成 ISO/IEC 27001:2022 轉版驗證。\n"
        "二、依證券商資通安全分級防護規範完成應辦事項自評，未符合事項均已訂定改善計畫及期程。\n"
        "三、於遠距辦公場域導入零信任架構，身分支柱達「初始」階段。\n"
        "計畫變更：原訂第三季辦理之弱點掃描工具汰換，因原產品停止支援，改於第四季以新採購方案執行。"
    ),
    "major_incidents": (
        "本年度未發生須通報主管機關之重大資安事件。\n"
        "第三季發生一起社交工程郵件導致之帳號盜用未遂事件，經資安監控中心即時偵測並阻斷；"
        "改善措施：全面啟用多因子驗證，並增加社交工程演練頻率為每半年一次。"
    ),
    "risk_assessment": (
        "依114年度資安風險評估結果，高風險項目為第三方供應鏈管理及雲端服務組態管理。\n"
        "控制措施有效性：內部稽核抽查40項控制措施，36項有效、4項部分有效，已列入改善計畫追蹤；"
        "另就2項暫無法符合之規範要求，經資安長提出補償性控制措施並核准為風險接受事項，定期追蹤至結案。"
    ),
    "budget_resources": (
        "114年度資安預算新臺幣4,200萬元，實際執行3,950萬元（執行率約94%），約占資訊預算11%。\n"
        "資安專責人員8名，並委外辦理資安監控中心服務；未執行部分係因採購時程遞延至115年度。"
    ),
    "budget_planned": 42_000_000,
    "budget_spent": 39_500_000,
    "it_budget": 360_000_000,
    "security_staff": 8,
}

SIGNATORIES = [
    ("董事長", "王大明"),
    ("總經理", "李美華"),
    ("總稽核", "陳志強"),
    ("資訊安全長", "林書豪"),
]


def load(context: Any) -> None:
    organisations = context.organisations
    securities = organisations.get("securities")
    if securities is None:
        return
    frameworks = {f.code: f for f in Framework.objects.filter(active=True)}
    for key, targets in TARGETS.items():
        organisation = organisations.get(key)
        if organisation is None:
            continue
        for code, levels in targets.items():
            framework = frameworks.get(code)
            if framework is None:
                continue
            for tier, level in levels:
                MaturityTarget.objects.get_or_create(
                    organisation=organisation,
                    framework=framework,
                    tier=tier,
                    defaults={"level": level},
                )
    if BoardReport.objects.filter(organisation=securities, year=2025).exists():
        return
    ciso = context.users.get("demo-ciso")
    report = BoardReport.objects.create(
        organisation=securities, year=2025, prepared_by=ciso, **REPORT_2025
    )
    workflow.finalise_board_report(report, ciso)
    BoardReport.objects.create(
        organisation=securities,
        year=2026,
        prepared_by=ciso,
        programme_execution="115年度資安計畫已提報董事會，重點為供應鏈資安管理及雲端組態監控。",
        budget_planned=46_000_000,
        it_budget=380_000_000,
        security_staff=9,
    )
    with translation.override("zh-hant"):
        statement = default_statement(2025)
    declaration = Declaration.objects.create(
        organisation=securities,
        year=2025,
        statement=statement,
        declared_on=dt.date(2026, 3, 20),
        status=DocumentStatus.DRAFT,
    )
    for position, (title, name) in enumerate(SIGNATORIES, start=1):
        Signatory.objects.create(
            organisation=securities,
            declaration=declaration,
            position=position,
            title=title,
            name=name,
            signed_on=dt.date(2026, 3, 20),
        )
    workflow.finalise_declaration(declaration, ciso)
