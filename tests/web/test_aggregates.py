"""The maintained counts of results (``ResultTally``) always equal a recomputation from the
result rows, whatever sequence of writes went before (every write path: save, delete, the
queryset's update and delete, bulk_create, bulk_update, propagation, the XLSX import); and the
dashboard's figures built on them equal the figures computed from the raw rows."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import openpyxl
import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finres.core import maturity as scoring
from finres.core.applicability import tier_of
from finres.core.library import load_library
from finres.web.assessments import aggregates, proposals
from finres.web.assessments.models import (
    Assessment,
    ProposalState,
    RequirementResult,
    Result,
    ResultTally,
)
from finres.web.frameworks.models import Framework, Requirement
from finres.web.orgs.models import Organisation
from finres.web.reports import metrics

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022-annex-a"
TWSE = "twse-securities-tiered-protection"
CSF = "nist-csf-2.0"
RESULTS = list(Result.values)
LEVELS = [None, 1, 2, 3, 4, 5]
PENDING = [ProposalState.NONE, ProposalState.PENDING, ProposalState.ACCEPTED]


class Rollback(Exception):
    """Undo one hypothesis example's writes (the test database is shared by the examples)."""


def recomputed(organisation: Organisation) -> dict[int, Counter[tuple[str, int | None, bool]]]:
    """The counts straight from the result rows, in Python."""
    found: dict[int, Counter[tuple[str, int | None, bool]]] = {}
    for assessment_id, result, level, state in RequirementResult.objects.filter(
        organisation=organisation
    ).values_list("assessment_id", "result", "maturity_level", "proposal_state"):
        found.setdefault(assessment_id, Counter())[
            (result, level, state == ProposalState.PENDING)
        ] += 1
    return found


def maintained(organisation: Organisation) -> dict[int, Counter[tuple[str, int | None, bool]]]:
    found: dict[int, Counter[tuple[str, int | None, bool]]] = {}
    for assessment_id, result, level, pending, count in ResultTally.objects.filter(
        organisation=organisation
    ).values_list("assessment_id", "result", "maturity_level", "pending", "count"):
        assert count > 0  # no empty rows are kept
        key = (result, level, bool(pending))
        assert key not in found.get(assessment_id, {}), "a count is stored twice"
        found.setdefault(assessment_id, Counter())[key] = count
    return found


def make_assessment(
    organisation: Organisation, code: str, year: int, limit: int, half: int = 0
) -> Assessment:
    framework = Framework.objects.get(code=code)
    start = dt.date(year, 1 + 6 * half, 1)
    assessment = Assessment.objects.create(
        organisation=organisation,
        framework=framework,
        name=f"{code} {year}/{half}",
        period_start=start,
        period_end=start + dt.timedelta(days=180),
    )
    requirements = Requirement.objects.filter(framework=framework, assessable=True).order_by(
        "position"
    )[:limit]
    RequirementResult.objects.bulk_create(
        RequirementResult(organisation=organisation, assessment=assessment, requirement=r)
        for r in requirements
    )
    return assessment


# --- the write paths, one by one ------------------------------------------------------------------


