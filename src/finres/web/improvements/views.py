"""Pages of findings (with improvement plans and milestones) and exceptions (risk acceptances).

Every object is fetched through the organisation-scoped queryset (``OrganisationMixin``), so
another organisation's id is a 404. Writes run in one transaction: a refused change leaves
nothing behind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.edit import FormView

from finres.web.assessments.models import RequirementResult, Result
from finres.web.filtering import page_filters
from finres.web.improvements.filters import ExceptionFilterSet, FindingFilterSet
from finres.web.improvements.forms import (
    CloseExceptionForm,
    DecisionForm,
    ExceptionForm,
    FindingForm,
    FindingStatusForm,
    MilestoneForm,
    RejectionForm,
)
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.improvements.services import (
    PlanError,
    change_finding_status,
    close_exception,
    decide_exception,
    set_milestone_done,
)
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action

PAGE_SIZE = 25


def today() -> dt.date:
    """The calendar day in the site's time zone (Asia/Taipei), in which due dates are written."""
    return timezone.localdate()


def query_without_page(request: HttpRequest) -> str:
    """The current filters, for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def result_title(result: RequirementResult) -> str:
    requirement = result.requirement
    return f"{requirement.label} {requirement.title()}".strip()[:300]


# --- findings -----------------------------------------------------------------------------------


class FindingListView(OrganisationMixin, ListView):
    model = Finding
    paginate_by = PAGE_SIZE
    template_name = "improvements/finding_list.html"

    def get_queryset(self) -> QuerySet[Finding]:
        queryset = (
            super()
            .get_queryset()
            .select_related("owner", "requirement__framework")
            .worklist_order()
        )
        # An invalid filter is left out (and told); the valid ones apply.
        self.filterset = page_filters(self.request, FindingFilterSet, queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Page first, then the page's milestone counts (one grouped query).
        Finding.objects.attach_progress(context["object_list"], today())
        context["filter_form"] = self.filterset.form
        context["query"] = query_without_page(self.request)
        return context


class FindingCreateView(OrganisationMixin, FormView):
    """A new finding; through ``finding_from_result`` it starts from an assessment result of
    the organisation (prefilled requirement and title)."""

    action = Action.EDIT
    form_class = FindingForm
    template_name = "improvements/finding_form.html"
    result: RequirementResult | None = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.result = None

    def get_result(self) -> RequirementResult | None:
        if "result_id" in self.kwargs and self.result is None:
            self.result = get_object_or_404(
                self.scope(RequirementResult.objects.select_related("requirement", "assessment")),
                pk=self.kwargs["result_id"],
            )
        return self.result

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(organisation=self.organisation, today=today(), result=self.get_result())
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        result = self.get_result()
        if result is None:
            return {}
        return {
            "title": result_title(result),
            "source": Finding.Source.ASSESSMENT,
            "severity": Finding.Severity.HIGH
            if result.result == Result.NON_COMPLIANT
            else Finding.Severity.MEDIUM,
            "source_reference": str(result.assessment),
            "description": result.comments,
            "owner": result.owner_id,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["result"] = self.get_result()
        return context

    @transaction.atomic
    def form_valid(self, form: FindingForm) -> HttpResponse:
        finding = form.save(commit=False)
        finding.organisation = self.organisation
        finding.created_by = self.request.user
        finding.save()
        messages.success(self.request, _("The finding was recorded."))
        return redirect("improvements:finding_detail", pk=finding.pk)


class FindingPageMixin(OrganisationMixin):
    """The finding page and its milestone fragment (re-rendered after an HTMX change)."""

    def finding_queryset(self) -> QuerySet[Finding]:
        return self.scope(
            Finding.objects.select_related(
                "owner", "created_by", "requirement__framework", "result__assessment"
            ).prefetch_related(
                Prefetch(
                    "milestones", queryset=Milestone.objects.select_related("owner", "done_by")
                ),
                Prefetch(
                    "exceptions",
                    queryset=self.scope(RiskException.objects.all()).order_by("-pk"),
                ),
            )
        )

    def finding_context(
        self, finding: Finding, milestone_form: MilestoneForm | None = None
    ) -> dict[str, Any]:
        on = today()
        milestones = list(finding.milestones.all())
        for milestone in milestones:
            milestone.is_overdue = milestone.overdue(on)
        return {
            "finding": finding,
            "object": finding,
            "milestones": milestones,
            "is_overdue": finding.overdue(on),
            "milestone_form": milestone_form
            or MilestoneForm(finding=finding, organisation=self.organisation, today=on),
            "status_form": FindingStatusForm(finding=finding),
            "may": {a.value: self.may(a) for a in Action},
        }

    def milestones_response(
        self, finding_pk: int, form: MilestoneForm | None = None, error: str = ""
    ) -> HttpResponse:
        """The fragment for HTMX; otherwise the finding page (with the form's errors, if any)."""
        request = self.request
        if not request.htmx and form is None:
            if error:
                messages.error(request, error)
            return redirect("improvements:finding_detail", pk=finding_pk)
        finding = self.finding_queryset().get(pk=finding_pk)
        context = self.finding_context(finding, form)
        context["milestone_error"] = error
        if request.htmx:
            context["swap_flags"] = True
            return render(request, "improvements/_milestones.html", context)
        return render(request, "improvements/finding_detail.html", context)


class FindingDetailView(FindingPageMixin, DetailView):
    template_name = "improvements/finding_detail.html"

    def get_queryset(self) -> QuerySet[Finding]:
        return self.finding_queryset()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.finding_context(self.object))
        return context


