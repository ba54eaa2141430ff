"""The demo securities firm's incident register.

The firm is Taiwanese: the EU DORA regime does not bind it, and the seeds state no Taiwanese
reporting deadline, so its major incident is not shown against DORA's. It runs under the firm's
own escalation procedure, entered as a regime whose source says plainly that it is demo data
(a fictitious internal procedure, not a regulator's rule). The final report of that procedure is
overdue, so the overdue flag shows; one lesson is already a finding of source "incident", which
the board report lists beside the register's major incidents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from finres.web.continuity.models import CriticalService, Node
from finres.web.improvements.models import Finding
from finres.web.incidents.models import Incident, ReportingRegime, Submission, TimelineEntry
from finres.web.registers.models import InformationSystem, Supplier

STAGES = [
    {
        "id": "stage-1",
        "name": {"zh": "通報資安長", "en": "Notify the CISO"},
        "within": [{"amount": 1, "unit": "hours", "after": "detected"}],
        "source": "示範程序第 5 條第 1 款（虛構之示範文件）",
    },
    {
        "id": "stage-2",
        "name": {"zh": "初步報告（總經理）", "en": "Initial report to the president"},
        "within": [{"amount": 24, "unit": "hours", "after": "classified"}],
        "source": "示範程序第 5 條第 2 款（虛構之示範文件）",
    },
    {
        "id": "stage-3",
        "name": {"zh": "結案報告（董事會）", "en": "Closing report to the board"},
        "within": [{"amount": 1, "unit": "months", "after": "recovered"}],
        "source": "示範程序第 5 條第 3 款（虛構之示範文件）",
    },
]


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    if securities is None or Incident.objects.filter(organisation=securities).exists():
        return
    now = timezone.now().replace(second=0, microsecond=0)
    regime = ReportingRegime(
        organisation=securities,
        code="INT-ESC",
        name="內部資安事件通報程序（示範）",
        regulator="本公司資安長室（內部程序，非主管機關規定）",
        source="示範資料：本公司「資通安全事件通報及應變作業程序」第 5 條。此為虛構之示範文件，"
        "非金管會或證交所之規定；種子文件未載明我國主管機關之通報時限。",
        notes="請以主管機關實際規定之條文取代。",
        stages=STAGES,
    )
    regime.full_clean()
    regime.save()

    detected = now - dt.timedelta(days=60, hours=3)
    if detected.year != now.year:  # keep the major incident in the board report's year
        detected = now - dt.timedelta(days=3, hours=6)
    major = Incident.objects.create(
        organisation=securities,
        code="INC-2026-001",
        title="雲端身分服務中斷致電子下單無法登入",
        description="雲端身分服務供應商區域性故障，客戶無法登入網站及 App 下單；語音下單正常。",
        occurred_at=detected - dt.timedelta(minutes=12),
        detected_at=detected,
        classified_at=detected + dt.timedelta(minutes=50),
        category=Incident.Category.THIRD_PARTY,
        severity=Incident.Severity.HIGH,
        major=True,
        status=Incident.Status.RECOVERED,
        contained_at=detected + dt.timedelta(hours=2),
        recovered_at=detected + dt.timedelta(hours=4, minutes=35),
        discovery=Incident.Discovery.CLIENT,
        clients_affected=18_400,
        data_affected="無資料外洩；登入服務之可用性受影響。",
        geographic_spread="僅臺灣",
        root_cause="身分服務供應商單一區域故障；本公司未建置替代登入機制（單一故障點）。",
        lessons="建置雲端身分服務之替代登入機制並納入年度演練\n"
        "與身分服務供應商約定事件通報時限及服務水準（措施18契約條款）",
        regime=f"org:{regime.pk}",
    )
    major.services.set(CriticalService.objects.filter(organisation=securities, code="SVC-ETRADE"))
    major.nodes.set(Node.objects.filter(organisation=securities, code="AUTH"))
    major.systems.set(
        InformationSystem.objects.filter(
            organisation=securities, code__in=["SYS-ETRADE", "SYS-MOBILE"]
        )
    )
    major.suppliers.set(Supplier.objects.filter(organisation=securities, code="SUP-MS"))
    for minutes, text in (
        (0, "監控告警：網站及 App 登入失敗率急升。"),
        (30, "確認為雲端身分服務區域性故障，啟動應變小組並通知客服中心。"),
        (50, "資安長判定為重大事件（影響關鍵服務：電子下單）。"),
        (120, "公告客戶改以語音下單；影響範圍控制。"),
        (275, "供應商恢復服務，登入恢復正常，完成交易對帳。"),
    ):
        TimelineEntry.objects.create(
            organisation=securities,
            incident=major,
            at=detected + dt.timedelta(minutes=minutes),
            text=text,
        )
    Submission.objects.create(
        organisation=securities,
        incident=major,
        stage="stage-1",
        submitted_at=detected + dt.timedelta(minutes=40),
        reference="內部通報單 2026-117",
    )
    Submission.objects.create(
        organisation=securities,
        incident=major,
        stage="stage-2",
        submitted_at=detected + dt.timedelta(hours=20),
        reference="簽呈 2026-0921",
    )
    Finding.objects.create(
        organisation=securities,
        title="事件 INC-2026-001：建置雲端身分服務之替代登入機制並納入年度演練",
        description="事件 INC-2026-001（雲端身分服務中斷致電子下單無法登入）之檢討事項。",
        source=Finding.Source.INCIDENT,
        source_reference="incident INC-2026-001 lesson 1",
        severity=Finding.Severity.HIGH,
        plan="導入備援身分驗證機制，並於 DR-2026-02 演練驗證。",
        due_date=timezone.localdate() + dt.timedelta(days=90),
    )

    minor = Incident.objects.create(
        organisation=securities,
        code="INC-2026-002",
        title="員工點擊釣魚郵件連結",
        description="一名員工點擊偽冒郵件連結並輸入帳密，已即時重設密碼並封鎖來源網域。",
        detected_at=now - dt.timedelta(days=3, hours=2),
        category=Incident.Category.CYBER_ATTACK,
        severity=Incident.Severity.MEDIUM,
        status=Incident.Status.CONTAINED,
        contained_at=now - dt.timedelta(days=3),
        lessons="加強社交工程演練頻率",
    )
    minor.systems.set(InformationSystem.objects.filter(organisation=securities, code="SYS-MAIL"))
