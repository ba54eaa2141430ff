"""Demo evidence of the demo securities firm: small real files (a policy in text, a CSV log
extract, PDF reports), a link, a document with an earlier rejected version; one expired, one
expiring soon, some approved. Each supports results of the firm's assessments when the
assessments demo created them. Dates are relative to the day the demo is loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from finres.web.assessments.models import Assessment, RequirementResult
from finres.web.evidence import services
from finres.web.evidence.models import Evidence

REQUIREMENTS_POLICY = (
    ("iso27001-2022-annex-a", "A.5.1"),
    ("twse-securities-tiered-protection", "cc-12000-isms-implementation"),
)
REQUIREMENTS_LOGS = (
    ("twse-securities-tiered-protection", "cc-17010-firewall-log-retention"),
    ("iso27001-2022-annex-a", "A.8.15"),
)
REQUIREMENTS_PENTEST = (
    ("twse-securities-tiered-protection", "cc-17010-penetration-test-conduct"),
    ("twse-securities-tiered-protection", "cc-17010-penetration-test-remediation"),
)
REQUIREMENTS_EXERCISE = (
    ("twse-securities-tiered-protection", "cc-20000-continuity-exercise"),
    ("iso27001-2022-annex-a", "A.5.30"),
)
REQUIREMENTS_CERTIFICATE = (("twse-securities-tiered-protection", "cc-12000-isms-certification"),)
REQUIREMENTS_BACKUP = (("iso27001-2022-annex-a", "A.8.13"),)

POLICY_TEXT = """範例綜合證券股份有限公司 資訊安全政策（{year} 年版）

一、目的
為確保本公司資訊資產之機密性、完整性及可用性，並符合主管機關及臺灣證券交易所之資通安全規範，特訂定本政策。

二、適用範圍
本政策適用於本公司全體員工、委外廠商及存取本公司資訊資產之第三方。

三、資訊安全目標
1. 核心系統可用率達 99.9% 以上。
2. 重大資安事件於發現後 1 小時內通報。
3. 每年辦理資通安全教育訓練，全體員工完訓率 100%。

四、權責
資安長綜理資訊安全政策之推動，並每年向董事會報告資訊安全整體執行情形。

