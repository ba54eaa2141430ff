"""Demo assessments: two years of the demo securities firm and one year of the demo bank.

Results are generated from a seeded random generator, so every load gives the same demo. Each
requirement gets a capability level for 2025 and usually one level more in 2026 (never less), and
its result follows from the level, so the maturity trend grows and compliance improves. The
2026 assessments are open, and propagation through the library's mappings leaves proposals
waiting on ISO/IEC 27001 and NIST CSF 2.0 for the CISO to accept or override.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from finres.web.assessments import onboarding, proposals
from finres.web.assessments.models import (
    Assessment,
    RequirementResult,
    Result,
    maturity_levels,
)
from finres.web.audit.log import append
from finres.web.frameworks.models import Framework

TWSE = "twse-securities-tiered-protection"
BLUEPRINT = "fsc-resilience-blueprint-2025"
ISO = "iso27001-2022-annex-a"
CSF = "nist-csf-2.0"


@dataclass(frozen=True)
class Plan:
    framework: str
    year: int
    completed: bool
    not_assessed_share: float = 0.0  # left for the assessors (or for proposals) to fill in


SECURITIES_PLANS = (
    Plan(TWSE, 2025, True),
    Plan(BLUEPRINT, 2025, True),
    Plan(ISO, 2025, True),
    Plan(TWSE, 2026, False, 0.05),
    Plan(BLUEPRINT, 2026, False, 0.15),
    Plan(ISO, 2026, False, 0.25),
    Plan(CSF, 2026, False, 0.6),
)
BANK_PLANS = (Plan(BLUEPRINT, 2026, False, 0.1),)

COMMENTS = {
    Result.COMPLIANT: [
        "已訂定作業程序並依程序執行，年度內部稽核無缺失。",
        "相關紀錄完整保存，抽核結果符合規定。",
        "已納入 ISMS 管理範圍並通過外部驗證。",
    ],
    Result.PARTIAL: [
        "程序已訂定，惟部分系統尚未納入執行範圍。",
        "已執行但紀錄保存不完整，需補強佐證資料。",
        "核心系統已完成，非核心系統預計下半年完成。",
    ],
    Result.NON_COMPLIANT: [
        "尚未建立相關機制，已列入改善計畫。",
        "年度稽核發現未依規定執行，需提出改善措施。",
        "委外廠商尚未配合辦理，持續追蹤中。",
    ],
}
NOT_APPLICABLE_REASONS = [
    "本公司未使用此項服務。",
    "相關業務已全數委外，由受託機構負責並納入委外管理。",
    "本公司無此類系統。",
]


def _capability(rng: random.Random) -> int:
    """A 2025 level, mostly in the lower half of the scale."""
    return rng.choices([1, 2, 3, 4], weights=[20, 35, 30, 15])[0]


def _outcome(level: int, rng: random.Random) -> Any:
    if level >= 4:
        return Result.COMPLIANT
    if level == 3:
        return Result.COMPLIANT if rng.random() < 0.6 else Result.PARTIAL
    if level == 2:
        return Result.PARTIAL if rng.random() < 0.75 else Result.NON_COMPLIANT
    return Result.NON_COMPLIANT


def _fill(
    assessment: Assessment, plan: Plan, owners: list[Any], seed: str, completed_on: dt.date
) -> None:
    """Results for every row of ``assessment``, in bulk, with one summary audit event."""
    levels = maturity_levels(assessment.framework)
    top = max(levels)
    rows = list(
        RequirementResult.objects.filter(assessment=assessment)
        .select_related("requirement")
        .order_by("requirement__position")
    )
    changes: dict[str, Any] = {}
    for row in rows:
        code = row.requirement.code
        # One generator per requirement, shared by both years: 2026 builds on 2025.
        rng = random.Random(f"{seed}:{assessment.framework.code}:{code}")
        base = _capability(rng)
        not_applicable = rng.random() < 0.04
        level = min(top, base + (1 if rng.random() < 0.6 else 0)) if plan.year >= 2026 else base
        year_rng = random.Random(f"{seed}:{assessment.framework.code}:{code}:{plan.year}")
        if not_applicable:
            row.result = Result.NOT_APPLICABLE
            row.not_applicable_reason = year_rng.choice(NOT_APPLICABLE_REASONS)
            if assessment.framework.code == ISO:
                row.soa_applicable = False
                row.soa_justification = row.not_applicable_reason
        elif year_rng.random() < plan.not_assessed_share:
            row.result = Result.NOT_ASSESSED
        else:
            row.result = _outcome(level, year_rng)
            row.maturity_level = min(levels, key=lambda value: abs(value - level))
            row.comments = year_rng.choice(COMMENTS[row.result])
            if assessment.framework.code == ISO:
                row.soa_applicable = True
                row.soa_justification = "風險評鑑結果需要（風險處理計畫）。"
        if owners:
            row.owner = owners[0] if year_rng.random() < 0.75 else owners[-1]
        if row.result in (Result.PARTIAL, Result.NON_COMPLIANT) and not plan.completed:
            row.due_date = completed_on - dt.timedelta(days=year_rng.randrange(30, 240))
        changes[str(row.pk)] = {"result": [str(Result.NOT_ASSESSED), str(row.result)]}
    now = timezone.now()
    for row in rows:
        row.updated = now
    RequirementResult.objects.bulk_update(
        rows,
        [
            "result",
            "not_applicable_reason",
            "maturity_level",
            "comments",
            "owner",
            "due_date",
            "soa_applicable",
            "soa_justification",
            "updated",
        ],
        batch_size=500,
    )
    append(
        "update",
        proposals.RESULT_MODEL,
        "bulk",
        f"{assessment}: demo results",
        {"assessment": assessment.pk, "results": changes},
        assessment.organisation_id,
    )


def _assess(
    organisation: Any, plans: tuple[Plan, ...], owners: list[Any], creator: Any
) -> list[Assessment]:
    frameworks = {
        f.code: f for f in Framework.objects.filter(code__in={p.framework for p in plans})
    }
    created = []
    for plan in plans:
        start, end = dt.date(plan.year, 1, 1), dt.date(plan.year, 12, 31)
        framework = frameworks[plan.framework]
        if Assessment.objects.filter(
            organisation=organisation, framework=framework, period_start=start
        ).exists():
            continue
        assessment = onboarding.create_assessment(
            organisation,
            framework,
            onboarding.default_name(framework, start, end),
            start,
            end,
            onboarding.compute(organisation, end),
            creator,
        )
        _fill(assessment, plan, owners, organisation.name, end)
        if plan.completed:
            assessment.status = Assessment.Status.COMPLETED
            assessment.save(update_fields=["status"])
        created.append(assessment)
    return created


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    bank = context.organisations.get("bank")
    users = context.users
    if securities is not None:
        owners = [u for u in (users.get("demo-owner"), users.get("demo-ciso")) if u is not None]
        created = _assess(securities, SECURITIES_PLANS, owners, users.get("demo-ciso"))
        # Test once, comply many: the 2026 regulatory results propose to ISO and CSF.
        for assessment in created:
            if assessment.status == Assessment.Status.IN_PROGRESS and assessment.framework.code in (
                TWSE,
                BLUEPRINT,
            ):
                proposals.propose_from(assessment)
        if created:
            onboarding.record_snapshot(
                securities, onboarding.compute(securities, timezone.localdate()), None
            )
    if bank is not None:
        owners = [u for u in (users.get("demo-bank-ciso"),) if u is not None]
        _assess(bank, BANK_PLANS, owners, users.get("demo-bank-ciso"))
