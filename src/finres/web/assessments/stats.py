"""Counts of results computed in the database (one aggregate query, never per row)."""

from __future__ import annotations

from django.db.models import Count, Q

from finres.web.assessments.models import ProposalState, Result

RESULT_COUNTS = {
    "n_compliant": Result.COMPLIANT,
    "n_partial": Result.PARTIAL,
    "n_non_compliant": Result.NON_COMPLIANT,
    "n_not_applicable": Result.NOT_APPLICABLE,
    "n_not_assessed": Result.NOT_ASSESSED,
}
COUNT_NAMES = [*RESULT_COUNTS, "n_total", "n_pending"]


def result_counts(through_results: bool = True) -> dict[str, Count]:
    """Counts by result (and of pending proposals) as aggregate expressions, over an
    assessment's ``results`` (annotating assessments) or over result rows (aggregating)."""
    counted, prefix = ("results", "results__") if through_results else ("pk", "")
    counts = {
        name: Count(counted, filter=Q(**{f"{prefix}result": value}))
        for name, value in RESULT_COUNTS.items()
    }
    counts["n_total"] = Count(counted)
    counts["n_pending"] = Count(
        counted, filter=Q(**{f"{prefix}proposal_state": ProposalState.PENDING})
    )
    return counts
