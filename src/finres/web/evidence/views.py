"""Evidence pages, and the Excel export, gap report and import of an assessment.

Every object is reached through the organisation-scoped queryset (``OrganisationMixin``), so
an id from another organisation is simply not found (404).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from finres.web.assessments.models import Assessment, RequirementResult
from finres.web.audit import actions, versioned
from finres.web.audit.log import record_security_event
from finres.web.evidence import services, xlsx
from finres.web.evidence.filters import (
    EXPIRING_DEFAULT_DAYS,
    EvidenceFilterSet,
    ExpiringFilterSet,
)
from finres.web.evidence.forms import (
    EvidenceEditForm,
    EvidenceForm,
    LinkSearchForm,
    ReviewForm,
    WorkbookForm,
)
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.filtering import page_filters
from finres.web.jobs import kinds as job_kinds
from finres.web.jobs import services as job_services
from finres.web.jobs import views as job_views
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action

LINK_CANDIDATES = 25
HISTORY_DEPTH = 50


class EvidenceMixin(OrganisationMixin):
    """Evidence of the current organisation only."""

    model = Evidence

    def get_queryset(self) -> QuerySet[Evidence]:
        return self.scope(Evidence.objects.all())

    def get_evidence(self, pk: int) -> Evidence:
        return get_object_or_404(self.get_queryset().select_related("superseded_by"), pk=pk)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class EvidenceListView(EvidenceMixin, ListView):
    action = Action.VIEW
    paginate_by = 50
    template_name = "evidence/list.html"

    def get_queryset(self) -> QuerySet[Evidence]:
        queryset = services.evidence_for(self.organisation)
        return page_filters(self.request, EvidenceFilterSet, queryset).qs.order_by(
            "-created", "-pk"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        services.attach_link_counts(context["object_list"])  # the page's links only
        context.update(
            today=timezone.localdate(),
            soon=timezone.localdate() + dt.timedelta(days=EXPIRING_DEFAULT_DAYS),
            filters=self.request.GET,
            query=_query_without_page(self.request),
            review_choices=Evidence.Review.choices,
            kind_choices=Evidence.Kind.choices,
        )
        return context


class ExpiringView(EvidenceMixin, ListView):
    """Current evidence that has expired or expires within the chosen number of days."""

    action = Action.VIEW
    paginate_by = 50
    template_name = "evidence/expiring.html"

    def get_queryset(self) -> QuerySet[Evidence]:
        queryset = services.evidence_for(self.organisation)
        self.filterset = page_filters(self.request, ExpiringFilterSet, queryset)
        return self.filterset.qs.order_by("expiry_date", "pk")

    def days(self) -> int:
        filterset: ExpiringFilterSet = self.filterset
        return filterset.horizon_days()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        services.attach_link_counts(context["object_list"])  # the page's links only
        today = timezone.localdate()
        counts = versioned.cached(
            self.organisation.pk, "expiring-counts", partial(self.counts, today), today, self.days()
        )
        context.update(
            today=today,
            soon=today + dt.timedelta(days=self.days()),
            days=self.days(),
            counts=counts,
            query=_query_without_page(self.request),
        )
        return context

    def counts(self, today: dt.date) -> dict[str, int]:
        """Expired and expiring current evidence (kept while the evidence does not change)."""
        return dict(
            Evidence.objects.filter(
                services.is_current_q(),
                organisation=self.organisation,
                expiry_date__lte=today + dt.timedelta(days=self.days()),
            )
            .values("pk")
            .aggregate(
                expired=_count(Q(expiry_date__lt=today)),
                expiring=_count(Q(expiry_date__gte=today)),
            )
        )


def _count(condition: Q) -> Any:
    return Count("pk", filter=condition)


class EvidenceCreateView(EvidenceMixin, FormView):
    action = Action.EDIT
    form_class = EvidenceForm
    template_name = "evidence/form.html"

    def previous(self) -> Evidence | None:
        return None

    def result(self) -> RequirementResult | None:
        """A result to support straight away (``?result=<id>`` from an assessment page)."""
        value = self.request.GET.get("result") or self.request.POST.get("result")
        if not value or not str(value).isdigit():
            return None
        return get_object_or_404(
            RequirementResult.objects.select_related("requirement", "assessment"),
            pk=int(value),
            organisation=self.organisation,
            assessment__organisation=self.organisation,
        )

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        previous = self.previous()
        if previous is not None:
            kwargs["fixed_kind"] = previous.kind
            kwargs["initial"] = {
                "title": previous.title,
                "description": previous.description,
                "kind": previous.kind,
            }
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["previous"] = self.previous()
        context["for_result"] = self.result()
        return context

    def form_valid(self, form: EvidenceForm) -> HttpResponse:
        data = form.cleaned_data
        previous = self.previous()
        result = self.result()
        try:
            evidence = services.create_evidence(
                organisation=self.organisation,
                user=self.request.user,
                title=data["title"],
                description=data["description"],
                effective_date=data["effective_date"],
                expiry_date=data["expiry_date"],
                upload=data.get("file"),
                url=data.get("url") or "",
                supersedes=previous,
                results=[result] if result else [],
            )
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        if previous is not None:
            messages.success(self.request, _("The new version was saved; it awaits review."))
        else:
            messages.success(self.request, _("The evidence was saved; it awaits review."))
        return HttpResponseRedirect(reverse("evidence:detail", args=[evidence.pk]))


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class NewVersionView(EvidenceCreateView):
    """A new version is a new row that takes over the links; the old one stays as history."""

    def previous(self) -> Evidence | None:
        if not hasattr(self, "_previous"):
            self._previous = self.get_evidence(self.kwargs["pk"])
            if not self._previous.is_current:
                raise Http404("already superseded")
        return self._previous

    def result(self) -> RequirementResult | None:
        return None


class EvidenceDetailView(EvidenceMixin, DetailView):
    action = Action.VIEW
    template_name = "evidence/detail.html"
    context_object_name = "evidence"

    def get_queryset(self) -> QuerySet[Evidence]:
        return (
            super()
            .get_queryset()
            .select_related("uploaded_by", "reviewer", "superseded_by", "supersedes")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        evidence: Evidence = self.object
        context.update(
            today=timezone.localdate(),
            soon=timezone.localdate() + dt.timedelta(days=EXPIRING_DEFAULT_DAYS),
            links=_links(evidence),
            history=_history(evidence),
            review_form=ReviewForm(),
            search_form=LinkSearchForm(organisation=self.organisation),
        )
        return context


def _links(evidence: Evidence) -> QuerySet[EvidenceLink]:
    return (
        EvidenceLink.objects.filter(evidence=evidence, organisation_id=evidence.organisation_id)
        .select_related("result__assessment", "result__requirement__framework")
        .order_by("result__assessment__name", "result__requirement__position")
    )


def _history(evidence: Evidence) -> list[Evidence]:
    """Earlier versions, newest first (a chain rarely longer than a few versions)."""
    versions: list[Evidence] = []
    previous_id = evidence.supersedes_id
    while previous_id is not None and len(versions) < HISTORY_DEPTH:
        previous = (
            Evidence.objects.filter(pk=previous_id, organisation_id=evidence.organisation_id)
            .select_related("reviewer")
            .first()
        )
        if previous is None:
            break
        versions.append(previous)
        previous_id = previous.supersedes_id
    return versions


class EvidenceEditView(EvidenceMixin, FormView):
    action = Action.EDIT
    form_class = EvidenceEditForm
    template_name = "evidence/edit.html"

    def evidence(self) -> Evidence:
        if not hasattr(self, "_evidence"):
            self._evidence = self.get_evidence(self.kwargs["pk"])
        return self._evidence

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "evidence": self.evidence()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "evidence": self.evidence()}

    def form_valid(self, form: EvidenceEditForm) -> HttpResponse:
        evidence = self.evidence()
        changes = {
            name: value
            for name, value in form.cleaned_data.items()
            if getattr(evidence, name) != value
        }
        try:
            services.update_metadata(evidence, changes)
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The evidence was updated."))
        return HttpResponseRedirect(reverse("evidence:detail", args=[evidence.pk]))


class _EvidencePostView(EvidenceMixin, View):
    """A POST that acts on one piece of evidence and goes back to its page."""

    def back(self, evidence: Evidence) -> HttpResponse:
        return HttpResponseRedirect(reverse("evidence:detail", args=[evidence.pk]))


class EvidenceDeleteView(_EvidencePostView):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        evidence = self.get_evidence(pk)
        try:
            services.delete(evidence)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.back(evidence)
        messages.success(request, _("The evidence was deleted."))
        return HttpResponseRedirect(reverse("evidence:list"))


class ReviewView(_EvidencePostView):
    action = Action.APPROVE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        evidence = self.get_evidence(pk)
        form = ReviewForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return self.back(evidence)
        try:
            services.review(
                evidence, request.user, form.cleaned_data["decision"], form.cleaned_data["comment"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self.back(evidence)
        if form.cleaned_data["decision"] == services.APPROVED:
            messages.success(request, _("The evidence was approved."))
        else:
            messages.success(request, _("The evidence was rejected."))
        return self.back(evidence)


class VerifyView(_EvidencePostView):
    """Hash the stored file again and compare (HTMX: returns only the result)."""

    action = Action.VIEW

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        evidence = self.get_evidence(pk)
        integrity = services.verify(evidence)
        context = {"evidence": evidence, "integrity": integrity}
        if getattr(request, "htmx", False):
            return render(request, "evidence/_integrity.html", context)
        if integrity.ok:
            messages.success(request, _("Integrity OK: the stored file matches its SHA-256."))
        elif integrity.status == "missing":
            messages.error(request, _("The stored file is missing."))
        else:
            messages.error(
                request, _("MISMATCH: the stored file no longer matches the SHA-256 recorded.")
            )
        return self.back(evidence)


class DownloadView(EvidenceMixin, View):
    """The file, only to members of its organisation, always as an attachment."""

    action = Action.VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        evidence = self.get_evidence(pk)
        if evidence.kind != Evidence.Kind.FILE or not evidence.file.name:
            raise Http404("no file")
        storage = evidence.file.storage
        if not storage.exists(evidence.file.name):
            raise Http404("file missing")
        return evidence_file_response(evidence)


def evidence_file_response(evidence: Evidence) -> FileResponse:
    stored = evidence.file.storage.open(evidence.file.name, "rb")
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=evidence.original_name or f"evidence-{evidence.pk}",
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    record_security_event(
        actions.DOWNLOAD, target=evidence, details={"file": evidence.original_name or ""}
    )
    return response


class LinkSearchView(EvidenceMixin, View):
    """Requirement results the evidence could support (an HTMX fragment)."""

    action = Action.EDIT

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        evidence = self.get_evidence(pk)
        form = LinkSearchForm(request.GET, organisation=self.organisation)
        candidates: list[RequirementResult] = []
        searched = False
        if form.is_valid() and (form.cleaned_data["assessment"] or form.cleaned_data["q"]):
            searched = True
            candidates = list(_candidates(evidence, form.cleaned_data)[:LINK_CANDIDATES])
        template = (
            "evidence/_link_candidates.html"
            if getattr(request, "htmx", False)
            else "evidence/link_search.html"
        )
        return render(
            request,
            template,
            {"evidence": evidence, "candidates": candidates, "searched": searched},
        )


def _candidates(evidence: Evidence, data: dict[str, Any]) -> QuerySet[RequirementResult]:
    queryset = (
        RequirementResult.objects.filter(
            organisation_id=evidence.organisation_id,
            assessment__organisation_id=evidence.organisation_id,
        )
        .exclude(evidence_links__evidence=evidence)
        .select_related("assessment", "requirement__framework")
        .order_by("-assessment__period_start", "assessment__name", "requirement__position")
    )
    if data.get("assessment"):
        queryset = queryset.filter(assessment=data["assessment"])
    text = (data.get("q") or "").strip()
    if text:
        queryset = queryset.filter(
            Q(requirement__code__icontains=text)
            | Q(requirement__ref__icontains=text)
            | Q(requirement__title_zh__icontains=text)
            | Q(requirement__title_en__icontains=text)
        )
    return queryset


class LinkAddView(_EvidencePostView):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        evidence = self.get_evidence(pk)
        ids = [int(v) for v in request.POST.getlist("result") if v.isdigit()]
        results = list(
            RequirementResult.objects.filter(
                pk__in=ids,
                organisation=self.organisation,
                assessment__organisation=self.organisation,
            ).select_related("assessment")
        )
        if not ids or len(results) != len(set(ids)):
            raise Http404("no such result")
        problems: list[str] = []
        for result in results:
            try:
                services.link(evidence, result, request.user)
            except ValidationError as error:
                problems.extend(error.messages)
        if getattr(request, "htmx", False):
            response = render(
                request,
                "evidence/_links.html",
                {
                    "evidence": evidence,
                    "links": _links(evidence),
                    "problems": problems,
                    "removed_candidates": [r.pk for r in results],
                    "may": {a.value: self.may(a) for a in Action},
                },
            )
            return response
        for problem in problems:
            messages.error(request, problem)
        if not problems:
            messages.success(request, _("The evidence now supports the chosen requirements."))
        return self.back(evidence)


class LinkRemoveView(_EvidencePostView):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
        evidence = self.get_evidence(pk)
        evidence_link = get_object_or_404(
            EvidenceLink.objects.filter(organisation=self.organisation, evidence=evidence),
            pk=link_pk,
        )
        services.unlink(evidence_link)
        if getattr(request, "htmx", False):
            return render(
                request,
                "evidence/_links.html",
                {
                    "evidence": evidence,
                    "links": _links(evidence),
                    "may": {a.value: self.may(a) for a in Action},
                },
            )
        messages.success(request, _("The link was removed."))
        return self.back(evidence)


# --- assessments in Excel ---------------------------------------------------------------------


class AssessmentMixin(OrganisationMixin):
    def get_assessment(self, pk: int) -> Assessment:
        return get_object_or_404(
            self.scope(Assessment.objects.select_related("framework", "organisation")), pk=pk
        )


def _workbook_name(assessment: Assessment, suffix: str) -> str:
    base = slugify(f"{assessment.framework.code}-{assessment.period_start.isoformat()}")
    return f"assessment-{assessment.pk}-{base}{suffix}.xlsx"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=xlsx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


class AssessmentExportView(AssessmentMixin, View):
    """The workbook is written by a background job: a quick one is waited for briefly and
    sent, a large one's page follows (with its progress and, when done, the download)."""

    action = Action.VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.get_assessment(pk)
        job = job_services.start_or_join(
            job_kinds.ASSESSMENT_EXPORT,
            self.organisation,
            request.user,
            {"assessment": assessment.pk, "file_name": _workbook_name(assessment, "")},
        )
        job = job_services.wait(job)
        if job_services.result_available(job):
            return job_views.result_response(job)
        return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]))


