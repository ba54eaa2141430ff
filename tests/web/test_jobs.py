"""Background jobs run at once (FINRES_JOBS_EAGER in the test settings): the job lifecycle,
the pages and the API, roles and organisation isolation, failures told in people's words.
The same jobs through real brokers and workers: test_jobs_brokers.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finres.web.audit import actions
from finres.web.audit.models import AuditEvent
from finres.web.jobs import kinds, registry, services
from finres.web.jobs.models import Job, Notification
from finres.web.jobs.registry import JobError, Outcome
from finres.web.orgs.roles import Action, Role
from finres.web.reports.models import BoardReport, DocumentStatus

from .test_reports_documents import board_report
from .test_xlsx import _cell, edit, export
from .test_xlsx import assessment as assessment

pytestmark = pytest.mark.django_db

FAILING = "tests.always_fails"
REFUSING = "tests.refuses"
COUNTING = "tests.counts"


@pytest.fixture(autouse=True)
def test_kinds() -> Iterator[None]:
    """Kinds that fail unexpectedly, refuse in people's words, or count with progress."""

    @registry.job(FAILING, action=Action.VIEW, label="Failing")
    def fails(job: Job, progress: Any) -> Outcome:
        raise RuntimeError("secret internal detail: /srv/finres/db.sqlite3 line 42")

    @registry.job(REFUSING, action=Action.VIEW, label="Refusing")
    def refuses(job: Job, progress: Any) -> Outcome:
        raise JobError("The register is empty: add a system first.", {"hint": 1})

    @registry.job(COUNTING, action=Action.VIEW, label="Counting")
    def counts(job: Job, progress: Any) -> Outcome:
        seen = []
        for i in range(5):
            progress(i, 5, "counting")
            seen.append(Job.objects.get(pk=job.pk).state)
        return Outcome(b"1,2,3,4,5\n", "count.csv", "text/csv", {"seen": seen})

    yield
    for name in (FAILING, REFUSING, COUNTING):
        registry._KINDS.pop(name, None)


def user_of(client: Client) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


# --- lifecycle ---------------------------------------------------------------------------------


def test_a_job_runs_keeps_its_result_and_notifies(ciso_client: Client, org: Any) -> None:
    ciso = user_of(ciso_client)
    job = services.enqueue(COUNTING, org, ciso)
    assert job.state == Job.State.SUCCEEDED
    assert job.summary()["seen"] == ["running"] * 5  # claimed before the work started
    assert job.started and job.finished and job.started <= job.finished
    assert job.progress_done == job.progress_total == 5
    assert job.expires is not None and job.expires > timezone.now() + dt.timedelta(days=6)
    assert job.result_file.startswith(f"jobs/{org.pk}/")
    with default_storage.open(job.result_file, "rb") as handle:
        assert handle.read() == b"1,2,3,4,5\n"
    notification = Notification.objects.get(job=job)
    assert notification.person == ciso and notification.organisation == org
    assert not notification.read
    # The bell counts it; opening the job marks it read.
    bell = ciso_client.get(reverse("jobs:bell")).content.decode()
    assert 'data-unread="1"' in bell
    page = ciso_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-state="succeeded"' in page and reverse("jobs:download", args=[job.pk]) in page
    assert 'data-unread="0"' in ciso_client.get(reverse("jobs:bell")).content.decode()
    listed = ciso_client.get(reverse("jobs:notifications")).content.decode()
    assert reverse("jobs:detail", args=[job.pk]) in listed


def test_the_download_is_a_security_event(ciso_client: Client, org: Any) -> None:
    job = services.enqueue(COUNTING, org, user_of(ciso_client))
    response = ciso_client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200 and response.content == b"1,2,3,4,5\n"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "count.csv" in response["Content-Disposition"]
    event = AuditEvent.objects.filter(action=actions.DOWNLOAD).latest("sequence")
    assert event.changes == {"file": "count.csv", "job": job.pk}
    assert event.organisation_id == org.pk


def test_a_finished_job_is_not_run_again(ciso_client: Client, org: Any) -> None:
    job = services.enqueue(COUNTING, org, user_of(ciso_client))
    finished = job.finished
    assert services.run(job.pk) == Job.State.SUCCEEDED  # a second delivery: nothing done
    job.refresh_from_db()
    assert job.finished == finished
    assert Notification.objects.filter(job=job).count() == 1
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    assert services.run(job.pk) == Job.State.RUNNING  # another worker holds it
    assert services.run(10**9) == "missing"