def test_every_write_path_keeps_the_counts(org: Organisation, other_org: Organisation) -> None:
    first = make_assessment(org, ISO, 2025, 12)
    second = make_assessment(org, TWSE, 2025, 8)
    theirs = make_assessment(other_org, ISO, 2025, 5)
    assert maintained(org) == recomputed(org)

    row = first.results.order_by("pk").first()
    assert row is not None
    row.result, row.maturity_level = Result.COMPLIANT, 3
    row.save()
    assert maintained(org) == recomputed(org)
    row.save(update_fields=["comments"])  # no counted field changed: nothing to refresh
    assert maintained(org) == recomputed(org)

    RequirementResult.objects.filter(assessment=second).update(result=Result.PARTIAL)
    first.results.filter(result=Result.NOT_ASSESSED).update(maturity_level=2)
    assert maintained(org) == recomputed(org)

    rows = list(second.results.order_by("pk")[:3])
    for each in rows:
        each.proposal_state, each.proposed_result = ProposalState.PENDING, Result.COMPLIANT
    RequirementResult.objects.bulk_update(rows, ["proposal_state", "proposed_result"])
    assert maintained(org) == recomputed(org)
    assert aggregates.summaries([second.pk])[second.pk]["n_pending"] == 3

    row.delete()
    RequirementResult.objects.filter(assessment=second, proposal_state="").delete()
    assert maintained(org) == recomputed(org)

    # moving results to another assessment refreshes both
    RequirementResult.objects.filter(pk__in=[r.pk for r in rows[:1]]).update(assessment=first)
    assert maintained(org) == recomputed(org)

    first.delete()  # the counts go with the assessment
    assert not ResultTally.objects.filter(assessment_id=first.pk).exists()
    assert maintained(org) == recomputed(org)
    assert maintained(other_org) == recomputed(other_org)
    assert theirs.pk in maintained(other_org)


def test_rows_read_with_deferred_fields_keep_the_counts(org: Organisation) -> None:
    """.only()/.defer() leave counted fields out: reading such rows must not recurse, and
    saving one (even moved to another assessment) still refreshes what it changed."""
    first = make_assessment(org, ISO, 2025, 6)
    second = make_assessment(org, ISO, 2026, 1)  # holds the first requirement only
    rows = list(
        RequirementResult.objects.filter(assessment=first)
        .order_by("requirement__position")
        .only("id", "comments")
    )
    assert len(rows) == 6
    rows[0].result = Result.COMPLIANT
    rows[0].save()
    assert maintained(org) == recomputed(org)
    moved = RequirementResult.objects.defer("assessment").get(pk=rows[1].pk)
    moved.assessment_id = second.pk
    moved.save()
    assert maintained(org) == recomputed(org)


def test_refresh_repairs_counts_written_around_the_orm(org: Organisation) -> None:
    """A writer of its own (raw SQL, an import's bulk writer) calls the refresh afterwards."""
    assessment = make_assessment(org, ISO, 2025, 6)
    with transaction.atomic():
        # QuerySet.update of the base class bypasses ResultQuerySet: simulate a foreign writer
        from django.db.models import QuerySet

        QuerySet.update(
            RequirementResult._base_manager.filter(assessment=assessment),
            result=Result.COMPLIANT,
        )
    assert maintained(org) != recomputed(org)
    aggregates.refresh_assessment_aggregates([assessment.pk, 10**12])  # unknown ids ignored
    assert maintained(org) == recomputed(org)
    ResultTally.objects.all().delete()
    assert aggregates.rebuild_all_aggregates() >= 1
    assert maintained(org) == recomputed(org)


def test_propagation_keeps_the_counts(org: Organisation) -> None:
    iso = make_assessment(org, ISO, 2026, 93)
    make_assessment(org, CSF, 2026, 106)
    iso.results.update(result=Result.COMPLIANT)
    report = proposals.propose_from(iso)
    assert report.proposed > 0
    assert maintained(org) == recomputed(org)


def test_xlsx_import_keeps_the_counts(org: Organisation) -> None:
    from finres.web.evidence import xlsx

    assessment = make_assessment(org, ISO, 2026, 20)
    data = xlsx.export_assessment(assessment)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    column = {c.key: header.index(str(c.label)) + 1 for c in xlsx.COLUMNS if str(c.label) in header}
    labels = {str(value): str(label) for value, label in Result.choices}
    for index, row in enumerate(range(2, sheet.max_row + 1)):
        value = [Result.COMPLIANT, Result.PARTIAL, Result.NON_COMPLIANT][index % 3]
        sheet.cell(row=row, column=column["result"]).value = labels[value]
        sheet.cell(row=row, column=column["maturity_level"]).value = 1 + index % 5
    buffer = io.BytesIO()
    book.save(buffer)
    with translation.override("en"):
        report = xlsx.import_results(
            assessment, io.BytesIO(buffer.getvalue()), file_name="results.xlsx"
        )
    assert not report.errors, report.errors
    assert report.changed == 20
    assert maintained(org) == recomputed(org)
    counts = aggregates.summaries([assessment.pk])[assessment.pk]
    assert counts["n_not_assessed"] == 0 and counts["n_total"] == 20


