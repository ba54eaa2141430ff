"""Which requirements apply to an institution on a date, and their status on that date.

The rules come from the library's data (``applies_when``, ``tiers``, ``executing_units``,
``scope``, effective dates, the tier rule); nothing here knows about a particular framework.

A requirement's status is one of:

- ``conditional``: whether it applies depends on facts the profile leaves unknown
  (``depends_on`` names them);
- ``upcoming``: it applies but is not in force yet (``effective_from`` after the date);
- ``overdue``: it is in force and its ``due_by`` is before the date;
- ``in_force``: otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from finres.core import rules
from finres.core.i18n import Language
from finres.core.library.index import Library
from finres.core.library.schema import Framework, RequirementNode
from finres.core.profile import InstitutionProfile
from finres.core.vocab import ExecutingUnit, Fact, Industry, Scope


class Status(StrEnum):
    """Where an applicable requirement stands on the as-of date."""

    IN_FORCE = "in_force"
    UPCOMING = "upcoming"
    OVERDUE = "overdue"
    CONDITIONAL = "conditional"


# A requirement scoped to the core systems that provide internet services concerns only an
# institution that has such systems: the scope reads as this condition on the node itself.
_SCOPE_CONDITIONS: dict[Scope, rules.Condition] = {
    Scope.INTERNET_FACING_CORE_SYSTEMS: rules.Test(
        rules.FACT_FIELD_PREFIX + Fact.INTERNET_FACING_CORE_SYSTEMS.value, "eq", True
    ),
}


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
    in_force: bool  # effective on the date (whatever the status says about facts or deadlines)
    effective_from: dt.date | None  # inherited from ancestors and the framework when not set
    due_by: dt.date | None
    status: Status = Status.IN_FORCE
    depends_on: tuple[str, ...] = ()  # the unknown facts a conditional requirement depends on

    @property
    def conditional(self) -> bool:
        return self.status is Status.CONDITIONAL

    @property
    def overdue(self) -> bool:
        return self.status is Status.OVERDUE


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

    def with_status(self, status: Status) -> list[ApplicableRequirement]:
        return [item for item in self.requirements if item.status is status]

    @property
    def overdue(self) -> list[ApplicableRequirement]:
        return self.with_status(Status.OVERDUE)

    @property
    def conditional(self) -> list[ApplicableRequirement]:
        return self.with_status(Status.CONDITIONAL)


def status_of(
    as_of: dt.date,
    effective_from: dt.date | None,
    due_by: dt.date | None,
    depends_on: Iterable[str] = (),
) -> Status:
    """The status rule (see the module's docstring), in one place."""
    if any(True for _ in depends_on):
        return Status.CONDITIONAL
    if effective_from is not None and effective_from > as_of:
        return Status.UPCOMING
    if due_by is not None and due_by < as_of:
        return Status.OVERDUE
    return Status.IN_FORCE


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
    facts = profile.condition_values(tier.tier)
    chosen = None if frameworks is None else set(frameworks)
    for framework_id in chosen or ():
        library.framework(framework_id)  # raises for an unknown id
    result: list[ApplicableRequirement] = []
    for framework in library.frameworks.values():
        if chosen is not None and framework.id not in chosen:
            continue
        # A voluntary framework is walked by default only for the binding rules it restates.
        only_binding = chosen is None and not (framework.binding or include_voluntary)
        if framework.effective_until is not None and as_of > framework.effective_until:
            continue
        undecided: tuple[rules.Condition, ...] = ()
        if framework.applies_when is not None:
            verdict = framework.applies_when.kleene(facts)
            if verdict.value is False:
                continue
            if verdict.value is None:
                undecided = (framework.applies_when,)
        result += _walk(library, framework, facts, as_of, undecided, only_binding)
    return Applicability(as_of, profile, tier, result)


@dataclass(frozen=True)
class _Inherited:
    effective_from: dt.date | None
    due_by: dt.date | None
    units: frozenset[ExecutingUnit] | None
    # conditions of the framework and the ancestors that the known facts leave undecided
    undecided: tuple[rules.Condition, ...] = ()
    binding: bool = True


def _walk(
    library: Library,
    framework: Framework,
    facts: dict[str, object],
    as_of: dt.date,
    undecided: tuple[rules.Condition, ...],
    only_binding: bool = False,
) -> list[ApplicableRequirement]:
    """Depth-first over the tree in one pass, pruning every branch whose conditions are false.

    A node's conditions (``applies_when``, ``tiers``) hold for its whole subtree; its executing
    units decide for itself and for the descendants that name none of their own, so a node
    below one that is not an institution's can still name 金融機構 and be listed. A node whose
    conditions the known facts leave undecided is listed as conditional, with the facts the
    whole chain of conditions (the framework's, every ancestor's, its own, its scope's) really
    depends on.
    """
    found: list[ApplicableRequirement] = []
    tier = facts["tier"]

    def visit(node: RequirementNode, inherited: _Inherited) -> None:
        pending = inherited.undecided
        if node.applies_when is not None:
            verdict = node.applies_when.kleene(facts)
            if verdict.value is False:
                return
            if verdict.value is None:
                pending = (*pending, node.applies_when)
        if node.tiers is not None and tier not in node.tiers:
            return
        here = _Inherited(
            node.effective_from or inherited.effective_from,
            node.due_by or inherited.due_by,
            frozenset(node.executing_units) if node.executing_units else inherited.units,
            pending,
            node.binding if node.binding is not None else inherited.binding,
        )
        concerns_institutions = (
            here.units is None or ExecutingUnit.FINANCIAL_INSTITUTIONS in here.units
        )
        if node.assessable and concerns_institutions and (here.binding or not only_binding):
            item = _item(framework, node, here, facts, as_of)
            if item is not None:
                found.append(item)
        for child in library.children(framework.id, node.id):
            visit(child, here)

    root = _Inherited(framework.effective_from, None, None, undecided, framework.binding)
    for node in library.children(framework.id, None):
        visit(node, root)
    return found


def _item(
    framework: Framework,
    node: RequirementNode,
    here: _Inherited,
    facts: dict[str, object],
    as_of: dt.date,
) -> ApplicableRequirement | None:
    conditions = here.undecided
    scoped = _SCOPE_CONDITIONS.get(node.scope) if node.scope is not None else None
    if scoped is not None:
        conditions = (*conditions, scoped)
    depends_on: frozenset[str] = frozenset()
    if conditions:
        verdict = rules.evaluate(
            conditions[0] if len(conditions) == 1 else rules.All(conditions), facts
        )
        if verdict.value is False:
            return None
        depends_on = verdict.depends_on if verdict.value is None else frozenset()
    in_force = here.effective_from is None or here.effective_from <= as_of
    return ApplicableRequirement(
        framework,
        node,
        in_force,
        here.effective_from,
        here.due_by,
        status_of(as_of, here.effective_from, here.due_by, depends_on),
        tuple(sorted(depends_on)),
    )


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
        "status": item.status.value,
        "depends_on": list(item.depends_on),
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
