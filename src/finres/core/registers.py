"""The registers' rules: supplier tiering and contract clauses, and the profile facts that the
system and supplier registers answer. Plain data in, plain data out (no web framework).

Supplier tiering (blueprint measures 18, 19 and 29) is data: a YAML file
(``content/registers/supplier-tiering.yaml``, or the file named by the caller) with tiers, rules
and the contract-clause checklist, validated whole on load (``TieringError`` lists every problem).
``tier_for`` evaluates the rules for one supplier; ``missing_clauses`` and ``supplier_gaps`` say
what its contract and records still lack.

``derive_facts`` reads the registers' entries and answers the profile facts they can answer
(internet-facing core systems, cloud outsourcing, hybrid cloud, offshore processing …), each with
the entries that are the reason. An empty register answers nothing (unknown), never "no".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finres.core.library.loader import LibraryError, read_yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "registers"
TIERING_FILE = CONTENT_DIR / "supplier-tiering.yaml"
HOME_COUNTRY = "TW"


class Classification(StrEnum):
    """TWSE CC-14000: information systems are at least core or non-core."""

    CORE = "core"  # 核心系統
    NON_CORE = "non_core"  # 非核心系統


class Rating(StrEnum):
    """CC-14000's criteria are each rated high, medium or low (高中低)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# The four criteria the TWSE deck lists for classifying a system (CC-14000, 實作).
CRITERIA: tuple[str, ...] = ("confidentiality", "integrity", "availability", "legal_compliance")


class Hosting(StrEnum):
    ON_PREMISES = "on_premises"  # 自有機房
    CO_LOCATION = "co_location"  # 主機代管
    CLOUD = "cloud"  # 雲端服務
    HYBRID = "hybrid"  # 雲地混合 (guideline art. 8, 3(6))


CLOUD_HOSTING = frozenset({Hosting.CLOUD, Hosting.HYBRID})


class DataSensitivity(StrEnum):
    """Ordered from least to most sensitive."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    CUSTOMER = "customer"  # customer or personal data (客戶或個人資料)


SENSITIVITY_ORDER: dict[DataSensitivity, int] = {s: i for i, s in enumerate(DataSensitivity)}


class SystemAccess(StrEnum):
    """The category of information systems a supplier touches (measure 18)."""

    CORE_SYSTEMS = "core_systems"
    NON_CORE_SYSTEMS = "non_core_systems"
    NONE = "none"


class SupplierIndustry(StrEnum):
    CORE_SYSTEM_VENDOR = "core_system_vendor"  # 核心系統廠商
    CLOUD_SERVICE_PROVIDER = "cloud_service_provider"
    TELECOM = "telecom"  # 電信業者
    PAYMENT_PROCESSOR = "payment_processor"  # 支付處理機構
    API_PARTNER = "api_partner"  # API 介接對象
    SYSTEM_INTEGRATOR = "system_integrator"
    SOFTWARE_VENDOR = "software_vendor"
    HARDWARE_VENDOR = "hardware_vendor"
    SECURITY_SERVICES = "security_services"
    DATA_CENTRE = "data_centre"
    OTHER = "other"


# --- tiering rules as data ----------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.zh


class Tier(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    rank: int = Field(ge=1, le=9)  # 1 is the most critical
    name: Text
    description: Text
    review_interval_months: int = Field(ge=1, le=60)
    exit_plan_required: bool = False
    dr_assessment_required: bool = False


class Condition(_Strict):
    industry: frozenset[SupplierIndustry] | None = Field(default=None, min_length=1)
    system_access: frozenset[SystemAccess] | None = Field(default=None, min_length=1)
    data_sensitivity_at_least: DataSensitivity | None = None
    cloud: bool | None = None


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    when: Condition
    tier: str
    reason: Text


class Clause(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    source: str = Field(min_length=1)
    tiers: frozenset[str] | None = Field(default=None, min_length=1)
    cloud_only: bool = False


class TieringRules(_Strict):
    version: int = Field(ge=1, le=1)
    tiers: tuple[Tier, ...] = Field(min_length=1)
    default_tier: str
    rules: tuple[Rule, ...] = ()
    clauses: tuple[Clause, ...] = ()

    def tier(self, tier_id: str) -> Tier:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise KeyError(tier_id)

    def clause(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(clause_id)


class TieringError(ValueError):
    """A tiering file that cannot be used; ``problems`` lists every defect ("where: what")."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


