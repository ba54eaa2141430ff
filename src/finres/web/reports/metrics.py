"""Figures for the dashboard, the group view and the board report.

Everything is computed with a fixed number of small queries, whatever the number of assessments,
results or organisations: the assessments (one query), the maintained counts by assessment,
result and maturity level of the year and the year before (``assessments.aggregates``, one
query), the maturity levels over the trend window of the results of frameworks that reach the
NIST CSF (one query over the (assessment, requirement) index; the library says which
requirements reach it) and the maturity targets (one query). No query reads the whole history.
The scoring itself is the pure core's (``finres.core.maturity``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, Sum, Value, When
from django.utils import timezone

from finres.core import maturity as scoring
from finres.core.applicability import ApplicableRequirement, Status, applicable, tier_of
from finres.core.i18n import Language
from finres.core.library import Library, load_library
from finres.web.assessments.models import (
    Assessment,
    MaturityTarget,
    RequirementResult,
    Result,
    ResultTally,
)
from finres.web.audit import versioned
from finres.web.frameworks.models import Framework
from finres.web.language import current_language
from finres.web.orgs.models import Organisation

TREND_YEARS = 5
# compliant, partially compliant, non-compliant, not applicable, not assessed
RESULT_ORDER: tuple[str, ...] = tuple(str(value) for value in Result.values)
COMPLIANT, PARTIAL, NON_COMPLIANT, NOT_APPLICABLE, NOT_ASSESSED = RESULT_ORDER


@functools.cache
def _csf(
    library: Library,
) -> tuple[scoring.CsfTree, dict[scoring.Key, tuple[scoring.Link, ...]]]:
    tree = scoring.csf_tree(library)
    return tree, scoring.csf_links(library, tree)


def csf_structure() -> tuple[scoring.CsfTree, dict[scoring.Key, tuple[scoring.Link, ...]]]:
    """The CSF tree and every requirement's links into it (computed once per library)."""
    return _csf(load_library())


@functools.cache
def _scale(levels_json: str) -> scoring.Scale:
    import json

    return scoring.scale_from_library(json.loads(levels_json))


def scale_of(levels: Sequence[Mapping[str, Any]] | None) -> scoring.Scale:
    import json

    return _scale(json.dumps(levels or [], sort_keys=True, ensure_ascii=False))


# --- plain records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentInfo:
    pk: int
    organisation_id: int
    framework_code: str
    framework_zh: str
    framework_en: str
    maturity_levels: tuple[Mapping[str, Any], ...]
    name: str
    period_start: dt.date
    period_end: dt.date
    status: str

    @property
    def year(self) -> int:
        """An assessment counts for the year its period ends in."""
        return self.period_end.year

    def framework_name(self, lang: Language | None = None) -> str:
        lang = lang or current_language()
        return (self.framework_en if lang == "en" else self.framework_zh) or self.framework_zh


@dataclass
class Compliance:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULT_ORDER, 0))

    def add(self, other: Compliance) -> None:
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def judged(self) -> int:
        """Results that say whether the requirement is met (not n/a, not unassessed)."""
        return sum(self.counts.get(key, 0) for key in (COMPLIANT, PARTIAL, NON_COMPLIANT))

    @property
    def rate(self) -> float | None:
        """Compliance rate: compliant counts fully, partially compliant half, over judged."""
        if not self.judged:
            return None
        return (self.counts.get(COMPLIANT, 0) + 0.5 * self.counts.get(PARTIAL, 0)) / self.judged

    @property
    def assessed_share(self) -> float | None:
        if not self.total:
            return None
        return 1 - self.counts.get(NOT_ASSESSED, 0) / self.total

    def rows(self) -> list[tuple[str, str, int]]:
        """(value, label, count) in display order."""
        labels = dict(Result.choices)
        return [(key, str(labels[key]), self.counts.get(key, 0)) for key in RESULT_ORDER]


@dataclass
class FrameworkStatus:
    code: str
    latest: AssessmentInfo  # the most recent assessment up to the year
    compliance: Compliance
    maturity: scoring.FrameworkMaturity | None  # in the year
    previous: scoring.FrameworkMaturity | None  # in the year before

    def name(self, lang: Language | None = None) -> str:
        return self.latest.framework_name(lang)

    @property
    def change(self) -> float | None:
        if self.maturity is None or self.previous is None:
            return None
        if self.maturity.mean is None or self.previous.mean is None:
            return None
        return self.maturity.mean - self.previous.mean


@dataclass(frozen=True)
class FunctionScore:
    id: str
    title: str
    current: float | None
    previous: float | None
    target: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def gap(self) -> float | None:
        if self.current is None or self.target is None:
            return None
        return self.current - self.target


