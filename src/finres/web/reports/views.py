from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, DetailView, TemplateView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from finres.web.audit import actions, versioned
from finres.web.audit.log import record_security_event
from finres.web.evidence.models import Evidence
from finres.web.evidence.services import is_current_q
from finres.web.improvements import queries as improvement_queries
from finres.web.jobs import kinds as job_kinds
from finres.web.jobs import services as job_services
from finres.web.jobs import views as job_views
from finres.web.language import current_language
from finres.web.orgs import access
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action, allows
from finres.web.reports import charts, content, documents, metrics, workflow
from finres.web.reports.forms import (
    BoardReportForm,
    DeclarationForm,
    default_signatories,
    default_statement,
    signatory_formset,
)
from finres.web.reports.models import BoardReport, Declaration
from finres.web.reports.resilience import resilience_numbers

LIST_LIMIT = 8
INDEX_YEARS_PER_PAGE = 10


def _year_param(request: HttpRequest) -> int | None:
    """An optional ``?year=`` within a sensible range (anything else is ignored)."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


def overview(found: metrics.OrganisationMetrics) -> dict[str, Any]:
    """Compliance and maturity of one organisation, localised, with its charts as inline SVG."""
    shown = documents.presentation(
        {
            "frameworks": content.frameworks_data(found),
            "compliance": content.compliance_total(found),
            "maturity": content.maturity_data(found),
        }
    )
    return {"data": shown, "charts": documents.inline(documents.chart_images(shown, "svg"))}


class ReportsMixin(OrganisationMixin):
    action = Action.REPORTS


# --- dashboard ----------------------------------------------------------------------------------


class DashboardView(ReportsMixin, TemplateView):
    template_name = "reports/dashboard.html"

    def today(self) -> dt.date:
        return timezone.localdate()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organisation = self.organisation
        today = self.today()
        found = metrics.for_organisation(organisation, _year_param(self.request))
        context.update(overview(found))
        context["found"] = found
        context["year"] = found.year
        # the applicability engine over the whole library: kept for the profile, the date and
        # the language until the library changes
        statuses = versioned.cached(
            organisation.pk,
            "requirement-statuses",
            lambda: self._statuses(today),
            organisation.profile_data(),
            today,
            current_language(),
        )
        context["upcoming"], context["upcoming_count"] = statuses.upcoming, statuses.upcoming_count
        context["overdue_requirements"] = statuses.overdue
        context["overdue_requirements_count"] = statuses.overdue_count
        context["conditional_count"] = statuses.conditional_count
        context.update(self.late(today, found))
        context["group"] = organisation.is_group
        context["today"] = today
        context["resilience"] = resilience_numbers(organisation)
        return context

    def _statuses(self, today: dt.date) -> metrics.RequirementStatuses:
        versioned.depends_on(versioned.LIBRARY)
        return metrics.requirement_statuses(self.organisation, today)

    def late(self, today: dt.date, found: metrics.OrganisationMetrics) -> dict[str, Any]:
        """Overdue actions, lapsing exceptions, expiring evidence and compliant results whose
        evidence has expired: the counts for everyone who sees the dashboard, the items
        themselves only for those who may read business data. Each kept for the date while the
        data it reads is unchanged (``audit.versioned``): a new evidence link recounts the
        unsupported results, not the plans."""
        latest = [status.latest.pk for status in found.frameworks]
        may_view = self.may(Action.VIEW)
        organisation_id = self.organisation.pk
        return {
            "plans": versioned.cached(
                organisation_id,
                "dashboard-plans",
                lambda: improvement_queries.overview(self.organisation, today, limit=LIST_LIMIT),
                today,
                self.organisation.profile_data(),
            ),
            **versioned.cached(
                organisation_id,
                "dashboard-evidence",
                lambda: self._evidence(today, may_view),
                today,
                may_view,
            ),
            **versioned.cached(
                organisation_id,
                "dashboard-unsupported",
                lambda: self._unsupported(today, latest, may_view),
                today,
                latest,
                may_view,
            ),
        }

    def _evidence(self, today: dt.date, may_view: bool) -> dict[str, Any]:
        current = self.scope(Evidence.objects.filter(is_current_q()))
        soon = today + dt.timedelta(days=content.EXPIRING_DAYS)
        found: dict[str, Any] = {
            "evidence_counts": current.aggregate(
                expired=Count("pk", filter=Q(expiry_date__lt=today)),
                expiring=Count("pk", filter=Q(expiry_date__gte=today, expiry_date__lte=soon)),
            ),
            "expiring_days": content.EXPIRING_DAYS,
        }
        if may_view:
            found["expiring_evidence"] = list(
                current.filter(expiry_date__lte=soon)
                .order_by("expiry_date", "pk")
                .only("title", "expiry_date", "review_state")[:LIST_LIMIT]
            )
        return found

    def _unsupported(self, today: dt.date, latest: list[int], may_view: bool) -> dict[str, Any]:
        # The assessments the dashboard counts: each framework's latest up to the year.
        unsupported = metrics.compliant_on_expired_evidence(self.organisation, latest, today)
        found: dict[str, Any] = {"unsupported_count": unsupported.count()}
        if may_view:
            found["unsupported"] = list(
                unsupported.select_related("requirement", "assessment__framework").order_by(
                    "assessment__framework__code", "requirement__position"
                )[:LIST_LIMIT]
            )
        return found


class GroupView(ReportsMixin, TemplateView):
    """A financial holding's subsidiaries side by side (and the group's own figures)."""

    template_name = "reports/group.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.organisation.is_group:
            raise Http404("not a group")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        roles = access.request_roles(self.request)
        # A role on the group extends to its subsidiaries; one held directly there wins.
        members = [self.organisation] + [
            sub
            for sub in self.organisation.descendants()
            if allows(roles.get(sub.pk), Action.REPORTS)
        ]
        year = _year_param(self.request)
        # each organisation's metrics from the cache while its data has not changed
        found = {member.pk: metrics.for_organisation(member, year) for member in members}
        lang = current_language()
        rows = []
        for organisation in members:
            each = found[organisation.pk]
            compliance = each.compliance
            overall, previous = each.overall(each.year), each.overall(each.previous_year)
            rows.append(
                {
                    "organisation": organisation,
                    "is_group": organisation.pk == self.organisation.pk,
                    "tier": each.tier,
                    "year": each.year,
                    "frameworks": len(each.frameworks),
                    "compliance": compliance,
                    "rate_text": documents.percent(compliance.rate),
                    "maturity": each.maturity_mean,
                    "overall": overall,
                    "change_text": documents.change(
                        None if overall is None or previous is None else overall - previous
                    ),
                    "functions": each.functions(lang),
                }
            )
        shown_rows = [row for row in rows if not row["is_group"] or row["frameworks"]]
        tree = metrics.csf_structure()[0]
        titles = [tree.title(f, lang) for f in tree.functions]
        series = [
            charts.Series(row["organisation"].name, [f.current for f in row["functions"]])
            for row in shown_rows
            if any(f.current is not None for f in row["functions"])
        ]
        context["rows"] = shown_rows
        context["function_titles"] = titles
        context["radar"] = (
            documents.inline({"radar": charts.radar(titles, series)})["radar"] if series else None
        )
        return context


# --- index --------------------------------------------------------------------------------------


class IndexView(ReportsMixin, TemplateView):
    """Board reports and declarations by year, with what can be done next."""

    template_name = "reports/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        reports = workflow.readable(self.scope(BoardReport.objects.all()), self.role)
        declarations = workflow.readable(self.scope(Declaration.objects.all()), self.role)
        this_year = timezone.localdate().year
        years = sorted(
            set(reports.values_list("year", flat=True))
            | set(declarations.values_list("year", flat=True))
            | {this_year - 1, this_year},
            reverse=True,
        )
        page = Paginator(years, INDEX_YEARS_PER_PAGE).get_page(self.request.GET.get("page"))
        on_page = list(page.object_list)
        by_year_reports = {
            r.year: r for r in reports.filter(year__in=on_page).select_related("signed_by")
        }
        by_year_declarations = {d.year: d for d in declarations.filter(year__in=on_page)}
        context["rows"] = [
            {
                "year": year,
                "report": by_year_reports.get(year),
                "declaration": by_year_declarations.get(year),
            }
            for year in on_page
        ]
        context["page_obj"] = page
        context["is_paginated"] = page.has_other_pages()
        return context


# --- board report -------------------------------------------------------------------------------


class BoardReportMixin(OrganisationMixin):
    model = BoardReport

    def get_queryset(self) -> Any:
        return workflow.readable(
            self.scope(BoardReport.objects.select_related("organisation", "signed_by")), self.role
        )


class BoardReportDetailView(BoardReportMixin, DetailView):
    action = Action.REPORTS
    template_name = "reports/board_report_detail.html"
    context_object_name = "report"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.object
        shown = documents.presentation(documents.report_data(report))
        images = documents.inline(documents.chart_images(shown, "svg"))
        context.update(documents.board_context(report, shown, images))
        context["recent_documents"] = self.recent_documents(report)
        return context

    def recent_documents(self, report: BoardReport) -> list[Any]:
        """The PDF and Word files made from the report as it is now, still kept."""
        return list(
            job_views.visible_jobs(self.organisation, self.role)
            .filter(
                kind__in=[job_kinds.BOARD_REPORT_PDF, job_kinds.BOARD_REPORT_DOCX],
                state="succeeded",
                parameters__report=report.pk,
                parameters__version=report.updated.isoformat(),
                expires__gt=timezone.now(),
            )
            .exclude(result_file="")
            .order_by("-finished")[:4]
        )


class BoardReportFormMixin(BoardReportMixin):
    action = Action.MANAGE
    form_class = BoardReportForm
    template_name = "reports/board_report_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def get_success_url(self) -> str:
        return reverse("reports:board_detail", args=[self.object.pk])


class BoardReportCreateView(BoardReportFormMixin, CreateView):
    def get_initial(self) -> dict[str, Any]:
        return {"year": _year_param(self.request) or timezone.localdate().year - 1}

    @transaction.atomic
    def form_valid(self, form: BoardReportForm) -> HttpResponse:
        form.instance.organisation = self.organisation
        form.instance.prepared_by = self.request.user
        messages.success(self.request, _("The board report was created as a draft."))
        return super().form_valid(form)


class BoardReportUpdateView(BoardReportFormMixin, UpdateView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._unless_final() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._unless_final() or super().post(request, *args, **kwargs)

    def _unless_final(self) -> HttpResponse | None:
        report = self.get_object()
        if report.is_final:
            messages.error(self.request, _("A final document cannot be changed or deleted."))
            return redirect("reports:board_detail", report.pk)
        return None

    @transaction.atomic
    def form_valid(self, form: BoardReportForm) -> HttpResponse:
        messages.success(self.request, _("The board report was saved."))
        return super().form_valid(form)


class DocumentActionView(SingleObjectMixin, View):
    """POST-only actions on one document (finalise, delete), with the result as a message."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        document = self.get_object()
        try:
            target = self.perform(document)
        except workflow.DocumentError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(self.detail_url(document))
        return HttpResponseRedirect(target)

    def perform(self, document: Any) -> str:
        raise NotImplementedError

    def detail_url(self, document: Any) -> str:
        raise NotImplementedError


