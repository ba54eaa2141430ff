"""Test once, comply many, end to end: results proposed through the library's mappings to the
organisation's other open assessments, accepted or overridden by a person."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finres.web.assessments import proposals
from finres.web.assessments.models import Assessment, ProposalState, RequirementResult, Result
from finres.web.audit.models import AuditEvent
from finres.web.orgs.roles import Role

from .test_assessments import CSF, ISO, TWSE, htmx, make_assessment, result_form, row_of

pytestmark = pytest.mark.django_db

ISMS = "cc-12000-isms-implementation"  # superset of GV.PO-01 and GV.RM-01
EMAIL_RULES = "cc-17010-email-usage-rules"  # subset of GV.PO-01
ANTIVIRUS = "cc-17010-antivirus"  # subset of DE.CM-09


@pytest.fixture
def three(org) -> dict[str, Assessment]:
    return {code: make_assessment(org, code) for code in (TWSE, CSF, ISO)}


def record(client, assessment: Assessment, code: str, result: str, **extra) -> RequirementResult:
    row = row_of(assessment, code)
    response = htmx(
        client,
        "post",
        reverse("assessments:result_row", args=[row.pk]),
        result_form(result=result, **extra),
    )
    assert response.status_code == 200
    return row


def test_a_recorded_result_is_proposed_to_mapped_requirements(ciso_client, three) -> None:
    twse, csf, iso = three[TWSE], three[CSF], three[ISO]
    record(ciso_client, twse, ISMS, Result.COMPLIANT)
    # superset: the whole of GV.PO-01 is covered, the result carries.
    policy = row_of(csf, "GV.PO-01")
    assert policy.proposal_state == ProposalState.PENDING
    assert policy.proposed_result == Result.COMPLIANT
    assert policy.result == Result.NOT_ASSESSED  # only a proposal
    (entry,) = policy.proposal_provenance
    assert entry["requirement"] == ISMS and entry["relationship"] == "superset"
    assert entry["assessment"] == twse.pk and entry["via"] is None
    # One hop to ISO through an intermediate framework, capped at partial: through CSF (TWSE ⊇
    # GV.PO-01, A.5.1 ∩ GV.PO-01) or through the management-system integration guideline
    # (CC-12000 ∩ its ISO 27001 backbone, which relates to A.5.1); the engine names the one taken.
    iso_policy = row_of(iso, "A.5.1")
    assert iso_policy.proposed_result == Result.PARTIAL
    assert {e["via"] for e in iso_policy.proposal_provenance} & {
        "nist-csf-2.0:GV.PO-01",
        "iso-ms-integration:std-iso27001",
    }
    # subset: a compliant antivirus covers only part of DE.CM-09.
    record(ciso_client, twse, ANTIVIRUS, Result.COMPLIANT)
    assert row_of(csf, "DE.CM-09").proposed_result == Result.PARTIAL
    # The proposals were written in bulk and audited with a summary event.
    event = AuditEvent.objects.filter(object_id="bulk").last()
    assert event.changes["source_assessment"] == twse.pk
    assert str(row_of(csf, "DE.CM-09").pk) in event.changes["results"]


def test_the_most_restrictive_proposal_wins_and_all_contributors_are_listed(
    ciso_client, three
) -> None:
    twse, csf, iso = three[TWSE], three[CSF], three[ISO]
    record(ciso_client, twse, ISMS, Result.COMPLIANT)
    record(ciso_client, twse, EMAIL_RULES, Result.NON_COMPLIANT)
    policy = row_of(csf, "GV.PO-01")
    assert policy.proposed_result == Result.NON_COMPLIANT
    assert {e["requirement"] for e in policy.proposal_provenance} == {ISMS, EMAIL_RULES}
    # A contribution from another assessment is kept when this one propagates again.
    record(ciso_client, iso, "A.5.1", Result.PARTIAL)
    record(ciso_client, twse, EMAIL_RULES, Result.COMPLIANT)
    policy = row_of(csf, "GV.PO-01")
    sources = {(e["assessment"], e["requirement"]) for e in policy.proposal_provenance}
    assert sources == {(twse.pk, ISMS), (twse.pk, EMAIL_RULES), (iso.pk, "A.5.1")}
    assert policy.proposed_result == Result.PARTIAL


def test_withdrawn_results_withdraw_their_proposals(ciso_client, three) -> None:
    twse, csf = three[TWSE], three[CSF]
    record(ciso_client, twse, ANTIVIRUS, Result.COMPLIANT)
    assert row_of(csf, "DE.CM-09").proposal_state == ProposalState.PENDING
    record(ciso_client, twse, ANTIVIRUS, Result.NOT_ASSESSED)
    cleared = row_of(csf, "DE.CM-09")
    assert (cleared.proposal_state, cleared.proposed_result, cleared.proposal_provenance) == (
        "",
        "",
        [],
    )
    # Not applicable never propagates either.
    record(ciso_client, twse, ANTIVIRUS, Result.NOT_APPLICABLE, not_applicable_reason="n/a")
    assert row_of(csf, "DE.CM-09").proposal_state == ""


def test_accept_and_override_one_proposal(ciso_client, three) -> None:
    twse, csf = three[TWSE], three[CSF]
    record(ciso_client, twse, ISMS, Result.COMPLIANT)
    record(ciso_client, twse, ANTIVIRUS, Result.COMPLIANT)
    policy, monitoring = row_of(csf, "GV.PO-01"), row_of(csf, "DE.CM-09")
    page = ciso_client.get(reverse("assessments:detail", args=[csf.pk]))
    assert policy in page.context["pending"]
    response = ciso_client.post(reverse("assessments:result_accept", args=[policy.pk]))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.result, policy.proposal_state) == (Result.COMPLIANT, ProposalState.ACCEPTED)
    # Overriding with "not applicable" needs a reason; nothing changes without one.
    url = reverse("assessments:result_override", args=[monitoring.pk])
    ciso_client.post(url, {"override-result": Result.NOT_APPLICABLE})
    monitoring.refresh_from_db()
    assert monitoring.proposal_state == ProposalState.PENDING
    ciso_client.post(url, {"override-result": Result.NON_COMPLIANT})
    monitoring.refresh_from_db()
    assert (monitoring.result, monitoring.proposal_state) == (
        Result.NON_COMPLIANT,
        ProposalState.OVERRIDDEN,
    )
    assert monitoring.proposed_result == Result.PARTIAL  # the proposal stays on record
    # Nothing is pending any more: accepting again is "not found".
    assert (
        ciso_client.post(reverse("assessments:result_accept", args=[policy.pk])).status_code == 404
    )


def test_accept_all_in_bulk_with_one_audit_event(ciso_client, three) -> None:
    twse, csf = three[TWSE], three[CSF]
    for code in (ISMS, ANTIVIRUS, EMAIL_RULES):
        record(ciso_client, twse, code, Result.COMPLIANT)
    pending = list(csf.results.filter(proposal_state=ProposalState.PENDING))
    assert len(pending) >= 3
    events = AuditEvent.objects.count()
    ciso_client.post(reverse("assessments:accept_all", args=[csf.pk]))
    assert not csf.results.filter(proposal_state=ProposalState.PENDING).exists()
    for row in pending:
        row.refresh_from_db()
        assert row.result == row.proposed_result and row.proposal_state == ProposalState.ACCEPTED
    new_events = AuditEvent.objects.order_by("sequence")[events:]
    summary = [e for e in new_events if "accepted" in e.object_repr]
    assert len(summary) == 1 and len(summary[0].changes["results"]) == len(pending)
    # Accepted results are not sent back where they came from (no echo to TWSE).
    assert not twse.results.filter(proposal_state=ProposalState.PENDING).exists()
    history = ciso_client.get(reverse("assessments:result", args=[pending[0].pk])).context[
        "history"
    ]
    assert any("accepted" in e.object_repr for e in history)


def test_only_open_assessments_of_other_frameworks_receive_proposals(
    ciso_client, org, three
) -> None:
    twse = three[TWSE]
    closed_csf = make_assessment(org, CSF, year=2025, status=Assessment.Status.COMPLETED)
    twse_2027 = make_assessment(org, TWSE, year=2027)
    record(ciso_client, twse, ISMS, Result.COMPLIANT)
    assert not closed_csf.results.exclude(proposal_state="").exists()
    assert not twse_2027.results.exclude(proposal_state="").exists()


def test_the_propose_action_and_roles(client_for, org, other_org, three) -> None:
    twse, csf = three[TWSE], three[CSF]
    RequirementResult.objects.filter(assessment=twse, requirement__code=ISMS).update(
        result=Result.COMPLIANT
    )  # recorded without propagation (as an import would)
    owner = client_for(Role.CONTROL_OWNER, org)
    response = owner.post(reverse("assessments:propose", args=[twse.pk]))
    assert response.status_code == 302
    policy = row_of(csf, "GV.PO-01")
    assert policy.proposal_state == ProposalState.PENDING
    # A control owner records results but does not decide on proposals.
    assert owner.post(reverse("assessments:result_accept", args=[policy.pk])).status_code == 403
    assert owner.post(reverse("assessments:accept_all", args=[csf.pk])).status_code == 403
    # Proposals never cross organisations.
    theirs = make_assessment(other_org, CSF)
    assert not theirs.results.exclude(proposal_state="").exists()
    page = owner.get(reverse("assessments:proposals", args=[csf.pk]))
    assert policy in page.context["page_obj"] and not page.context["can_decide"]


def test_propagation_queries_do_not_grow_with_the_results(org, three) -> None:
    twse = three[TWSE]
    rows = list(twse.results.all())
    RequirementResult.objects.filter(pk=rows[0].pk).update(result=Result.COMPLIANT)
    with CaptureQueriesContext(connection) as few:
        proposals.propose_from(twse)
    RequirementResult.objects.filter(assessment=twse).update(result=Result.PARTIAL)
    with CaptureQueriesContext(connection) as many:
        report = proposals.propose_from(twse)
    assert report.proposed > 10
    assert len(many.captured_queries) <= len(few.captured_queries) + 2  # one more bulk batch
    # (+3 at most: the maintained result counts are refreshed, with a row lock on PostgreSQL)
    assert len(many.captured_queries) < 23


def test_proposals_after_each_change_equal_a_whole_propagation(org, three) -> None:
    """After any sequence of single changes, each propagated to the rows its requirement
    reaches, propagating the whole assessment again changes nothing."""
    import random

    twse, csf, iso = three[TWSE], three[CSF], three[ISO]
    rng = random.Random(2026)
    mapped = [row_of(twse, code) for code in (ISMS, EMAIL_RULES, ANTIVIRUS)]
    others = list(twse.results.order_by("pk"))
    choices = [Result.COMPLIANT, Result.PARTIAL, Result.NON_COMPLIANT, Result.NOT_ASSESSED]

    def state() -> list[tuple]:
        rows = RequirementResult.objects.filter(assessment__in=[csf, iso]).order_by("pk")
        return [(r.pk, r.proposed_result, r.proposal_state, r.proposal_provenance) for r in rows]

    for step in range(40):
        source = twse if step % 5 else iso  # contributions from another assessment are kept
        pool = mapped + rng.sample(others, 3) if source is twse else list(iso.results.all()[:20])
        row = RequirementResult.objects.get(pk=rng.choice(pool).pk)
        row.result = rng.choice(choices)
        row.save()
        proposals.after_result_change(row)
        if step % 10 == 9:
            reached = state()
            assert any(proposal for _pk, proposal, _s, _p in reached)
            for assessment in (twse, iso):
                report = proposals.propose_from(assessment)
                assert (report.proposed, report.cleared) == (0, 0)
            assert state() == reached