@dataclass
class OrganisationMetrics:
    organisation: Organisation
    tier: int | None
    year: int
    frameworks: list[FrameworkStatus]
    csf: dict[int, scoring.CsfRollup]  # year -> roll-up
    target: scoring.CsfRollup | None
    tree: scoring.CsfTree
    years: list[int]

    @property
    def previous_year(self) -> int:
        return self.year - 1

    @property
    def compliance(self) -> Compliance:
        total = Compliance()
        for status in self.frameworks:
            total.add(status.compliance)
        return total

    @property
    def current_csf(self) -> scoring.CsfRollup | None:
        return self.csf.get(self.year)

    @property
    def previous_csf(self) -> scoring.CsfRollup | None:
        return self.csf.get(self.previous_year)

    def functions(self, lang: Language | None = None) -> list[FunctionScore]:
        lang = lang or current_language()
        current, previous = self.current_csf, self.previous_csf
        return [
            FunctionScore(
                function,
                self.tree.title(function, lang),
                current.functions.get(function) if current else None,
                previous.functions.get(function) if previous else None,
                self.target.functions.get(function) if self.target else None,
            )
            for function in self.tree.functions
        ]

    def overall(self, year: int) -> float | None:
        rollup = self.csf.get(year)
        return rollup.overall if rollup else None

    def trend(self) -> dict[str, list[float | None]]:
        """Per function (and ``overall``), the score of each year in ``years``."""
        series: dict[str, list[float | None]] = {
            function: [
                self.csf[year].functions.get(function) if year in self.csf else None
                for year in self.years
            ]
            for function in self.tree.functions
        }
        series["overall"] = [self.overall(year) for year in self.years]
        return series

    @property
    def maturity_mean(self) -> float | None:
        """The mean maturity (default scale) over every framework assessed in the year."""
        pairs = [
            (status.maturity.normalised_mean, status.maturity.assessed)
            for status in self.frameworks
            if status.maturity is not None and status.maturity.normalised_mean is not None
        ]
        weight = sum(count for _, count in pairs)
        if not weight:
            return None
        return sum(value * count for value, count in pairs if value is not None) / weight