class BoardReportFinaliseView(BoardReportMixin, DocumentActionView):
    action = Action.APPROVE

    def perform(self, document: BoardReport) -> str:
        workflow.finalise_board_report(document, self.request.user)
        messages.success(self.request, _("The board report is final; its figures are frozen."))
        return self.detail_url(document)

    def detail_url(self, document: BoardReport) -> str:
        return reverse("reports:board_detail", args=[document.pk])


class BoardReportDeleteView(BoardReportMixin, DocumentActionView):
    action = Action.MANAGE

    def perform(self, document: BoardReport) -> str:
        with transaction.atomic():
            workflow.ensure_draft(document)
            document.delete()
        messages.success(self.request, _("The draft was deleted."))
        return reverse("reports:index")

    def detail_url(self, document: BoardReport) -> str:
        return reverse("reports:board_detail", args=[document.pk])


def _download(data: bytes, content_type: str, filename: str, document: Any) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    record_security_event(actions.DOWNLOAD, target=document, details={"file": filename})
    return response


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _suffix() -> str:
    return current_language()


def board_document_parameters(report: BoardReport) -> dict[str, Any]:
    """What a board report document job is made from: the report as it is now (a later
    change makes a new document), and whether it is final (a board member sees only those)."""
    return {"report": report.pk, "final": report.is_final, "version": report.updated.isoformat()}


