"""The incident register: recording, deadlines and countdowns from a regime, the institution's own
regime, lessons as findings, the FIRE export, the zh-TW report, export, the board report,
roles, audit and the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from finres.web.audit.models import AuditEvent
from finres.web.continuity.models import CriticalService
from finres.web.improvements.models import Finding
from finres.web.incidents import services
from finres.web.incidents.models import Incident, ReportingRegime, Submission
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers.models import Supplier

pytestmark = pytest.mark.django_db

STAGES = [
    {
        "id": "first",
        "name": {"zh": "初報", "en": "First"},
        "within": [{"amount": 2, "unit": "hours", "after": "detected"}],
        "source": "Rule 1(a)",
    },
    {
        "id": "final",
        "name": {"zh": "結報", "en": "Final"},
        "within": [{"amount": 7, "unit": "days", "after": "stage", "stage": "first"}],
        "source": "Rule 1(b)",
    },
]


@pytest.fixture
def regime(org: Organisation) -> ReportingRegime:
    return ReportingRegime.objects.create(
        organisation=org,
        code="REG",
        name="Regulator rule",
        regulator="A regulator",
        source="Regulation 12, art. 1",
        stages=STAGES,
    )


def make_incident(org: Organisation, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "organisation": org,
        "code": "INC-1",
        "title": "Payments down",
        "detected_at": timezone.now() - dt.timedelta(hours=3),
        "category": Incident.Category.SYSTEM_FAILURE,
        "severity": Incident.Severity.HIGH,
        "major": True,
    }
    values.update(fields)
    return Incident.objects.create(**values)


def test_deadlines_and_overdue_flags_follow_the_regime(
    org: Organisation, regime: ReportingRegime, ciso_client: Client
) -> None:
    incident = make_incident(org, regime=regime.key)
    result = services.deadlines(incident, services.choices(org))
    first, final = result.rows
    assert first.status == "overdue" and result.overdue  # 2 h after a detection 3 h ago
    assert final.status == "waiting" and final.due is None
    page = ciso_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-stage="first" data-status="overdue"' in page and "Rule 1(a)" in page
    listing = ciso_client.get("/incidents/").content.decode()
    assert 'data-incident="INC-1" data-overdue="yes"' in listing
    submitted = incident.detected_at + dt.timedelta(hours=2, minutes=30)
    response = ciso_client.post(
        f"/incidents/{incident.pk}/submissions/",
        {
            "stage": "first",
            "submitted_at": timezone.localtime(submitted).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(pk=incident.pk)
    first, final = services.deadlines(incident, services.choices(org)).rows
    assert first.status == "late"
    assert final.status == "open" and final.due == first.submitted + dt.timedelta(days=7)


def test_no_regime_no_deadline(org: Organisation, ciso_client: Client) -> None:
    incident = make_incident(org)
    assert services.deadlines(incident, services.choices(org)).rows == []
    page = ciso_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-table="deadlines"' not in page


def test_the_dora_example_is_offered_and_marked(org: Organisation, ciso_client: Client) -> None:
    available = services.choices(org)
    dora = available["shipped:eu-dora"]
    assert dora.example_only and "2025/301" in dora.regime.source
    page = ciso_client.get("/incidents/regimes/shipped/eu-dora/").content.decode()
    assert "Art. 5(1)(a)" in page
    assert ciso_client.get("/incidents/regimes/shipped/nope/").status_code == 404
    classified = timezone.now() - dt.timedelta(hours=1)
    incident = make_incident(
        org, regime="shipped:eu-dora", classified_at=classified, detected_at=classified
    )
    initial = services.deadlines(incident, available).rows[0]
    assert initial.due == classified + dt.timedelta(hours=4) and initial.status == "open"


def test_recording_an_incident(org: Organisation, ciso_client: Client) -> None:
    service = CriticalService.objects.create(organisation=org, code="PAY", name="Payments")
    supplier = Supplier.objects.create(organisation=org, code="SUP", name="Telecom")
    response = ciso_client.post(
        "/incidents/new/",
        {
            "code": "INC-7",
            "title": "Line cut",
            "category": "third_party",
            "severity": "critical",
            "major": "on",
            "status": "open",
            "detected_at": "2026-11-02T09:15",
            "classified_at": "2026-11-02T10:00",
            "services": [service.pk],
            "suppliers": [supplier.pk],
            "lessons": "Second line\nSupplier SLA",
            "regime": "shipped:eu-dora",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    incident = Incident.objects.get(organisation=org, code="INC-7")
    assert list(incident.services.all()) == [service]
    assert timezone.localtime(incident.detected_at).hour == 9  # typed in the local time zone
    # a detection after the classification, or a closing time on an open incident, is refused
    response = ciso_client.post(
        f"/incidents/{incident.pk}/edit/",
        {
            "code": "INC-7",
            "title": "Line cut",
            "category": "third_party",
            "severity": "critical",
            "status": "open",
            "detected_at": "2026-11-02T09:15",
            "classified_at": "2026-11-02T08:00",
            "closed_at": "2026-11-03T08:00",
            "regime": "not-a-regime",
        },
    )
    assert response.status_code == 200
    assert {"classified_at", "status", "regime"} <= set(response.context["form"].errors)
    # a timeline entry; a lesson becomes a finding of source incident, once
    assert (
        ciso_client.post(
            f"/incidents/{incident.pk}/timeline/", {"at": "2026-11-02T09:30", "text": "Called"}
        ).status_code
        == 302
    )
    ciso_client.post(f"/incidents/{incident.pk}/finding/", {"lesson": "Supplier SLA"})
    ciso_client.post(f"/incidents/{incident.pk}/finding/", {"lesson": "Supplier SLA"})
    findings = Finding.objects.filter(organisation=org, source=Finding.Source.INCIDENT)
    assert findings.count() == 1 and findings.get().severity == "critical"
    ciso_client.post(f"/incidents/{incident.pk}/finding/", {"lesson": "made up"})
    assert findings.count() == 1


def test_fire_export_and_zh_tw_report(org: Organisation, ciso_client: Client) -> None:
    detected = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    incident = make_incident(
        org,
        root_cause="Disk full",
        lessons="Monitor disks",
        detected_at=detected,
        recovered_at=detected + dt.timedelta(hours=2),
    )
    response = ciso_client.get(f"/incidents/{incident.pk}/fire.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert set(data) == {
        "format",
        "reporting_details",
        "incident_details",
        "impact_assessment",
        "incident_closure",
    }
    assert data["incident_closure"]["root_cause"] == "Disk full"
    assert data["impact_assessment"]["duration_minutes"] == 120
    assert AuditEvent.objects.filter(action="export", organisation_id=org.pk).exists()
    api = ciso_client.get(f"/api/incidents/{incident.pk}/fire/").json()
    assert api["incident_details"]["title"] == "Payments down"
    # the report is in Traditional Chinese even for an English reader
    ciso_client.post("/i18n/setlang/", {"language": "en"})
    report = ciso_client.get(f"/incidents/{incident.pk}/report/").content.decode()
    assert "事件報告" in report and "根本原因" in report and "Root cause" not in report


def test_the_impact_figures_fire_asks_for(org: Organisation, ciso_client: Client) -> None:
    incident = make_incident(org)
    empty = ciso_client.get(f"/api/incidents/{incident.pk}/fire/").json()["impact_assessment"]
    # not known is not zero: nothing is guessed
    assert empty["clients_affected"] is None and empty["economic_impact"] is None
    response = ciso_client.patch(
        f"/api/incidents/{incident.pk}/",
        {
            "discovery": "client",
            "clients_affected": 1200,
            "transactions_affected": 35000,
            "financial_loss": "2500000.50",
            "loss_currency": "TWD",
            "data_affected": "Order data: availability only",
            "geographic_spread": "Taiwan only",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data = ciso_client.get(f"/incidents/{incident.pk}/fire.json").json()
    assert data["incident_details"]["discovery_method"] == "client"
    impact = data["impact_assessment"]
    assert (impact["clients_affected"], impact["transactions_affected"]) == (1200, 35000)
    assert impact["economic_impact"] == {"amount": "2500000.50", "currency": "TWD"}
    assert impact["geographic_spread"] == "Taiwan only"
    page = ciso_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "2500000.50 TWD" in page and "受影響客戶數" in page
    report = ciso_client.get(f"/incidents/{incident.pk}/report/").content.decode()
    assert "受影響交易筆數" in report and "35000" in report and "Taiwan only" in report
    for bad in ({"loss_currency": "nt$"}, {"financial_loss": "-1"}, {"clients_affected": -3}):
        refused = ciso_client.patch(
            f"/api/incidents/{incident.pk}/", bad, content_type="application/json"
        )
        assert refused.status_code == 400 and set(refused.json()) == set(bad)
    incident.refresh_from_db()
    assert (incident.loss_currency, incident.clients_affected) == ("TWD", 1200)


def test_export_lists(org: Organisation, ciso_client: Client) -> None:
    make_incident(org)
    text = ciso_client.get("/incidents/export/?format=csv").content.decode("utf-8-sig")
    assert "INC-1" in text
    assert ciso_client.get("/incidents/export/?format=xlsx").content[:2] == b"PK"


def test_an_own_regime_needs_a_source_for_every_time_limit(
    org: Organisation, ciso_client: Client, client_for: Any
) -> None:
    form = {
        "code": "FSC",
        "name": "Our regulator",
        "regulator": "Regulator",
        "source": "Rule 9",
        "stage1_name": "Notice",
        "stage1_amount": "1",
        "stage1_unit": "hours",
        "stage1_after": "detected",
        "stage1_source": "",
    }
    response = ciso_client.post("/incidents/regimes/new/", form)
    assert response.status_code == 200 and "stage1_source" in response.context["form"].errors
    form["stage1_source"] = "Rule 9(1)"
    form.update(
        stage2_name="Final",
        stage2_amount="10",
        stage2_unit="days",
        stage2_after="stage",
        stage2_source="Rule 9(2)",
    )
    response = ciso_client.post("/incidents/regimes/new/", form)
    assert response.status_code == 302
    regime = ReportingRegime.objects.get(organisation=org, code="FSC")
    assert regime.regime().stages[1].within[0].stage == "stage-1"
    owner = client_for(Role.CONTROL_OWNER, org)
    assert owner.get("/incidents/regimes/new/").status_code == 403
    assert owner.get("/incidents/regimes/").status_code == 200


def test_roles(org: Organisation, client_for: Any) -> None:
    incident = make_incident(org)
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.get(f"/incidents/{incident.pk}/").status_code == 200
    assert auditor.get("/incidents/new/").status_code == 403
    owner = client_for(Role.CONTROL_OWNER, org)
    assert owner.get("/incidents/new/").status_code == 200
    assert owner.post(f"/incidents/{incident.pk}/delete/").status_code == 403
    assert client_for(Role.BOARD, org).get("/incidents/").status_code == 403


def test_changes_are_audited(org: Organisation) -> None:
    incident = make_incident(org)
    incident.services.set([CriticalService.objects.create(organisation=org, code="S", name="S")])
    events = AuditEvent.objects.filter(model="incidents.incident", object_id=str(incident.pk))
    assert events.filter(action="create").exists()
    assert any("services" in (e.changes or {}) for e in events.filter(action="update"))


def test_api(
    org: Organisation, regime: ReportingRegime, ciso_client: Client, other_org: Any
) -> None:
    response = ciso_client.post(
        "/api/incidents/",
        {
            "code": "INC-A",
            "title": "API incident",
            "category": "cyber_attack",
            "severity": "medium",
            "detected_at": "2026-11-01T08:00:00+08:00",
            "regime": regime.key,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    deadlines = ciso_client.get(f"/api/incidents/{pk}/deadlines/").json()
    assert deadlines["regime"] == regime.key and deadlines["stages"][0]["status"] == "overdue"
    bad = ciso_client.post(
        "/api/incident-submissions/",
        {"incident": pk, "stage": "nope", "submitted_at": "2026-11-01T09:00:00+08:00"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    good = ciso_client.post(
        "/api/incident-submissions/",
        {"incident": pk, "stage": "first", "submitted_at": "2026-11-01T09:00:00+08:00"},
        content_type="application/json",
    )
    assert good.status_code == 201
    assert Submission.objects.filter(incident_id=pk).count() == 1
    unsourced = ciso_client.post(
        "/api/reporting-regimes/",
        {
            "code": "X",
            "name": "X",
            "regulator": "R",
            "source": "S 1",
            "stages": [
                {
                    "id": "a",
                    "name": {"zh": "a", "en": "a"},
                    "within": [{"amount": 1, "unit": "hours", "after": "detected"}],
                    "source": "",
                }
            ],
        },
        content_type="application/json",
    )
    assert unsourced.status_code == 400
    elsewhere = ciso_client.post(
        "/api/incidents/",
        {
            "code": "INC-B",
            "title": "t",
            "category": "other",
            "severity": "low",
            "detected_at": "2026-11-01T08:00:00+08:00",
            "services": [
                CriticalService.objects.create(organisation=other_org, code="O", name="O").pk
            ],
        },
        content_type="application/json",
    )
    assert elsewhere.status_code == 400


def test_the_board_report_reads_the_register(org: Organisation) -> None:
    from finres.web.reports import content

    now = timezone.now()
    make_incident(org, code="INC-M", title="Major one", lessons="Fix it", detected_at=now)
    make_incident(org, code="INC-S", title="Small one", major=False, detected_at=now)
    Finding.objects.create(
        organisation=org, title="Improve after incident", source=Finding.Source.INCIDENT
    )
    rows = content.improvements_data(org, now.year, timezone.localdate())["findings"]["incidents"]
    titles = [r["title"] for r in rows]
    assert titles[0] == "INC-M Major one" and "Improve after incident" in titles
    assert not any("Small one" in t for t in titles)
    assert (
        content.improvements_data(org, now.year - 1, timezone.localdate())["findings"]["incidents"]
        == []
    )


# --- languages ----------------------------------------------------------------------------------


def english_phrases() -> list[str]:
    """The English source of every interface message of the drill and incident pages (the
    literal parts of at least ten characters), which a zh-TW page must not show."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2] / "src" / "finres" / "web"
    phrases: set[str] = set()
    for app in ("continuity", "incidents"):
        with (root / app / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po").open("rb") as f:
            for message in read_po(f):
                if not message.id or not isinstance(message.id, str):
                    continue
                for part in re.split(r"%\(\w+\)s|%s", message.id):
                    if len(part.strip()) >= 10 and " " in part.strip():
                        phrases.add(part.strip())
    return sorted(phrases)


def test_pages_speak_the_users_language(client_for: Any) -> None:
    from finres.web.continuity.models import Drill
    from finres.web.setup import load_demo

    context = load_demo()
    securities = context.organisations["securities"]
    client = client_for(Role.CISO, securities)
    drill = Drill.objects.get(organisation=securities, code="DR-2026-01")
    incident = Incident.objects.get(organisation=securities, code="INC-2026-001")
    regime = ReportingRegime.objects.get(organisation=securities, code="INT-ESC")
    pages = [
        "/continuity/drills/",
        f"/continuity/drills/{drill.pk}/",
        "/continuity/drills/new/",
        f"/continuity/drills/{drill.pk}/edit/",
        "/incidents/",
        f"/incidents/{incident.pk}/",
        "/incidents/new/",
        f"/incidents/{incident.pk}/edit/",
        f"/incidents/{incident.pk}/report/",
        "/incidents/regimes/",
        "/incidents/regimes/new/",
        f"/incidents/regimes/{regime.pk}/",
        "/incidents/regimes/shipped/eu-dora/",
    ]
    phrases = english_phrases()
    assert len(phrases) > 50
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert [p for p in phrases if p in body] == [], url
    overdue = client.get("/incidents/").content.decode()
    assert "已逾期" in overdue and 'data-overdue="yes"' in overdue  # the demo's closing report
    client.cookies["django_language"] = "en"
    assert "Drills due" in client.get("/continuity/drills/").content.decode()
    assert "Reporting deadlines" in client.get(f"/incidents/{incident.pk}/").content.decode()


def test_lists_run_a_bounded_number_of_queries_and_the_tile_counts(
    org: Organisation,
    regime: ReportingRegime,
    ciso_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    service = CriticalService.objects.create(organisation=org, code="S", name="S")
    for index in range(40):
        incident = make_incident(org, code=f"INC-{index}", regime=regime.key)
        incident.services.set([service])
        Submission.objects.create(
            organisation=org, incident=incident, stage="first", submitted_at=timezone.now()
        )
    with django_assert_max_num_queries(30):
        assert ciso_client.get("/incidents/").status_code == 200
    with django_assert_max_num_queries(30):
        assert ciso_client.get("/api/incidents/").json()["count"] == 40
    with django_assert_max_num_queries(30):
        ciso_client.get("/incidents/export/?format=xlsx")
    numbers = services.dashboard_numbers(org)
    assert numbers == {"open": 40, "open_major": 40, "reports_overdue": 0}
    # a regime in use is not deleted
    assert ciso_client.post(f"/incidents/regimes/{regime.pk}/delete/").status_code == 302
    assert ReportingRegime.objects.filter(pk=regime.pk).exists()