class GapReportView(AssessmentMixin, View):
    action = Action.VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.get_assessment(pk)
        return _xlsx_response(xlsx.gap_report(assessment), _workbook_name(assessment, "-gaps"))


class AssessmentImportView(AssessmentMixin, View):
    """Upload an edited export; every row is checked and nothing is written unless all pass."""

    action = Action.EDIT
    template_name = "evidence/import.html"

    def context(self, assessment: Assessment, form: WorkbookForm, **extra: Any) -> dict[str, Any]:
        return {
            "assessment": assessment,
            "form": form,
            "columns": xlsx.COLUMNS,
            "max_rows": xlsx.max_rows(),
            **extra,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.get_assessment(pk)
        return render(request, self.template_name, self.context(assessment, WorkbookForm()))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.get_assessment(pk)
        form = WorkbookForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(assessment, form), status=400)
        upload = form.cleaned_data["file"]
        # Stored first, then imported (all or nothing) by a background job; a quick one is
        # waited for and its outcome shown here as before, a long one's page follows.
        stored = job_services.store_upload(self.organisation.pk, upload)
        job = job_services.enqueue(
            job_kinds.ASSESSMENT_IMPORT,
            self.organisation,
            request.user,
            {"assessment": assessment.pk, "file": stored, "name": upload.name, "size": upload.size},
        )
        job = job_services.wait(job)
        if not job.is_finished:
            return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]))
        summary = job.summary()
        if job.state == job.State.FAILED:
            errors = [
                xlsx.RowError(e["row"], e["column"], e["message"])
                for e in summary.get("errors", [])
            ]
            report = xlsx.ImportReport(errors=errors or [xlsx.RowError(0, "", job.error)])
            return render(
                request,
                self.template_name,
                self.context(assessment, WorkbookForm(), report=report),
                status=400,
            )
        messages.success(
            request,
            _("Import done: %(rows)s rows read, %(changed)s results changed.")
            % {"rows": summary.get("rows", 0), "changed": summary.get("changed", 0)},
        )
        return HttpResponseRedirect(reverse("evidence:assessment_import", args=[assessment.pk]))
