"""TLS checks in the platform: real loopback servers (good and legacy) are scanned, their runs
give art. 34 pass and fail outcomes, findings raised once, dated evidence for passes,
proposals pending on the open guideline assessment (never forced), the crypto inventory fed;
an unreachable endpoint gives a run with a clear error and nothing else. Pages in both
languages, roles, schedules, the demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from finres.core.checks.batch import scan_many
from finres.core.remediation import due_date
from finres.web.assessments import onboarding
from finres.web.assessments.models import ProposalState, RequirementResult, Result
from finres.web.audit.models import AuditEvent
from finres.web.checks import services
from finres.web.checks.jobs import RUN_DUE, enqueue_due
from finres.web.checks.models import TlsOutcome, TlsRun, TlsTarget
from finres.web.crypto.models import CryptoAsset
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.frameworks.models import Framework
from finres.web.improvements.models import Finding
from finres.web.jobs.models import Job
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem

from ..checks.test_tls import GOOD, LEGACY
from ..checks.tls_servers import certificate, free_port, openssl_server

pytestmark = pytest.mark.django_db
ART_34_DECIDED = ("art-34-1", "art-34-2", "art-34-3")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("certs")
    return {
        "good": certificate(folder, "good"),
        "weak": certificate(folder, "weak", key="rsa1024-sha1"),
    }


@pytest.fixture(scope="module")
def scans(certs: dict[str, tuple[Path, Path]]) -> dict[str, dict[str, Any]]:
    """The JSON of real scans of a good and a legacy server (once for the module)."""
    with (
        openssl_server(*certs["good"], *GOOD) as good,
        openssl_server(*certs["weak"], *LEGACY) as weak,
    ):
        found = scan_many(
            [("127.0.0.1", good, "localhost"), ("127.0.0.1", weak, "localhost")],
            2,
            1,
            language="en",
        )
    return {"good": found[0], "legacy": found[1]}


def target(organisation: Organisation, port: int = 8443, **fields: Any) -> TlsTarget:
    system = InformationSystem.objects.create(
        organisation=organisation, code=f"SYS-{port}", name=f"Gateway {port}"
    )
    values: dict[str, Any] = {"host": "127.0.0.1", "server_name": "localhost", "system": system}
    values.update(fields)
    return TlsTarget.objects.create(organisation=organisation, port=port, **values)


def open_assessment(organisation: Organisation) -> Any:
    framework = Framework.objects.get(code=services.FRAMEWORK)
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    return onboarding.create_assessment(
        organisation,
        framework,
        "guideline 2026",
        start,
        end,
        onboarding.compute(organisation, end),
        None,
    )


def statuses(run: TlsRun) -> dict[str, str]:
    return dict(run.outcomes.values_list("requirement", "status"))


def test_a_good_endpoint_passes_art_34_with_dated_evidence_and_pending_proposals(
    org, scans
) -> None:
    assessment = open_assessment(org)
    good = target(org)
    run = services.record_run(good, scans["good"], lang="en")
    assert run.status == "ok" and run.error == ""
    got = statuses(run)
    assert {r: got[r] for r in ART_34_DECIDED} == dict.fromkeys(ART_34_DECIDED, "pass")
    assert got["art-34-4"] == got["art-36-5"] == "needs_evidence"
    assert (run.passed, run.failed, run.needs_evidence) == (4, 0, 8)
    assert not Finding.objects.filter(organisation=org).exists()
    # a dated piece of evidence per pass, supporting the open assessment's result
    outcome = run.outcomes.get(requirement="art-34-1")
    evidence = outcome.evidence_record
    assert evidence is not None and evidence.effective_date == timezone.localdate()
    assert evidence.kind == Evidence.Kind.FILE and evidence.sha256
    row = RequirementResult.objects.get(assessment=assessment, requirement__code="art-34-1")
    assert EvidenceLink.objects.filter(evidence=evidence, result=row).exists()
    # proposed, not forced
    assert row.result == Result.NOT_ASSESSED
    assert (row.proposed_result, row.proposal_state) == (Result.COMPLIANT, ProposalState.PENDING)
    assert row.proposal_provenance[0]["check_run"] == run.pk
    # needs evidence never proposes a pass
    undecided = RequirementResult.objects.get(assessment=assessment, requirement__code="art-34-4")
    assert undecided.proposed_result == "" and undecided.proposal_state == ""
    # the crypto inventory of the target's system got the endpoint's protocols and groups
    names = set(
        CryptoAsset.objects.filter(organisation=org, system=good.system).values_list(
            "name", flat=True
        )
    )
    assert "x25519" in names and any("TLS" in n for n in names)
    assert "Crypto inventory" in run.crypto_note


def test_a_legacy_endpoint_raises_findings_once_and_proposes_non_compliance(org, scans) -> None:
    assessment = open_assessment(org)
    legacy = target(org, 9443)
    first = services.record_run(legacy, scans["legacy"], lang="en")
    got = statuses(first)
    assert {r: got[r] for r in ART_34_DECIDED} == dict.fromkeys(ART_34_DECIDED, "fail")
    findings = Finding.objects.filter(organisation=org, source=Finding.Source.CHECK)
    assert findings.count() == 4  # art-34-1, 34-2, 34-3 and 36-2
    finding = findings.get(source_reference=f"tls:{legacy.pk}:art-34-1")
    assert finding.requirement is not None and finding.requirement.code == "art-34-1"
    assert finding.severity == Finding.Severity.HIGH
    assert finding.due_date == due_date("high", timezone.localdate())
    assert "TLSv1.0" in finding.description
    assert finding.result.assessment_id == assessment.pk
    # a second run raises nothing new: the open findings are the same
    second = services.record_run(legacy, scans["legacy"], lang="en")
    assert findings.count() == 4
    assert second.outcomes.get(requirement="art-34-1").finding_id == finding.pk
    row = RequirementResult.objects.get(assessment=assessment, requirement__code="art-34-1")
    assert (row.proposed_result, row.proposal_state) == (
        Result.NON_COMPLIANT,
        ProposalState.PENDING,
    )
    assert row.result == Result.NOT_ASSESSED
    assert len(row.proposal_provenance) == 1  # the target's own entry was replaced


def test_a_failing_endpoint_outweighs_a_passing_one_and_evidence_gets_new_versions(
    org, scans
) -> None:
    assessment = open_assessment(org)
    good, legacy = target(org), target(org, 9443)
    first = services.record_run(good, scans["good"], lang="en")
    services.record_run(legacy, scans["legacy"], lang="en")
    row = RequirementResult.objects.get(assessment=assessment, requirement__code="art-34-2")
    assert row.proposed_result == Result.NON_COMPLIANT
    assert {e["check_target"] for e in row.proposal_provenance} == {good.pk, legacy.pk}
    again = services.record_run(good, scans["good"], lang="en")
    newer = again.outcomes.get(requirement="art-34-2").evidence_record
    older = first.outcomes.get(requirement="art-34-2").evidence_record
    assert newer.supersedes_id == older.pk  # history kept, the link moved to the new version
    assert EvidenceLink.objects.filter(evidence=newer, result=row).exists()


def test_an_unreachable_endpoint_gives_a_clear_error_and_nothing_else(org) -> None:
    open_assessment(org)
    closed = target(org, free_port())
    data = scan_many([(closed.host, closed.port, None)], 1, 1, language="en")[0]
    run = services.record_run(closed, data, lang="en")
    assert run.status == "error"
    assert (
        run.error.startswith("The endpoint could not be reached:")
        and "refused" in run.error.lower()
    )
    assert not run.outcomes.exists()
    assert not Finding.objects.filter(organisation=org).exists()
    assert (
        not RequirementResult.objects.filter(organisation=org).exclude(proposal_state="").exists()
    )


def test_runs_and_target_changes_are_audited(org, scans) -> None:
    good = target(org)
    run = services.record_run(good, scans["good"], lang="en")
    assert AuditEvent.objects.filter(model="checks.tlstarget", object_id=str(good.pk)).exists()
    assert AuditEvent.objects.filter(model="checks.tlsrun", object_id=str(run.pk)).count() >= 2


def test_the_pages_show_outcomes_with_titles_findings_and_the_scan(
    ciso_client: Client, org, scans
) -> None:
    legacy = target(org, 9443)
    run = services.record_run(legacy, scans["legacy"], lang="en")
    page = ciso_client.get(f"/checks/runs/{run.pk}/").content.decode()
    assert "訊息隱密性" in page  # the requirement's title from the library, in the page language
    assert "art-34-1" not in page.replace('data-outcome="art-34-1"', "").replace("/art-34-1/", "")
    finding = Finding.objects.get(source_reference=f"tls:{legacy.pk}:art-34-1")
    assert f"/improvements/findings/{finding.pk}/" in page
    assert "TLSv1.0" in page
    assert "sha1WithRSAEncryption" in page
    ciso_client.cookies["django_language"] = "en"
    english = ciso_client.get(f"/checks/runs/{run.pk}/").content.decode()
    assert "Message confidentiality" in english and "Fail" in english
    listing = ciso_client.get("/checks/").content.decode()
    assert legacy.endpoint in listing and f"/checks/runs/{run.pk}/" in listing


def test_the_hybrid_group_is_marked(ciso_client: Client, org, scans) -> None:
    data = dict(scans["good"], groups=["X25519MLKEM768", "x25519"], post_quantum_hybrid=True)
    run = services.record_run(target(org), data, lang="en")
    page = ciso_client.get(f"/checks/runs/{run.pk}/").content.decode()
    assert "X25519MLKEM768 · 混合式後量子" in page


def test_checking_now_from_the_page_runs_a_job_on_a_real_server(
    ciso_client: Client, org, certs
) -> None:
    with openssl_server(*certs["good"], *GOOD) as port:
        found = target(org, port)
        response = ciso_client.post(f"/checks/targets/{found.pk}/run/")
    run = TlsRun.objects.get(target=found)
    assert response.status_code == 302 and response["Location"] == f"/checks/runs/{run.pk}/"
    assert run.job is not None and run.job.state == Job.State.SUCCEEDED
    assert run.job.kind == "checks.run_targets" and run.job.progress_done == 1
    assert statuses(run)["art-34-1"] == "pass"


def test_roles_follow_the_crypto_inventory(client_for, org, scans) -> None:
    found = target(org)
    run = services.record_run(found, scans["good"], lang="en")
    auditor, owner, board = (
        client_for(r, org) for r in (Role.AUDITOR, Role.CONTROL_OWNER, Role.BOARD)
    )
    assert auditor.get(f"/checks/runs/{run.pk}/").status_code == 200
    assert auditor.get("/checks/targets/new/").status_code == 403
    assert auditor.post(f"/checks/targets/{found.pk}/run/").status_code == 403
    assert board.get("/checks/").status_code == 403
    body = {"host": "gw.example.com.tw", "port": 443, "server_name": "", "enabled": "on"}
    response = owner.post("/checks/targets/new/", body)
    assert response.status_code == 302
    assert owner.post(f"/checks/targets/{found.pk}/delete/").status_code == 403  # manage only
    assert TlsTarget.objects.filter(organisation=org).count() == 2


def test_the_form_refuses_what_is_not_a_host(ciso_client: Client, org) -> None:
    for host in ("https://x.example/", "x.example:443", "a b", ""):
        response = ciso_client.post("/checks/targets/new/", {"host": host, "port": 443})
        assert response.status_code == 400, host
    response = ciso_client.post("/checks/targets/new/", {"host": "x.example", "port": 70000})
    assert response.status_code == 400
    assert not TlsTarget.objects.filter(organisation=org).exists()


def test_another_organisations_system_cannot_be_chosen(ciso_client: Client, org, other_org) -> None:
    theirs = InformationSystem.objects.create(organisation=other_org, code="T", name="Theirs")
    response = ciso_client.post(
        "/checks/targets/new/", {"host": "x.example", "port": 443, "system": theirs.pk}
    )
    assert response.status_code == 400
    assert not TlsTarget.objects.exists()


def test_scheduled_targets_are_due_when_their_last_run_is_older_than_the_interval(
    org, other_org, scans
) -> None:
    weekly = target(org, 1001, schedule_days=7)
    never = target(org, 1002, schedule_days=1)
    target(org, 1003)  # on request only
    target(org, 1004, schedule_days=1, enabled=False)
    now = timezone.now()
    TlsRun.objects.create(
        organisation=org, target=weekly, started=now - dt.timedelta(days=3), status="ok"
    )
    assert set(services.due_targets(now)) == {never}
    assert set(services.due_targets(now + dt.timedelta(days=4, minutes=1))) == {never, weekly}


def test_run_due_starts_one_job_per_organisation_and_checks_the_due_targets(org, other_org) -> None:
    closed = target(org, free_port(), schedule_days=7)
    target(other_org, free_port(), schedule_days=7)
    started = enqueue_due()
    assert sorted(j.organisation_id for j in started) == sorted([org.pk, other_org.pk])
    assert all(j.kind == RUN_DUE and j.state == Job.State.SUCCEEDED for j in started)
    run = TlsRun.objects.get(target=closed)
    assert run.status == "error"  # nothing listens there: a clear error, no finding
    assert enqueue_due() == []  # ran just now: nothing is due


def test_dashboard_numbers(org, scans) -> None:
    services.record_run(target(org), scans["good"], lang="en")
    services.record_run(target(org, 9443), scans["legacy"], lang="en")
    target(org, 9444)
    assert services.dashboard_numbers(org) == {
        "targets": 3,
        "failing_targets": 1,
        "needs_evidence": 16,
        "unscheduled_internet_facing": 0,
    }


def test_the_demo_has_real_runs_with_passes_failures_and_an_unreachable_endpoint() -> None:
    from finres.web.setup import load_demo

    context = load_demo()
    securities = context.organisations["securities"]
    # by system, not port: a demo server takes another port when its own is in use
    runs = list(TlsRun.objects.filter(organisation=securities).order_by("target__system__code"))
    assert [(r.target.system.code, r.status) for r in runs] == [
        ("SYS-ETRADE", "ok"),
        ("SYS-MOBILE", "ok"),
        ("SYS-TRADE", "error"),
    ]
    assert statuses(runs[0])["art-34-3"] == "pass"
    assert statuses(runs[1])["art-34-3"] == "fail"
    assert TlsOutcome.objects.filter(organisation=securities, finding__isnull=False).exists()


def test_english_pages_have_no_chinese_left(ciso_client: Client, org, scans) -> None:
    from .test_page_language import CJK, text

    legacy = target(org, 9443, schedule_days=7)
    run = services.record_run(legacy, scans["legacy"], lang="en")
    ciso_client.cookies["django_language"] = "en"
    for url in ("/checks/", f"/checks/targets/{legacy.pk}/", f"/checks/runs/{run.pk}/"):
        shown = text(ciso_client.get(url).content.decode()).replace("繁體中文", "")  # the switch
        assert not CJK.search(shown), (url, CJK.findall(shown))
