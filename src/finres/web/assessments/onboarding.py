"""Applicability for an organisation: what applies, what changed since the last snapshot,
creating assessments for it and bringing existing assessments in line.

The applicable set always comes from the core engine (``finres.core.applicability``) over the
library the process loaded; the database copy of the library gives the rows results point at.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from finres import __version__
from finres.core.applicability import Applicability, ApplicableRequirement, Status, applicable
from finres.core.i18n import Language, label
from finres.core.library import Library, load_library
from finres.core.profile import InstitutionProfile
from finres.core.vocab import Fact
from finres.web.assessments.models import (
    ApplicabilitySnapshot,
    Assessment,
    RequirementResult,
    Result,
)
from finres.web.audit.log import append
from finres.web.frameworks.models import Framework, Requirement
from finres.web.orgs.models import Organisation

RESULT_MODEL = "assessments.requirementresult"


class OnboardingError(ValueError):
    """A request that cannot be carried out; the message is meant for the user."""


def library() -> Library:
    return load_library()


def key(framework_id: str, node_id: str) -> str:
    return f"{framework_id}:{node_id}"


def compute(organisation: Organisation, as_of: dt.date) -> Applicability:
    """Every requirement that applies to the organisation on ``as_of``, voluntary ones included
    (ISO/IEC 27001 and NIST CSF are chosen, not imposed; the page marks them)."""
    return applicable(library(), organisation.profile(), as_of, include_voluntary=True)


def snapshot_items(result: Applicability) -> dict[str, dict[str, Any]]:
    return {
        key(item.framework.id, item.node.id): {
            "in_force": item.in_force,
            "effective_from": item.effective_from.isoformat() if item.effective_from else None,
        }
        for item in result.requirements
    }


@dataclass
class FrameworkGroup:
    """The applicable requirements of one framework, for the page."""

    code: str
    name: str
    binding: bool
    items: list[ApplicableRequirement] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)  # the latest, newest first
    assessment_count: int = 0
    assessed_in_year: bool = False

    @property
    def more_assessments(self) -> int:
        return self.assessment_count - len(self.assessments)

    def _count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status is status)

    @property
    def in_force_count(self) -> int:
        return self._count(Status.IN_FORCE)

    @property
    def overdue_count(self) -> int:
        return self._count(Status.OVERDUE)

    @property
    def upcoming_count(self) -> int:
        return self._count(Status.UPCOMING)

    @property
    def conditional_count(self) -> int:
        return self._count(Status.CONDITIONAL)


@dataclass(frozen=True)
class FactRow:
    """One fact of the profile as the page shows it: stated yes or no, or unknown."""

    code: str
    label: str
    state: str  # "yes", "no" or "unknown"


def fact_rows(profile: InstitutionProfile, language: str) -> list[FactRow]:
    lang: Language = "en" if language == "en" else "zh-TW"
    rows = []
    for fact in Fact:
        stated = profile.fact(fact)
        state = "unknown" if stated is None else ("yes" if stated else "no")
        rows.append(FactRow(fact.value, label(fact, lang), state))
    return rows


def unknown_facts_in_use(result: Applicability, language: str) -> str:
    """The unknown facts that conditional requirements depend on, as one line of labels."""
    lang: Language = "en" if language == "en" else "zh-TW"
    names = sorted({name for item in result.conditional for name in item.depends_on})
    return (", " if lang == "en" else "、").join(label(name, lang) for name in names)


def grouped(result: Applicability, language: str) -> list[FrameworkGroup]:
    groups: dict[str, FrameworkGroup] = {}
    lang: Language = "en" if language == "en" else "zh-TW"
    for item in result.requirements:
        framework = item.framework
        group = groups.get(framework.id)
        if group is None:
            group = groups[framework.id] = FrameworkGroup(
                framework.id, framework.name.best(lang), framework.binding
            )
        group.items.append(item)
    # Binding frameworks first, then voluntary ones, each in library order.
    return sorted(groups.values(), key=lambda g: not g.binding)


@dataclass
class ApplicabilityDiff:
    previous: ApplicabilitySnapshot | None
    previous_tier: int | None
    tier: int | None
    new: list[str]
    removed: list[str]
    now_in_force: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.new or self.removed or self.now_in_force or self.tier_changed)

    @property
    def tier_changed(self) -> bool:
        return self.previous is not None and self.previous_tier != self.tier


LATEST_ASSESSMENTS_SHOWN = 5


def items_version(organisation: Organisation, as_of: dt.date) -> str:
    """What the list of applicable requirements depends on (the profile, the date, the
    library's frameworks): the page keeps its rendered rows under it, since rendering several
    hundred rows took most of the page's time."""
    frameworks = Framework.objects.content_version()
    payload = repr((__version__, organisation.profile_data(), as_of.isoformat(), frameworks))
    return hashlib.sha256(payload.encode()).hexdigest()


def attach_assessments(
    groups: Sequence[FrameworkGroup], assessments: QuerySet[Assessment], year: int
) -> None:
    """Each group's latest assessments (at most ``LATEST_ASSESSMENTS_SHOWN``), how many it has
    and whether one covers ``year``: three small queries, not every assessment of the
    institution's history."""
    codes = [group.code for group in groups]
    mine = assessments.filter(framework__code__in=codes).order_by()
    latest = (
        mine.annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("framework_id"),
                order_by=(F("period_start").desc(), F("pk").desc()),
            )
        )
        .filter(rank__lte=LATEST_ASSESSMENTS_SHOWN)
        .select_related("framework")
        .only("pk", "name", "status", "period_start", "framework__code")
        .order_by("-period_start", "-pk")
    )
    shown: dict[str, list[Assessment]] = {}
    for assessment in latest:
        shown.setdefault(assessment.framework.code, []).append(assessment)
    counts = dict(mine.values_list("framework__code").annotate(n=Count("pk")))
    in_year = set(
        mine.filter(period_start__year=year).values_list("framework__code", flat=True).distinct()
    )
    for group in groups:
        group.assessments = shown.get(group.code, [])
        group.assessment_count = counts.get(group.code, 0)
        group.assessed_in_year = group.code in in_year


