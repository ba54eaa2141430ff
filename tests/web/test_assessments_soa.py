"""The Statement of Applicability of an ISO/IEC 27001 assessment, on the page and in XLSX."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from finres.web.assessments.models import Result
from finres.web.orgs.roles import Role

from .test_assessments import ISO, TWSE, htmx, make_assessment, row_of

pytestmark = pytest.mark.django_db


def test_every_annex_a_control_is_listed_with_implementation_from_the_result(
    client_for, org
) -> None:
    assessment = make_assessment(org, ISO)
    for code, result in [("A.5.1", Result.COMPLIANT), ("A.5.2", Result.PARTIAL)]:
        row = row_of(assessment, code)
        row.result = result
        row.save()
    excluded = row_of(assessment, "A.7.5")
    excluded.result, excluded.not_applicable_reason = Result.NOT_APPLICABLE, "No own premises"
    excluded.save()
    page = client_for(Role.AUDITOR, org).get(reverse("assessments:soa", args=[assessment.pk]))
    assert page.status_code == 200
    lines = {line.control.code: line for line in page.context["rows"]}
    assert len(lines) == 93
    assert lines["A.5.1"].implemented == "yes" and lines["A.5.2"].implemented == "partial"
    assert lines["A.5.3"].implemented == ""  # not assessed yet
    assert lines["A.7.5"].applicable is False
    assert lines["A.7.5"].justification == "No own premises"
    assert page.context["excluded_count"] == 1


def test_editing_applicability_keeps_the_result_in_step(client_for, org) -> None:
    assessment = make_assessment(org, ISO)
    row = row_of(assessment, "A.8.19")
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("assessments:soa_row", args=[row.pk])
    form = htmx(client, "get", f"{url}?edit=1")
    assert 'name="soa_applicable"' in form.content.decode()
    refused = htmx(client, "post", url, {"soa_applicable": "no", "soa_justification": " "})
    assert "soa_justification" in refused.context["form"].errors
    row.refresh_from_db()
    assert row.soa_applicable is None and row.result == Result.NOT_ASSESSED
    htmx(
        client,
        "post",
        url,
        {"soa_applicable": "no", "soa_justification": "No software is installed by users"},
    )
    row.refresh_from_db()
    assert row.soa_applicable is False
    assert (row.result, row.not_applicable_reason) == (
        Result.NOT_APPLICABLE,
        "No software is installed by users",
    )
    htmx(client, "post", url, {"soa_applicable": "yes", "soa_justification": "Risk treatment"})
    row.refresh_from_db()
    assert (row.soa_applicable, row.result, row.not_applicable_reason) == (
        True,
        Result.NOT_ASSESSED,
        "",
    )
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.post(url, {"soa_applicable": "no", "soa_justification": "x"}).status_code == 403


def test_the_export_opens_in_openpyxl(client_for, org) -> None:
    assessment = make_assessment(org, ISO)
    row = row_of(assessment, "A.5.1")
    row.result = Result.COMPLIANT
    row.save()
    excluded = row_of(assessment, "A.7.5")
    excluded.result, excluded.not_applicable_reason = Result.NOT_APPLICABLE, "No own premises"
    excluded.save()
    response = client_for(Role.AUDITOR, org).get(
        reverse("assessments:soa_export", args=[assessment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] in ("Control", "控制措施"))
    controls = {r[0]: r for r in rows[header + 1 :]}
    assert len(controls) == 93
    assert controls["5.1"][3] in ("Yes", "是") and controls["5.1"][5] in ("Yes", "是")
    assert controls["7.5"][3] in ("No", "否") and controls["7.5"][4] == "No own premises"


def test_only_iso_assessments_have_an_soa(client_for, org, other_org) -> None:
    twse = make_assessment(org, TWSE)
    client = client_for(Role.CISO, org)
    assert client.get(reverse("assessments:soa", args=[twse.pk])).status_code == 404
    assert client.get(reverse("assessments:soa_export", args=[twse.pk])).status_code == 404
    theirs = make_assessment(other_org, ISO)
    assert client.get(reverse("assessments:soa", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("assessments:soa_export", args=[theirs.pk])).status_code == 404
    foreign_row = theirs.results.first()
    response = client.post(
        reverse("assessments:soa_row", args=[foreign_row.pk]),
        {"soa_applicable": "no", "soa_justification": "x"},
    )
    assert response.status_code == 404
