"""Test once, comply many, in the database: results of one assessment proposed to the mapped
requirements of the organisation's other open assessments (rules: ``finres.core.propagation``).

Each proposal keeps its provenance: one entry per contributing requirement, with the
assessment it comes from. Propagating from an assessment replaces that assessment's entries in
every proposal it reaches and keeps the entries of other assessments, so a proposal is always
the most restrictive of everything currently proposed for the requirement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from finres.core.propagation import (
    RANK,
    MappingEdge,
    Outcome,
    Ref,
    links,
    most_restrictive,
    propose,
)
from finres.core.vocab import Relationship
from finres.web.assessments.models import (
    Assessment,
    ProposalState,
    RequirementResult,
    Result,
)
from finres.web.audit.log import append
from finres.web.frameworks.models import Mapping

RESULT_MODEL = "assessments.requirementresult"
PROPOSAL_FIELDS = ["proposed_result", "proposal_state", "proposal_provenance", "updated"]


@dataclass
class PropagationReport:
    source: Assessment
    proposed: int = 0  # rows that now have a new pending proposal
    cleared: int = 0  # pending proposals withdrawn because nothing supports them any more
    by_assessment: dict[int, int] = field(default_factory=dict)


def open_targets(assessment: Assessment) -> list[Assessment]:
    """The organisation's other open assessments, of other frameworks."""
    return list(
        Assessment.objects.filter(
            organisation_id=assessment.organisation_id, status=Assessment.Status.IN_PROGRESS
        )
        .exclude(pk=assessment.pk)
        .exclude(framework_id=assessment.framework_id)
        .select_related("framework")
    )


TITLE_LENGTH = 120  # provenance keeps short titles, enough to recognise a requirement


@dataclass(frozen=True)
class Describe:
    """How a requirement is shown in a provenance entry: its label and short titles."""

    label: str
    title_zh: str
    title_en: str

    def titles(self) -> dict[str, str]:
        return {"zh-TW": self.title_zh[:TITLE_LENGTH], "en": self.title_en[:TITLE_LENGTH]}


def _edges(
    framework_ids: Iterable[int],
) -> tuple[list[MappingEdge], dict[Ref, int], dict[Ref, Describe]]:
    """Every mapping touching one of the frameworks (one query): a hop needs one mapping at the
    holder's framework and one at the receiver's, so both are always among them."""
    ids = list(framework_ids)
    rows = Mapping.objects.filter(
        Q(source__framework_id__in=ids) | Q(target__framework_id__in=ids)
    ).values_list(
        "source_id",
        "source__framework__code",
        "source__code",
        "source__ref",
        "source__title_zh",
        "source__title_en",
        "target_id",
        "target__framework__code",
        "target__code",
        "target__ref",
        "target__title_zh",
        "target__title_en",
        "relationship",
    )
    edges: list[MappingEdge] = []
    pks: dict[Ref, int] = {}
    described: dict[Ref, Describe] = {}
    for row in rows:
        s_pk, s_fw, s_code, s_ref, s_zh, s_en = row[:6]
        t_pk, t_fw, t_code, t_ref, t_zh, t_en, relationship = row[6:]
        source, target = Ref(s_fw, s_code), Ref(t_fw, t_code)
        pks[source], pks[target] = s_pk, t_pk
        described[source] = Describe(s_ref or s_code, s_zh or s_en, s_en or s_zh)
        described[target] = Describe(t_ref or t_code, t_zh or t_en, t_en or t_zh)
        edges.append(MappingEdge(source, target, Relationship(relationship)))
    return edges, pks, described


def _entry_key(entry: dict[str, Any]) -> tuple[int, str, str, str]:
    return (
        int(entry["assessment"]),
        str(entry["framework"]),
        str(entry["requirement"]),
        str(entry.get("via") or ""),
    )


def holders_of(assessment: Assessment) -> dict[Ref, Outcome]:
    """The results a person recorded in ``assessment`` that can inform other requirements.

    Results taken over by accepting a proposal are left out: they were not tested here, and
    sending them back would echo a proposal to where it came from.
    """
    rows = (
        RequirementResult.objects.filter(assessment=assessment, result__in=list(RANK))
        .exclude(proposal_state=ProposalState.ACCEPTED)
        .values_list("requirement__code", "result")
    )
    code = assessment.framework.code
    return {Ref(code, requirement): Outcome(result) for requirement, result in rows}


