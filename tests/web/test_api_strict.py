"""What the API and the list pages accept, exactly: declared, validated filters (FilterSets),
unknown query parameters and body fields refused with 400 naming them, one error format, and an
OpenAPI schema that says what the API really answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ValidationError

from finres.web.api import exception_handler
from finres.web.orgs.roles import Role

from .test_evidence import make_assessment, make_file_evidence
from .test_improvements import make_finding

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # beyond a 64-bit integer


@pytest.fixture
def admin(client_for: Any, org: Any) -> Client:
    client: Client = client_for(Role.ADMINISTRATOR, org)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/evidence-links/", "evidence"),
        ("/api/evidence-links/", "result"),
        ("/api/evidence-links/", "assessment"),
        ("/api/evidence/", "result"),
        ("/api/assessment-results/", "assessment"),
        ("/api/milestones/", "finding"),
    ],
)
def test_huge_integers_in_filters_are_a_400(admin: Client, url: str, parameter: str) -> None:
    make_file_evidence(admin_org(admin))
    response = admin.get(url, {parameter: HUGE})
    assert response.status_code == 400
    assert parameter in response.json()


def admin_org(client: Client) -> Any:
    from finres.web.orgs.models import Membership

    return Membership.objects.get(user_id=client.session["_auth_user_id"]).organisation


@pytest.mark.parametrize(
    ("url", "parameters", "named"),
    [
        ("/api/evidence/", {"colour": "red"}, "colour"),
        ("/api/findings/", {"status": "open", "sort": "title"}, "sort"),
        ("/api/milestones/", {"status": "all"}, "status"),
        ("/api/frameworks/", {"framework": "x"}, "framework"),
        ("/api/board-reports/", {"year": "2025"}, "year"),
        ("/api/dashboard/compliance/", {"years": "2025"}, "years"),
        ("/api/organisation/applicable/", {"date": "2025-01-01"}, "date"),
    ],
)
def test_unknown_query_parameters_are_a_400_naming_them(
    admin: Client, url: str, parameters: dict[str, str], named: str
) -> None:
    response = admin.get(url, parameters)
    assert response.status_code == 400
    assert list(response.json()) == [named]


@pytest.mark.parametrize(
    ("url", "parameters", "named"),
    [
        ("/api/assessments/", {"status": "sleeping"}, "status"),
        ("/api/evidence/", {"expired": "maybe"}, "expired"),
        ("/api/evidence/", {"expiring": "-1"}, "expiring"),
        ("/api/findings/", {"owner": "nobody-we-know"}, "owner"),
        ("/api/exceptions/", {"flag": "soon"}, "flag"),
        ("/api/organisation/applicable/", {"lang": "fr"}, "lang"),
    ],
)
def test_invalid_filter_values_are_a_400(
    admin: Client, url: str, parameters: dict[str, str], named: str
) -> None:
    response = admin.get(url, parameters)
    assert response.status_code == 400
    assert named in response.json()


def test_filters_still_filter(admin: Client, org: Any) -> None:
    make_file_evidence(org, title="Old policy")
    assert admin.get("/api/evidence/", {"q": "old", "expired": "false"}).json()["count"] == 1
    assert admin.get("/api/evidence/", {"q": "new"}).json()["count"] == 0
    finding = make_finding(org)
    listed = admin.get("/api/findings/", {"owner": "none", "page": "1"}).json()
    assert [row["id"] for row in listed["results"]] == [finding.pk]


def test_a_detail_route_ignores_list_filters(admin: Client, org: Any) -> None:
    finding = make_finding(org)
    assert admin.get(f"/api/findings/{finding.pk}/", {"status": "closed"}).status_code == 200


@pytest.mark.parametrize(
    ("make", "fields"),
    [
        (lambda org: "/api/organisation/current/", {"name": "X", "nickname": "Y"}),
        (lambda org: f"/api/findings/{make_finding(org).pk}/", {"title": "X", "colour": "red"}),
        (
            lambda org: f"/api/evidence/{make_file_evidence(org).pk}/",
            {"title": "X", "colour": "red"},
        ),
        (
            lambda org: (
                f"/api/assessment-results/{make_assessment(org, limit=1).results.get().pk}/"
            ),
            {"comments": "X", "colour": "red"},
        ),
    ],
)
def test_unknown_fields_in_a_patch_are_a_400_naming_them(
    admin: Client, org: Any, make: Any, fields: dict[str, str]
) -> None:
    url = make(org)
    response = admin.patch(url, fields, content_type="application/json")
    assert response.status_code == 400
    unknown = set(fields) - {"name", "title", "comments"}
    assert set(response.json()) == unknown
    assert response.json()[unknown.pop()] == ["Unknown field."]


def test_a_nul_character_in_a_reference_is_a_400(admin: Client, org: Any) -> None:
    """PostgreSQL refuses NUL in a query: the value is invalid, not a server error."""
    assessment = make_assessment(org, limit=1)
    response = admin.patch(
        f"/api/assessments/{assessment.pk}/",
        {"framework": "iso\x00"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "framework" in response.json()


def test_read_only_fields_sent_back_are_accepted(admin: Client, org: Any) -> None:
    finding = make_finding(org)
    url = f"/api/findings/{finding.pk}/"
    body = admin.get(url).json()
    body["title"] = "Patched"
    body.pop("milestones")
    response = admin.patch(url, body, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Patched"


def test_an_unmatched_api_path_is_a_json_404(admin: Client) -> None:
    for url in ("/api/findings/1.5/", "/api/findings/1.5/status/", "/api/evidence/-3/"):
        response = admin.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "detail" in response.json()


def test_errors_are_always_one_json_object() -> None:
    response = exception_handler(
        ValidationError(["Results are created with their assessment."]), {}
    )
    assert response is not None
    assert response.data == {"non_field_errors": ["Results are created with their assessment."]}


# --- the pages use the same filters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parameters"),
    [
        ("/evidence/", {"result": HUGE}),
        ("/evidence/", {"expired": "maybe", "review": "approved"}),
        ("/improvements/findings/", {"owner": HUGE}),
        ("/improvements/exceptions/", {"flag": "soon"}),
    ],
)
def test_invalid_filters_on_pages_are_told_not_a_500(
    admin: Client, org: Any, url: str, parameters: dict[str, str]
) -> None:
    make_file_evidence(org)
    response = admin.get(url, parameters)
    assert response.status_code == 200
    told = [str(m) for m in response.context["messages"]]
    assert any("was not applied" in m for m in told), told


def test_an_invalid_filter_on_the_results_page_is_told(admin: Client, org: Any) -> None:
    assessment = make_assessment(org, limit=3)
    response = admin.get(f"/assessments/{assessment.pk}/", {"result": "great", "q": ""})
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 3  # the invalid filter is left out
    assert any("was not applied" in str(m) for m in response.context["messages"])


# --- the schema says what the API answers ------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_errors(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403"} <= codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
    document = schema["paths"]["/api/board-reports/{id}/finalise/"]["post"]["responses"]
    assert "409" in document
    assert "409" in schema["paths"]["/api/evidence/{id}/"]["delete"]["responses"]
    error = schema["components"]["schemas"]["Error"]
    assert error["type"] == "object"


def test_the_schema_has_nulls_blank_enums_and_download_types(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["Evidence"]["properties"]["reviewer"].get("nullable") is True
    assert components["Requirement"]["properties"]["parent"].get("nullable") is True
    proposed = components["Result"]["properties"]["proposed_result"]
    assert "" in str(proposed) or "BlankEnum" in str(proposed)
    download = schema["paths"]["/api/evidence/{id}/download/"]["get"]["responses"]["200"]
    assert {"application/pdf", "text/plain", "text/csv"} <= set(download["content"])


def test_the_schema_lists_the_filters_with_their_bounds(schema: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/evidence-links/"]["get"]["parameters"]
    }
    assert parameters["evidence"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    findings = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/findings/"]["get"]["parameters"]
    }
    assert set(findings) == {"status", "severity", "source", "overdue", "owner", "page", "cursor"}
    assert findings["overdue"]["type"] == "boolean"


def test_request_bodies_accept_no_other_property(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for name in ("PatchedOrganisationRequest", "PatchedFindingRequest", "EvidenceCreateRequest"):
        assert components[name]["additionalProperties"] is False, name


def test_the_expiring_page_tells_an_invalid_horizon_and_keeps_the_default(
    admin: Client, org: Any
) -> None:
    response = admin.get("/evidence/expiring/", {"days": "soon"})
    assert response.status_code == 200
    assert response.context["days"] == 30
    assert any("was not applied" in str(m) for m in response.context["messages"])
    assert admin.get("/evidence/expiring/", {"days": "90"}).context["days"] == 90
