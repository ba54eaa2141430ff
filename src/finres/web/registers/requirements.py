"""The requirements that concern a system: those that apply to the organisation and whose scope
is core systems, or core systems that provide internet services (TWSE CC-12000, CC-17010,
CC-20000; the guideline's items scoped to core systems).

The applicable set comes from the core engine over the organisation's profile. A requirement
scoped to internet-facing core systems is listed for such a system whatever the profile says about
that fact: the system is the proof that the organisation has one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.utils import timezone

from finres.core.applicability import applicable
from finres.core.library import load_library
from finres.web.frameworks.models import Requirement
from finres.web.orgs.models import Organisation

SYSTEM_SCOPES = ("core_systems", "internet_facing_core_systems")


def _profile(organisation: Organisation) -> Any:
    profile = organisation.profile()
    facts = getattr(profile, "facts", None)
    if isinstance(facts, dict):  # a profile with stated facts: the system answers this one
        stated = {str(getattr(k, "value", k)): v for k, v in facts.items()}
        stated["internet_facing_core_systems"] = True
        profile = profile.model_validate({**profile.model_dump(mode="json"), "facts": stated})
    return profile


def scoped_requirements(organisation: Organisation) -> dict[str, list[Requirement]]:
    """Scope -> the organisation's applicable requirements with that scope, in library order."""
    result = applicable(load_library(), _profile(organisation), timezone.localdate())
    keys = [
        (item.framework.id, item.node.id)
        for item in result.requirements
        if item.node.scope is not None and str(item.node.scope) in SYSTEM_SCOPES
    ]
    if not keys:
        return {}
    condition = Q()
    for framework, code in keys:
        condition |= Q(framework__code=framework, code=code)
    rows = {
        (r.framework.code, r.code): r
        for r in Requirement.objects.filter(condition, active=True).select_related("framework")
    }
    found: dict[str, list[Requirement]] = defaultdict(list)
    for key in keys:
        requirement = rows.get(key)
        if requirement is not None:
            found[requirement.scope].append(requirement)
    return dict(found)


def for_system(scopes: frozenset[str], by_scope: dict[str, list[Requirement]]) -> list[Requirement]:
    return [r for scope in SYSTEM_SCOPES if scope in scopes for r in by_scope.get(scope, [])]
