"""Assessment pages: list, results with inline editing, result detail, roles and isolation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finres.web.assessments import onboarding
from finres.web.assessments.models import Assessment, RequirementResult, Result
from finres.web.audit.models import AuditEvent
from finres.web.frameworks.models import Framework
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role

pytestmark = pytest.mark.django_db

TWSE = "twse-securities-tiered-protection"
BLUEPRINT = "fsc-resilience-blueprint-2025"
ISO = "iso27001-2022-annex-a"
CSF = "nist-csf-2.0"
AS_OF = dt.date(2026, 6, 30)


def make_assessment(
    organisation: Organisation,
    code: str = TWSE,
    year: int = 2026,
    as_of: dt.date = AS_OF,
    status: str = Assessment.Status.IN_PROGRESS,
) -> Assessment:
    framework = Framework.objects.get(code=code)
    assessment = onboarding.create_assessment(
        organisation,
        framework,
        f"{code} {year}",
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
        onboarding.compute(organisation, as_of),
        None,
    )
    if status != assessment.status:
        assessment.status = status
        assessment.save()
    return assessment


def row_of(assessment: Assessment, code: str) -> RequirementResult:
    return RequirementResult.objects.select_related("requirement").get(
        assessment=assessment, requirement__code=code
    )


def htmx(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")


def result_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "result": Result.COMPLIANT,
        "not_applicable_reason": "",
        "maturity_level": "3",
        "owner": "",
        "due_date": "",
        "comments": "",
    }
    data.update(overrides)
    return data


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_counts_by_result_computed_in_one_query(
    client_for, org, django_assert_max_num_queries
) -> None:
    twse = make_assessment(org)
    RequirementResult.objects.filter(assessment=twse).update(result=Result.PARTIAL)
    blueprint = make_assessment(org, BLUEPRINT)
    first = RequirementResult.objects.filter(assessment=blueprint).order_by("pk").first()
    RequirementResult.objects.filter(pk=first.pk).update(result=Result.NON_COMPLIANT)
    client = client_for(Role.AUDITOR, org)
    url = reverse("assessments:list")
    with CaptureQueriesContext(connection) as two:
        page = client.get(url)
    assert page.status_code == 200
    rows = {a.pk: a for a in page.context["page_obj"]}
    assert rows[twse.pk].n_partial == twse.results.count() > 0
    assert rows[blueprint.pk].n_non_compliant == 1
    assert rows[blueprint.pk].n_not_assessed == blueprint.results.count() - 1
    # More assessments do not mean more queries.
    make_assessment(org, ISO)
    make_assessment(org, TWSE, year=2025, status=Assessment.Status.COMPLETED)
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert client.get(url).status_code == 200


def test_list_is_limited_to_the_organisation(client_for, org, other_org) -> None:
    mine = make_assessment(org)
    theirs = make_assessment(other_org, BLUEPRINT)
    page = client_for(Role.CISO, org).get(reverse("assessments:list"))
    shown = {a.pk for a in page.context["page_obj"]}
    assert mine.pk in shown and theirs.pk not in shown


# --- roles --------------------------------------------------------------------------------------


def test_control_owner_edits_results_but_cannot_create_assessments(client_for, org) -> None:
    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    client = client_for(Role.CONTROL_OWNER, org)
    assert client.get(reverse("assessments:detail", args=[assessment.pk])).status_code == 200
    response = htmx(client, "post", reverse("assessments:result_row", args=[row.pk]), result_form())
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.result == Result.COMPLIANT and row.maturity_level == 3
    assert client.get(reverse("assessments:create")).status_code == 403
    before = Assessment.objects.count()
    response = client.post(
        reverse("assessments:create"),
        {
            "framework": Framework.objects.get(code=ISO).pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "as_of": "2026-06-30",
        },
    )
    assert response.status_code == 403 and Assessment.objects.count() == before
    assert client.get(reverse("assessments:edit", args=[assessment.pk])).status_code == 403
    assert client.get(reverse("assessments:onboarding")).status_code == 403


def test_auditor_reads_but_cannot_change(client_for, org) -> None:
    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    client = client_for(Role.AUDITOR, org)
    assert client.get(reverse("assessments:detail", args=[assessment.pk])).status_code == 200
    assert client.get(reverse("assessments:result", args=[row.pk])).status_code == 200
    for url, data in [
        (reverse("assessments:result_row", args=[row.pk]), result_form()),
        (reverse("assessments:result", args=[row.pk]), result_form()),
        (reverse("assessments:propose", args=[assessment.pk]), {}),
        (reverse("assessments:status", args=[assessment.pk]), {"status": "completed"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    row.refresh_from_db()
    assessment.refresh_from_db()
    assert row.result == Result.NOT_ASSESSED
    assert assessment.status == Assessment.Status.IN_PROGRESS
    page = client.get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    assert reverse("assessments:result_row", args=[row.pk]) not in page  # no edit buttons


def test_board_members_see_no_assessment(client_for, org) -> None:
    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    client = client_for(Role.BOARD, org)
    for url in [
        reverse("assessments:list"),
        reverse("assessments:detail", args=[assessment.pk]),
        reverse("assessments:result", args=[row.pk]),
        reverse("assessments:proposals", args=[assessment.pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_another_organisations_objects_are_not_found(client_for, org, other_org) -> None:
    theirs = make_assessment(other_org, BLUEPRINT)
    row = RequirementResult.objects.filter(assessment=theirs).first()
    client = client_for(Role.CISO, org)
    for url in [
        reverse("assessments:detail", args=[theirs.pk]),
        reverse("assessments:edit", args=[theirs.pk]),
        reverse("assessments:proposals", args=[theirs.pk]),
        reverse("assessments:result", args=[row.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    for url, data in [
        (reverse("assessments:result_row", args=[row.pk]), result_form()),
        (reverse("assessments:result", args=[row.pk]), result_form()),
        (reverse("assessments:status", args=[theirs.pk]), {"status": "completed"}),
        (reverse("assessments:propose", args=[theirs.pk]), {}),
        (reverse("assessments:accept_all", args=[theirs.pk]), {}),
        (reverse("assessments:result_accept", args=[row.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    row.refresh_from_db()
    theirs.refresh_from_db()
    assert row.result == Result.NOT_ASSESSED and theirs.status == Assessment.Status.IN_PROGRESS


# --- validation ---------------------------------------------------------------------------------


def test_not_applicable_needs_a_reason_and_nothing_is_saved(client_for, org) -> None:
    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    client = client_for(Role.CONTROL_OWNER, org)
    events = AuditEvent.objects.count()
    data = result_form(result=Result.NOT_APPLICABLE, comments="should not be saved")
    response = htmx(client, "post", reverse("assessments:result_row", args=[row.pk]), data)
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode() or "請說明" in response.content.decode()
    page = client.post(reverse("assessments:result", args=[row.pk]), data)
    assert page.status_code == 200 and page.context["form"].errors["not_applicable_reason"]
    row.refresh_from_db()
    assert (row.result, row.comments) == (Result.NOT_ASSESSED, "")
    assert AuditEvent.objects.count() == events
    # With a reason it is saved, and the reason kept.
    data["not_applicable_reason"] = "No such system"
    assert client.post(reverse("assessments:result", args=[row.pk]), data).status_code == 302
    row.refresh_from_db()
    assert (row.result, row.not_applicable_reason) == (Result.NOT_APPLICABLE, "No such system")
    # Back to compliant: the reason no longer applies and is cleared.
    client.post(reverse("assessments:result", args=[row.pk]), result_form())
    row.refresh_from_db()
    assert row.not_applicable_reason == ""


def test_maturity_level_and_owner_are_checked(client_for, org, other_org, make_user) -> None:
    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    stranger = make_user(Role.CONTROL_OWNER, other_org, username="stranger")
    colleague = make_user(Role.CONTROL_OWNER, org, username="colleague")
    board = make_user(Role.BOARD, org, username="director")
    client = client_for(Role.CISO, org)
    url = reverse("assessments:result", args=[row.pk])
    assert client.post(url, result_form(maturity_level="9")).status_code == 200
    assert client.post(url, result_form(owner=stranger.pk)).status_code == 200
    assert client.post(url, result_form(owner=board.pk)).status_code == 200
    row.refresh_from_db()
    assert row.result == Result.NOT_ASSESSED and row.owner is None
    assert client.post(url, result_form(owner=colleague.pk)).status_code == 302
    row.refresh_from_db()
    assert row.owner == colleague


def test_completed_assessments_are_read_only(client_for, org) -> None:
    assessment = make_assessment(org, status=Assessment.Status.COMPLETED)
    row = row_of(assessment, "cc-17010-antivirus")
    client = client_for(Role.CISO, org)
    response = htmx(client, "post", reverse("assessments:result_row", args=[row.pk]), result_form())
    assert "reopen" in response.content.decode().lower() or "重新開啟" in response.content.decode()
    row.refresh_from_db()
    assert row.result == Result.NOT_ASSESSED
    client.post(reverse("assessments:status", args=[assessment.pk]), {"status": "in_progress"})
    htmx(client, "post", reverse("assessments:result_row", args=[row.pk]), result_form())
    row.refresh_from_db()
    assert row.result == Result.COMPLIANT


# --- results list -------------------------------------------------------------------------------


def test_inline_editing_returns_the_row_and_records_the_change(client_for, org) -> None:
    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("assessments:result_row", args=[row.pk])
    form = htmx(client, "get", f"{url}?edit=1")
    assert form.status_code == 200 and 'name="result"' in form.content.decode()
    saved = htmx(client, "post", url, result_form(result=Result.PARTIAL, comments="half done"))
    body = saved.content.decode()
    assert body.lstrip().startswith(f'<tr id="result-{row.pk}"') and "<form" not in body
    event = AuditEvent.objects.filter(
        model="assessments.requirementresult", object_id=str(row.pk)
    ).last()
    assert event.changes["result"] == ["not_assessed", "partially_compliant"]
    assert event.actor_name.startswith("control_owner")


def test_filters(client_for, org, make_user) -> None:
    assessment = make_assessment(org)
    client = client_for(Role.CONTROL_OWNER, org)
    me = client.session["_auth_user_id"]
    antivirus = row_of(assessment, "cc-17010-antivirus")
    antivirus.result, antivirus.owner_id = Result.NON_COMPLIANT, int(me)
    antivirus.comments = "signature updates lag behind"
    antivirus.save()
    firewall = row_of(assessment, "cc-17010-firewall-establish")
    firewall.proposal_state, firewall.proposed_result = "pending", Result.COMPLIANT
    firewall.save()
    url = reverse("assessments:detail", args=[assessment.pk])

    def shown(**params: str) -> set[int]:
        return {r.pk for r in client.get(url, params).context["page_obj"]}

    assert shown(result=Result.NON_COMPLIANT) == {antivirus.pk}
    assert shown(owner="me") == {antivirus.pk}
    assert shown(owner=me) == {antivirus.pk}
    assert antivirus.pk not in shown(owner="none")
    assert shown(proposal_state="pending") == {firewall.pk}
    assert shown(q="signature") == {antivirus.pk}
    assert shown(q="CC-17010") >= {antivirus.pk, firewall.pk}
    assert len(shown()) == assessment.results.count()


def test_result_list_queries_do_not_grow_with_the_data(
    client_for, org, make_user, django_assert_max_num_queries
) -> None:
    from finres.web.evidence.models import Evidence, EvidenceLink

    small = make_assessment(org)
    large = make_assessment(org, BLUEPRINT)
    owners = [make_user(Role.CONTROL_OWNER, org, username=f"owner{i}") for i in range(3)]
    evidence = Evidence.objects.create(
        organisation=org, title="Policy", kind="link", url="https://e.x"
    )
    for index, row in enumerate(RequirementResult.objects.filter(assessment=large)):
        row.owner = owners[index % 3]
        row.proposal_state, row.proposed_result = "pending", Result.PARTIAL
        row.save()
        EvidenceLink.objects.create(organisation=org, evidence=evidence, result=row)
    client = client_for(Role.CISO, org)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(reverse("assessments:detail", args=[small.pk])).status_code == 200
    assert large.results.count() > 50  # a full page
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        page = client.get(reverse("assessments:detail", args=[large.pk]))
    assert page.status_code == 200
    assert len(page.context["page_obj"]) == 50
    assert all(r.evidence_count == 1 for r in page.context["page_obj"])
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert (
            client.get(reverse("assessments:detail", args=[large.pk]), {"page": 2}).status_code
            == 200
        )


def test_pagination_keeps_the_filters(client_for, org) -> None:
    assessment = make_assessment(org, BLUEPRINT)
    client = client_for(Role.CISO, org)
    page = client.get(
        reverse("assessments:detail", args=[assessment.pk]), {"result": "not_assessed"}
    )
    assert "result=not_assessed&amp;page=2" in page.content.decode()


# --- result detail ------------------------------------------------------------------------------


def test_result_page_shows_history_from_the_audit_trail_and_evidence(client_for, org) -> None:
    from finres.web.evidence.models import Evidence, EvidenceLink

    assessment = make_assessment(org)
    row = row_of(assessment, "cc-17010-antivirus")
    other = row_of(assessment, "cc-17010-firewall-establish")
    client = client_for(Role.CISO, org)
    url = reverse("assessments:result", args=[row.pk])
    client.post(url, result_form(result=Result.PARTIAL, comments="first pass"))
    client.post(url, result_form(result=Result.COMPLIANT, comments="fixed"))
    client.post(reverse("assessments:result", args=[other.pk]), result_form(comments="other row"))
    evidence = Evidence.objects.create(
        organisation=org, title="Antivirus console export", kind="link", url="https://e.x/av"
    )
    EvidenceLink.objects.create(organisation=org, evidence=evidence, result=row)
    page = client.get(url)
    history = page.context["history"]
    # Two edits of this row, and its creation in bulk with the assessment (summary event).
    assert [e.action for e in history] == ["update", "update", "create"]
    assert history[0].row_changes["result"] == ["partially_compliant", "compliant"]
    assert history[-1].object_id == "bulk"
    assert history[-1].row_changes == {"requirement": f"{TWSE}:cc-17010-antivirus"}
    assert "other row" not in page.content.decode()
    assert "Antivirus console export" in page.content.decode()


def test_assessment_create_and_edit(client_for, org) -> None:
    client = client_for(Role.CISO, org)
    response = client.post(
        reverse("assessments:create"),
        {
            "framework": Framework.objects.get(code=ISO).pk,
            "name": "",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "as_of": "2026-06-30",
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(organisation=org)
    assert assessment.results.count() == 93  # every Annex A control
    assert "2026" in assessment.name
    # The same framework and start again: refused with a message on the field.
    again = client.post(
        reverse("assessments:create"),
        {
            "framework": Framework.objects.get(code=ISO).pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "as_of": "2026-06-30",
        },
    )
    assert again.status_code == 200 and again.context["form"].errors["period_start"]
    # A framework that does not apply to the organisation: refused, nothing created.
    bank_only = client.post(
        reverse("assessments:create"),
        {
            "framework": Framework.objects.get(code="fsc-action-plan-2020").pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "as_of": "2026-06-30",
        },
    )
    assert bank_only.status_code == 200 and bank_only.context["form"].non_field_errors()
    assert Assessment.objects.filter(organisation=org).count() == 1
    edit = client.post(
        reverse("assessments:edit", args=[assessment.pk]),
        {
            "name": "ISMS 2026",
            "period_start": "2026-01-01",
            "period_end": "2025-12-31",
            "status": "completed",
        },
    )
    assert edit.status_code == 200 and edit.context["form"].errors["period_end"]
    client.post(
        reverse("assessments:edit", args=[assessment.pk]),
        {
            "name": "ISMS 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "status": "completed",
        },
    )
    assessment.refresh_from_db()
    assert (assessment.name, assessment.status) == ("ISMS 2026", "completed")


def test_pages_render_in_english_and_chinese(client_for, org) -> None:
    assessment = make_assessment(org)
    client = client_for(Role.CISO, org)
    chinese = client.get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    assert "符合" in chinese and "未評估" in chinese
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    assert "Not assessed" in english and "Propose to other assessments" in english