def test_an_unexpected_failure_is_told_in_words_without_a_traceback(
    ciso_client: Client, org: Any, caplog: Any
) -> None:
    job = services.enqueue(FAILING, org, user_of(ciso_client))
    assert job.state == Job.State.FAILED
    assert "secret internal detail" not in job.error and "Traceback" not in job.error
    assert "unexpected problem" in job.error or "非預期" in job.error
    page = ciso_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "data-job-error" in page
    assert "secret internal detail" not in page and "Traceback" not in page
    assert "RuntimeError" not in page
    assert "secret internal detail" in caplog.text  # the operator's log has it
    assert Notification.objects.filter(job=job, read=False).count() == 0  # opened: read


def test_a_busy_database_when_the_result_is_written_is_waited_out(
    ciso_client: Client, org: Any, monkeypatch: Any
) -> None:
    """SQLite answers "database is locked" beside another writer: the job's final write is
    tried again, and the work already done is kept."""
    from django.db import OperationalError

    real_save = Job.save
    refusals = iter([True, True])

    def busy_twice(self: Job, *args: Any, **kwargs: Any) -> None:
        if self.state == Job.State.SUCCEEDED and next(refusals, False):
            raise OperationalError("database is locked")
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(Job, "save", busy_twice)
    monkeypatch.setattr(services.time, "sleep", lambda seconds: None)
    job = services.enqueue(COUNTING, org, user_of(ciso_client))
    assert job.state == Job.State.SUCCEEDED
    assert Notification.objects.filter(job=job).count() == 1  # once, not once per attempt


def test_a_claimed_job_that_cannot_be_finished_ends_as_failed(
    ciso_client: Client, org: Any, monkeypatch: Any
) -> None:
    """Never "running" for ever: a result that cannot be written fails the job in words."""
    from django.db import OperationalError

    def always_busy(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_finish", always_busy)
    monkeypatch.setattr(services.time, "sleep", lambda seconds: None)
    with pytest.raises(OperationalError):  # the task's retry policy sees it
        services.enqueue(COUNTING, org, user_of(ciso_client))
    job = Job.objects.get(kind=COUNTING, organisation=org)
    assert job.state == Job.State.FAILED and job.finished is not None
    assert "unexpected problem" in job.error or "非預期" in job.error
    assert services.run(job.pk) == Job.State.FAILED  # a redelivery leaves it alone


def test_a_refusal_keeps_its_message(ciso_client: Client, org: Any) -> None:
    job = services.enqueue(REFUSING, org, user_of(ciso_client))
    assert job.state == Job.State.FAILED
    assert job.error == "The register is empty: add a system first."
    assert job.summary() == {"hint": 1}
    page = ciso_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "The register is empty: add a system first." in page


def test_an_unknown_kind_is_refused_before_anything_is_queued(org: Any) -> None:
    with pytest.raises(KeyError):
        services.enqueue("nobody.knows", org, None)
    assert not Job.objects.exists()


def test_a_job_not_yet_run_shows_its_progress_and_polls(
    ciso_client: Client, org: Any, settings: Any
) -> None:
    settings.FINRES_JOBS_EAGER = False  # queued for a worker that is not here
    job = services.enqueue(COUNTING, org, user_of(ciso_client))
    assert job.state == Job.State.QUEUED
    page = ciso_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-state="queued"' in page and 'hx-trigger="every 1s"' in page
    assert ciso_client.get(reverse("jobs:download", args=[job.pk])).status_code == 302
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, progress_done=2, progress_total=8, progress_step="step two"
    )
    part = ciso_client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert body.lstrip().startswith("<div") and "<html" not in body  # the polled part only
    assert 'value="25"' in body and "step two" in body
    assert services.wait(job, 0.2).state == Job.State.RUNNING


def test_expired_results_are_deleted(ciso_client: Client, org: Any) -> None:
    job = services.enqueue(COUNTING, org, user_of(ciso_client))
    stored = job.result_file
    assert services.purge_expired() == 0
    assert services.purge_expired(now=job.expires + dt.timedelta(seconds=1)) == 1
    assert not default_storage.exists(stored)
    job.refresh_from_db()
    assert job.result_file == "" and job.result_data == {}
    response = ciso_client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 302  # back to the job's page, which says so


# --- who sees what -----------------------------------------------------------------------------