本政策經董事會通過後施行，修正時亦同。
"""


def _log_csv(today: dt.date) -> str:
    lines = ["timestamp,device,action,source_ip,destination_ip,destination_port,rule"]
    for minute, (action, source, destination, port, rule) in enumerate(
        [
            ("deny", "203.0.113.17", "10.10.1.20", 3389, "block-rdp-internet"),
            ("allow", "10.20.5.11", "10.10.1.30", 443, "trading-api"),
            ("deny", "198.51.100.4", "10.10.1.25", 22, "block-ssh-internet"),
            ("allow", "10.20.5.12", "10.10.2.40", 1433, "db-app-tier"),
            ("deny", "192.0.2.99", "10.10.1.20", 445, "block-smb"),
        ]
    ):
        stamp = f"{today.isoformat()}T02:{minute:02d}:00+08:00"
        lines.append(f"{stamp},fw-core-01,{action},{source},{destination},{port},{rule}")
    return "\n".join(lines) + "\n"


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ``lines`` of ASCII text in Helvetica (no font files needed)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = "BT /F1 12 Tf 72 770 Td 16 TL " + " ".join(f"({escape(line)}) '" for line in lines)
    stream = (text + " ET").encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


@dataclass(frozen=True)
class Item:
    title: str
    description: str
    file_name: str
    content: bytes
    effective: dt.date | None
    expiry: dt.date | None
    requirements: tuple[tuple[str, str], ...]
    review: str = ""  # "", "approved" or "rejected"
    review_comment: str = ""
    url: str = ""


def _items(today: dt.date) -> list[Item]:
    year_start = dt.date(today.year, 1, 1)
    return [
        Item(
            f"資訊安全政策（{today.year} 年版）",
            "經董事會通過之資訊安全政策全文。",
            "information-security-policy.txt",
            POLICY_TEXT.format(year=today.year).encode("utf-8"),
            year_start,
            dt.date(today.year, 12, 31),
            REQUIREMENTS_POLICY,
            review="approved",
        ),
        Item(
            "核心防火牆日誌摘錄（保存期間抽樣）",
            "自核心防火牆匯出之日誌抽樣，證明日誌保存及阻擋規則運作。",
            "firewall-log-extract.csv",
            _log_csv(today).encode("utf-8"),
            today - dt.timedelta(days=350),
            today + dt.timedelta(days=14),  # expiring soon
            REQUIREMENTS_LOGS,
            review="approved",
        ),
        Item(
            "年度滲透測試報告（第三方）",
            "外部資安廠商執行之網路下單系統滲透測試報告摘要。",
            "penetration-test-report.pdf",
            minimal_pdf(
                [
                    "Penetration test report - online trading system",
                    f"Test window: {today.year - 1}-09-01 to {today.year - 1}-09-30",
                    "Findings: 3 high, 5 medium, 8 low",
                    "Retest required for the high findings.",
                ]
            ),
            today - dt.timedelta(days=400),
            today - dt.timedelta(days=20),  # expired
            REQUIREMENTS_PENTEST,
            review="approved",
        ),
        Item(
            "業務持續運作演練紀錄",
            "年度核心系統異地備援切換演練之紀錄與檢討。",
            "continuity-exercise-record.pdf",
            minimal_pdf(
                [
                    "Business continuity exercise record",
                    "Scenario: loss of the primary data centre",
                    "Measured recovery time: 3 h 40 min (RTO 4 h)",
                ]
            ),
            today - dt.timedelta(days=60),
            today + dt.timedelta(days=305),
            REQUIREMENTS_EXERCISE,
        ),
        Item(
            "ISO/IEC 27001 驗證證書（驗證機構查詢頁）",
            "驗證機構網站之證書有效性查詢頁。",
            "",
            b"",
            year_start,
            today + dt.timedelta(days=500),
            REQUIREMENTS_CERTIFICATE,
            url="https://www.example.com/certificates/finres-demo-securities",
        ),
    ]


def _results(organisation: Any, wanted: tuple[tuple[str, str], ...]) -> list[RequirementResult]:
    """The results of ``wanted`` requirements in the latest assessment of each framework."""
    found: list[RequirementResult] = []
    for framework, code in wanted:
        latest = (
            RequirementResult.objects.filter(
                organisation=organisation,
                requirement__framework__code=framework,
                requirement__code=code,
            )
            .select_related("assessment")
            .order_by("-assessment__period_start", "-pk")
            .first()
        )
        if latest is not None:
            found.append(latest)
    return found


def load(context: Any) -> None:
    organisation = context.organisations.get("securities")
    if organisation is None or Evidence.objects.filter(organisation=organisation).exists():
        return
    owner = context.users.get("demo-owner")
    ciso = context.users.get("demo-ciso")
    today = timezone.localdate()
    linked_any = False
    for item in _items(today):
        results = _results(organisation, item.requirements)
        linked_any = linked_any or bool(results)
        evidence = services.create_evidence(
            organisation=organisation,
            user=owner,
            title=item.title,
            description=item.description,
            effective_date=item.effective,
            expiry_date=item.expiry,
            upload=ContentFile(item.content, name=item.file_name) if item.content else None,
            url=item.url,
            results=results,
        )
        if item.review and ciso is not None:
            services.review(evidence, ciso, item.review, item.review_comment)
    _backup_policy_with_history(organisation, owner, ciso, today)
    if not linked_any:
        _link_first_results(organisation, owner)


def _backup_policy_with_history(organisation: Any, owner: Any, ciso: Any, today: dt.date) -> None:
    """A document whose first version was rejected and replaced: the history of versions."""
    first = services.create_evidence(
        organisation=organisation,
        user=owner,
        title="備份管理程序",
        description="資料備份及異地保存作業程序。",
        effective_date=today - dt.timedelta(days=90),
        expiry_date=today + dt.timedelta(days=640),
        upload=ContentFile(
            "備份管理程序（初版）\n每週完整備份一次。\n".encode(), name="backup.txt"
        ),
        results=_results(organisation, REQUIREMENTS_BACKUP),
    )
    if ciso is not None:
        services.review(first, ciso, "rejected", "未載明異地保存及還原測試頻率，請補充。")
    second = services.create_evidence(
        organisation=organisation,
        user=owner,
        title="備份管理程序",
        description="資料備份及異地保存作業程序（補充異地保存與還原測試）。",
        effective_date=today - dt.timedelta(days=30),
        expiry_date=today + dt.timedelta(days=700),
        upload=ContentFile(
            "備份管理程序（第二版）\n每日增量備份、每週完整備份，備份媒體異地保存。\n"
            "每季辦理還原測試並留存紀錄。\n".encode(),
            name="backup.txt",
        ),
        supersedes=first,
    )
    if ciso is not None:
        services.review(second, ciso, "approved")


def _link_first_results(organisation: Any, owner: Any) -> None:
    """Without the expected requirements, the policy supports the first result of each
    assessment, so that the demo still shows one piece of evidence supporting many."""
    policy = Evidence.objects.filter(organisation=organisation).order_by("pk").first()
    if policy is None:
        return
    for assessment in Assessment.objects.filter(organisation=organisation).order_by("pk"):
        result = (
            RequirementResult.objects.filter(organisation=organisation, assessment=assessment)
            .select_related("assessment")
            .order_by("requirement__position")
            .first()
        )
        if result is not None:
            services.link(policy, result, owner)