# --- any sequence of writes ----------------------------------------------------------------------

OPERATIONS = st.one_of(
    st.tuples(
        st.just("save"),
        st.integers(0, 40),
        st.sampled_from(RESULTS),
        st.sampled_from(LEVELS),
        st.sampled_from(PENDING),
    ),
    st.tuples(
        st.just("update"), st.integers(0, 2), st.sampled_from(RESULTS), st.sampled_from(LEVELS)
    ),
    st.tuples(
        st.just("bulk_update"),
        st.lists(st.integers(0, 40), max_size=8),
        st.sampled_from(RESULTS),
        st.sampled_from(LEVELS),
        st.sampled_from(PENDING),
    ),
    st.tuples(st.just("delete"), st.integers(0, 40)),
    st.tuples(st.just("delete_where"), st.integers(0, 2), st.sampled_from(RESULTS)),
    st.tuples(st.just("bulk_create"), st.integers(0, 2), st.integers(1, 5)),
    st.tuples(st.just("move"), st.integers(0, 40), st.integers(0, 2)),
)


def _apply(operation: tuple[Any, ...], assessments: list[Assessment]) -> None:
    rows = list(
        RequirementResult.objects.filter(assessment__in=assessments).order_by("pk")
    )  # fresh each time, as a request would read them
    kind = operation[0]
    if kind == "save" and rows:
        row = rows[operation[1] % len(rows)]
        row.result, row.maturity_level, row.proposal_state = operation[2:]
        row.save()
    elif kind == "update":
        RequirementResult.objects.filter(assessment=assessments[operation[1]]).update(
            result=operation[2], maturity_level=operation[3]
        )
    elif kind == "bulk_update" and rows:
        chosen = {rows[i % len(rows)].pk: rows[i % len(rows)] for i in operation[1]}
        for row in chosen.values():
            row.result, row.maturity_level, row.proposal_state = operation[2:]
        RequirementResult.objects.bulk_update(
            list(chosen.values()), ["result", "maturity_level", "proposal_state"]
        )
    elif kind == "delete" and rows:
        rows[operation[1] % len(rows)].delete()
    elif kind == "delete_where":
        RequirementResult.objects.filter(
            assessment=assessments[operation[1]], result=operation[2]
        ).delete()
    elif kind == "bulk_create":
        assessment = assessments[operation[1]]
        taken = set(assessment.results.values_list("requirement_id", flat=True))
        free = Requirement.objects.filter(framework=assessment.framework, assessable=True).exclude(
            pk__in=taken
        )[: operation[2]]
        RequirementResult.objects.bulk_create(
            RequirementResult(
                organisation=assessment.organisation,
                assessment=assessment,
                requirement=requirement,
                result=Result.PARTIAL,
                maturity_level=2,
            )
            for requirement in free
        )
    elif kind == "move" and rows:
        row = rows[operation[1] % len(rows)]
        target = assessments[operation[2]]
        if (
            target.framework_id == row.assessment.framework_id
            and not target.results.filter(requirement_id=row.requirement_id).exists()
        ):
            row.assessment = target
            row.save()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
def test_any_sequence_of_writes_keeps_the_counts(
    org: Organisation, operations: list[tuple[Any, ...]]
) -> None:
    try:
        with transaction.atomic():
            assessments = [
                make_assessment(org, ISO, 2024, 10),
                make_assessment(org, ISO, 2025, 10),
                make_assessment(org, TWSE, 2025, 10),
            ]
            for operation in operations:
                _apply(operation, assessments)
                assert maintained(org) == recomputed(org), operation
            raise Rollback
    except Rollback:
        pass


