"""Pages of the assessments app: onboarding, assessments, results, proposals and the SoA.

Every object is reached through the organisation-scoped queryset of ``OrganisationMixin``, so an
id of another organisation gives 404; every change runs in a transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, ListView, UpdateView

from finres.core.dates import DateError
from finres.core.dates import parse_date as typed_date
from finres.core.i18n import label
from finres.web.assessments import aggregates, onboarding, proposals, soa
from finres.web.assessments.filters import ResultFilterSet
from finres.web.assessments.forms import (
    AssessmentCreateForm,
    AssessmentEditForm,
    OnboardingCreateForm,
    OverrideForm,
    ResultForm,
    SoAForm,
)
from finres.web.assessments.models import (
    ISO27001_ANNEX_A,
    Assessment,
    ProposalState,
    RequirementResult,
    Result,
)
from finres.web.audit.log import bulk_rows
from finres.web.audit.models import AuditEvent
from finres.web.audit.present import Presenter
from finres.web.filtering import page_filters
from finres.web.frameworks.models import Framework
from finres.web.language import current_language
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action


def parse_date(value: str | None, default: dt.date) -> tuple[dt.date, bool]:
    if not value:
        return default, True
    try:
        return typed_date(value), True
    except DateError:
        return default, False


def date_problem(value: str) -> str:
    """What is wrong with a typed date, in the page's language ("沒有 13 月")."""
    try:
        typed_date(value)
    except DateError as error:
        return error.text(current_language())
    return ""


class AssessmentScoped(OrganisationMixin):
    """Helpers to reach assessments and results of the current organisation only."""

    def assessments(self) -> QuerySet[Assessment]:
        return self.scope(Assessment.objects.select_related("framework", "organisation"))

    def assessment(self, pk: int) -> Assessment:
        return get_object_or_404(self.assessments(), pk=pk)

    def results(self) -> QuerySet[RequirementResult]:
        return self.scope(RequirementResult.objects.all()).select_related(
            "assessment__framework", "requirement", "owner"
        )

    def result(self, pk: int) -> RequirementResult:
        return get_object_or_404(self.results(), pk=pk)


# --- assessments --------------------------------------------------------------------------------


