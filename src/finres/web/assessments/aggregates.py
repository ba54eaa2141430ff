"""Maintained counts of results per assessment (``ResultTally``).

The dashboard, the assessment lists (page and API) and the board report show, per assessment,
how many results have each result value, each maturity level and a pending proposal. Counting
them from the results on each view reads the institution's whole history; instead the counts are
kept in ``ResultTally`` and refreshed whenever results change, in the same transaction:

- ``RequirementResult.save`` and ``delete`` refresh the row's assessment (only when a counted
  field changed);
- ``ResultQuerySet.bulk_create``, ``bulk_update``, ``update`` and ``delete`` (every bulk path:
  onboarding, alignment, propagation, accepting proposals, the XLSX import, demo data) refresh the
  assessments they touched;
- deleting an assessment deletes its counts with it (cascade).

Code that writes results another way (raw SQL, a data migration, a bulk writer of its own)
calls ``refresh_assessment_aggregates(assessment_ids)`` after the write, inside its transaction.
A refresh recomputes an assessment's counts from its results with one grouped query over the
``(assessment, requirement)`` index, so it is always exact, whatever happened before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum

from finres.web.assessments.models import (
    Assessment,
    ProposalState,
    RequirementResult,
    Result,
    ResultTally,
)

# Fields of a result the counts depend on: a write that changes none of them needs no refresh.
TALLY_FIELDS = frozenset(
    {"assessment", "assessment_id", "result", "maturity_level", "proposal_state"}
)
BATCH = 500

# (result, maturity level, pending proposal) -> how many
TallyKey = tuple[str, int | None, bool]


def _batches(ids: Sequence[int], size: int = BATCH) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _grouped_results(assessment_ids: Sequence[int]) -> Any:
    # The select list is in ResultTally's column order: fields, then the two annotations.
    pending = ExpressionWrapper(
        Q(proposal_state=ProposalState.PENDING), output_field=BooleanField()
    )
    return (
        RequirementResult._base_manager.filter(assessment_id__in=assessment_ids)
        .order_by()
        .annotate(is_pending=pending)
        .values("organisation_id", "assessment_id", "result", "maturity_level", "is_pending")
        .annotate(n=Count("pk"))
    )


def computed_tallies(assessment_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The counts recomputed from the results (one grouped query per 500 assessments)."""
    ids = sorted({pk for pk in assessment_ids if pk is not None})
    rows: list[dict[str, Any]] = []
    for chunk in _batches(ids):
        rows.extend(_grouped_results(chunk))
    return rows


def refresh_assessment_aggregates(assessment_ids: Iterable[int]) -> None:
    """Recompute the maintained counts of the given assessments from their results.

    Call it after any write of results that bypasses ``RequirementResult.save`` and the
    ``RequirementResult.objects`` bulk methods (which call it themselves), inside the same
    transaction. The assessments are locked (in id order) while their counts are rewritten, so
    two writers refreshing one assessment at once cannot leave duplicate counts. Unknown or
    deleted assessment ids are ignored. Costs two queries per 500 assessments (three where rows
    are locked).
    """
    ids = sorted({int(pk) for pk in assessment_ids if pk is not None})
    if not ids:
        return
    lock = connection.features.has_select_for_update
    with transaction.atomic(savepoint=False):
        for chunk in _batches(ids):
            if lock:  # SQLite needs none: one writer at a time holds the whole database
                list(
                    Assessment.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            ResultTally.objects.filter(assessment_id__in=chunk).delete()
            _insert_computed(chunk)


def _insert_computed(assessment_ids: Sequence[int]) -> None:
    """``INSERT … SELECT`` of the recomputed counts: the database groups and writes them
    without sending a row to Python (one query)."""
    query = _grouped_results(assessment_ids)
    select, params = query.query.sql_with_params()
    table = connection.ops.quote_name(ResultTally._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(ResultTally._meta.get_field(name).column)
        for name in ("organisation", "assessment", "result", "maturity_level", "pending", "count")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)


def rebuild_all_aggregates() -> int:
    """Recompute the counts of every assessment (after a restore of data written without them,
    or a bulk load by hand); returns how many assessments were counted."""
    ids = list(Assessment.objects.order_by("pk").values_list("pk", flat=True))
    refresh_assessment_aggregates(ids)
    return len(ids)


def tallies(assessment_ids: Iterable[int]) -> dict[int, dict[TallyKey, int]]:
    """The maintained counts of the given assessments: id -> (result, level, pending) -> n."""
    ids = sorted({pk for pk in assessment_ids if pk is not None})
    found: dict[int, dict[TallyKey, int]] = defaultdict(dict)
    for chunk in _batches(ids):
        for assessment_id, result, level, pending, count in (
            ResultTally.objects.filter(assessment_id__in=chunk)
            .order_by()
            .values_list("assessment_id", "result", "maturity_level", "pending", "count")
        ):
            key = (result, level, pending)
            found[assessment_id][key] = found[assessment_id].get(key, 0) + count
    return found


def result_level_counts(
    assessment_ids: Iterable[int],
) -> dict[int, dict[tuple[str, int | None], int]]:
    """Per assessment, how many results have each (result, maturity level): one grouped query
    over the covering index of the maintained counts."""
    ids = sorted({pk for pk in assessment_ids if pk is not None})
    found: dict[int, dict[tuple[str, int | None], int]] = defaultdict(dict)
    for chunk in _batches(ids):
        for assessment_id, result, level, count in (
            ResultTally.objects.filter(assessment_id__in=chunk)
            .order_by()
            .values_list("assessment_id", "result", "maturity_level")
            .annotate(n=Sum("count"))
        ):
            found[assessment_id][(result, level)] = count
    return found


RESULT_COUNT_NAMES = {
    "n_compliant": Result.COMPLIANT,
    "n_partial": Result.PARTIAL,
    "n_non_compliant": Result.NON_COMPLIANT,
    "n_not_applicable": Result.NOT_APPLICABLE,
    "n_not_assessed": Result.NOT_ASSESSED,
}


def summary(counted: dict[TallyKey, int]) -> dict[str, int]:
    """Counts by result, in all and of pending proposals, named as ``stats.result_counts``."""
    values = dict.fromkeys([*RESULT_COUNT_NAMES, "n_total", "n_pending"], 0)
    by_result = {str(value): name for name, value in RESULT_COUNT_NAMES.items()}
    for (result, _level, pending), count in counted.items():
        name = by_result.get(result)
        if name:
            values[name] += count
        values["n_total"] += count
        if pending:
            values["n_pending"] += count
    return values


def summaries(assessment_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """``summary`` of each given assessment (zeros for one without results): one query."""
    ids = list(assessment_ids)
    found = tallies(ids)
    return {pk: summary(found.get(pk, {})) for pk in ids}


def attach_summaries(assessments: Iterable[Any]) -> None:
    """Set ``n_compliant`` … ``n_total``, ``n_pending`` on each assessment of a page."""
    rows = list(assessments)
    found = summaries(row.pk for row in rows)
    for row in rows:
        for name, value in found[row.pk].items():
            setattr(row, name, value)
