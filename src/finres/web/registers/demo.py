"""The demo securities firm's registers: its sites, core trading systems (on premises, in a
co-location facility and on the cloud), internet-facing e-trading, and suppliers in every tier,
with contract clauses, due diligence, exit plans and disaster-recovery assessments.

Dates are relative to the day the demo is loaded, so that the demo always shows a system whose
annual review is due, a supplier whose review is overdue and a critical supplier without an exit
plan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from finres.web.registers.models import InformationSystem, Site, Supplier, SupplierReview

SITES = (
    # code, name, kind, country, address
    ("DC-NH", "內湖主機房", "primary_data_centre", "TW", "臺北市內湖區"),
    ("DC-TC", "臺中異地備援機房", "backup_data_centre", "TW", "臺中市西屯區"),
    ("IDC-BQ", "板橋電信 IDC 主機代管", "co_location", "TW", "新北市板橋區"),
    ("AWS-TPE", "AWS 亞太（台北）區域", "cloud_region", "TW", "ap-east-2"),
    ("GCP-CHW", "Google Cloud 彰化區域", "cloud_region", "TW", "asia-east1"),
    ("AZ-SEA", "Azure 東南亞（新加坡）區域", "cloud_region", "SG", "southeastasia"),
    ("HQ", "臺北總公司", "office", "TW", "臺北市中正區"),
)

EVERY_CLAUSE = [
    "security_sla",
    "data_protection",
    "incident_notification",
    "risk_disclosure",
    "security_testing_proof",
    "sbom",
    "joint_tests_drills",
    "penalties",
    "right_to_audit",
]
CLOUD_CLAUSES = [
    "data_ownership",
    "portability",
    "audit_access",
    "exit_migration",
    "data_location",
    "data_deletion_proof",
]

SUPPLIERS: tuple[dict[str, Any], ...] = (
    {
        "code": "SUP-CORE",
        "name": "範例金融資訊股份有限公司",
        "tax_id": "12345678",
        "industry": "core_system_vendor",
        "services": "證券交易核心系統、網路下單系統之開發與維護",
        "system_access": "core_systems",
        "data_sensitivity": "customer",
        "contract_clauses": [c for c in EVERY_CLAUSE if c != "sbom"],
        "incident_notification_hours": 1,
        "exit_plan": (
            "原始碼託管；契約終止前 12 個月通知；由資訊部接手維運並委請第二家廠商評估移轉。"
        ),
        "dr_capability": "tested",
        "dr_rto_minutes": 120,
        "dr_rpo_minutes": 15,
        "dr_notes": "廠商支援團隊參與本公司年度異地備援演練。",
        "tags": ["trading"],
        "reviews": (("due_diligence", 200, "findings", "SBOM 尚未提供，已列入改善計畫。"),),
        "dr_assessed_days_ago": 200,
    },
    {
        "code": "SUP-TEL",
        "name": "範例電信股份有限公司",
        "industry": "telecom",
        "services": "交易專線、網際網路頻寬及板橋 IDC 主機代管",
        "system_access": "non_core_systems",
        "data_sensitivity": "internal",
        "contract_clauses": [
            "security_sla",
            "data_protection",
            "incident_notification",
            "penalties",
            "right_to_audit",
        ],
        "incident_notification_hours": 2,
        "exit_plan": "雙電信業者備援線路；主要業者中斷時切換至第二業者。",
        "dr_capability": "documented",
        "alternatives": "第二家電信業者備援專線。",
        "reviews": (("periodic", 420, "satisfactory", "年度服務水準檢視。"),),
        "dr_assessed_days_ago": 420,
    },
    {
        "code": "SUP-AWS",
        "name": "Amazon Web Services Taiwan",
        "industry": "cloud_service_provider",
        "services": "行動下單 App 後端（EKS）及官方網站代管",
        "system_access": "core_systems",
        "data_sensitivity": "customer",
        "cloud_services": True,
        "contract_clauses": [
            *EVERY_CLAUSE,
            *[c for c in CLOUD_CLAUSES if c != "data_deletion_proof"],
        ],
        "incident_notification_hours": 4,
        "exit_plan": "容器化部署，可於 30 日內移回內湖主機房；每年演練一次。",
        "dr_capability": "tested",
        "dr_rto_minutes": 60,
        "dr_rpo_minutes": 5,
        "reviews": (
            ("due_diligence", 500, "satisfactory", "依新興科技指引第5條完成盡職調查。"),
            ("audit", 90, "satisfactory", "取得 SOC 2 Type II 及 ISO 27001 報告。"),
        ),
        "dr_assessed_days_ago": 90,
    },
    {
        "code": "SUP-GCP",
        "name": "Google Cloud Taiwan",
        "industry": "cloud_service_provider",
        "services": "行情資訊服務",
        "system_access": "non_core_systems",
        "data_sensitivity": "public",
        "cloud_services": True,
        "contract_clauses": [
            "security_sla",
            "data_protection",
            "incident_notification",
            "penalties",
            "right_to_audit",
            "data_ownership",
            "portability",
        ],
        "dr_capability": "unknown",
        "reviews": (("due_diligence", 150, "satisfactory", ""),),
    },
    {
        "code": "SUP-MS",
        "name": "Microsoft Azure（新加坡）",
        "industry": "cloud_service_provider",
        "services": "客戶關係管理（CRM）SaaS",
        "system_access": "non_core_systems",
        "data_sensitivity": "customer",
        "cloud_services": True,
        "processing_location": "SG",
        "contract_clauses": [
            "data_protection",
            "incident_notification",
            "right_to_audit",
            "data_location",
        ],
        "dr_capability": "documented",
        "reviews": (),
    },
    {
        "code": "SUP-SOC",
        "name": "範例資安監控服務股份有限公司",
        "industry": "security_services",
        "services": "委外資安監控（SOC）",
        "system_access": "non_core_systems",
        "data_sensitivity": "confidential",
        "contract_clauses": [*EVERY_CLAUSE],
        "incident_notification_hours": 1,
        "reviews": (("periodic", 60, "satisfactory", ""),),
    },
    {
        "code": "SUP-HW",
        "name": "範例硬體維護有限公司",
        "industry": "hardware_vendor",
        "services": "伺服器與儲存設備硬體維護（不接觸資料）",
        "system_access": "none",
        "data_sensitivity": "internal",
        "contract_clauses": [
            "data_protection",
            "incident_notification",
            "penalties",
            "right_to_audit",
        ],
        "reviews": (("periodic", 300, "satisfactory", ""),),
    },
)

SYSTEMS: tuple[dict[str, Any], ...] = (
    {
        "code": "SYS-TRADE",
        "name": "證券交易核心系統",
        "description": "委託、成交回報、帳務及風控；連線證交所及櫃買中心。",
        "owner": "資訊部 交易系統科",
        "classification": "core",
        "ratings": ("high", "high", "high", "high"),
        "rationale": "直接影響客戶委託及交割，依證券期貨商資訊安全防護標準列為核心系統。",
        "data_sensitivity": "customer",
        "hosting": "on_premises",
        "sites": ["DC-NH", "DC-TC"],
        "suppliers": ["SUP-CORE", "SUP-TEL"],
        "tags": ["trading", "core-banking-hours"],
        "reviewed_days_ago": 100,
    },
    {
        "code": "SYS-ETRADE",
        "name": "網路下單系統",
        "description": "客戶透過網際網路下單之前台及 API。",
        "owner": "資訊部 電子交易科",
        "classification": "core",
        "ratings": ("high", "high", "high", "high"),
        "internet_facing": True,
        "data_sensitivity": "customer",
        "hosting": "co_location",
        "natural_person_customers": True,
        "sites": ["IDC-BQ", "DC-TC"],
        "suppliers": ["SUP-CORE", "SUP-TEL"],
        "tags": ["trading", "internet"],
        "reviewed_days_ago": 100,
    },
    {
        "code": "SYS-MOBILE",
        "name": "行動下單 App 後端",
        "description": "行動 App 之 API 閘道與下單服務，雲地混合部署。",
        "owner": "數位金融部",
        "classification": "core",
        "ratings": ("high", "high", "high", "medium"),
        "internet_facing": True,
        "data_sensitivity": "customer",
        "hosting": "hybrid",
        "cloud_provider": "AWS",
        "cloud_service": "EKS, RDS",
        "material": True,
        "natural_person_customers": True,
        "sites": ["AWS-TPE", "DC-NH"],
        "suppliers": ["SUP-AWS", "SUP-CORE"],
        "tags": ["trading", "internet", "cloud"],
        "reviewed_days_ago": 30,
    },
    {
        "code": "SYS-SETTLE",
        "name": "交割結算系統",
        "description": "款券交割、集保及銀行端介接。",
        "owner": "資訊部 交易系統科",
        "classification": "core",
        "ratings": ("high", "high", "high", "high"),
        "data_sensitivity": "customer",
        "hosting": "on_premises",
        "sites": ["DC-NH", "DC-TC"],
        "suppliers": ["SUP-CORE"],
        "tags": ["settlement"],
        "reviewed_days_ago": 400,  # the annual review is overdue
    },
    {
        "code": "SYS-QUOTE",
        "name": "行情資訊服務",
        "description": "即時及延遲行情之對外查詢服務。",
        "owner": "數位金融部",
        "classification": "non_core",
        "ratings": ("low", "medium", "medium", "low"),
        "internet_facing": True,
        "data_sensitivity": "public",
        "hosting": "cloud",
        "cloud_provider": "Google Cloud",
        "cloud_service": "Cloud Run",
        "sites": ["GCP-CHW"],
        "suppliers": ["SUP-GCP"],
        "tags": ["internet", "cloud"],
        "reviewed_days_ago": 200,
    },
    {
        "code": "SYS-CRM",
        "name": "客戶關係管理系統",
        "description": "營業員客戶管理及行銷名單（SaaS）。",
        "owner": "經紀業務部",
        "classification": "non_core",
        "ratings": ("high", "medium", "low", "high"),
        "data_sensitivity": "customer",
        "hosting": "cloud",
        "cloud_provider": "Microsoft Azure",
        "cloud_service": "Dynamics 365",
        "data_location": "SG",
        "natural_person_customers": True,
        "sites": ["AZ-SEA"],
        "suppliers": ["SUP-MS"],
        "tags": ["cloud"],
        "reviewed_days_ago": None,  # never reviewed
    },
    {
        "code": "SYS-WEB",
        "name": "公司官方網站",
        "owner": "行政管理部",
        "classification": "non_core",
        "ratings": ("low", "medium", "medium", "medium"),
        "internet_facing": True,
        "data_sensitivity": "public",
        "hosting": "cloud",
        "cloud_provider": "AWS",
        "cloud_service": "CloudFront, S3",
        "sites": ["AWS-TPE"],
        "suppliers": ["SUP-AWS"],
        "tags": ["internet"],
        "reviewed_days_ago": 120,
    },
    {
        "code": "SYS-SIEM",
        "name": "資安監控平台（SIEM）",
        "owner": "資訊安全部",
        "classification": "non_core",
        "ratings": ("high", "high", "medium", "medium"),
        "data_sensitivity": "confidential",
        "hosting": "on_premises",
        "sites": ["DC-NH"],
        "suppliers": ["SUP-SOC", "SUP-HW"],
        "tags": ["security"],
        "reviewed_days_ago": 60,
    },
    {
        "code": "SYS-MAIL",
        "name": "電子郵件系統",
        "owner": "資訊部 系統管理科",
        "classification": "non_core",
        "ratings": ("medium", "medium", "medium", "low"),
        "data_sensitivity": "internal",
        "hosting": "on_premises",
        "sites": ["DC-NH", "HQ"],
        "suppliers": ["SUP-HW"],
        "tags": [],
        "reviewed_days_ago": 250,
    },
)


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    if securities is None or InformationSystem.objects.filter(organisation=securities).exists():
        return
    today = timezone.localdate()
    reviewer = context.users.get("demo-ciso")

    def ago(days: int | None) -> dt.date | None:
        return None if days is None else today - dt.timedelta(days=days)

    sites = {
        code: Site.objects.create(
            organisation=securities, code=code, name=name, kind=kind, country=country, address=where
        )
        for code, name, kind, country, where in SITES
    }
    suppliers: dict[str, Supplier] = {}
    for data in SUPPLIERS:
        values = {k: v for k, v in data.items() if k not in ("reviews", "dr_assessed_days_ago")}
        supplier = Supplier(
            organisation=securities,
            contract_reference=f"{data['code']}-2025-01",
            contract_start=today - dt.timedelta(days=600),
            contract_end=today + dt.timedelta(days=500),
            dr_assessed_on=ago(data.get("dr_assessed_days_ago")),
            **values,
        )
        supplier.full_clean()
        supplier.save()
        suppliers[supplier.code] = supplier
        for kind, days, outcome, summary in data["reviews"]:
            SupplierReview.objects.create(
                organisation=securities,
                supplier=supplier,
                kind=kind,
                performed_on=today - dt.timedelta(days=days),
                performed_by="資訊安全部 供應商管理小組",
                outcome=outcome,
                summary=summary,
            )
    for data in SYSTEMS:
        confidentiality, integrity, availability, legal = data["ratings"]
        reviewed = ago(data["reviewed_days_ago"])
        system = InformationSystem(
            organisation=securities,
            code=data["code"],
            name=data["name"],
            description=data.get("description", ""),
            owner=data["owner"],
            classification=data["classification"],
            confidentiality=confidentiality,
            integrity=integrity,
            availability=availability,
            legal_compliance=legal,
            classification_rationale=data.get("rationale", ""),
            internet_facing=data.get("internet_facing", False),
            data_sensitivity=data["data_sensitivity"],
            hosting=data["hosting"],
            cloud_provider=data.get("cloud_provider", ""),
            cloud_service=data.get("cloud_service", ""),
            data_location=data.get("data_location", "TW"),
            material=data.get("material", False),
            natural_person_customers=data.get("natural_person_customers", False),
            tags=data["tags"],
            reviewed_on=reviewed,
            reviewer=reviewer if reviewed else None,
        )
        system.full_clean(exclude=["sites", "suppliers"])
        system.save()
        system.sites.set([sites[code] for code in data["sites"]])
        system.suppliers.set([suppliers[code] for code in data["suppliers"]])