def propose_from(
    assessment: Assessment, changed_requirements: Collection[int] | None = None
) -> PropagationReport:
    """Write the proposals ``assessment``'s results make on the other open assessments.

    A bounded number of queries whatever the size: the mappings (one), the holders (one), the
    requirements of the source (one), the receiving rows (one), bulk updates and one summary
    event in the audit trail. With ``changed_requirements`` (whose result just changed),
    only the rows those requirements reach are written again: every other row's proposal from
    this assessment is what it was (a row's contributions are still read from every result
    of the assessment).
    """
    report = PropagationReport(assessment)
    targets = open_targets(assessment)
    if not targets:
        return report
    edges, pks, described = _edges([assessment.framework_id, *(t.framework_id for t in targets)])
    holders = holders_of(assessment)
    proposals = propose(holders, edges)
    source_code = assessment.framework.code
    # Every requirement reachable from this framework, whatever its result now: a proposal made
    # earlier from a result since withdrawn has to be found to be withdrawn too.
    source_refs = {
        ref
        for ref, pk in pks.items()
        if ref.framework == source_code
        and (changed_requirements is None or pk in changed_requirements)
    }
    target_frameworks = {t.framework.code for t in targets}
    reachable = {
        receiver
        for (_holder, receiver) in links(edges, source_refs)
        if receiver.framework in target_frameworks
    }
    if not reachable:
        return report
    rows = list(
        RequirementResult.objects.filter(
            assessment__in=targets, requirement_id__in=[pks[ref] for ref in reachable]
        )
        .exclude(result=Result.NOT_APPLICABLE)
        .select_related("requirement__framework")
        .order_by("pk")
    )
    now = timezone.now()
    changed: list[RequirementResult] = []
    changes: dict[str, Any] = {}
    for row in rows:
        ref = Ref(row.requirement.framework.code, row.requirement.code)
        kept = [e for e in row.proposal_provenance or [] if e.get("assessment") != assessment.pk]
        new = [
            {
                "assessment": assessment.pk,
                "assessment_name": assessment.name,
                "framework": c.source.framework,
                "requirement": c.source.requirement,
                "label": described[c.source].label,
                "title": described[c.source].titles(),
                "result": c.result.value,
                "relationship": c.relationship.value,
                "via": str(c.via) if c.via else None,
                "via_label": described[c.via].label if c.via else None,
                "via_title": described[c.via].titles() if c.via else None,
                "proposed": c.proposed.value,
            }
            for c in (proposals[ref].contributions if ref in proposals else ())
        ]
        provenance = sorted(kept + new, key=_entry_key)
        before = (row.proposed_result, row.proposal_state)
        if not provenance:
            if row.proposal_state in (ProposalState.PENDING, ProposalState.NONE) and (
                row.proposed_result or row.proposal_provenance
            ):
                row.proposed_result, row.proposal_state, row.proposal_provenance = "", "", []
                report.cleared += 1
            else:
                continue  # nothing proposed, or a decision already taken on an older proposal
        else:
            proposed = most_restrictive(Outcome(e["proposed"]) for e in provenance).value
            if proposed == row.proposed_result and provenance == row.proposal_provenance:
                continue
            row.proposed_result = proposed
            row.proposal_state = ProposalState.PENDING
            row.proposal_provenance = provenance
            report.proposed += 1
            report.by_assessment[row.assessment_id] = (
                report.by_assessment.get(row.assessment_id, 0) + 1
            )
        row.updated = now
        changed.append(row)
        changes[str(row.pk)] = {
            "proposed_result": [before[0], row.proposed_result],
            "proposal_state": [before[1], row.proposal_state],
        }
    if changed:
        with transaction.atomic():
            RequirementResult.objects.bulk_update(changed, PROPOSAL_FIELDS, batch_size=500)
            append(
                "update",
                RESULT_MODEL,
                "bulk",
                f"Proposals from {assessment}: {report.proposed} proposed, "
                f"{report.cleared} withdrawn",
                {"source_assessment": assessment.pk, "results": changes},
                assessment.organisation_id,
            )
    return report


def after_result_change(row: RequirementResult) -> PropagationReport | None:
    """Propagate again from the row's assessment after a person changed its result: to the
    rows its requirement reaches."""
    assessment = row.assessment
    if assessment.status != Assessment.Status.IN_PROGRESS:
        return None
    return propose_from(assessment, changed_requirements={row.requirement_id})


def accept(row: RequirementResult) -> None:
    """The proposed result becomes the result (audited by the row's own save)."""
    row.result = row.proposed_result
    row.not_applicable_reason = ""
    row.proposal_state = ProposalState.ACCEPTED
    row.save()


def override(row: RequirementResult) -> None:
    """The person's own result (already set on ``row`` and validated) replaces the proposal."""
    row.proposal_state = ProposalState.OVERRIDDEN
    row.save()


def accept_all(assessment: Assessment, rows: QuerySet[RequirementResult]) -> int:
    """Accept every pending proposal among ``rows`` in bulk, with one summary audit event."""
    pending = list(
        rows.filter(assessment=assessment, proposal_state=ProposalState.PENDING)
        .exclude(proposed_result="")
        .order_by("pk")
    )
    if not pending:
        return 0
    now = timezone.now()
    changes: dict[str, Any] = {}
    for row in pending:
        changes[str(row.pk)] = {
            "result": [row.result, row.proposed_result],
            "proposal_state": [row.proposal_state, str(ProposalState.ACCEPTED)],
        }
        row.result = row.proposed_result
        row.not_applicable_reason = ""
        row.proposal_state = ProposalState.ACCEPTED
        row.updated = now
    with transaction.atomic():
        RequirementResult.objects.bulk_update(
            pending,
            ["result", "not_applicable_reason", "proposal_state", "updated"],
            batch_size=500,
        )
        append(
            "update",
            RESULT_MODEL,
            "bulk",
            f"{assessment}: {len(pending)} proposals accepted",
            {"assessment": assessment.pk, "results": changes},
            assessment.organisation_id,
        )
    return len(pending)