class FindingEditView(OrganisationMixin, FormView):
    action = Action.EDIT
    form_class = FindingForm
    template_name = "improvements/finding_form.html"
    finding: Finding

    def get_finding(self) -> Finding:
        if not hasattr(self, "finding"):
            self.finding = get_object_or_404(
                self.scope(
                    Finding.objects.select_related("requirement__framework", "result__requirement")
                ),
                pk=self.kwargs["pk"],
            )
        return self.finding

    def get_form_kwargs(self) -> dict[str, Any]:
        finding = self.get_finding()
        kwargs = super().get_form_kwargs()
        kwargs.update(
            organisation=self.organisation, today=today(), instance=finding, result=finding.result
        )
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["finding"] = self.get_finding()
        context["result"] = self.get_finding().result
        return context

    @transaction.atomic
    def form_valid(self, form: FindingForm) -> HttpResponse:
        finding = form.save()
        messages.success(self.request, _("The finding was saved."))
        return redirect("improvements:finding_detail", pk=finding.pk)


class FindingStatusView(OrganisationMixin, View):
    """open → in progress → closed (closing needs every milestone done or a closing note)."""

    action = Action.EDIT
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        with transaction.atomic():
            finding = get_object_or_404(self.scope(Finding.objects.select_for_update()), pk=pk)
            form = FindingStatusForm(request.POST, finding=finding)
            try:
                if not form.is_valid():
                    raise PlanError(" ".join(e for errors in form.errors.values() for e in errors))
                change_finding_status(
                    finding, form.cleaned_data["status"], form.cleaned_data["closing_note"]
                )
            except PlanError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("The status was changed."))
        return redirect("improvements:finding_detail", pk=pk)


class MilestoneAddView(FindingPageMixin, View):
    """Add a milestone to a finding that is not closed."""

    action = Action.EDIT
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        with transaction.atomic():
            finding = get_object_or_404(self.scope(Finding.objects.all()), pk=pk)
            form = MilestoneForm(
                request.POST, finding=finding, organisation=self.organisation, today=today()
            )
            if finding.status == Finding.Status.CLOSED:
                error = _("The finding is closed: reopen it to plan more work.")
                return self.milestones_response(pk, error=error)
            if not form.is_valid():
                return self.milestones_response(pk, form)
            milestone = form.save(commit=False)
            milestone.finding = finding
            milestone.organisation = self.organisation
            milestone.save()
        return self.milestones_response(pk)


class MilestoneCompleteView(FindingPageMixin, View):
    """Mark a milestone done (``MilestoneReopenView``: not done after all)."""

    action = Action.EDIT
    http_method_names = ["post"]
    done = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        error = ""
        with transaction.atomic():
            milestone = get_object_or_404(
                self.scope(Milestone.objects.select_related("finding").select_for_update()), pk=pk
            )
            try:
                set_milestone_done(milestone, self.done, request.user)
            except PlanError as problem:
                error = str(problem)
        return self.milestones_response(milestone.finding_id, error=error)


class MilestoneReopenView(MilestoneCompleteView):
    done = False


# --- exceptions ---------------------------------------------------------------------------------


