"""The assessments API: scoped to the organisation, with the pages' roles and rules."""

from __future__ import annotations

import pytest

from finres.web.assessments.models import Assessment, ProposalState, RequirementResult, Result
from finres.web.orgs.roles import Role

from .test_assessments import BLUEPRINT, CSF, ISO, TWSE, make_assessment, row_of

pytestmark = pytest.mark.django_db

ISMS = "cc-12000-isms-implementation"


def results_url(pk: int | None = None, action: str = "") -> str:
    base = "/api/assessment-results/"
    if pk is None:
        return base
    return f"{base}{pk}/{action + '/' if action else ''}"


def test_list_and_retrieve_assessments_with_counts(client_for, org, other_org) -> None:
    mine = make_assessment(org)
    theirs = make_assessment(other_org, BLUEPRINT)
    RequirementResult.objects.filter(assessment=mine).update(result=Result.COMPLIANT)
    client = client_for(Role.AUDITOR, org)
    listing = client.get("/api/assessments/").json()
    assert [a["id"] for a in listing["results"]] == [mine.pk]
    counts = listing["results"][0]["counts"]
    assert counts["compliant"] == counts["total"] == mine.results.count()
    assert client.get(f"/api/assessments/{mine.pk}/").json()["framework"] == TWSE
    assert client.get(f"/api/assessments/{theirs.pk}/").status_code == 404
    assert client.get("/api/assessments/", {"framework": ISO}).json()["count"] == 0


