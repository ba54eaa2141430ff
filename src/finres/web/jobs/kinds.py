"""The job kinds FinRes ships: board report documents, audit verification, assessment
workbooks (import and export). The work itself stays where it lives (reports.documents,
audit.verification, evidence.xlsx); here it is only run, with progress, in a worker.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from finres.web.jobs.models import Job
from finres.web.jobs.registry import JobError, Outcome, Progress, job
from finres.web.language import current_language
from finres.web.orgs.roles import Action, allows

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BOARD_REPORT_PDF = "reports.board_report_pdf"
BOARD_REPORT_DOCX = "reports.board_report_docx"
AUDIT_VERIFY = "audit.verify_trail"
ASSESSMENT_IMPORT = "evidence.assessment_import"
ASSESSMENT_EXPORT = "evidence.assessment_export"


def _gone() -> JobError:
    return JobError(_("What this job was for no longer exists."))


# --- board report -------------------------------------------------------------------------------


def final_reports_only(queryset: QuerySet[Any], role: str | None) -> QuerySet[Any]:
    """A board member sees documents of final reports only (as on the report pages)."""
    if allows(role, Action.VIEW):
        return queryset
    return queryset.filter(parameters__final=True)


def _board_report(job_: Job) -> Any:
    from finres.web.reports.models import BoardReport

    report = (
        BoardReport.objects.select_related("organisation", "signed_by")
        .filter(pk=job_.parameters.get("report"), organisation=job_.organisation)
        .first()
    )
    if report is None:
        raise _gone()
    return report


def _board_document(job_: Job, extension: str, content_type: str) -> Outcome:
    from finres.web.reports import documents

    report = _board_report(job_)
    render = documents.board_report_pdf if extension == "pdf" else documents.board_report_docx
    name = f"board-report-{report.year}-{current_language()}.{extension}"
    return Outcome(render(report), name, content_type, {"report": report.pk, "year": report.year})


@job(
    BOARD_REPORT_PDF,
    action=Action.REPORTS,
    label=gettext_lazy("Board report (PDF)"),
    restrict=final_reports_only,
)
def board_report_pdf(job_: Job, progress: Progress) -> Outcome:
    progress(0, 1, _("Drawing the charts and laying out the pages"))
    return _board_document(job_, "pdf", "application/pdf")


@job(
    BOARD_REPORT_DOCX,
    action=Action.REPORTS,
    label=gettext_lazy("Board report (Word)"),
    restrict=final_reports_only,
)
def board_report_docx(job_: Job, progress: Progress) -> Outcome:
    progress(0, 1, _("Drawing the charts and writing the document"))
    return _board_document(job_, "docx", DOCX_TYPE)


# --- audit trail --------------------------------------------------------------------------------


@job(AUDIT_VERIFY, action=Action.AUDIT, label=gettext_lazy("Audit trail verification"))
def verify_audit_trail(job_: Job, progress: Progress) -> Outcome:
    from finres.web.audit import present
    from finres.web.audit.verification import verify_trail

    progress(0, 1, _("Checking every event of the chain"))
    report = verify_trail(organisation_id=job_.organisation_id, progress=progress)
    breaks = [
        {"sequence": b.sequence, "reason": present.break_text(b), "code": b.code}
        for b in report.breaks
    ]
    return Outcome(
        data={
            "count": report.count,
            "breaks": breaks,
            "intact": not breaks,
            "key_available": report.key_available,
        }
    )


# --- assessment workbooks -----------------------------------------------------------------------


def _assessment(job_: Job) -> Any:
    from finres.web.assessments.models import Assessment

    found = (
        Assessment.objects.select_related("framework", "organisation")
        .filter(pk=job_.parameters.get("assessment"), organisation=job_.organisation)
        .first()
    )
    if found is None:
        raise _gone()
    return found


@job(ASSESSMENT_IMPORT, action=Action.EDIT, label=gettext_lazy("Results imported from Excel"))
def assessment_import(job_: Job, progress: Progress) -> Outcome:
    """The stored upload is imported all or nothing; row problems are kept for the job page."""
    from finres.web.evidence import xlsx

    stored = str(job_.parameters.get("file", ""))
    try:
        assessment = _assessment(job_)
        progress(0, 1, _("Checking every row"))
        try:
            upload = default_storage.open(stored, "rb")
        except (FileNotFoundError, OSError):
            raise JobError(
                _("The uploaded file is no longer available; upload it again.")
            ) from None
        with upload:
            report = xlsx.import_results(
                assessment,
                upload,
                size=job_.parameters.get("size"),
                file_name=str(job_.parameters.get("name", "")),
            )
    finally:
        if stored:
            default_storage.delete(stored)  # the upload served its purpose, imported or not
    summary = {
        "assessment": assessment.pk,
        "rows": report.rows,
        "changed": report.changed,
        "applied": report.applied,
        "errors": [
            {"row": e.row, "column": e.column, "message": str(e.message)} for e in report.errors
        ],
    }
    if not report.ok:
        count = len(report.errors)
        raise JobError(
            ngettext(
                "Nothing was imported: %(count)s problem.",
                "Nothing was imported: %(count)s problems.",
                count,
            )
            % {"count": count},
            summary,
        )
    return Outcome(data=summary)


@job(ASSESSMENT_EXPORT, action=Action.VIEW, label=gettext_lazy("Assessment exported to Excel"))
def assessment_export(job_: Job, progress: Progress) -> Outcome:
    from finres.web.evidence import xlsx

    assessment = _assessment(job_)
    progress(0, 1, _("Writing the workbook"))
    content = xlsx.export_assessment(assessment)
    name = str(job_.parameters.get("file_name") or f"assessment-{assessment.pk}.xlsx")
    return Outcome(content, name, xlsx.XLSX_CONTENT_TYPE, {"assessment": assessment.pk})