def _consistency(rules: TieringRules) -> list[str]:
    problems: list[str] = []
    tier_ids = [t.id for t in rules.tiers]
    known = set(tier_ids)
    for name, values in (
        ("tiers", tier_ids),
        ("tiers (rank)", [str(t.rank) for t in rules.tiers]),
        ("rules", [r.id for r in rules.rules]),
        ("clauses", [c.id for c in rules.clauses]),
    ):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            problems.append(f"{name}: listed more than once: {', '.join(repeated)}")
    if rules.default_tier not in known:
        problems.append(f"default_tier: unknown tier {rules.default_tier!r}")
    for rule in rules.rules:
        if rule.tier not in known:
            problems.append(f"rules[{rule.id}].tier: unknown tier {rule.tier!r}")
        if rule.when == Condition():
            problems.append(f"rules[{rule.id}].when: no condition (use default_tier instead)")
    for clause in rules.clauses:
        for tier_id in sorted(clause.tiers or ()):
            if tier_id not in known:
                problems.append(f"clauses[{clause.id}].tiers: unknown tier {tier_id!r}")
    return problems


def tiering_from_data(data: Any, source: str = "tiering") -> TieringRules:
    """Validate ``data`` (as read from YAML) whole; raise ``TieringError`` with every problem."""
    if not isinstance(data, dict):
        raise TieringError(source, ["expected a mapping with tiers, default_tier, rules, clauses"])
    try:
        rules = TieringRules.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "(file)"
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = "unknown field"
            elif item["type"] == "enum":
                message = (
                    f"{item['input']!r} is not allowed ({message.removeprefix('Input should be ')})"
                )
            problems.append(f"{where}: {message}")
        raise TieringError(source, problems) from None
    problems = _consistency(rules)
    if problems:
        raise TieringError(source, problems)
    return rules


def load_tiering(path: Path | None = None) -> TieringRules:
    """The tiering rules of ``path`` (default: the shipped file), validated."""
    path = path or TIERING_FILE
    try:
        data = read_yaml(path)
    except LibraryError as error:
        raise TieringError(str(path), [p.message for p in error.problems]) from None
    return tiering_from_data(data, str(path))


@dataclass(frozen=True)
class SupplierProfile:
    """What tiering looks at."""

    industry: SupplierIndustry
    system_access: SystemAccess
    data_sensitivity: DataSensitivity
    cloud: bool = False


@dataclass(frozen=True)
class TierDecision:
    tier: Tier
    rule: Rule | None  # None: no rule matched, the default tier


def matches(condition: Condition, supplier: SupplierProfile) -> bool:
    if condition.industry is not None and supplier.industry not in condition.industry:
        return False
    if (
        condition.system_access is not None
        and supplier.system_access not in condition.system_access
    ):
        return False
    if condition.cloud is not None and supplier.cloud != condition.cloud:
        return False
    least = condition.data_sensitivity_at_least
    return least is None or SENSITIVITY_ORDER[supplier.data_sensitivity] >= SENSITIVITY_ORDER[least]


def tier_for(rules: TieringRules, supplier: SupplierProfile) -> TierDecision:
    """The first rule whose every condition holds gives the tier; otherwise the default."""
    for rule in rules.rules:
        if matches(rule.when, supplier):
            return TierDecision(rules.tier(rule.tier), rule)
    return TierDecision(rules.tier(rules.default_tier), None)


def required_clauses(rules: TieringRules, tier_id: str, cloud: bool) -> list[Clause]:
    return [
        clause
        for clause in rules.clauses
        if (clause.tiers is None or tier_id in clause.tiers) and (cloud or not clause.cloud_only)
    ]


def missing_clauses(
    rules: TieringRules, tier_id: str, cloud: bool, present: Iterable[str]
) -> list[Clause]:
    have = set(present)
    return [c for c in required_clauses(rules, tier_id, cloud) if c.id not in have]


class Gap(StrEnum):
    EXIT_PLAN = "exit_plan"  # a tier that needs an exit plan has none
    DR_ASSESSMENT = "dr_assessment"  # measure 29: the supplier's DR capability is not assessed
    REVIEW_NEVER = "review_never"  # no due-diligence record at all
    REVIEW_OVERDUE = "review_overdue"  # the last one is older than the tier's interval
    CLAUSES = "clauses"  # required contract clauses missing


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def review_due(tier: Tier, last_review: dt.date | None) -> dt.date | None:
    """When the next due-diligence review is due (None: never reviewed, due now)."""
    return None if last_review is None else add_months(last_review, tier.review_interval_months)


def supplier_gaps(
    rules: TieringRules,
    tier: Tier,
    *,
    cloud: bool,
    clauses: Iterable[str],
    has_exit_plan: bool,
    dr_assessed: bool,
    last_review: dt.date | None,
    today: dt.date,
) -> list[Gap]:
    gaps: list[Gap] = []
    if tier.exit_plan_required and not has_exit_plan:
        gaps.append(Gap.EXIT_PLAN)
    if tier.dr_assessment_required and not dr_assessed:
        gaps.append(Gap.DR_ASSESSMENT)
    due = review_due(tier, last_review)
    if due is None:
        gaps.append(Gap.REVIEW_NEVER)
    elif due < today:
        gaps.append(Gap.REVIEW_OVERDUE)
    if missing_clauses(rules, tier.id, cloud, clauses):
        gaps.append(Gap.CLAUSES)
    return gaps


# --- profile facts answered by the registers ----------------------------------------------------


