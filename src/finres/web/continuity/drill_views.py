"""Pages of drills and exercises: the list with what is due, a drill's plan and record, its
results per service and node, its findings and its evidence.

Scoped like every continuity page (``OrganisationMixin``: another organisation's id is a 404);
reading needs VIEW, planning and recording EDIT, deleting MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from finres.web.continuity import drills
from finres.web.continuity.filters import DrillFilterSet
from finres.web.continuity.forms import DrillForm, DrillNodeResultForm, DrillServiceResultForm
from finres.web.continuity.models import Drill, DrillNodeResult, DrillServiceResult
from finres.web.continuity.views import ContinuityListView, EditView
from finres.web.language import current_language
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action
from finres.web.registers.views import ChildDeleteView, ObjectDeleteView, TableExportView


class DrillListView(ContinuityListView):
    model = Drill
    filterset_class = DrillFilterSet
    template_name = "continuity/drill_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .select_related("scenario")
            .annotate(
                service_count=Count("services", distinct=True),
                node_count=Count("nodes", distinct=True),
            )
            .order_by("-planned_on", "code")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["schedule"] = drills.schedule(self.organisation)
        context["language"] = current_language()
        context["may"] = {a.value: self.may(a) for a in Action}
        return context


class DrillPage(OrganisationMixin, View):
    def drill(self, pk: int) -> Drill:
        return get_object_or_404(
            self.scope(
                Drill.objects.select_related("scenario").prefetch_related(
                    "services", "nodes", "suppliers", "evidence"
                )
            ),
            pk=pk,
        )

    def show(
        self,
        request: HttpRequest,
        drill: Drill,
        service_form: DrillServiceResultForm | None = None,
        node_form: DrillNodeResultForm | None = None,
    ) -> HttpResponse:
        context = {
            "object": drill,
            "service_results": drill.service_results.select_related("service").order_by(
                "service__code"
            ),
            "node_results": drill.node_results.select_related("node").order_by(
                "node__code", "layer"
            ),
            "issues": [line.strip() for line in drill.issues.splitlines() if line.strip()],
            "findings": drills.findings_of(drill),
            "service_form": service_form or DrillServiceResultForm(drill=drill),
            "node_form": node_form or DrillNodeResultForm(drill=drill),
            "may": {a.value: self.may(a) for a in Action},
        }
        failed = service_form is not None or node_form is not None
        return render(
            request, "continuity/drill_detail.html", context, status=400 if failed else 200
        )


class DrillDetailView(DrillPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.show(request, self.drill(pk))


class DrillEditView(EditView):
    model = Drill
    form_class = DrillForm
    detail_url = "continuity:drill_detail"
    list_url = "continuity:drill_list"


class DrillDeleteView(ObjectDeleteView):
    model = Drill
    list_url = "continuity:drill_list"


class ResultAddView(DrillPage):
    """Record (or change) what a drill achieved for a service or a node. Recording a result
    puts the service or node in the drill's scope."""

    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int, what: str) -> HttpResponse:
        drill = self.drill(pk)
        if what == "service":
            existing = drill.service_results.filter(
                service_id=_int(request.POST.get("service"))
            ).first()
            service_form = DrillServiceResultForm(request.POST, instance=existing, drill=drill)
            if not service_form.is_valid():
                return self.show(request, drill, service_form=service_form)
            with transaction.atomic():
                result = service_form.save()
                drill.services.add(result.service)
        else:
            existing = drill.node_results.filter(
                node_id=_int(request.POST.get("node")), layer=request.POST.get("layer", "")
            ).first()
            node_form = DrillNodeResultForm(request.POST, instance=existing, drill=drill)
            if not node_form.is_valid():
                return self.show(request, drill, node_form=node_form)
            with transaction.atomic():
                node_result = node_form.save()
                drill.nodes.add(node_result.node)
        if drill.performed_on is None:
            messages.warning(
                request,
                _("Saved. Give the date it was performed: until then the result is not used."),
            )
        else:
            messages.success(request, _("Saved."))
        return redirect("continuity:drill_detail", pk=drill.pk)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


class ServiceResultDeleteView(ChildDeleteView):
    model = DrillServiceResult
    parent_url = "continuity:drill_detail"
    parent_field = "drill_id"


class NodeResultDeleteView(ChildDeleteView):
    model = DrillNodeResult
    parent_url = "continuity:drill_detail"
    parent_field = "drill_id"


class DrillFindingView(DrillPage):
    """A missed objective or an issue of the drill becomes a finding."""

    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        drill = self.drill(pk)
        try:
            chosen = _int(request.POST.get("result"))
            if chosen is not None:
                result = get_object_or_404(
                    drill.service_results.select_related("service"), pk=chosen
                )
                finding, created = drills.finding_from_result(
                    drill, result, request.POST.get("gap", ""), request.user
                )
            else:
                finding, created = drills.finding_from_issue(
                    drill, request.POST.get("issue", ""), request.user
                )
        except drills.NoIssue as error:
            messages.error(request, str(error))
            return redirect("continuity:drill_detail", pk=drill.pk)
        if created:
            messages.success(request, _("The finding was recorded."))
        else:
            messages.info(request, _("This is already an open finding."))
        return redirect("improvements:finding_detail", pk=finding.pk)


class DrillExportView(TableExportView):
    register_key = "drills"
    list_url = "continuity:drill_list"

    def table(self, kind: str) -> tuple[bytes, str, str]:
        return drills.export(self.organisation, kind)