class BoardReportDocumentView(BoardReportMixin, DetailView):
    """The report's PDF or Word file, made by a background job, never in this request: the
    same person's job in progress is joined, or a new one started; a quick one is waited for
    briefly and its file sent, a slower one's page (with its progress) follows."""

    action = Action.REPORTS
    kind = ""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        report = self.get_object()
        job = job_services.start_or_join(
            self.kind, self.organisation, request.user, board_document_parameters(report)
        )
        job = job_services.wait(job)
        if job_services.result_available(job):
            return job_views.result_response(job)
        return redirect("jobs:detail", job.pk)


class BoardReportPdfView(BoardReportDocumentView):
    kind = job_kinds.BOARD_REPORT_PDF


class BoardReportDocxView(BoardReportDocumentView):
    kind = job_kinds.BOARD_REPORT_DOCX


# --- declaration --------------------------------------------------------------------------------


class DeclarationMixin(OrganisationMixin):
    model = Declaration

    def get_queryset(self) -> Any:
        return workflow.readable(
            self.scope(
                Declaration.objects.select_related("organisation").prefetch_related("signatories")
            ),
            self.role,
        )


class DeclarationDetailView(DeclarationMixin, DetailView):
    action = Action.REPORTS
    template_name = "reports/declaration_detail.html"
    context_object_name = "declaration"


