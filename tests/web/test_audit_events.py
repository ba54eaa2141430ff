"""Who the trail names (a token's user, not ``system``) and the security events it records."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.audit.models import AuditEvent
from finres.web.orgs.roles import Role

from .conftest import PASSWORD
from .test_evidence import ISO, make_assessment, make_file_evidence
from .test_reports_documents import board_report, declaration

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_a_change_made_with_an_api_token_names_the_tokens_user(make_user, org) -> None:
    from finres.web.orgs.credentials import issue_token

    user = make_user(Role.CISO, org, username="token-user")
    _, key = issue_token(user, "ci", "write", 30, second_factor=True)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.patch(
        "/api/organisation/current/", {"paid_in_capital": 123}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    change = AuditEvent.objects.filter(action="update", model="orgs.organisation").last()
    assert change.changes["paid_in_capital"][1] == 123
    assert (change.actor_name, change.actor_id) == ("token-user", user.pk)


def test_commands_name_themselves_and_outside_a_request_it_is_system() -> None:
    from finres.web.audit.context import Actor, acting_as, current_actor

    assert current_actor().name == "system"
    with acting_as(Actor(None, "finres demo")):
        assert current_actor().name == "finres demo"


def test_log_in_failed_log_in_and_log_out_are_recorded(make_user, org) -> None:
    user = make_user(Role.CONTROL_OWNER, org, username="ann")
    client = Client()
    wrong = "Wrong-Password-123"
    client.post(reverse("orgs:login"), {"username": "ann", "password": wrong})
    client.post(reverse("orgs:login"), {"username": "nobody", "password": wrong})
    client.post(reverse("orgs:login"), {"username": "ann", "password": PASSWORD})
    client.post(reverse("orgs:logout"))

    failed = events(actions.LOGIN_FAILED)
    assert [e.actor_name for e in failed] == ["ann", "nobody"]
    assert failed[0].organisation_id == org.pk  # shown to ann's organisation
    assert failed[1].organisation_id is None  # an unknown name belongs to no organisation
    assert failed[0].actor_id is None
    for event in failed:  # never the attempted password, anywhere in the event
        assert wrong not in json.dumps(event.as_chain_entry(), default=str)
        assert "password" not in json.dumps(event.changes)
    login = events(actions.LOGIN)[-1]
    assert (login.actor_id, login.organisation_id) == (user.pk, org.pk)
    logout = events(actions.LOGOUT)[-1]
    assert (logout.actor_id, logout.organisation_id) == (user.pk, org.pk)


def test_evidence_download_is_recorded(client_for, org) -> None:
    evidence = make_file_evidence(org, name="policy.txt")
    client = client_for(Role.AUDITOR, org)
    response = client.get(reverse("evidence:download", args=[evidence.pk]))
    assert response.status_code == 200
    found = events(actions.DOWNLOAD)[-1]
    assert found.model == "evidence.evidence" and found.object_id == str(evidence.pk)
    assert found.actor_name == f"{Role.AUDITOR}-{org.pk}"
    assert found.organisation_id == org.pk
    assert found.changes == {"file": "policy.txt"}


def test_workbook_exports_are_recorded(client_for, org) -> None:
    assessment = make_assessment(org, ISO, limit=3)
    client = client_for(Role.CONTROL_OWNER, org)
    for name in ("assessment_export", "gap_report"):
        assert client.get(reverse(f"evidence:{name}", args=[assessment.pk])).status_code == 200
    found = events(actions.EXPORT)[-2:]
    assert [e.changes["kind"] for e in found] == ["assessment", "gap report"]
    assert all(e.object_id == str(assessment.pk) for e in found)
    assert all(e.actor_name == f"{Role.CONTROL_OWNER}-{org.pk}" for e in found)


def test_board_report_and_declaration_downloads_are_recorded(client_for, org) -> None:
    report = board_report(org)
    signed = declaration(org)
    client = client_for(Role.CISO, org)
    assert client.get(reverse("reports:board_docx", args=[report.pk])).status_code == 200
    assert client.get(reverse("reports:declaration_docx", args=[signed.pk])).status_code == 200
    found = events(actions.DOWNLOAD)[-2:]
    assert [e.model for e in found] == ["reports.boardreport", "reports.declaration"]
    assert all(e.changes["file"].endswith(".docx") for e in found)
    assert all(e.organisation_id == org.pk for e in found)


def test_the_audit_export_is_itself_recorded(client_for, org) -> None:
    client = client_for(Role.AUDITOR, org)
    assert client.get(reverse("audit:export"), {"who": "x"}).status_code == 200
    found = events(actions.EXPORT)[-1]
    assert found.changes["file"] == "audit-trail.csv"
    assert found.changes["filters"] == {"who": "x"}
    assert found.organisation_id == org.pk


def test_security_events_for_other_parts_of_the_platform(make_user, org) -> None:
    user = make_user(Role.ADMINISTRATOR, org, username="admin")
    event = record_security_event(
        actions.SECOND_FACTOR_FAILED, user=user, details={"device": "phone"}
    )
    assert (event.actor_id, event.organisation_id, event.model) == (
        user.pk,
        org.pk,
        actions.SECURITY_MODEL,
    )
    with pytest.raises(ValueError, match="unknown security event"):
        record_security_event("create", user=user)
    with pytest.raises(ValueError):
        record_security_event("password_seen", user=user)


@pytest.mark.parametrize("code", sorted(actions.LABELS))
def test_every_action_has_a_translated_label(code: str) -> None:
    with translation.override("zh-hant"):
        chinese = actions.action_label(code)
    with translation.override("en"):
        english = actions.action_label(code)
    assert chinese != english and chinese != code
    assert not any(c.isascii() and c.isalpha() for c in chinese.replace("API", ""))


def test_long_action_codes_fit(make_user, org: Any) -> None:
    user = make_user(Role.ADMINISTRATOR, org, username="long")
    record_security_event(actions.SECOND_FACTOR_VERIFIED, user=user)
    assert events(actions.SECOND_FACTOR_VERIFIED)[-1].action == "second_factor_verified"
