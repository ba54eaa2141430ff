"""Which requirements apply to an institution on a date, and which of them are in force.

The rules come from the library's data (``applies_when``, ``tiers``, ``executing_units``,
effective dates, the tier rule); nothing here knows about a particular framework.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from finres.core.i18n import Language
from finres.core.library.index import Library
from finres.core.library.schema import Framework, RequirementNode
from finres.core.profile import InstitutionProfile
from finres.core.vocab import ExecutingUnit, Industry


@dataclass(frozen=True)
class TierResult:
    industry: Industry
    paid_in_capital: int
    tier: int | None
    framework_id: str | None  # the framework whose tier rule decided it


def tier_of(library: Library, industry: Industry, paid_in_capital: int) -> TierResult:
    found = library.tier_rule_for(industry)
    if found is None:
        return TierResult(industry, paid_in_capital, None, None)
    framework, rule = found
    return TierResult(industry, paid_in_capital, rule.tier_for(paid_in_capital), framework.id)


@dataclass(frozen=True)
class ApplicableRequirement:
    framework: Framework
    node: RequirementNode
    in_force: bool
    effective_from: dt.date | None  # inherited from ancestors and the framework when not set
    due_by: dt.date | None


@dataclass(frozen=True)
class Applicability:
    as_of: dt.date
    profile: InstitutionProfile
    tier: TierResult
    requirements: list[ApplicableRequirement]

    @property
    def in_force(self) -> list[ApplicableRequirement]:
        return [item for item in self.requirements if item.in_force]

    @property
    def upcoming(self) -> list[ApplicableRequirement]:
        return [item for item in self.requirements if not item.in_force]


def _framework_applies(framework: Framework, facts: dict[str, object], as_of: dt.date) -> bool:
    if framework.effective_until is not None and as_of > framework.effective_until:
        return False
    return framework.applies_when is None or framework.applies_when.holds(facts)


def applicable(
    library: Library,
    profile: InstitutionProfile,
    as_of: dt.date,
    frameworks: Iterable[str] | None = None,
    include_voluntary: bool = False,
) -> Applicability:
    """Every assessable requirement that applies to ``profile`` on ``as_of``, in library order.

    ``frameworks`` restricts the answer to those ids (voluntary ones included when named).
    """
    tier = tier_of(library, profile.industry, profile.paid_in_capital)
    facts = profile.facts(tier.tier)
    chosen = None if frameworks is None else set(frameworks)
    for framework_id in chosen or ():
        library.framework(framework_id)  # raises for an unknown id
    result: list[ApplicableRequirement] = []
    for framework in library.frameworks.values():
        if chosen is not None and framework.id not in chosen:
            continue
        if chosen is None and not (framework.binding or include_voluntary):
            continue
        if not _framework_applies(framework, facts, as_of):
            continue
        result += _walk(library, framework, facts, as_of)
    return Applicability(as_of, profile, tier, result)


@dataclass(frozen=True)
class _Inherited:
    effective_from: dt.date | None
    due_by: dt.date | None
    units: frozenset[ExecutingUnit] | None


def _walk(
    library: Library, framework: Framework, facts: dict[str, object], as_of: dt.date
) -> list[ApplicableRequirement]:
    """Depth-first over the tree, pruning every branch whose conditions fail (one pass)."""
    found: list[ApplicableRequirement] = []
    tier = facts["tier"]

    def visit(node: RequirementNode, inherited: _Inherited) -> None:
        if node.applies_when is not None and not node.applies_when.holds(facts):
            return
        if node.tiers is not None and tier not in node.tiers:
            return
        here = _Inherited(
            node.effective_from or inherited.effective_from,
            node.due_by or inherited.due_by,
            frozenset(node.executing_units) if node.executing_units else inherited.units,
        )
        if here.units is not None and ExecutingUnit.FINANCIAL_INSTITUTIONS not in here.units:
            return
        if node.assessable:
            in_force = here.effective_from is None or here.effective_from <= as_of
            found.append(
                ApplicableRequirement(framework, node, in_force, here.effective_from, here.due_by)
            )
        for child in library.children(framework.id, node.id):
            visit(child, here)

    root = _Inherited(framework.effective_from, None, None)
    for node in library.children(framework.id, None):
        visit(node, root)
    return found


def requirement_data(item: ApplicableRequirement, language: Language) -> dict[str, Any]:
    node = item.node
    return {
        "framework": item.framework.id,
        "id": node.id,
        "ref": node.ref,
        "title": node.title.best(language),
        "obligation": node.obligation.value if node.obligation else None,
        "in_force": item.in_force,
        "effective_from": item.effective_from.isoformat() if item.effective_from else None,
        "due_by": item.due_by.isoformat() if item.due_by else None,
        "scope": node.scope.value if node.scope else None,
    }


def applicability_data(result: Applicability, language: Language) -> dict[str, Any]:
    """The stable JSON shape of ``finres applicable --format json``."""
    return {
        "as_of": result.as_of.isoformat(),
        "profile": result.profile.name,
        "industry": result.profile.industry.value,
        "tier": result.tier.tier,
        "requirements": [requirement_data(item, language) for item in result.requirements],
    }