class ExceptionListView(OrganisationMixin, ListView):
    model = RiskException
    paginate_by = PAGE_SIZE
    template_name = "improvements/exception_list.html"

    def get_queryset(self) -> QuerySet[RiskException]:
        queryset = (
            super()
            .get_queryset()
            .select_related("requirement__framework", "proposed_by", "approver", "finding")
            .with_flag(today())
            .worklist_order()
        )
        self.filterset = page_filters(self.request, ExceptionFilterSet, queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filterset.form
        context["query"] = query_without_page(self.request)
        return context


class ExceptionCreateView(OrganisationMixin, FormView):
    """Propose a risk acceptance. ``exception_from_result`` starts from an assessment result;
    ``?finding=<id>`` links it to a finding (the alternative to, or bridge until, its plan)."""

    action = Action.EDIT
    form_class = ExceptionForm
    template_name = "improvements/exception_form.html"
    result: RequirementResult | None = None
    finding: Finding | None = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.result, self.finding, self.resolved = None, None, False

    def resolve_sources(self) -> None:
        if self.resolved:
            return
        self.resolved = True
        if "result_id" in self.kwargs:
            self.result = get_object_or_404(
                self.scope(RequirementResult.objects.select_related("requirement")),
                pk=self.kwargs["result_id"],
            )
        finding_id = self.request.GET.get("finding") or self.request.POST.get("finding")
        if finding_id:
            if not str(finding_id).isdigit():
                raise Http404
            self.finding = get_object_or_404(
                self.scope(Finding.objects.select_related("requirement")), pk=int(finding_id)
            )

    def get_form_kwargs(self) -> dict[str, Any]:
        self.resolve_sources()
        kwargs = super().get_form_kwargs()
        kwargs.update(
            organisation=self.organisation,
            today=today(),
            result=self.result,
            finding=self.finding,
        )
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        self.resolve_sources()
        if self.result is not None:
            return {"title": result_title(self.result)}
        if self.finding is not None:
            return {"title": self.finding.title}
        return {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["result"], context["finding"] = self.result, self.finding
        return context

    @transaction.atomic
    def form_valid(self, form: ExceptionForm) -> HttpResponse:
        exception = form.save(commit=False)
        exception.organisation = self.organisation
        exception.proposed_by = self.request.user
        exception.status = RiskException.Status.PROPOSED
        exception.save()
        messages.success(
            self.request,
            _("The exception was proposed; another person with approval rights must decide."),
        )
        return redirect("improvements:exception_detail", pk=exception.pk)


class ExceptionDetailView(OrganisationMixin, DetailView):
    model = RiskException
    template_name = "improvements/exception_detail.html"

    def get_queryset(self) -> QuerySet[RiskException]:
        return (
            super()
            .get_queryset()
            .select_related(
                "requirement__framework",
                "result__assessment",
                "finding",
                "proposed_by",
                "approver",
                "rejected_by",
                "closed_by",
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        exception: RiskException = self.object
        context["flag"] = exception.flag(today())
        context["own_proposal"] = exception.proposed_by_id == self.request.user.pk
        context["decision_form"] = DecisionForm()
        context["rejection_form"] = RejectionForm()
        context["close_form"] = CloseExceptionForm()
        return context


class ExceptionEditView(OrganisationMixin, FormView):
    """Revise a proposal. An approved exception is frozen: changing it needs a new proposal."""

    action = Action.EDIT
    form_class = ExceptionForm
    template_name = "improvements/exception_form.html"
    exception: RiskException

    def get_exception(self) -> RiskException:
        if not hasattr(self, "exception"):
            self.exception = get_object_or_404(
                self.scope(
                    RiskException.objects.select_related(
                        "requirement__framework", "result__requirement", "finding__requirement"
                    )
                ),
                pk=self.kwargs["pk"],
            )
        return self.exception

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.get_exception().status != RiskException.Status.PROPOSED:
            return self.refuse()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.get_exception().status != RiskException.Status.PROPOSED:
            return self.refuse()
        return super().post(request, *args, **kwargs)

    def refuse(self) -> HttpResponse:
        messages.error(self.request, _("Only a proposed exception can be changed."))
        return redirect("improvements:exception_detail", pk=self.get_exception().pk)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(organisation=self.organisation, today=today(), instance=self.get_exception())
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        exception = self.get_exception()
        context.update(exception=exception, result=exception.result, finding=exception.finding)
        return context

    @transaction.atomic
    def form_valid(self, form: ExceptionForm) -> HttpResponse:
        exception = form.save()
        messages.success(self.request, _("The proposal was saved."))
        return redirect("improvements:exception_detail", pk=exception.pk)


class ExceptionApproveView(OrganisationMixin, View):
    """Approve (``ExceptionRejectView``: reject) a proposal. Needs the approval right, and the
    decider is never the proposer (segregation of duties)."""

    action = Action.APPROVE
    http_method_names = ["post"]
    approve = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = DecisionForm(request.POST) if self.approve else RejectionForm(request.POST)
        with transaction.atomic():
            exception = get_object_or_404(
                self.scope(RiskException.objects.select_for_update()), pk=pk
            )
            note = form.cleaned_data["note"] if form.is_valid() else ""
            try:
                decide_exception(exception, request.user, self.approve, note, today())
            except PlanError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("The exception was approved.")
                    if self.approve
                    else _("The exception was rejected."),
                )
        return redirect("improvements:exception_detail", pk=pk)


class ExceptionRejectView(ExceptionApproveView):
    approve = False


class ExceptionCloseView(OrganisationMixin, View):
    """End the tracking of a proposal (withdrawn) or of an accepted risk."""

    action = Action.EDIT
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = CloseExceptionForm(request.POST)
        with transaction.atomic():
            exception = get_object_or_404(
                self.scope(RiskException.objects.select_for_update()), pk=pk
            )
            note = form.cleaned_data["closing_note"] if form.is_valid() else ""
            try:
                close_exception(exception, request.user, note)
            except PlanError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("The exception was closed."))
        return redirect("improvements:exception_detail", pk=pk)