class DeclarationFormMixin(DeclarationMixin):
    action = Action.MANAGE
    form_class = DeclarationForm
    template_name = "reports/declaration_form.html"
    extra_signatories = 0

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def formset(self) -> Any:
        formset_class = signatory_formset(self.extra_signatories)
        instance = getattr(self, "object", None) or Declaration(organisation=self.organisation)
        kwargs: dict[str, Any] = {"instance": instance, "prefix": "signatories"}
        if self.extra_signatories:
            # Also when posted: a row left as proposed (a title, no name) is then skipped.
            kwargs["initial"] = default_signatories()
        if self.request.method == "POST":
            kwargs["data"] = self.request.POST
        return formset_class(**kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("formset", self.formset())
        return context

    def form_valid(self, form: DeclarationForm) -> HttpResponse:
        formset = self.formset()
        formset.instance = form.instance
        if not formset.is_valid():
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        with transaction.atomic():
            form.instance.organisation = self.organisation
            self.object = form.save()
            formset.instance = self.object
            for signatory in formset.save(commit=False):
                signatory.organisation = self.organisation
                signatory.save()
            for gone in formset.deleted_objects:
                gone.delete()
        messages.success(self.request, _("The declaration was saved."))
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: DeclarationForm) -> HttpResponse:
        formset = self.formset()
        formset.is_valid()  # show the rows' errors too
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def get_success_url(self) -> str:
        return reverse("reports:declaration_detail", args=[self.object.pk])


class DeclarationCreateView(DeclarationFormMixin, CreateView):
    extra_signatories = 4

    def get_initial(self) -> dict[str, Any]:
        year = _year_param(self.request) or timezone.localdate().year - 1
        return {"year": year, "statement": default_statement(year)}


class DeclarationUpdateView(DeclarationFormMixin, UpdateView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._unless_final() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._unless_final() or super().post(request, *args, **kwargs)

    def _unless_final(self) -> HttpResponse | None:
        declaration = self.get_object()
        if declaration.is_final:
            messages.error(self.request, _("A final document cannot be changed or deleted."))
            return redirect("reports:declaration_detail", declaration.pk)
        return None


class DeclarationFinaliseView(DeclarationMixin, DocumentActionView):
    action = Action.APPROVE

    def perform(self, document: Declaration) -> str:
        workflow.finalise_declaration(document, self.request.user)
        messages.success(self.request, _("The declaration is final."))
        return self.detail_url(document)

    def detail_url(self, document: Declaration) -> str:
        return reverse("reports:declaration_detail", args=[document.pk])


class DeclarationDeleteView(DeclarationMixin, DocumentActionView):
    action = Action.MANAGE

    def perform(self, document: Declaration) -> str:
        with transaction.atomic():
            workflow.ensure_draft(document)
            document.delete()
        messages.success(self.request, _("The draft was deleted."))
        return reverse("reports:index")

    def detail_url(self, document: Declaration) -> str:
        return reverse("reports:declaration_detail", args=[document.pk])


class DeclarationPdfView(DeclarationMixin, DetailView):
    action = Action.REPORTS

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        declaration = self.get_object()
        return _download(
            documents.declaration_pdf(declaration),
            "application/pdf",
            f"declaration-{declaration.year}-{_suffix()}.pdf",
            declaration,
        )


class DeclarationDocxView(DeclarationMixin, DetailView):
    action = Action.REPORTS

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        declaration = self.get_object()
        return _download(
            documents.declaration_docx(declaration),
            DOCX_TYPE,
            f"declaration-{declaration.year}-{_suffix()}.docx",
            declaration,
        )