def test_create_and_update_assessments(client_for, org) -> None:
    ciso = client_for(Role.CISO, org)
    response = ciso.post(
        "/api/assessments/",
        {"framework": ISO, "period_start": "2026-01-01", "period_end": "2026-12-31"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["counts"]["total"] == 93 and "2026" in created["name"]
    duplicate = ciso.post(
        "/api/assessments/",
        {"framework": ISO, "period_start": "2026-01-01", "period_end": "2026-12-31"},
        content_type="application/json",
    )
    assert duplicate.status_code == 400 and "period_start" in duplicate.json()
    wrong = ciso.post(
        "/api/assessments/",
        {"framework": TWSE, "period_start": "2026-12-31", "period_end": "2026-01-01"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "period_end" in wrong.json()
    url = f"/api/assessments/{created['id']}/"
    assert ciso.patch(url, {"framework": TWSE}, content_type="application/json").status_code == 400
    done = ciso.patch(url, {"status": "completed"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert ciso.delete(url).status_code == 405
    owner = client_for(Role.CONTROL_OWNER, org)
    refused = owner.post(
        "/api/assessments/",
        {"framework": TWSE, "period_start": "2027-01-01", "period_end": "2027-12-31"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert Assessment.objects.filter(organisation=org).count() == 1


def test_result_updates_follow_the_same_rules_as_the_pages(
    client_for, org, other_org, make_user
) -> None:
    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    client = client_for(Role.CONTROL_OWNER, org)
    url = results_url(row.pk)
    missing_reason = client.patch(
        url, {"result": "not_applicable", "comments": "x"}, content_type="application/json"
    )
    assert missing_reason.status_code == 400
    assert "not_applicable_reason" in missing_reason.json()
    row.refresh_from_db()
    assert (row.result, row.comments) == (Result.NOT_ASSESSED, "")
    bad_level = client.patch(url, {"maturity_level": 7}, content_type="application/json")
    assert bad_level.status_code == 400 and "maturity_level" in bad_level.json()
    stranger = make_user(Role.CONTROL_OWNER, other_org, username="stranger")
    assert (
        client.patch(url, {"owner": stranger.pk}, content_type="application/json").status_code
        == 400
    )
    ok = client.patch(
        url,
        {"result": "partially_compliant", "maturity_level": 2, "due_date": "2026-09-30"},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.json()
    row.refresh_from_db()
    assert (row.result, row.maturity_level, str(row.due_date)) == (
        Result.PARTIAL,
        2,
        "2026-09-30",
    )
    assert client.post(results_url(), {}, content_type="application/json").status_code == 405


def test_result_filters_and_isolation(client_for, org, other_org) -> None:
    assessment = make_assessment(org)
    theirs = make_assessment(other_org, BLUEPRINT)
    row = row_of(assessment, "cc-17010-antivirus")
    row.result = Result.NON_COMPLIANT
    row.comments = "signatures out of date"
    row.save()
    client = client_for(Role.AUDITOR, org)
    everything = client.get(results_url(), {"assessment": assessment.pk}).json()
    assert everything["count"] == assessment.results.count()
    only = client.get(results_url(), {"result": "non_compliant"}).json()
    assert [r["id"] for r in only["results"]] == [row.pk]
    assert client.get(results_url(), {"q": "signatures"}).json()["count"] == 1
    assert client.get(results_url(), {"assessment": theirs.pk}).json()["count"] == 0
    assert client.get(results_url(), {"assessment": "x"}).status_code == 400
    foreign = theirs.results.first()
    assert client.get(results_url(foreign.pk)).status_code == 404
    ciso = client_for(Role.CISO, org)
    response = ciso.patch(
        results_url(foreign.pk), {"result": "compliant"}, content_type="application/json"
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.result == Result.NOT_ASSESSED
    # The auditor reads only.
    assert (
        client.patch(
            results_url(row.pk), {"result": "compliant"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_propose_accept_and_override_through_the_api(client_for, org) -> None:
    twse, csf = make_assessment(org, TWSE), make_assessment(org, CSF)
    owner = client_for(Role.CONTROL_OWNER, org)
    # Updating a result through the API proposes it, as on the page.
    isms = row_of(twse, ISMS)
    owner.patch(results_url(isms.pk), {"result": "compliant"}, content_type="application/json")
    policy = row_of(csf, "GV.PO-01")
    assert policy.proposal_state == ProposalState.PENDING
    pending = owner.get(results_url(), {"proposal_state": "pending", "assessment": csf.pk}).json()
    assert policy.pk in [r["id"] for r in pending["results"]]
    assert pending["results"][0]["proposal_provenance"]
    assert owner.post(results_url(policy.pk, "accept")).status_code == 403
    ran = owner.post(f"/api/assessments/{twse.pk}/propose/")
    assert ran.status_code == 200 and ran.json()["proposed"] == 0  # nothing new
    ciso = client_for(Role.CISO, org)
    accepted = ciso.post(results_url(policy.pk, "accept"))
    assert accepted.status_code == 200 and accepted.json()["result"] == "compliant"
    assert ciso.post(results_url(policy.pk, "accept")).status_code == 400  # nothing pending
    regulation = row_of(csf, "GV.RM-01")
    refused = ciso.post(
        results_url(regulation.pk, "override"),
        {"result": "not_applicable"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "not_applicable_reason" in refused.json()
    overridden = ciso.post(
        results_url(regulation.pk, "override"),
        {"result": "partially_compliant"},
        content_type="application/json",
    )
    assert overridden.status_code == 200
    assert overridden.json()["proposal_state"] == "overridden"
    owner.patch(
        results_url(row_of(twse, "cc-17010-antivirus").pk),
        {"result": "compliant"},
        content_type="application/json",
    )
    left = ciso.post(f"/api/assessments/{csf.pk}/accept-proposals/")
    assert left.status_code == 200 and left.json()["accepted"] >= 1
    assert not csf.results.filter(proposal_state=ProposalState.PENDING).exists()


def test_board_members_have_no_api_access_to_assessments(client_for, org) -> None:
    assessment = make_assessment(org)
    board = client_for(Role.BOARD, org)
    assert board.get("/api/assessments/").status_code == 403
    assert board.get(results_url(), {"assessment": assessment.pk}).status_code == 403


def test_the_schema_describes_the_endpoints(client_for, org) -> None:
    schema = client_for(Role.CISO, org).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/assessment-results/{id}/override/" in paths
    assert "/api/assessments/{id}/propose/" in paths