# --- the dashboard's figures equal the raw rows' ------------------------------------------------


def raw_figures(organisation: Organisation, year: int) -> dict[str, Any]:
    """The dashboard's figures computed the slow, obvious way: every result row in Python."""
    library = load_library()
    tree, links = metrics.csf_structure()
    assessments = list(
        Assessment.objects.filter(organisation=organisation).select_related("framework")
    )
    rows = list(
        RequirementResult.objects.filter(organisation=organisation).values_list(
            "assessment_id",
            "requirement__framework__code",
            "requirement__code",
            "result",
            "maturity_level",
        )
    )
    by_pk = {a.pk: a for a in assessments}
    latest: dict[str, Assessment] = {}
    for a in sorted(assessments, key=lambda a: (a.period_end, a.period_start)):
        if a.period_end.year <= year:
            latest[a.framework.code] = a
    compliance = {
        code: Counter(result for aid, _f, _r, result, _l in rows if aid == a.pk)
        for code, a in latest.items()
    }
    levels_in_year: dict[str, Counter[int]] = {}
    for aid, _f, _r, _result, level in rows:
        a = by_pk[aid]
        if a.period_end.year == year and level is not None:
            levels_in_year.setdefault(a.framework.code, Counter())[level] += 1
    scales = {a.framework.code: metrics.scale_of(a.framework.maturity_levels) for a in assessments}
    csf: dict[int, Any] = {}
    for each in range(year - metrics.TREND_YEARS + 1, year + 1):
        found: dict[Any, list[int]] = {}
        for aid, framework, requirement, _result, level in rows:
            in_year = by_pk[aid].period_end.year == each
            if in_year and level is not None and (framework, requirement) in links:
                found.setdefault((framework, requirement), []).append(level)
        if found:
            means = {k: sum(v) / len(v) for k, v in found.items()}
            csf[each] = scoring.csf_rollup(scoring.default_values(means, scales), links, tree)
    tier_of(library, organisation.profile().industry, organisation.paid_in_capital)
    return {"compliance": compliance, "levels": levels_in_year, "csf": csf}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cells=st.lists(
        st.tuples(st.sampled_from(RESULTS), st.sampled_from(LEVELS)), min_size=1, max_size=60
    ),
    years=st.lists(st.sampled_from([2022, 2024, 2025]), min_size=1, max_size=3, unique=True),
)
def test_dashboard_figures_equal_the_raw_rows(
    org: Organisation, cells: list[tuple[str, int | None]], years: list[int]
) -> None:
    try:
        with transaction.atomic():
            made = []
            for year in years:
                for code in (ISO, CSF):
                    made.append(make_assessment(org, code, year, 12))
            rows = list(RequirementResult.objects.filter(assessment__in=made).order_by("pk"))
            for index, row in enumerate(rows):
                row.result, row.maturity_level = cells[index % len(cells)]
            RequirementResult.objects.bulk_update(rows, ["result", "maturity_level"])
            year = max(years)
            found = metrics.for_organisation(org, year)
            expected = raw_figures(org, year)
            compliance = {
                s.code: Counter({k: v for k, v in s.compliance.counts.items() if v})
                for s in found.frameworks
            }
            assert compliance == expected["compliance"]
            for status in found.frameworks:
                counts = expected["levels"].get(status.code)
                if counts:
                    assert status.maturity is not None
                    assert status.maturity == scoring.framework_maturity(
                        status.code,
                        metrics.scale_of(status.latest.maturity_levels),
                        counts,
                        status.maturity.target,
                    )
                else:
                    assert status.maturity is None
            assert found.csf == expected["csf"]
            raise Rollback
    except Rollback:
        pass