class AssessmentListView(AssessmentScoped, ListView):
    action = Action.VIEW
    model = Assessment
    paginate_by = 25
    template_name = "assessments/list.html"

    def get_queryset(self) -> QuerySet[Assessment]:
        return (
            super()
            .get_queryset()
            .select_related("framework")
            .order_by("-period_start", "framework__code", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Page first, then the page's counts by result from the maintained tallies.
        aggregates.attach_summaries(context["object_list"])
        return context


class AssessmentCreateView(AssessmentScoped, CreateView):
    action = Action.MANAGE
    form_class = AssessmentCreateForm
    template_name = "assessments/assessment_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def form_valid(self, form: AssessmentCreateForm) -> HttpResponse:
        data = form.cleaned_data
        framework: Framework = data["framework"]
        name = data["name"] or onboarding.default_name(
            framework, data["period_start"], data["period_end"]
        )
        try:
            assessment = onboarding.create_assessment(
                self.organisation,
                framework,
                name,
                data["period_start"],
                data["period_end"],
                onboarding.compute(self.organisation, data["as_of"]),
                self.request.user,
            )
        except onboarding.OnboardingError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The assessment was created with %(n)s requirements.")
            % {"n": assessment.results.count()},
        )
        return redirect("assessments:detail", pk=assessment.pk)


class AssessmentEditView(AssessmentScoped, UpdateView):
    action = Action.MANAGE
    form_class = AssessmentEditForm
    template_name = "assessments/assessment_form.html"

    def get_queryset(self) -> QuerySet[Assessment]:
        return self.assessments()

    def get_success_url(self) -> str:
        messages.success(self.request, _("The assessment was saved."))
        return reverse("assessments:detail", args=[self.object.pk])


class AssessmentStatusView(AssessmentScoped, View):
    """Mark an assessment completed (results become read-only) or reopen it."""

    action = Action.MANAGE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.assessment(pk)
        wanted = request.POST.get("status")
        if wanted not in Assessment.Status.values:
            messages.error(request, _("Unknown status."))
        elif wanted != assessment.status:
            assessment.status = wanted
            assessment.save(update_fields=["status"])
            if wanted == Assessment.Status.COMPLETED:
                left = assessment.results.filter(result=Result.NOT_ASSESSED).count()
                messages.success(request, _("The assessment is completed."))
                if left:
                    messages.warning(
                        request,
                        _("%(n)s requirements were left not assessed.") % {"n": left},
                    )
            else:
                messages.success(request, _("The assessment is open again."))
        return redirect("assessments:detail", pk=assessment.pk)


# The result filters of an assessment's page (the assessment and framework are the page's).
PAGE_FILTERS = ("result", "owner", "proposal_state", "q")


class AssessmentDetailView(AssessmentScoped, ListView):
    """An assessment's requirement results, filtered and paginated, edited inline."""

    action = Action.VIEW
    paginate_by = 50
    template_name = "assessments/detail.html"

    def get_queryset(self) -> QuerySet[RequirementResult]:
        self.assessment_object = self.assessment(self.kwargs["pk"])
        rows = (
            self.scope(RequirementResult.objects.all())
            .filter(assessment=self.assessment_object)
            .select_related("requirement", "owner")
            .order_by("requirement__position", "pk")
        )
        self.filterset = page_filters(self.request, ResultFilterSet, rows, only=PAGE_FILTERS)
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assessment = self.assessment_object
        attach_evidence_counts(context["object_list"])  # the page's rows only
        summary = aggregates.summaries([assessment.pk])[assessment.pk]
        pending = list(
            self.scope(RequirementResult.objects.all())
            .filter(assessment=assessment, proposal_state=ProposalState.PENDING)
            .select_related("requirement")
            .order_by("requirement__position")[:10]
        )
        context.update(
            assessment=assessment,
            summary=summary,
            pending=pending,
            filter_form=self.filterset.form,
            can_edit=self.may(Action.EDIT) and assessment.status == Assessment.Status.IN_PROGRESS,
            is_soa=assessment.framework.code == ISO27001_ANNEX_A,
        )
        return context


def attach_evidence_counts(rows: Any) -> None:
    """Set ``evidence_count`` on each result of a page: one grouped query over the page."""
    from finres.web.evidence.models import EvidenceLink

    rows = list(rows)
    counts = dict(
        EvidenceLink.objects.filter(result_id__in=[row.pk for row in rows])
        .order_by()
        .values_list("result_id")
        .annotate(n=Count("pk"))
        .values_list("result_id", "n")
    )
    for row in rows:
        row.evidence_count = counts.get(row.pk, 0)


# --- results ------------------------------------------------------------------------------------


class ResultEditing(AssessmentScoped):
    action = Action.EDIT

    def check_open(self, row: RequirementResult) -> str | None:
        if row.assessment.status != Assessment.Status.IN_PROGRESS:
            return _("The assessment is completed; reopen it to change its results.")
        return None

    def save_result(self, form: ResultForm) -> RequirementResult:
        """Save the form; when the result changed, propose it again to the other assessments."""
        with transaction.atomic():
            row: RequirementResult = form.save()
            if "result" in form.changed_data:
                proposals.after_result_change(row)
        return row


class ResultRowView(ResultEditing, View):
    """The inline row of the results list: shown (GET), as a form (GET ?edit=1), saved (POST)."""

    def annotated(self, pk: int) -> RequirementResult:
        return get_object_or_404(
            self.results().annotate(evidence_count=Count("evidence_links")), pk=pk
        )

    def render_row(self, row: RequirementResult) -> HttpResponse:
        return render(
            self.request,
            "assessments/_result_row.html",
            {"row": row, "can_edit": row.assessment.status == Assessment.Status.IN_PROGRESS},
        )

    def render_form(
        self, row: RequirementResult, form: ResultForm, error: str = ""
    ) -> HttpResponse:
        return render(
            self.request,
            "assessments/_result_form_row.html",
            {"row": row, "form": form, "error": error},
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = self.annotated(pk)  # first: another organisation's id is "not found"
        if not request.htmx:
            return redirect("assessments:result", pk=pk)
        if request.GET.get("edit") and not self.check_open(row):
            return self.render_form(row, ResultForm(instance=row, organisation=self.organisation))
        return self.render_row(row)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = self.annotated(pk)
        form = ResultForm(request.POST, instance=row, organisation=self.organisation)
        closed = self.check_open(row)
        if closed:
            return self.render_form(row, form, closed)
        if not form.is_valid():
            return self.render_form(row, form)
        self.save_result(form)
        if not request.htmx:
            messages.success(request, _("The result was saved."))
            return redirect("assessments:result", pk=pk)
        return self.render_row(self.annotated(pk))


class ResultDetailView(ResultEditing, View):
    """One result: the requirement, the editable result, the proposal, evidence and history."""

    action = Action.VIEW
    history_limit = 100

    def history(self, row: RequirementResult) -> list[AuditEvent]:
        key = str(row.pk)
        scoped = AuditEvent.objects.filter(organisation_id=self.organisation.pk)
        # Two reads over the (organisation, object, model) index, sorted here: in SQL, the order
        # (or both conditions in one query) made SQLite walk every event of the organisation in
        # sequence order. One result has few events of its own or in bulk changes.
        own = scoped.filter(object_id=key, model=proposals.RESULT_MODEL)
        bulk = scoped.filter(object_id="bulk").filter(
            Q(model=proposals.RESULT_MODEL, changes__results__has_key=key)
            # bulk events (audit.log.append_bulk, e.g. the XLSX import) whose rows are results
            | Q(changes__bulk__model=proposals.RESULT_MODEL, changes__bulk__rows__has_key=key)
        )
        found = [*own.order_by(), *bulk.order_by()]
        events = sorted(found, key=lambda e: -e.sequence)[: self.history_limit]
        presenter = Presenter()
        for event in events:
            bulk = bulk_rows(event.changes) if event.object_id == "bulk" else None
            if bulk is not None:
                event.row_changes = bulk["rows"].get(key, {}).get("changes", {})
            elif event.object_id == "bulk":
                event.row_changes = event.changes.get("results", {}).get(key, {})
            else:
                event.row_changes = event.changes
            # In people's words: field labels, choice labels and local times, not codes.
            event.shown = presenter.row(
                AuditEvent(  # not saved: the event as this row sees it
                    timestamp=event.timestamp,
                    action=event.action,
                    model=event.model,
                    changes={
                        name: value
                        for name, value in event.row_changes.items()
                        if name != "updated"  # the time of the change is shown already
                    }
                    if isinstance(event.row_changes, dict)
                    else event.row_changes,
                )
            )
        return events

    def render_page(self, row: RequirementResult, form: ResultForm | None) -> HttpResponse:
        open_ = row.assessment.status == Assessment.Status.IN_PROGRESS
        can_edit = self.may(Action.EDIT) and open_
        if form is None and can_edit:
            form = ResultForm(instance=row, organisation=self.organisation)
        links = list(row.evidence_links.select_related("evidence"))
        today = timezone.localdate()
        context = {
            "row": row,
            "assessment": row.assessment,
            "form": form if can_edit else None,
            "override_form": OverrideForm(instance=row, prefix="override"),
            "can_decide": self.may(Action.MANAGE) and open_,
            "history": self.history(row),
            "evidence_links": links,
            "today": today,
            "compliant_on_expired_evidence": row.result == Result.COMPLIANT
            and bool(links)
            and all(
                link.evidence.expiry_date is not None and link.evidence.expiry_date < today
                for link in links
            ),
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(self.request, "assessments/result.html", context)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(self.result(pk), None)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.may(Action.EDIT):
            raise PermissionDenied(f"role {self.role} may not {Action.EDIT}")
        row = self.result(pk)
        closed = self.check_open(row)
        if closed:
            messages.error(request, closed)
            return redirect("assessments:result", pk=pk)
        form = ResultForm(request.POST, instance=row, organisation=self.organisation)
        if not form.is_valid():
            return self.render_page(row, form)
        self.save_result(form)
        messages.success(request, _("The result was saved."))
        return redirect("assessments:result", pk=pk)


# --- proposals ----------------------------------------------------------------------------------


class ProposeView(AssessmentScoped, View):
    """Propose this assessment's results to the organisation's other open assessments."""

    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.assessment(pk)
        with transaction.atomic():
            report = proposals.propose_from(assessment)
        if report.proposed or report.cleared:
            messages.success(
                request,
                _(
                    "%(proposed)s proposals were made to %(assessments)s other assessments; "
                    "%(cleared)s were withdrawn."
                )
                % {
                    "proposed": report.proposed,
                    "assessments": len(report.by_assessment),
                    "cleared": report.cleared,
                },
            )
        else:
            messages.info(request, _("Nothing new to propose to the other open assessments."))
        return redirect("assessments:detail", pk=assessment.pk)


class ProposalListView(AssessmentScoped, ListView):
    """The pending proposals of an assessment, to accept or override."""

    action = Action.VIEW
    paginate_by = 50
    template_name = "assessments/proposals.html"

    def get_queryset(self) -> QuerySet[RequirementResult]:
        self.assessment_object = self.assessment(self.kwargs["pk"])
        return (
            self.scope(RequirementResult.objects.all())
            .filter(assessment=self.assessment_object, proposal_state=ProposalState.PENDING)
            .select_related("requirement")
            .order_by("requirement__position", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assessment = self.assessment_object
        attach_evidence_counts(context["object_list"])  # the page's rows only
        context.update(
            assessment=assessment,
            can_decide=self.may(Action.MANAGE)
            and assessment.status == Assessment.Status.IN_PROGRESS,
            result_choices=[c for c in Result.choices if c[0] != Result.NOT_ASSESSED],
        )
        return context


class ProposalDecision(AssessmentScoped, View):
    action = Action.MANAGE

    def pending(self, pk: int) -> RequirementResult:
        row = self.result(pk)
        if row.proposal_state != ProposalState.PENDING or not row.proposed_result:
            raise Http404
        return row

    def back(self, row: RequirementResult) -> HttpResponse:
        target = self.request.POST.get("next")
        if target == "result":
            return redirect("assessments:result", pk=row.pk)
        return redirect("assessments:proposals", pk=row.assessment_id)

    def closed(self, row: RequirementResult) -> bool:
        if row.assessment.status != Assessment.Status.IN_PROGRESS:
            messages.error(
                self.request, _("The assessment is completed; reopen it to change its results.")
            )
            return True
        return False


class AcceptProposalView(ProposalDecision):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = self.pending(pk)
        if self.closed(row):
            return self.back(row)
        with transaction.atomic():
            proposals.accept(row)
            proposals.after_result_change(row)
        messages.success(
            request,
            _("The proposal for %(requirement)s was accepted.")
            % {"requirement": row.requirement.label},
        )
        return self.back(row)


class OverrideProposalView(ProposalDecision):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = self.pending(pk)
        if self.closed(row):
            return self.back(row)
        form = OverrideForm(request.POST, instance=row, prefix="override")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return self.back(row)
        with transaction.atomic():
            proposals.override(form.instance)
            proposals.after_result_change(form.instance)
        messages.success(
            request,
            _("Your result for %(requirement)s replaces the proposal.")
            % {"requirement": row.requirement.label},
        )
        return self.back(row)


class AcceptAllProposalsView(AssessmentScoped, View):
    action = Action.MANAGE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.assessment(pk)
        if assessment.status != Assessment.Status.IN_PROGRESS:
            messages.error(
                request, _("The assessment is completed; reopen it to change its results.")
            )
            return redirect("assessments:proposals", pk=pk)
        with transaction.atomic():
            accepted = proposals.accept_all(assessment, self.scope(RequirementResult.objects.all()))
            if accepted:
                proposals.propose_from(assessment)
        messages.success(request, _("%(n)s proposals were accepted.") % {"n": accepted})
        return redirect("assessments:detail", pk=pk)


# --- onboarding ---------------------------------------------------------------------------------


class OnboardingView(AssessmentScoped, View):
    """Profile → tier → the applicable requirements → create the assessments; and what changed
    since the last recorded snapshot, with existing assessments to bring in line."""

    action = Action.MANAGE
    template_name = "assessments/onboarding.html"

    def as_of(self) -> dt.date:
        typed = self.request.GET.get("as_of")
        value, ok = parse_date(typed, timezone.localdate())
        if not ok:
            messages.error(
                self.request,
                _("%(problem)s; today is used instead.") % {"problem": date_problem(typed or "")},
            )
        return value

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(self.as_of(), None)

    def render_page(self, as_of: dt.date, create_form: OnboardingCreateForm | None) -> HttpResponse:
        organisation = self.organisation
        result = onboarding.compute(organisation, as_of)
        language = current_language()
        groups = onboarding.grouped(result, language)
        onboarding.attach_assessments(groups, self.scope(Assessment.objects.all()), as_of.year)
        previous = onboarding.latest_snapshot(organisation)
        difference = onboarding.diff(previous, result)
        titles = {
            onboarding.key(item.framework.id, item.node.id): item for item in result.requirements
        }
        open_assessments = list(
            self.assessments()
            .filter(status=Assessment.Status.IN_PROGRESS)
            .order_by("-period_start")
        )
        alignments = [a for a in onboarding.alignments(open_assessments, result) if a.needed]
        if create_form is None:
            create_form = OnboardingCreateForm(
                initial={
                    "period_start": dt.date(as_of.year, 1, 1),
                    "period_end": dt.date(as_of.year, 12, 31),
                    "as_of": as_of,
                    # Binding frameworks not yet assessed for the year, as a starting point.
                    "frameworks": [g.code for g in groups if g.binding and not g.assessed_in_year],
                },
                choices=[(g.code, g.name) for g in groups],
            )
        tier_band = None
        if result.tier.framework_id:
            rule = onboarding.library().framework(result.tier.framework_id).tier_rule
            if rule is not None:
                tier_band = next((b for b in rule.bands if b.tier == result.tier.tier), None)
        profile = organisation.profile()
        context = {
            "organisation": organisation,
            "profile": profile,
            "capital": f"{profile.paid_in_capital:,}",
            "industry_label": label(profile.industry, _lang(language)),
            "uses_labels": [label(u, _lang(language)) for u in sorted(profile.uses)],
            "fact_rows": onboarding.fact_rows(profile, language),
            "total_assets": None if profile.total_assets is None else f"{profile.total_assets:,}",
            "unknown_facts": onboarding.unknown_facts_in_use(result, language),
            "as_of": as_of,
            "result": result,
            "tier_band": tier_band,
            "groups": groups,
            "items_version": onboarding.items_version(organisation, as_of),
            "difference": difference,
            "new_items": [titles[k] for k in difference.new],
            "removed_items": [(k, _library_title(k, language)) for k in difference.removed],
            "now_in_force_items": [titles[k] for k in difference.now_in_force],
            "alignments": alignments,
            "create_form": create_form,
            "language": language,
        }
        return render(self.request, self.template_name, context)


def _lang(language: str) -> Any:
    return "en" if language == "en" else "zh-TW"


def _library_title(item_key: str, language: str) -> str:
    """The title of a requirement named in a snapshot, if the library still has it."""
    framework_id, _sep, node_id = item_key.partition(":")
    try:
        return str(onboarding.library().node(framework_id, node_id).title.best(_lang(language)))
    except KeyError:
        return ""


class OnboardingSnapshotView(OnboardingView):
    """Record the applicable set as of a date, so the next change is shown against it."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        as_of, ok = parse_date(request.POST.get("as_of"), timezone.localdate())
        if not ok:
            messages.error(request, _("The date is not valid."))
            return redirect("assessments:onboarding")
        result = onboarding.compute(self.organisation, as_of)
        onboarding.record_snapshot(self.organisation, result, request.user)
        messages.success(
            request,
            _("The applicable set as of %(date)s was recorded (%(n)s requirements).")
            % {"date": as_of.isoformat(), "n": len(result.requirements)},
        )
        return HttpResponseRedirect(f"{reverse('assessments:onboarding')}?as_of={as_of}")


class OnboardingCreateView(OnboardingView):
    """Create one assessment per chosen framework, with its applicable requirements."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        as_of, ok = parse_date(request.POST.get("as_of"), timezone.localdate())
        if not ok:
            messages.error(request, _("The date is not valid."))
            return redirect("assessments:onboarding")
        result = onboarding.compute(self.organisation, as_of)
        groups = onboarding.grouped(result, current_language())
        form = OnboardingCreateForm(request.POST, choices=[(g.code, g.name) for g in groups])
        if not form.is_valid():
            return self.render_page(as_of, form)
        data = form.cleaned_data
        frameworks = list(Framework.objects.filter(code__in=data["frameworks"]).order_by("code"))
        try:
            created = onboarding.create_assessments(
                self.organisation,
                frameworks,
                data["period_start"],
                data["period_end"],
                result,
                request.user,
            )
        except onboarding.OnboardingError as error:
            form.add_error(None, str(error))
            return self.render_page(as_of, form)
        messages.success(
            request,
            _("%(n)s assessments were created.") % {"n": len(created)},
        )
        return redirect("assessments:list")


class AlignView(OnboardingView):
    """Bring an open assessment in line with the applicable set on a date."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.assessment(pk)
        as_of, ok = parse_date(request.POST.get("as_of"), timezone.localdate())
        if not ok:
            messages.error(request, _("The date is not valid."))
            return redirect("assessments:onboarding")
        try:
            alignment = onboarding.align(assessment, onboarding.compute(self.organisation, as_of))
        except onboarding.OnboardingError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(f"{reverse('assessments:onboarding')}?as_of={as_of}")
        messages.success(
            request,
            _("%(assessment)s: %(added)s requirements added, %(retired)s marked not applicable.")
            % {
                "assessment": assessment.name,
                "added": len(alignment.to_add),
                "retired": len(alignment.to_retire),
            },
        )
        return HttpResponseRedirect(f"{reverse('assessments:onboarding')}?as_of={as_of}")


# --- Statement of Applicability -----------------------------------------------------------------


class SoAMixin(AssessmentScoped):
    def soa_assessment(self, pk: int) -> Assessment:
        assessment = self.assessment(pk)
        if assessment.framework.code != ISO27001_ANNEX_A:
            raise Http404
        return assessment


class SoAView(SoAMixin, View):
    action = Action.VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.soa_assessment(pk)
        rows = soa.rows(assessment)
        context = {
            "assessment": assessment,
            "rows": rows,
            "can_edit": self.may(Action.EDIT)
            and assessment.status == Assessment.Status.IN_PROGRESS,
            "applicable_count": sum(1 for r in rows if r.applicable),
            "excluded_count": sum(1 for r in rows if r.applicable is False),
        }
        return render(request, "assessments/soa.html", context)


class SoAExportView(SoAMixin, View):
    action = Action.VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        assessment = self.soa_assessment(pk)
        response = HttpResponse(
            soa.workbook(assessment),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="soa-{assessment.period_start.year}-{assessment.pk}.xlsx"'
        )
        return response


class SoARowView(SoAMixin, ResultEditing, View):
    """One SoA row: shown, as a form, saved (HTMX; without HTMX the page is reloaded)."""

    action = Action.EDIT

    def soa_row(self, pk: int) -> tuple[RequirementResult, soa.SoARow]:
        row = self.result(pk)
        if row.assessment.framework.code != ISO27001_ANNEX_A:
            raise Http404
        control = row.requirement
        parent = control.parent.title() if control.parent_id and control.parent else ""
        return row, soa.SoARow(control, parent, row)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        row, line = self.soa_row(pk)
        if not request.htmx:
            return redirect("assessments:soa", pk=row.assessment_id)
        if request.GET.get("edit") and not self.check_open(row):
            return render(
                request,
                "assessments/_soa_form_row.html",
                {"line": line, "form": SoAForm(instance=row)},
            )
        return render(request, "assessments/_soa_row.html", {"line": line, "can_edit": True})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row, line = self.soa_row(pk)
        form = SoAForm(request.POST, instance=row)
        closed = self.check_open(row)
        if closed or not form.is_valid():
            context = {"line": line, "form": form, "error": closed or ""}
            if request.htmx:
                return render(request, "assessments/_soa_form_row.html", context)
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            if closed:
                messages.error(request, closed)
            return redirect("assessments:soa", pk=row.assessment_id)
        before = row.result
        with transaction.atomic():
            form.save()
            row.refresh_from_db()
            if row.result != before:
                proposals.after_result_change(row)
        if not request.htmx:
            messages.success(request, _("The Statement of Applicability was saved."))
            return redirect("assessments:soa", pk=row.assessment_id)
        row, line = self.soa_row(pk)
        return render(request, "assessments/_soa_row.html", {"line": line, "can_edit": True})