def latest_snapshot(organisation: Organisation) -> ApplicabilitySnapshot | None:
    return (
        ApplicabilitySnapshot.objects.filter(organisation=organisation)
        .order_by("-created", "-pk")
        .first()
    )


def diff(previous: ApplicabilitySnapshot | None, result: Applicability) -> ApplicabilityDiff:
    current = snapshot_items(result)
    before: dict[str, dict[str, Any]] = dict(previous.items) if previous is not None else {}
    return ApplicabilityDiff(
        previous=previous,
        previous_tier=previous.tier if previous is not None else None,
        tier=result.tier.tier,
        new=[k for k in current if k not in before] if previous is not None else [],
        removed=[k for k in before if k not in current],
        now_in_force=[
            k
            for k, item in current.items()
            if item["in_force"] and k in before and not before[k].get("in_force")
        ],
    )


def record_snapshot(
    organisation: Organisation, result: Applicability, user: Any
) -> ApplicabilitySnapshot:
    return ApplicabilitySnapshot.objects.create(
        organisation=organisation,
        as_of=result.as_of,
        tier=result.tier.tier,
        items=snapshot_items(result),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def requirement_ids(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Database ids of library requirements by (framework id, node id), in one query."""
    wanted = set(keys)
    frameworks = {framework for framework, _node in wanted}
    rows = Requirement.objects.filter(framework__code__in=frameworks, active=True).values_list(
        "framework__code", "code", "pk"
    )
    return {(fw, code): pk for fw, code, pk in rows if (fw, code) in wanted}


def applicable_in(result: Applicability, framework_code: str) -> list[ApplicableRequirement]:
    return [item for item in result.requirements if item.framework.id == framework_code]


def _bulk_create_results(
    assessment: Assessment, items: Sequence[ApplicableRequirement]
) -> list[RequirementResult]:
    ids = requirement_ids((item.framework.id, item.node.id) for item in items)
    missing = [
        key(i.framework.id, i.node.id) for i in items if (i.framework.id, i.node.id) not in ids
    ]
    if missing:
        raise OnboardingError(
            _(
                "The library in the database is older than the library files (missing: %s). "
                "Run “finres library sync” first."
            )
            % ", ".join(missing[:5])
        )
    rows = [
        RequirementResult(
            organisation_id=assessment.organisation_id,
            assessment=assessment,
            requirement_id=ids[(item.framework.id, item.node.id)],
            due_date=item.due_by,
        )
        for item in items
    ]
    return RequirementResult.objects.bulk_create(rows, batch_size=1000)


def create_assessment(
    organisation: Organisation,
    framework: Framework,
    name: str,
    period_start: dt.date,
    period_end: dt.date,
    result: Applicability,
    user: Any,
) -> Assessment:
    """An assessment with one result row per applicable assessable requirement of ``framework``.

    The assessment itself is audited by its signal; the rows, created in bulk, by one summary
    event listing them.
    """
    items = applicable_in(result, framework.code)
    if not items:
        raise OnboardingError(
            _("No requirement of %(framework)s applies to the organisation on %(date)s.")
            % {"framework": framework.name(), "date": result.as_of.isoformat()}
        )
    if Assessment.objects.filter(
        organisation=organisation, framework=framework, period_start=period_start
    ).exists():
        raise OnboardingError(
            _("An assessment of %(framework)s starting on %(date)s already exists.")
            % {"framework": framework.name(), "date": period_start.isoformat()}
        )
    with transaction.atomic():
        assessment = Assessment.objects.create(
            organisation=organisation,
            framework=framework,
            name=name,
            period_start=period_start,
            period_end=period_end,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        rows = _bulk_create_results(assessment, items)
        append(
            "create",
            RESULT_MODEL,
            "bulk",
            f"{assessment}: {len(rows)} requirement results",
            {
                "assessment": assessment.pk,
                "applicable_as_of": result.as_of.isoformat(),
                "results": {
                    str(row.pk): {"requirement": key(item.framework.id, item.node.id)}
                    for row, item in zip(rows, items, strict=True)
                },
            },
            organisation.pk,
        )
    return assessment


def default_name(framework: Framework, period_start: dt.date, period_end: dt.date) -> str:
    period = (
        str(period_start.year)
        if (period_start.month, period_start.day, period_end.month, period_end.day)
        == (1, 1, 12, 31)
        and period_start.year == period_end.year
        else f"{period_start.isoformat()} – {period_end.isoformat()}"
    )
    return f"{framework.name()} {period}"


def create_assessments(
    organisation: Organisation,
    frameworks: Sequence[Framework],
    period_start: dt.date,
    period_end: dt.date,
    result: Applicability,
    user: Any,
) -> list[Assessment]:
    """One assessment per framework, all or none; the applicable set is recorded as a snapshot."""
    with transaction.atomic():
        created = [
            create_assessment(
                organisation,
                framework,
                default_name(framework, period_start, period_end),
                period_start,
                period_end,
                result,
                user,
            )
            for framework in frameworks
        ]
        record_snapshot(organisation, result, user)
    return created


@dataclass
class Alignment:
    """What bringing an assessment in line with the applicable set would change."""

    assessment: Assessment
    to_add: list[ApplicableRequirement]
    to_retire: list[tuple[int, str]]  # (result id, requirement key) now not applicable

    @property
    def needed(self) -> bool:
        return bool(self.to_add or self.to_retire)


def alignments(assessments: Sequence[Assessment], result: Applicability) -> list[Alignment]:
    """For each assessment, the rows to add and to mark not applicable (one query in all)."""
    if not assessments:
        return []
    rows = RequirementResult.objects.filter(assessment__in=assessments).values_list(
        "assessment_id", "pk", "requirement__framework__code", "requirement__code", "result"
    )
    existing: dict[int, dict[str, tuple[int, Any]]] = {a.pk: {} for a in assessments}
    for assessment_id, pk, framework_code, code, outcome in rows:
        existing[assessment_id][key(framework_code, code)] = (pk, outcome)
    found = []
    for assessment in assessments:
        items = applicable_in(result, assessment.framework.code)
        keys = {key(i.framework.id, i.node.id) for i in items}
        have = existing[assessment.pk]
        found.append(
            Alignment(
                assessment,
                [i for i in items if key(i.framework.id, i.node.id) not in have],
                [
                    (pk, k)
                    for k, (pk, outcome) in have.items()
                    if k not in keys and outcome != Result.NOT_APPLICABLE
                ],
            )
        )
    return found


def align(assessment: Assessment, result: Applicability) -> Alignment:
    """Add rows for newly applicable requirements and mark the rows of requirements that no
    longer apply not applicable, with the reason and date. Results are never deleted."""
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise OnboardingError(_("A completed assessment cannot be changed; reopen it first."))
    with transaction.atomic():
        # Lock the assessment so two people aligning at once do not add the same rows.
        Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        (alignment,) = alignments([assessment], result)
        reason = _("no longer applicable per profile/library on %(date)s") % {
            "date": result.as_of.isoformat()
        }
        added = _bulk_create_results(assessment, alignment.to_add) if alignment.to_add else []
        retired = list(
            RequirementResult.objects.filter(
                assessment=assessment, pk__in=[pk for pk, _k in alignment.to_retire]
            )
        )
        changes: dict[str, Any] = {}
        now = timezone.now()
        for row in retired:
            changes[str(row.pk)] = {
                "result": [row.result, str(Result.NOT_APPLICABLE)],
                "not_applicable_reason": [row.not_applicable_reason, reason],
            }
            row.result = Result.NOT_APPLICABLE
            row.not_applicable_reason = reason
            row.updated = now
        RequirementResult.objects.bulk_update(
            retired, ["result", "not_applicable_reason", "updated"], batch_size=1000
        )
        for row, item in zip(added, alignment.to_add, strict=True):
            changes[str(row.pk)] = {"requirement": key(item.framework.id, item.node.id)}
        if changes:
            append(
                "update",
                RESULT_MODEL,
                "bulk",
                f"{assessment}: {len(added)} added, {len(retired)} no longer applicable",
                {
                    "assessment": assessment.pk,
                    "applicable_as_of": result.as_of.isoformat(),
                    "results": changes,
                },
                assessment.organisation_id,
            )
    return alignment
