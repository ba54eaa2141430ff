"""Pages of the checks: the organisation's targets (TLS endpoints and SSH servers) with their
last results, a target and its runs, a run (TLS: protocols, suites, groups, certificate, HSTS and
the guideline's items with their reasons, findings and evidence; SSH: key exchanges, host keys,
ciphers, MACs and ssh-audit's "not recommended" verdicts); starting checks.

Every object is reached through the organisation-scoped queryset (``OrganisationMixin``): an id
of another organisation is a 404. Reading needs VIEW; adding, changing and running targets
EDIT (a check connects to the endpoint); deleting MANAGE, as in the crypto inventory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from finres.core.checks.tls import HYBRID_GROUPS
from finres.core.remediation import default_sla
from finres.web.checks import services
from finres.web.checks.forms import TargetForm
from finres.web.checks.jobs import RUN_TARGETS
from finres.web.checks.models import TlsOutcome, TlsRun, TlsTarget
from finres.web.checks.ssh_view import ssh_context
from finres.web.improvements.models import Finding
from finres.web.jobs import services as jobs
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action
from finres.web.registers import views as registers_views

PAGE_SIZE = 50
RUNS_SHOWN = 50
UNSCHEDULED_SHOWN = 10  # internet-facing systems without a scheduled TLS check, named on the list


def next_due(target: TlsTarget, last: dt.datetime | None) -> dt.datetime | None:
    if not target.enabled or not target.schedule_days:
        return None
    # None for a scheduled target that never ran: it is due now
    return last + dt.timedelta(days=target.schedule_days) if last else None


class TargetListView(OrganisationMixin, ListView):
    template_name = "checks/target_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Any]:
        return services.with_last_run(
            self.scope(TlsTarget.objects.select_related("system"))
        ).order_by("host", "port", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for target in context["object_list"]:
            target.scheduled = bool(target.enabled and target.schedule_days)
            target.due_at = next_due(target, target.last_started)
        context["numbers"] = services.dashboard_numbers(self.organisation)
        context["unscheduled"] = list(
            services.unscheduled_internet_facing(self.organisation).order_by("code")[
                :UNSCHEDULED_SHOWN
            ]
        )
        return context


class TargetDetailView(OrganisationMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_object_or_404(self.scope(TlsTarget.objects.select_related("system")), pk=pk)
        runs = list(target.runs.order_by("-started", "-pk")[:RUNS_SHOWN])
        context = {
            "object": target,
            "runs": runs,
            "scheduled": bool(target.enabled and target.schedule_days),
            "due_at": next_due(target, runs[0].started if runs else None),
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(request, "checks/target_detail.html", context)


class TargetEditView(registers_views.ObjectEditView):
    template_name = "checks/form.html"
    model = TlsTarget
    form_class = TargetForm
    detail_url = "checks:target_detail"
    list_url = "checks:target_list"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = context["object"]
        context["heading"] = (
            _("Edit %(object)s") % {"object": obj} if obj else _("New check target")
        )
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class TargetDeleteView(registers_views.ObjectDeleteView):
    model = TlsTarget
    list_url = "checks:target_list"


def _started(request: HttpRequest, organisation: Any, targets: list[int] | None) -> HttpResponse:
    """Start (or join) the check job; a quick one's run is shown at once, a long one's job
    page shows its progress."""
    parameters: dict[str, Any] = {} if targets is None else {"targets": targets}
    job = jobs.start_or_join(RUN_TARGETS, organisation, request.user, parameters)
    job = jobs.wait(job)
    if not job.is_finished:
        return redirect("jobs:detail", pk=job.pk)
    if job.state == job.State.FAILED:
        messages.error(request, job.error)
        return redirect("checks:target_list")
    runs = list(job.result_data.get("runs") or [])
    if len(runs) == 1:
        return redirect("checks:run_detail", pk=runs[0])
    messages.success(request, _("The endpoints were checked."))
    return redirect("checks:target_list")


class TargetRunView(OrganisationMixin, View):
    """Check one target now (its id must be the organisation's: nothing else is scanned)."""

    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_object_or_404(self.scope(TlsTarget.objects.all()), pk=pk)
        return _started(request, self.organisation, [target.pk])


class RunAllView(OrganisationMixin, View):
    action = Action.EDIT

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.scope(TlsTarget.objects.filter(enabled=True)).exists():
            messages.error(request, _("There is no endpoint to check."))
            return redirect("checks:target_list")
        return _started(request, self.organisation, None)


def suite_rows(result: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    suites = result.get("cipher_suites") or {}
    return [(version, suites[version]) for version in sorted(suites)]


class RunDetailView(OrganisationMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(
            self.scope(TlsRun.objects.select_related("target", "target__system", "job")), pk=pk
        )
        outcomes = list(
            TlsOutcome.objects.filter(run=run, organisation=self.organisation).select_related(
                "finding", "evidence_record"
            )
        )
        found = services.requirements()
        for outcome in outcomes:
            requirement = found.get(outcome.requirement)
            outcome.label = requirement.label if requirement else outcome.requirement
            outcome.title = requirement.title() if requirement else ""
            outcome.requirement_obj = requirement
        result = run.result or {}
        sla = default_sla()
        # what the crypto import said, written in the language of the run: in another page
        # language, the link only (no sentence in the other language)
        same_language = (run.language == "en") == (services.language() == "en")
        context = {
            "crypto_note": (
                run.crypto_note if same_language or not run.crypto_note else _("Crypto inventory")
            ),
            "ssh": ssh_context(result) if run.is_ssh else None,
            "object": run,
            "result": result,
            "protocols": sorted((result.get("protocols") or {}).items()),
            "suites": suite_rows(result),
            "groups": [(g, g in HYBRID_GROUPS) for g in result.get("groups") or []],
            "certificate": result.get("certificate"),
            "outcomes": outcomes,
            "framework": services.FRAMEWORK,
            "sla_days": sla.days_for(services.SEVERITY),
            "sla_from_source": sla.from_source,
            "finding_source": Finding.Source.CHECK,
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(request, "checks/run_detail.html", context)