# --- the computation ----------------------------------------------------------------------------


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _tallied(
    wanted: Sequence[int], latest_ids: set[int]
) -> tuple[dict[int, dict[str, int]], dict[int, dict[tuple[str, int], dict[int, int]]]]:
    """From the maintained tallies (``assessments.aggregates``) of ``wanted`` assessments, in
    one grouped query per 500: the counts by result of each latest assessment, and the counts
    by maturity level per organisation, framework and year. A few rows per framework and year
    reach Python, not one per assessment, result and level."""
    compliance: dict[int, dict[str, int]] = defaultdict(dict)
    per_year: dict[int, dict[tuple[str, int], dict[int, int]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for chunk in _chunks(wanted):
        is_latest = Q(assessment_id__in=[pk for pk in chunk if pk in latest_ids])
        rows = (
            ResultTally.objects.filter(assessment_id__in=chunk)
            .order_by()
            .annotate(
                latest_id=Case(When(is_latest, then=F("assessment_id")), default=None),
                latest_result=Case(When(is_latest, then=F("result")), default=Value("")),
                framework_code=F("assessment__framework__code"),
                period_end=F("assessment__period_end"),  # the year in Python: no SQL function
            )
            .values_list(
                "organisation_id",
                "framework_code",
                "period_end",
                "latest_id",
                "latest_result",
                "maturity_level",
            )
            .annotate(n=Sum("count"))
        )
        for org_id, code, period_end, latest_id, value, level, count in rows:
            if latest_id is not None:
                found = compliance[latest_id]
                found[value] = found.get(value, 0) + count
            if level is not None:
                bucket = per_year[org_id][(code, period_end.year)]
                bucket[level] = bucket.get(level, 0) + count
    return compliance, per_year


def collect(
    organisations: Sequence[Organisation],
    year: int | None = None,
    trend_years: int = TREND_YEARS,
) -> dict[int, OrganisationMetrics]:
    """Metrics of each organisation (by id) for ``year`` (default: its latest assessed year).

    With ``year`` given, nothing after that year is counted (a report on 2025 stays a report on
    2025 when the 2026 assessment starts).
    """
    library = load_library()
    tree, links = csf_structure()
    org_ids = [o.pk for o in organisations]

    assessments_qs = Assessment.objects.filter(organisation_id__in=org_ids)
    if year is not None:
        assessments_qs = assessments_qs.filter(period_end__year__lte=year)
    rows = list(
        assessments_qs.order_by().values_list(
            "pk", "organisation_id", "framework_id", "name", "period_start", "period_end", "status"
        )
    )
    # each framework read once, not once per assessment of its history
    frameworks = {
        pk: (code, name_zh, name_en, tuple(levels or ()))
        for pk, code, name_zh, name_en, levels in Framework.objects.filter(
            pk__in={row[2] for row in rows}
        ).values_list("pk", "code", "name_zh", "name_en", "maturity_levels")
    }
    assessments = [
        AssessmentInfo(pk, org_id, *frameworks[framework_id], name, start, end, status)
        for pk, org_id, framework_id, name, start, end, status in rows
    ]
    by_org: dict[int, list[AssessmentInfo]] = defaultdict(list)
    for info in assessments:
        by_org[info.organisation_id].append(info)
    today_year = timezone.localdate().year
    years_of: dict[int, int] = {
        org_id: year
        if year is not None
        else max((a.year for a in by_org.get(org_id, [])), default=today_year)
        for org_id in org_ids
    }
    window: dict[int, list[int]] = {
        org_id: list(range(years_of[org_id] - trend_years + 1, years_of[org_id] + 1))
        for org_id in org_ids
    }
    latest: dict[int, dict[str, AssessmentInfo]] = {}
    wanted: set[int] = set()
    for org_id in org_ids:
        newest: dict[str, AssessmentInfo] = {}
        for info in sorted(by_org.get(org_id, []), key=lambda a: (a.period_end, a.period_start)):
            if info.year <= years_of[org_id]:
                newest[info.framework_code] = info
            if info.year in (years_of[org_id], years_of[org_id] - 1):
                wanted.add(info.pk)  # the year and the previous one, per framework
        latest[org_id] = newest
        wanted.update(info.pk for info in newest.values())
    info_by_pk = {info.pk: info for info in assessments}

    # Counts by result (latest assessments) and by maturity level (per framework and year),
    # from the maintained per-assessment tallies, grouped in the database.
    latest_ids = {info.pk for newest in latest.values() for info in newest.values()}
    compliance_of, per_year_of = _tallied(sorted(wanted), latest_ids)

    # Maturity levels of the requirements that reach the CSF, one row per result. Only the
    # assessments of frameworks that reach the CSF at all are read, through the
    # (assessment, requirement) index: the cost follows those frameworks' results in the trend
    # window, never the institution's whole history, and no statistics can turn it into a scan.
    levels: dict[tuple[int, int], dict[scoring.Key, list[int]]] = defaultdict(
        lambda: defaultdict(list)
    )
    reaching = {framework for framework, _ in links}
    window_ids = [
        info.pk
        for info in assessments
        if info.year in window[info.organisation_id] and info.framework_code in reaching
    ]
    for chunk in _chunks(window_ids):
        for assessment_id, requirement, level in (
            RequirementResult.objects.filter(assessment_id__in=chunk, maturity_level__isnull=False)
            .order_by()
            .values_list("assessment_id", "requirement__code", "maturity_level")
        ):
            info = info_by_pk[assessment_id]
            key = (info.framework_code, requirement)
            if key in links:
                levels[(info.organisation_id, info.year)][key].append(level)

    targets: dict[int, list[scoring.Target]] = defaultdict(list)
    for org_id, framework, tier, level in (
        MaturityTarget.objects.filter(organisation_id__in=org_ids)
        .order_by()
        .values_list("organisation_id", "framework__code", "tier", "level")
    ):
        targets[org_id].append(scoring.Target(framework, tier, level))

    scales: dict[str, scoring.Scale] = {
        code: scale_of(levels) for code, _zh, _en, levels in frameworks.values()
    }
    result: dict[int, OrganisationMetrics] = {}
    for organisation in organisations:
        org_id = organisation.pk
        tier = tier_of(library, organisation.profile().industry, organisation.paid_in_capital).tier
        the_year = years_of[org_id]
        per_year = per_year_of.get(org_id, {})
        statuses = []
        for code, info in sorted(latest[org_id].items(), key=lambda item: item[1].framework_code):
            compliance = Compliance()
            for value, count in compliance_of.get(info.pk, {}).items():
                compliance.counts[value] = compliance.counts.get(value, 0) + count
            target = scoring.target_for(targets[org_id], code, tier)
            scale = scales[code]
            if target is not None and target not in scale:
                target = None  # a target set before the scale changed cannot be compared

            current_counts = per_year.get((code, the_year))
            previous_counts = per_year.get((code, the_year - 1))
            statuses.append(
                FrameworkStatus(
                    code,
                    info,
                    compliance,
                    scoring.framework_maturity(code, scale, current_counts, target)
                    if current_counts
                    else None,
                    scoring.framework_maturity(code, scale, previous_counts, target)
                    if previous_counts
                    else None,
                )
            )
        csf: dict[int, scoring.CsfRollup] = {}
        for each_year in window[org_id]:
            found = levels.get((org_id, each_year))
            if not found:
                continue
            means = {key: sum(values) / len(values) for key, values in found.items()}
            csf[each_year] = scoring.csf_rollup(scoring.default_values(means, scales), links, tree)
        target_rollup = None
        current_keys = levels.get((org_id, the_year))
        if current_keys and targets[org_id]:
            target_rollup = scoring.csf_rollup(
                scoring.target_values(current_keys, targets[org_id], tier, scales), links, tree
            )
        result[org_id] = OrganisationMetrics(
            organisation,
            tier,
            the_year,
            statuses,
            csf,
            target_rollup,
            tree,
            window[org_id],
        )
    return result


def _collected(organisation: Organisation, year: int | None) -> OrganisationMetrics:
    versioned.depends_on(versioned.LIBRARY)  # the CSF tree and tiers, from the library in memory
    return collect([organisation], year)[organisation.pk]


def for_organisation(organisation: Organisation, year: int | None = None) -> OrganisationMetrics:
    """One organisation's metrics, kept while the data they read is unchanged
    (``audit.versioned``), with the profile, the year asked for and the current year: the
    dashboard, its API and the board report read them on every view, and computing them reads
    every assessment of the institution's history."""
    found = versioned.cached(
        organisation.pk,
        "metrics",
        lambda: _collected(organisation, year),
        organisation.profile_data(),
        year,
        timezone.localdate().year,
    )
    return dataclasses.replace(found, organisation=organisation)


# --- what is coming and what is late ------------------------------------------------------------


@dataclass(frozen=True)
class Upcoming:
    framework: str
    ref: str
    title: str
    effective_from: dt.date | None
    due_by: dt.date | None


@dataclass(frozen=True)
class RequirementStatuses:
    """The applicable requirements on a date that need attention, by status (first ``limit``
    of each list, soonest first, and how many in all)."""

    upcoming: list[Upcoming]
    upcoming_count: int
    overdue: list[Upcoming]
    overdue_count: int
    conditional_count: int


def _rows(items: Sequence[ApplicableRequirement], limit: int) -> list[Upcoming]:
    lang = current_language()
    return [
        Upcoming(
            item.framework.short_name.best(lang)
            if item.framework.short_name
            else item.framework.name.best(lang),
            item.node.ref or item.node.id,
            item.node.title.best(lang),
            item.effective_from,
            item.due_by,
        )
        for item in items[:limit]
    ]


def requirement_statuses(
    organisation: Organisation, as_of: dt.date, limit: int = 10
) -> RequirementStatuses:
    """Upcoming requirements (not in force on ``as_of``), overdue ones (in force, ``due_by``
    passed) and how many are conditional on facts the profile leaves unknown."""
    result = applicable(load_library(), organisation.profile(), as_of)
    upcoming = sorted(
        result.with_status(Status.UPCOMING),
        key=lambda item: (item.effective_from or dt.date.max, item.node.id),
    )
    overdue = sorted(result.overdue, key=lambda item: (item.due_by or dt.date.max, item.node.id))
    return RequirementStatuses(
        _rows(upcoming, limit),
        len(upcoming),
        _rows(overdue, limit),
        len(overdue),
        len(result.conditional),
    )


def upcoming_requirements(
    organisation: Organisation, as_of: dt.date, limit: int = 10
) -> tuple[list[Upcoming], int]:
    """Applicable requirements not yet in force on ``as_of``, soonest first (and how many)."""
    found = requirement_statuses(organisation, as_of, limit)
    return found.upcoming, found.upcoming_count


def compliant_on_expired_evidence(
    organisation: Organisation, assessment_ids: Sequence[int], today: dt.date
) -> Any:
    """Results marked compliant in the given assessments whose evidence has all expired: at
    least one piece is linked and none is still valid on ``today`` (no expiry date, or one not
    yet passed). The claim of compliance then rests on nothing current."""
    from finres.web.evidence.models import EvidenceLink

    valid = EvidenceLink.objects.filter(result=OuterRef("pk")).filter(
        Q(evidence__expiry_date__isnull=True) | Q(evidence__expiry_date__gte=today)
    )
    # "At least one piece linked and none valid" is "an expired piece linked and none valid":
    # the candidates are the few results with an expired link, not every compliant result.
    expired = EvidenceLink.objects.filter(
        result__assessment_id__in=assessment_ids, evidence__expiry_date__lt=today
    ).values("result_id")
    # Scoped through the assessment (a primary-key join), not the result's own organisation
    # column: the results are then found through the (assessment, result) index, never through
    # (organisation, result), whatever the planner's statistics are.
    return RequirementResult.objects.filter(
        assessment__organisation=organisation,
        assessment_id__in=assessment_ids,
        result=Result.COMPLIANT,
        pk__in=expired,
    ).exclude(Exists(valid))