def test_jobs_are_seen_only_in_their_organisation_and_by_the_roles_of_their_kind(
    client_for: Any, org: Any, other_org: Any
) -> None:
    ciso = client_for(Role.CISO, org)
    verification = services.enqueue(kinds.AUDIT_VERIFY, org, user_of(ciso))
    counted = services.enqueue(COUNTING, org, user_of(ciso))
    auditor, owner, board = (
        client_for(Role.AUDITOR, org),
        client_for(Role.CONTROL_OWNER, org),
        client_for(Role.BOARD, org),
    )
    outsider = client_for(Role.ADMINISTRATOR, other_org)
    for job, allowed, refused in (
        (verification, [ciso, auditor], [owner, board, outsider]),
        (counted, [ciso, auditor, owner], [board, outsider]),
    ):
        for client in allowed:
            assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 200
            assert client.get(f"/api/jobs/{job.pk}/").status_code == 200
        for client in refused:
            for url in (
                reverse("jobs:detail", args=[job.pk]),
                reverse("jobs:download", args=[job.pk]),
                f"/api/jobs/{job.pk}/",
                f"/api/jobs/{job.pk}/download/",
            ):
                assert client.get(url).status_code == 404, url
            listed = client.get(reverse("jobs:list")).content.decode()
            assert reverse("jobs:detail", args=[job.pk]) not in listed
            assert job.pk not in [j["id"] for j in client.get("/api/jobs/").json()["results"]]
    assert Client().get(reverse("jobs:list")).status_code == 302  # log in first
    assert Client().get("/api/jobs/").status_code in (401, 403)


def test_a_board_member_sees_documents_of_final_reports_only(client_for: Any, org: Any) -> None:
    draft, final = board_report(org, 2025), board_report(org, 2024)
    BoardReport.objects.filter(pk=final.pk).update(status=DocumentStatus.FINAL)
    ciso, board = client_for(Role.CISO, org), client_for(Role.BOARD, org)
    assert ciso.get(reverse("reports:board_docx", args=[draft.pk])).status_code == 200
    draft_job = Job.objects.get(kind=kinds.BOARD_REPORT_DOCX, parameters__report=draft.pk)
    assert board.get(reverse("jobs:detail", args=[draft_job.pk])).status_code == 404
    assert board.get(reverse("jobs:download", args=[draft_job.pk])).status_code == 404
    assert board.get(reverse("reports:board_docx", args=[final.pk])).status_code == 200
    final_job = Job.objects.get(kind=kinds.BOARD_REPORT_DOCX, parameters__report=final.pk)
    assert board.get(reverse("jobs:detail", args=[final_job.pk])).status_code == 200
    assert [j["id"] for j in board.get("/api/jobs/").json()["results"]] == [final_job.pk]


# --- the conversions ---------------------------------------------------------------------------