class RegisterFact(StrEnum):
    """The profile facts (``finres.core.vocab.Fact`` values) the registers can answer."""

    INTERNET_FACING_CORE_SYSTEMS = "internet_facing_core_systems"
    MATERIAL_CLOUD_OUTSOURCING = "material_cloud_outsourcing"
    HYBRID_CLOUD = "hybrid_cloud"
    OFFSHORE_PROCESSING = "offshore_processing"
    CROSS_BORDER_PERSONAL_DATA = "cross_border_personal_data"
    NATURAL_PERSON_MATERIAL_SYSTEM_ON_CLOUD = "natural_person_material_system_on_cloud"


@dataclass(frozen=True)
class SystemEntry:
    id: int
    code: str
    name: str
    classification: Classification
    internet_facing: bool
    hosting: Hosting
    data_sensitivity: DataSensitivity
    material: bool = False  # 重大性 (for outsourcing)
    natural_person_customers: bool = False  # serves natural-person customers
    countries: frozenset[str] = frozenset({HOME_COUNTRY})  # where its data is processed/stored

    @property
    def core(self) -> bool:
        return self.classification is Classification.CORE

    @property
    def on_cloud(self) -> bool:
        return self.hosting in CLOUD_HOSTING


@dataclass(frozen=True)
class SupplierEntry:
    id: int
    code: str
    name: str
    processing_country: str
    data_sensitivity: DataSensitivity
    system_access: SystemAccess


@dataclass(frozen=True)
class Reason:
    kind: str  # "system" or "supplier"
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Derivation:
    """A fact's value as the registers answer it, with the entries that make it so.

    ``value`` is None when the registers cannot say (nothing recorded); False when entries were
    recorded and none makes it true (``basis`` counts the entries looked at)."""

    value: bool | None
    reasons: tuple[Reason, ...]
    basis: int


def _system(entry: SystemEntry) -> Reason:
    return Reason("system", entry.id, entry.code, entry.name)


def _supplier(entry: SupplierEntry) -> Reason:
    return Reason("supplier", entry.id, entry.code, entry.name)


def _abroad(countries: Iterable[str], home: str) -> bool:
    return any(country.upper() != home for country in countries if country)


def derive_facts(
    systems: Iterable[SystemEntry],
    suppliers: Iterable[SupplierEntry] = (),
    home_country: str = HOME_COUNTRY,
) -> dict[RegisterFact, Derivation]:
    """Every ``RegisterFact`` with its value and reasons, from the registers' entries."""
    systems = list(systems)
    suppliers = list(suppliers)
    home = home_country.upper()

    def fact(reasons: list[Reason], basis: int) -> Derivation:
        if reasons:
            return Derivation(True, tuple(reasons), basis)
        return Derivation(False if basis else None, (), basis)

    data_suppliers = [
        s
        for s in suppliers
        if s.system_access is not SystemAccess.NONE
        or SENSITIVITY_ORDER[s.data_sensitivity] >= SENSITIVITY_ORDER[DataSensitivity.CONFIDENTIAL]
    ]
    offshore = [_system(s) for s in systems if _abroad(s.countries, home)] + [
        _supplier(s) for s in data_suppliers if _abroad([s.processing_country], home)
    ]
    personal_abroad = [
        _system(s)
        for s in systems
        if s.data_sensitivity is DataSensitivity.CUSTOMER and _abroad(s.countries, home)
    ] + [
        _supplier(s)
        for s in suppliers
        if s.data_sensitivity is DataSensitivity.CUSTOMER and _abroad([s.processing_country], home)
    ]
    n = len(systems)
    return {
        RegisterFact.INTERNET_FACING_CORE_SYSTEMS: fact(
            [_system(s) for s in systems if s.core and s.internet_facing], n
        ),
        RegisterFact.MATERIAL_CLOUD_OUTSOURCING: fact(
            [_system(s) for s in systems if s.material and s.on_cloud], n
        ),
        RegisterFact.HYBRID_CLOUD: fact(
            [_system(s) for s in systems if s.hosting is Hosting.HYBRID], n
        ),
        RegisterFact.OFFSHORE_PROCESSING: fact(offshore, n + len(data_suppliers)),
        RegisterFact.CROSS_BORDER_PERSONAL_DATA: fact(personal_abroad, n + len(suppliers)),
        RegisterFact.NATURAL_PERSON_MATERIAL_SYSTEM_ON_CLOUD: fact(
            [
                _system(s)
                for s in systems
                if s.material and s.natural_person_customers and s.on_cloud
            ],
            n,
        ),
    }


def scopes_of(classification: Classification, internet_facing: bool) -> frozenset[str]:
    """The requirement scopes (``finres.core.vocab.Scope`` values) that concern a system."""
    if classification is not Classification.CORE:
        return frozenset()
    if internet_facing:
        return frozenset({"core_systems", "internet_facing_core_systems"})
    return frozenset({"core_systems"})
