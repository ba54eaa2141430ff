"""Pages of findings, milestones and exceptions: roles, isolation, validation, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from finres.web.assessments.models import Assessment, RequirementResult, Result
from finres.web.frameworks.models import Framework, Requirement
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.orgs.roles import Role

from .conftest import login

pytestmark = pytest.mark.django_db

TWSE = "twse-securities-tiered-protection"


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def requirement(code: str = "cc-17010-antivirus", framework: str = TWSE) -> Requirement:
    return Requirement.objects.get(framework__code=framework, code=code)


def make_result(
    organisation: Any, result: str = Result.NON_COMPLIANT, code: str = "cc-17010-antivirus"
) -> RequirementResult:
    assessment, _ = Assessment.objects.get_or_create(
        organisation=organisation,
        framework=Framework.objects.get(code=TWSE),
        period_start=dt.date(2026, 1, 1),
        defaults={"name": "TWSE 2026", "period_end": dt.date(2026, 12, 31)},
    )
    return RequirementResult.objects.create(
        organisation=organisation,
        assessment=assessment,
        requirement=requirement(code),
        result=result,
        comments="No antivirus on the trading hosts.",
    )


def make_finding(organisation: Any, **fields: Any) -> Finding:
    values: dict[str, Any] = {
        "title": "Patch the web servers",
        "requirement": requirement(),
        "due_date": days(60),
    }
    values.update(fields)
    if values.get("status") == Finding.Status.CLOSED:
        values.setdefault("closed_at", timezone.now())
    return Finding.objects.create(organisation=organisation, **values)


def make_milestone(finding: Finding, **fields: Any) -> Milestone:
    values: dict[str, Any] = {"title": "Step", "due_date": days(30)}
    values.update(fields)
    if values.get("done"):
        values.setdefault("done_at", timezone.now())
    return Milestone.objects.create(organisation=finding.organisation, finding=finding, **values)


def make_exception(organisation: Any, **fields: Any) -> RiskException:
    values: dict[str, Any] = {
        "title": "Legacy host without antivirus",
        "requirement": requirement(),
        "risk": "Malware on the legacy host.",
        "compensating_controls": "Network isolation and allow-listing.",
        "expiry_date": days(90),
    }
    values.update(fields)
    return RiskException.objects.create(organisation=organisation, **values)


def htmx(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, HTTP_HX_REQUEST="true")


# --- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.CISO, 200), (Role.CONTROL_OWNER, 200), (Role.AUDITOR, 200), (Role.BOARD, 403)],
)
def test_who_may_read(client_for, org, role, status) -> None:
    finding = make_finding(org)
    exception = make_exception(org)
    client = client_for(role, org)
    for url in (
        reverse("improvements:finding_list"),
        reverse("improvements:finding_detail", args=[finding.pk]),
        reverse("improvements:exception_list"),
        reverse("improvements:exception_detail", args=[exception.pk]),
    ):
        assert client.get(url).status_code == status, url


def test_control_owner_records_a_finding(client_for, org) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    owner = Finding._meta.get_field("owner").related_model.objects.get(
        username=f"control_owner-{org.pk}"
    )
    response = client.post(
        reverse("improvements:finding_create"),
        {
            "title": "Firewall rules not reviewed",
            "severity": "high",
            "source": "audit",
            "source_reference": "Internal audit 2026 #4",
            "framework": Framework.objects.get(code=TWSE).pk,
            "requirement_code": "CC-17010-FIREWALL-CONFIG-APPROVAL",
            "plan": "Quarterly review with sign-off.",
            "owner": owner.pk,
            "due_date": days(90).isoformat(),
        },
    )
    finding = Finding.objects.get(organisation=org)
    assert response.status_code == 302
    assert response.url == reverse("improvements:finding_detail", args=[finding.pk])
    assert finding.requirement == requirement("cc-17010-firewall-config-approval")
    assert (finding.owner, finding.created_by, finding.status) == (owner, owner, "open")


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.BOARD])
def test_readers_cannot_change_anything(client_for, org, role) -> None:
    finding = make_finding(org)
    milestone = make_milestone(finding)
    exception = make_exception(org)
    client = client_for(role, org)
    posts = [
        (reverse("improvements:finding_create"), {"title": "x", "due_date": days(9)}),
        (reverse("improvements:finding_edit", args=[finding.pk]), {"title": "changed"}),
        (reverse("improvements:finding_status", args=[finding.pk]), {"status": "in_progress"}),
        (reverse("improvements:milestone_add", args=[finding.pk]), {"title": "m"}),
        (reverse("improvements:milestone_complete", args=[milestone.pk]), {}),
        (reverse("improvements:exception_create"), {"title": "x"}),
        (reverse("improvements:exception_approve", args=[exception.pk]), {}),
        (reverse("improvements:exception_close", args=[exception.pk]), {"closing_note": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    finding.refresh_from_db()
    milestone.refresh_from_db()
    exception.refresh_from_db()
    assert (finding.title, finding.status) == ("Patch the web servers", "open")
    assert not milestone.done
    assert exception.status == "proposed"
    assert Finding.objects.count() == 1 and RiskException.objects.count() == 1


# --- findings from results, validation ----------------------------------------------------------


def test_finding_from_a_result_is_prefilled_and_linked(client_for, org) -> None:
    result = make_result(org)
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("improvements:finding_from_result", args=[result.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["title"].startswith("CC-17010")
    assert page.context["form"].initial["severity"] == "high"
    response = client.post(
        url,
        {
            "title": page.context["form"].initial["title"],
            "severity": "high",
            "source": "assessment",
            "due_date": days(45).isoformat(),
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.result == result and finding.requirement == result.requirement


def test_finding_from_another_organisations_result_is_404(client_for, org, other_org) -> None:
    foreign = make_result(other_org)
    client = client_for(Role.CISO, org)
    url = reverse("improvements:finding_from_result", args=[foreign.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "x", "due_date": days(9)}).status_code == 404
    assert not Finding.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"due_date": "2020-01-01"}, "due_date", "cannot be in the past"),
        ({"due_date": "2099-01-01"}, "due_date", "five years"),
        ({"requirement_code": "no-such-thing"}, "requirement_code", "No requirement"),
        ({"framework": ""}, "framework", "both the framework"),
        ({"title": ""}, "title", "required"),
    ],
)
def test_bad_finding_input_saves_nothing(client_for, org, changes, field, message) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    data = {
        "title": "Backups not tested",
        "severity": "medium",
        "source": "assessment",
        "framework": Framework.objects.get(code=TWSE).pk,
        "requirement_code": "cc-20000-continuity-exercise",
        "due_date": days(30).isoformat(),
    }
    data.update(changes)
    response = client.post(reverse("improvements:finding_create"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Finding.objects.exists()


def test_moving_the_due_date_before_open_milestones_is_refused(client_for, org) -> None:
    finding = make_finding(org, due_date=days(60))
    make_milestone(finding, due_date=days(50))
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        reverse("improvements:finding_edit", args=[finding.pk]),
        {
            "title": finding.title,
            "severity": "medium",
            "source": "assessment",
            "due_date": days(40).isoformat(),
        },
    )
    assert response.status_code == 200 and "due_date" in response.context["form"].errors
    finding.refresh_from_db()
    assert finding.due_date == days(60)


def test_an_overdue_finding_can_still_be_edited_without_moving_its_date(client_for, org) -> None:
    finding = make_finding(org, due_date=days(-5))
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        reverse("improvements:finding_edit", args=[finding.pk]),
        {
            "title": "Renamed",
            "severity": "medium",
            "source": "assessment",
            "due_date": days(-5).isoformat(),
        },
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.title == "Renamed"


# --- milestones (HTMX) --------------------------------------------------------------------------


def test_milestones_are_added_and_completed_with_htmx(client_for, org) -> None:
    finding = make_finding(org, due_date=days(60))
    client = client_for(Role.CONTROL_OWNER, org)
    response = htmx(
        client,
        reverse("improvements:milestone_add", args=[finding.pk]),
        {"title": "Buy licences", "due_date": days(20).isoformat()},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="milestones"' in body and "Buy licences" in body and "<html" not in body
    assert 'hx-swap-oob="true"' in body  # the finding's flags are refreshed too
    milestone = Milestone.objects.get(finding=finding)
    assert milestone.organisation == org

    done = htmx(client, reverse("improvements:milestone_complete", args=[milestone.pk]))
    assert done.status_code == 200
    milestone.refresh_from_db()
    assert milestone.done and milestone.done_at is not None
    assert milestone.done_by.username == f"control_owner-{org.pk}"

    htmx(client, reverse("improvements:milestone_reopen", args=[milestone.pk]))
    milestone.refresh_from_db()
    assert not milestone.done and milestone.done_at is None and milestone.done_by is None


def test_without_htmx_milestone_changes_redirect_to_the_finding(client_for, org) -> None:
    finding = make_finding(org)
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        reverse("improvements:milestone_add", args=[finding.pk]),
        {"title": "Plain form", "due_date": days(10).isoformat()},
    )
    assert response.status_code == 302
    assert Milestone.objects.filter(finding=finding, title="Plain form").exists()


@pytest.mark.parametrize(
    ("due", "message"),
    [(61, "cannot be due after its finding"), (-1, "cannot be in the past")],
)
def test_milestone_dates_are_checked(client_for, org, due, message) -> None:
    finding = make_finding(org, due_date=days(60))
    client = client_for(Role.CONTROL_OWNER, org)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = htmx(
        client,
        reverse("improvements:milestone_add", args=[finding.pk]),
        {"title": "Too late", "due_date": days(due).isoformat()},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Milestone.objects.exists()


def test_a_closed_finding_takes_no_milestone_changes(client_for, org) -> None:
    finding = make_finding(org, status=Finding.Status.CLOSED)
    milestone = make_milestone(finding)
    client = client_for(Role.CONTROL_OWNER, org)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    added = htmx(
        client,
        reverse("improvements:milestone_add", args=[finding.pk]),
        {"title": "More work", "due_date": days(10).isoformat()},
    )
    assert "reopen it" in added.content.decode()
    completed = htmx(client, reverse("improvements:milestone_complete", args=[milestone.pk]))
    assert "reopen it" in completed.content.decode()
    milestone.refresh_from_db()
    assert Milestone.objects.count() == 1 and not milestone.done


# --- status -------------------------------------------------------------------------------------


def test_closing_needs_done_milestones_or_a_note(client_for, org) -> None:
    finding = make_finding(org)
    make_milestone(finding)
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("improvements:finding_status", args=[finding.pk])
    client.post(url, {"status": "in_progress"})
    finding.refresh_from_db()
    assert finding.status == "in_progress"

    client.post(url, {"status": "closed", "closing_note": " "})
    finding.refresh_from_db()
    assert finding.status == "in_progress" and finding.closed_at is None

    client.post(url, {"status": "closed", "closing_note": "Replaced by the new platform."})
    finding.refresh_from_db()
    assert finding.status == "closed" and finding.closed_at is not None
    assert finding.closing_note == "Replaced by the new platform."

    client.post(url, {"status": "in_progress"})  # closed -> in progress is not a transition
    finding.refresh_from_db()
    assert finding.status == "closed"

    client.post(url, {"status": "open"})  # reopen
    finding.refresh_from_db()
    assert finding.status == "open" and finding.closed_at is None


def test_closing_with_every_milestone_done_needs_no_note(client_for, org) -> None:
    finding = make_finding(org)
    make_milestone(finding, done=True)
    client = client_for(Role.CONTROL_OWNER, org)
    client.post(reverse("improvements:finding_status", args=[finding.pk]), {"status": "closed"})
    finding.refresh_from_db()
    assert finding.status == "closed"


# --- lists --------------------------------------------------------------------------------------


def test_finding_filters(client_for, org) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    me = Finding._meta.get_field("owner").related_model.objects.get(
        username=f"control_owner-{org.pk}"
    )
    late = make_finding(org, title="Late one", due_date=days(-1), severity="high")
    late_step = make_finding(org, title="Late milestone", source="audit", owner=me)
    make_milestone(late_step, due_date=days(-2))
    fine = make_finding(org, title="On track", severity="low")
    closed = make_finding(org, title="Done and dusted", status="closed", due_date=days(-9))

    def titles(**params: str) -> set[str]:
        response = client.get(reverse("improvements:finding_list"), params)
        assert response.status_code == 200
        return {f.title for f in response.context["object_list"]}

    assert titles() == {late.title, late_step.title, fine.title}
    assert titles(status="all") == {late.title, late_step.title, fine.title, closed.title}
    assert titles(status="closed") == {closed.title}
    assert titles(overdue="on") == {late.title, late_step.title}
    assert titles(severity="high") == {late.title}
    assert titles(source="audit") == {late_step.title}
    assert titles(owner="me") == {late_step.title}
    assert titles(owner="none") == {late.title, fine.title}
    flags = {
        f.title: f.is_overdue
        for f in client.get(reverse("improvements:finding_list")).context["object_list"]
    }
    assert flags == {late.title: True, late_step.title: True, fine.title: False}


def test_finding_list_queries_do_not_grow_with_the_data(client_for, org, make_user) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    owner = make_user(Role.CONTROL_OWNER, org, username="someone")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("improvements:finding_list"), {"status": "all"})
        assert response.status_code == 200
        return len(queries)

    for n in range(3):
        make_milestone(make_finding(org, title=f"F{n}", owner=owner))
    few = count_queries()
    for n in range(40):
        finding = make_finding(org, title=f"G{n}", owner=owner, requirement=requirement())
        make_milestone(finding, due_date=days(-1))
        make_milestone(finding, done=True)
    many = count_queries()
    assert many == few
    assert few <= 14


def test_exception_list_queries_do_not_grow_with_the_data(client_for, org, make_user) -> None:
    client = client_for(Role.CISO, org)
    proposer = make_user(Role.CONTROL_OWNER, org, username="proposer")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("improvements:exception_list")).status_code == 200
        return len(queries)

    make_exception(org, proposed_by=proposer)
    few = count_queries()
    for n in range(40):
        make_exception(org, title=f"E{n}", proposed_by=proposer, finding=make_finding(org))
    assert count_queries() == few <= 12


def test_the_list_is_in_traditional_chinese_by_default(client_for, org) -> None:
    make_finding(org, due_date=days(-1))
    body = client_for(Role.CONTROL_OWNER, org).get(reverse("improvements:finding_list"))
    text = body.content.decode()
    assert "改善計畫" in text and "逾期" in text


# --- exceptions ---------------------------------------------------------------------------------


def exception_data(**changes: Any) -> dict[str, Any]:
    data = {
        "title": "Legacy trading host",
        "framework": Framework.objects.get(code=TWSE).pk,
        "requirement_code": "cc-17010-antivirus",
        "risk": "Malware on an unsupported OS.",
        "compensating_controls": "Isolated VLAN, application allow-listing.",
        "expiry_date": days(180).isoformat(),
    }
    data.update(changes)
    return data


def test_control_owner_proposes_an_exception(client_for, org) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(reverse("improvements:exception_create"), exception_data())
    exception = RiskException.objects.get()
    assert response.status_code == 302
    assert exception.status == "proposed" and exception.requirement == requirement()
    assert exception.proposed_by.username == f"control_owner-{org.pk}"
    assert exception.organisation == org


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"expiry_date": "2020-01-01"}, "expiry_date", "expire after today"),
        ({"expiry_date": "today"}, "expiry_date", "expire after today"),
        ({"expiry_date": "+366"}, "expiry_date", "at most 365 days"),
        ({"requirement_code": "", "framework": ""}, "requirement_code", "Name the requirement"),
        ({"compensating_controls": ""}, "compensating_controls", "required"),
    ],
)
def test_bad_exception_input_saves_nothing(client_for, org, changes, field, message) -> None:
    if changes.get("expiry_date") == "today":
        changes["expiry_date"] = today().isoformat()
    if changes.get("expiry_date") == "+366":
        changes["expiry_date"] = days(366).isoformat()
    client = client_for(Role.CONTROL_OWNER, org)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(reverse("improvements:exception_create"), exception_data(**changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not RiskException.objects.exists()


def test_the_longest_exception_is_a_setting(client_for, org, settings) -> None:
    settings.FINRES_EXCEPTION_MAX_DAYS = 30
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("improvements:exception_create")
    assert client.post(url, exception_data(expiry_date=days(31).isoformat())).status_code == 200
    assert not RiskException.objects.exists()
    assert client.post(url, exception_data(expiry_date=days(30).isoformat())).status_code == 302


def test_exception_from_a_finding_takes_its_requirement(client_for, org) -> None:
    finding = make_finding(org, requirement=requirement("cc-17010-health-check"))
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("improvements:exception_create") + f"?finding={finding.pk}"
    assert client.get(url).status_code == 200
    data = exception_data()
    del data["framework"], data["requirement_code"]
    response = client.post(url, data)
    assert response.status_code == 302
    exception = RiskException.objects.get()
    assert exception.finding == finding
    assert exception.requirement == requirement("cc-17010-health-check")


def test_exception_from_a_result(client_for, org, other_org) -> None:
    result = make_result(org)
    client = client_for(Role.CONTROL_OWNER, org)
    data = exception_data()
    del data["framework"], data["requirement_code"]
    response = client.post(reverse("improvements:exception_from_result", args=[result.pk]), data)
    assert response.status_code == 302
    assert RiskException.objects.get().result == result
    foreign = make_result(other_org)
    url = reverse("improvements:exception_from_result", args=[foreign.pk])
    assert client.post(url, data).status_code == 404
    assert RiskException.objects.count() == 1


def test_segregation_of_duties_on_approval(client_for, make_user, org) -> None:
    proposer = make_user(Role.CISO, org, username="ciso-one")
    other_ciso = make_user(Role.CISO, org, username="ciso-two")
    exception = make_exception(org, proposed_by=proposer)
    approve = reverse("improvements:exception_approve", args=[exception.pk])

    own = login(Client(), proposer)
    page = own.get(reverse("improvements:exception_detail", args=[exception.pk]))
    assert "data-own-proposal" in page.content.decode()
    own.post(approve, {"note": "fine by me"})
    exception.refresh_from_db()
    assert exception.status == "proposed" and exception.approver is None

    owner_client = client_for(Role.CONTROL_OWNER, org)
    assert owner_client.post(approve).status_code == 403

    response = login(Client(), other_ciso).post(approve, {"note": "Reviewed with IT."})
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.status == "approved"
    assert exception.approver == other_ciso and exception.approved_at is not None
    assert exception.decision_note == "Reviewed with IT."


def test_the_database_refuses_self_approval(org, make_user) -> None:
    ciso = make_user(Role.CISO, org)
    exception = make_exception(org, proposed_by=ciso)
    exception.status, exception.approver, exception.approved_at = "approved", ciso, timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        exception.save()


def test_rejection_needs_a_reason(make_user, org) -> None:
    proposer = make_user(Role.CONTROL_OWNER, org)
    exception = make_exception(org, proposed_by=proposer)
    ciso = login(Client(), make_user(Role.CISO, org))
    url = reverse("improvements:exception_reject", args=[exception.pk])
    ciso.post(url, {"note": ""})
    exception.refresh_from_db()
    assert exception.status == "proposed"
    ciso.post(url, {"note": "Compensating controls are not enough."})
    exception.refresh_from_db()
    assert exception.status == "rejected" and exception.rejected_by is not None
    assert exception.approver is None
    # a decided exception cannot be decided again
    ciso.post(reverse("improvements:exception_approve", args=[exception.pk]))
    exception.refresh_from_db()
    assert exception.status == "rejected"


def test_an_expired_proposal_cannot_be_approved(make_user, org) -> None:
    exception = make_exception(org, expiry_date=days(-1))
    ciso = login(Client(), make_user(Role.CISO, org))
    ciso.post(reverse("improvements:exception_approve", args=[exception.pk]))
    exception.refresh_from_db()
    assert exception.status == "proposed"


def test_expiry_is_computed_not_stored(client_for, make_user, org) -> None:
    proposer, approver = make_user(Role.CONTROL_OWNER, org), make_user(Role.CISO, org)
    decided = {"proposed_by": proposer, "approver": approver, "approved_at": timezone.now()}
    expired = make_exception(
        org, title="Expired one", status="approved", expiry_date=days(-3), **decided
    )
    soon = make_exception(org, title="Soon one", status="approved", expiry_date=days(10), **decided)
    later = make_exception(
        org, title="Later one", status="approved", expiry_date=days(200), **decided
    )
    client = client_for(Role.AUDITOR, org)
    response = client.get(reverse("improvements:exception_list"))
    flags = {e.title: e.expiry_flag for e in response.context["object_list"]}
    assert flags == {expired.title: "expired", soon.title: "expiring_soon", later.title: ""}
    body = response.content.decode()
    assert 'data-flag="expired"' in body and 'data-flag="expiring_soon"' in body
    page = client.get(reverse("improvements:exception_detail", args=[expired.pk]))
    assert 'data-flag="expired"' in page.content.decode()
    expired.refresh_from_db()
    assert expired.status == "approved"  # nothing was written
    only = client.get(reverse("improvements:exception_list"), {"flag": "expired"})
    assert [e.title for e in only.context["object_list"]] == [expired.title]


def test_closing_an_exception(client_for, make_user, org) -> None:
    exception = make_exception(
        org,
        status="approved",
        proposed_by=make_user(Role.CONTROL_OWNER, org, username="p"),
        approver=make_user(Role.CISO, org, username="a"),
        approved_at=timezone.now(),
    )
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("improvements:exception_close", args=[exception.pk])
    client.post(url, {"closing_note": ""})
    exception.refresh_from_db()
    assert exception.status == "approved"
    client.post(url, {"closing_note": "Antivirus installed; requirement met."})
    exception.refresh_from_db()
    assert exception.status == "closed" and exception.closed_at is not None
    assert exception.closed_by.username == f"control_owner-{org.pk}"
    default_list = client.get(reverse("improvements:exception_list"))
    assert exception not in default_list.context["object_list"]


def test_only_proposals_can_be_revised(client_for, make_user, org) -> None:
    approved = make_exception(
        org,
        status="approved",
        approver=make_user(Role.CISO, org),
        approved_at=timezone.now(),
    )
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("improvements:exception_edit", args=[approved.pk])
    assert client.get(url).status_code == 302
    client.post(url, exception_data(title="Rewritten after approval"))
    approved.refresh_from_db()
    assert approved.title == "Legacy host without antivirus"

    proposal = make_exception(org)
    url = reverse("improvements:exception_edit", args=[proposal.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, exception_data(title="Better wording")).status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Better wording"


# --- isolation ----------------------------------------------------------------------------------


def test_another_organisations_objects_are_404_on_every_page(client_for, org, other_org) -> None:
    finding = make_finding(other_org, title="Foreign finding")
    milestone = make_milestone(finding)
    exception = make_exception(other_org, title="Foreign exception")
    result = make_result(other_org)
    client = client_for(Role.ADMINISTRATOR, org)
    urls = [
        reverse("improvements:finding_detail", args=[finding.pk]),
        reverse("improvements:finding_edit", args=[finding.pk]),
        reverse("improvements:finding_status", args=[finding.pk]),
        reverse("improvements:milestone_add", args=[finding.pk]),
        reverse("improvements:milestone_complete", args=[milestone.pk]),
        reverse("improvements:milestone_reopen", args=[milestone.pk]),
        reverse("improvements:finding_from_result", args=[result.pk]),
        reverse("improvements:exception_from_result", args=[result.pk]),
        reverse("improvements:exception_detail", args=[exception.pk]),
        reverse("improvements:exception_edit", args=[exception.pk]),
        reverse("improvements:exception_approve", args=[exception.pk]),
        reverse("improvements:exception_reject", args=[exception.pk]),
        reverse("improvements:exception_close", args=[exception.pk]),
        reverse("improvements:exception_create") + f"?finding={finding.pk}",
    ]
    data = {
        "status": "closed",
        "closing_note": "x",
        "note": "x",
        "title": "x",
        "due_date": days(5).isoformat(),
    }
    for url in urls:
        assert client.get(url).status_code in (404, 405), url
        # detail pages take no POST (405); every action answers 404
        assert client.post(url, data).status_code in (404, 405), url
        assert htmx(client, url, data).status_code in (404, 405), url
    for url in (reverse("improvements:finding_list"), reverse("improvements:exception_list")):
        body = client.get(url, {"status": "all"}).content.decode()
        assert "Foreign" not in body
    finding.refresh_from_db()
    milestone.refresh_from_db()
    exception.refresh_from_db()
    assert (finding.status, milestone.done, exception.status) == ("open", False, "proposed")


def test_owners_come_from_the_organisation(client_for, make_user, org, other_org) -> None:
    stranger = make_user(Role.CONTROL_OWNER, other_org)
    auditor = make_user(Role.AUDITOR, org)
    client = client_for(Role.CONTROL_OWNER, org)
    for owner in (stranger, auditor):
        response = client.post(
            reverse("improvements:finding_create"),
            {
                "title": "Owned elsewhere",
                "severity": "low",
                "source": "other",
                "owner": owner.pk,
                "due_date": days(5).isoformat(),
            },
        )
        assert response.status_code == 200 and "owner" in response.context["form"].errors
    assert not Finding.objects.exists()


def test_group_members_may_own_subsidiary_plans(make_org, make_user) -> None:
    from finres.web.improvements.forms import editors_of

    group = make_org(name="Group", industry="bank", is_group=True)
    child = make_org(name="Child", parent=group)
    group_ciso = make_user(Role.CISO, group)
    board = make_user(Role.BOARD, child)
    assert group_ciso in editors_of(child)
    assert board not in editors_of(child)


def test_an_invalid_filter_is_ignored_and_the_others_apply(client_for, org) -> None:
    make_finding(org, title="Severe", severity="high")
    make_finding(org, title="Mild", severity="low")
    client = client_for(Role.AUDITOR, org)
    response = client.get(
        reverse("improvements:finding_list"), {"severity": "high", "source": "bogus"}
    )
    assert [f.title for f in response.context["object_list"]] == ["Severe"]