def test_the_board_report_pdf_is_made_by_a_job(ciso_client: Client, org: Any) -> None:
    report = board_report(org)
    response = ciso_client.get(reverse("reports:board_pdf", args=[report.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    job = Job.objects.get(kind=kinds.BOARD_REPORT_PDF)
    assert job.parameters["report"] == report.pk and job.state == Job.State.SUCCEEDED
    assert job.result_name == "board-report-2025-zh-TW.pdf"
    event = AuditEvent.objects.filter(action=actions.DOWNLOAD).latest("sequence")
    assert event.model == "reports.boardreport" and event.object_id == str(report.pk)
    page = ciso_client.get(reverse("reports:board_detail", args=[report.pk])).content.decode()
    assert "data-recent-documents" in page and reverse("jobs:download", args=[job.pk]) in page
    # A change to the report makes the kept document out of date: no longer offered.
    BoardReport.objects.filter(pk=report.pk).update(summary="changed", updated=timezone.now())
    page = ciso_client.get(reverse("reports:board_detail", args=[report.pk])).content.decode()
    assert "data-recent-documents" not in page


def test_a_slow_document_leads_to_the_job_page(
    ciso_client: Client, org: Any, settings: Any
) -> None:
    settings.FINRES_JOBS_EAGER = False
    settings.FINRES_JOB_WAIT_SECONDS = 0.1
    report = board_report(org)
    url = reverse("reports:board_pdf", args=[report.pk])
    response = ciso_client.get(url)
    job = Job.objects.get(kind=kinds.BOARD_REPORT_PDF)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.State.QUEUED and not job.result_file  # nothing rendered here
    ciso_client.get(url)  # asking again joins the job under way
    assert Job.objects.filter(kind=kinds.BOARD_REPORT_PDF).count() == 1


def test_the_api_answers_202_with_the_jobs_url(client_for: Any, org: Any) -> None:
    report = board_report(org)
    owner = client_for(Role.CONTROL_OWNER, org)
    response = owner.post(f"/api/board-reports/{report.pk}/pdf/")
    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/jobs/{body['id']}/"
    polled = owner.get(body["url"]).json()
    assert polled["state"] == "succeeded" and polled["kind"] == kinds.BOARD_REPORT_PDF
    assert polled["progress"]["total"] == polled["progress"]["done"]
    download = owner.get(polled["download"])
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert owner.post(f"/api/board-reports/{report.pk}/docx/").status_code == 202
    board = client_for(Role.BOARD, org)
    assert board.post(f"/api/board-reports/{report.pk}/pdf/").status_code == 404  # a draft
    assert Client().post(f"/api/board-reports/{report.pk}/pdf/").status_code in (401, 403)


def test_audit_verification_runs_as_a_job(client_for: Any, org: Any, other_org: Any) -> None:
    auditor = client_for(Role.AUDITOR, org)
    response = auditor.post(reverse("audit:list"))
    job = Job.objects.get(kind=kinds.AUDIT_VERIFY)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('audit:list')}?verification={job.pk}"
    page = auditor.get(response["Location"]).content.decode()
    assert 'data-chain="intact"' in page
    assert client_for(Role.CONTROL_OWNER, org).post(reverse("audit:list")).status_code == 403
    # Another organisation's verification, or a malformed one, is not shown.
    elsewhere = services.enqueue(kinds.AUDIT_VERIFY, other_org, None)
    for value in (str(elsewhere.pk), "abc", "-1"):
        page = auditor.get(f"{reverse('audit:list')}?verification={value}").content.decode()
        assert "data-chain" not in page


def test_import_errors_are_shown_as_before_and_kept_on_the_job_page(
    client_for: Any,
    assessment: Any,
    org: Any,
) -> None:
    owner = client_for(Role.CONTROL_OWNER, org)
    first = assessment.results.order_by("requirement__position").first()
    data = export(assessment)
    url = reverse("evidence:assessment_import", args=[assessment.pk])
    bad = edit(data, lambda b: _cell(b, first.requirement.code, "result", "??"))
    refused = owner.post(url, {"file": SimpleUploadedFile("r.xlsx", bad)})
    assert refused.status_code == 400
    assert "data-import-errors" in refused.content.decode() and "??" in refused.content.decode()
    job = Job.objects.get(kind=kinds.ASSESSMENT_IMPORT)
    assert job.state == Job.State.FAILED and job.summary()["errors"]
    assert not default_storage.exists(job.parameters["file"])  # the upload is not kept
    page = owner.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "data-import-errors" in page and "??" in page
    good = edit(data, lambda b: _cell(b, first.requirement.code, "maturity_level", 4))
    done = owner.post(url, {"file": SimpleUploadedFile("r.xlsx", good)})
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.maturity_level == 4
    latest = Job.objects.filter(kind=kinds.ASSESSMENT_IMPORT).latest("pk")
    assert latest.state == Job.State.SUCCEEDED and latest.summary()["changed"] == 1


def test_the_export_is_made_by_a_job(client_for: Any, assessment: Any, org: Any) -> None:
    auditor = client_for(Role.AUDITOR, org)
    response = auditor.get(reverse("evidence:assessment_export", args=[assessment.pk]))
    assert response.status_code == 200 and response.content.startswith(b"PK")
    job = Job.objects.get(kind=kinds.ASSESSMENT_EXPORT)
    assert job.result_name.startswith(f"assessment-{assessment.pk}-")
    assert AuditEvent.objects.filter(action=actions.EXPORT, object_id=str(assessment.pk)).exists()


# --- language ----------------------------------------------------------------------------------


def visible_text(page: str) -> str:
    import html
    import re

    page = re.sub(r"<(script|style|svg|select|header).*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_job_pages_leave_no_english_in_zh_tw(client_for: Any, org: Any) -> None:
    import re

    auditor = client_for(Role.AUDITOR, org)
    verification = services.enqueue(kinds.AUDIT_VERIFY, org, user_of(auditor))
    failed = services.enqueue(FAILING, org, user_of(auditor))
    made = services.enqueue(COUNTING, org, user_of(auditor))
    pages = [
        reverse("jobs:list"),
        reverse("jobs:notifications"),
        reverse("jobs:detail", args=[verification.pk]),
        reverse("jobs:detail", args=[failed.pk]),
        reverse("jobs:detail", args=[made.pk]),
    ]
    for url in pages:
        words = visible_text(auditor.get(url).content.decode())
        # Labels of the test's own kinds, user names, file names and dates aside.
        words = re.sub(r"Failing|Counting|auditor-\d+|count\.csv|FinRes", " ", words)
        assert re.findall(r"[A-Za-z]{3,}", words) == [], url
    bell = auditor.get(reverse("jobs:bell")).content.decode()
    assert "通知" in bell
