"""What the dashboard asks a person to act on: overdue plans counted once, only expired
exceptions among overdue actions, and compliant results whose evidence has all expired."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finres.web.assessments.models import RequirementResult, Result
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role

from .test_reports import ISO, assess

pytestmark = pytest.mark.django_db


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def kpi(page: str, name: str) -> str:
    found = re.search(rf'<div class="kpi" id="kpi-{name}">(.*?)</div>', page, flags=re.S)
    assert found is not None, name
    return text(found.group(1))


def section(page: str, heading: str) -> str:
    for part in page.split("<section")[1:]:
        if f"<h2>{heading}</h2>" in part:
            return part.split("</section>")[0]
    raise AssertionError(f"no section {heading}")


def dashboard(client: Client) -> str:
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    return str(response.content.decode())


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def test_a_finding_and_its_late_milestone_are_one_overdue_action(
    client_for: Any, org: Organisation, today: dt.date
) -> None:
    finding = Finding.objects.create(
        organisation=org,
        title="Firewall rules not reviewed",
        severity=Finding.Severity.HIGH,
        due_date=today + dt.timedelta(days=60),
    )
    Milestone.objects.create(
        organisation=org,
        finding=finding,
        title="Export the rule base",
        due_date=today - dt.timedelta(days=3),
    )
    page = dashboard(client_for(Role.AUDITOR, org))
    assert kpi(page, "overdue").startswith("逾期待辦事項 1 ")
    card = section(page, "逾期待辦事項")
    assert text(card).count("Firewall rules not reviewed") == 1
    assert "Export the rule base" in text(card)
    assert len(re.findall(r"<tr class=\"overdue-finding\"", card)) == 1
    board = dashboard(client_for(Role.BOARD, org))
    assert kpi(board, "overdue").startswith("逾期待辦事項 1 ")
    assert "1 項查核發現已逾期" in text(section(board, "逾期待辦事項"))


def test_only_expired_exceptions_are_listed_as_overdue(
    client_for: Any, org: Organisation, today: dt.date
) -> None:
    approver = get_user_model().objects.create_user(username="approver")
    for title, expiry in (
        ("Legacy VPN without MFA", today - dt.timedelta(days=1)),
        ("Old mainframe logging", today + dt.timedelta(days=10)),
    ):
        RiskException.objects.create(
            organisation=org,
            title=title,
            risk="r",
            compensating_controls="c",
            expiry_date=expiry,
            status=RiskException.Status.APPROVED,
            approver=approver,
            approved_at=timezone.now(),
        )
    page = dashboard(client_for(Role.AUDITOR, org))
    overdue = text(section(page, "逾期待辦事項"))
    assert "Legacy VPN without MFA" in overdue
    assert "Old mainframe logging" not in overdue
    assert "Old mainframe logging" in text(section(page, "即將到期之佐證資料"))


def link(result: RequirementResult, title: str, expiry: dt.date) -> None:
    evidence = Evidence.objects.create(
        organisation=result.organisation,
        title=title,
        kind=Evidence.Kind.LINK,
        url="https://example.com/e",
        expiry_date=expiry,
    )
    EvidenceLink.objects.create(organisation=result.organisation, evidence=evidence, result=result)


def test_a_compliant_result_resting_on_expired_evidence_is_flagged(
    client_for: Any, org: Organisation, today: dt.date
) -> None:
    assessment = assess(org, ISO, today.year, None, 3, results=[str(Result.COMPLIANT)])
    stale, renewed, unlinked = assessment.results.order_by("requirement__position")
    link(stale, "2024 penetration test", today - dt.timedelta(days=30))
    link(renewed, "2024 policy", today - dt.timedelta(days=30))
    link(renewed, "2026 policy", today + dt.timedelta(days=300))
    auditor = client_for(Role.AUDITOR, org)
    page = dashboard(auditor)
    assert kpi(page, "unsupported").startswith("以過期佐證判定符合 1 ")
    flagged = section(page, "以過期佐證判定符合")
    assert reverse("assessments:result", args=[stale.pk]) in flagged
    assert reverse("assessments:result", args=[renewed.pk]) not in flagged
    assert reverse("assessments:result", args=[unlinked.pk]) not in flagged
    result_page = auditor.get(reverse("assessments:result", args=[stale.pk])).content.decode()
    assert "此結果標示為符合，但其佐證資料均已過期" in text(result_page)
    result_page = auditor.get(reverse("assessments:result", args=[renewed.pk])).content.decode()
    assert "均已過期" not in text(result_page)
    board = dashboard(client_for(Role.BOARD, org))
    assert kpi(board, "unsupported").startswith("以過期佐證判定符合 1 ")


def test_the_finding_status_form_offers_the_next_step(
    client_for: Any, org: Organisation, today: dt.date
) -> None:
    owner = client_for(Role.CONTROL_OWNER, org)
    expected = {
        Finding.Status.OPEN: "in_progress",
        Finding.Status.IN_PROGRESS: "closed",
        Finding.Status.CLOSED: "open",
    }
    for status, step in expected.items():
        finding = Finding.objects.create(
            organisation=org,
            title=f"F {status}",
            severity=Finding.Severity.LOW,
            status=status,
            closed_at=timezone.now() if status == Finding.Status.CLOSED else None,
        )
        page = owner.get(reverse("improvements:finding_detail", args=[finding.pk])).content.decode()
        select = re.search(r'<select name="status".*?</select>', page, flags=re.S)
        assert select is not None
        chosen = re.findall(r'<option value="([a-z_]+)" selected>', select.group(0))
        assert chosen == [step], (status, chosen)
