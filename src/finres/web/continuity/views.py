"""Pages of critical services, their BIA, the dependency graph and its analysis.

Every object is reached through the organisation-scoped queryset (``OrganisationMixin``), so an
id of another organisation is a 404. Reading needs VIEW, changing EDIT, deleting and importing
the graph MANAGE. The analysis is the core's (``graph.run``), run on every request.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.continuity import findings, graph, graph_xlsx, graphio, svg
from finres.web.continuity.filters import NodeFilterSet, ServiceFilterSet
from finres.web.continuity.forms import (
    DependencyForm,
    ImpactForm,
    ImportForm,
    LayerForm,
    NodeForm,
    ScenarioForm,
    ServiceForm,
)
from finres.web.continuity.models import (
    CriticalService,
    Dependency,
    ImpactRating,
    Node,
    RecoveryLayer,
    Scenario,
)
from finres.web.continuity.rules import edge_problem
from finres.web.filtering import page_filters
from finres.web.language import current_language
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action
from finres.web.registers import tabular
from finres.web.registers.views import (
    ChildDeleteView,
    ObjectDeleteView,
    ObjectEditView,
    query_without_page,
)

PAGE_SIZE = 50
# Beyond this many nodes a drawing is no longer readable: the pages say so instead.
DRAW_LIMIT = 400


def analysis_context(result: graph.Result) -> dict[str, Any]:
    names = {code: node.name for code, node in result.nodes.items()}
    drawing = ""
    too_large = result.graph is not None and len(result.graph.nodes) > DRAW_LIMIT
    if result.graph is not None and not too_large:
        failed: frozenset[str] = frozenset()
        if result.analysis is not None and result.analysis.scenario:
            failed = result.graph.failed_by(result.graph.scenarios[result.analysis.scenario])
        drawing = svg.draw(
            result.graph,
            names,
            _("Dependency graph"),
            single_points={n.code for n, _s in result.single_points},
            failed=failed,
        )
    problems = []
    if result.error is not None:
        language = current_language()
        problems = [(p.place, p.text(language)) for p in result.error.problems]
    return {
        "result": result,
        "drawing": drawing,
        "problems": problems,
        "too_large": too_large,
        "draw_limit": DRAW_LIMIT,
    }


class OverviewView(OrganisationMixin, View):
    """Every critical service against its RTO and RPO in the worst single failure."""

    def get(self, request: HttpRequest) -> HttpResponse:
        result = graph.run(self.organisation)
        context = analysis_context(result)
        context.update(
            concentration=graph.concentration(result),
            scenarios=Scenario.objects.filter(organisation=self.organisation),
            unmodelled=CriticalService.objects.filter(
                organisation=self.organisation, node__isnull=True
            ),
            may=self.may_all(),
        )
        return render(request, "continuity/overview.html", context)

    def may_all(self) -> dict[str, bool]:
        return {a.value: self.may(a) for a in Action}


class GraphSvgView(OrganisationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        context = analysis_context(graph.run(self.organisation))
        return HttpResponse(context["drawing"], content_type="image/svg+xml")


class ContinuityListView(OrganisationMixin, ListView):
    paginate_by = PAGE_SIZE
    filterset_class: Any = None

    def get_queryset(self) -> QuerySet[Any]:
        queryset = self.scope(self.model.objects.all())
        if self.filterset_class is None:
            self.filterset = None
            return queryset
        self.filterset = page_filters(self.request, self.filterset_class, queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            filter_form=self.filterset.form if self.filterset else None,
            query=query_without_page(self.request),
        )
        return context


class EditView(ObjectEditView):
    template_name = "continuity/form.html"


# --- critical services --------------------------------------------------------------------------


class ServiceListView(ContinuityListView):
    model = CriticalService
    filterset_class = ServiceFilterSet
    template_name = "continuity/service_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .annotate(impact_count=Count("impacts"))
            .select_related("node")
            .order_by("code")
        )


class ServiceDetailView(OrganisationMixin, View):
    def get(self, request: HttpRequest, pk: int, form: ImpactForm | None = None) -> HttpResponse:
        service = get_object_or_404(self.scope(CriticalService.objects.all()), pk=pk)
        result = graph.run(self.organisation)
        outcome = next((o for o in result.outcomes if o.service == service), None)
        impacts = sorted(service.impacts.all(), key=lambda i: ImpactRating.BUCKET_ORDER[i.bucket])
        context = {
            **self.drawing(service, result),
            "object": service,
            "impacts": impacts,
            "impact_form": form or ImpactForm(),
            "outcome": outcome,
            "result": result,
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(
            request, "continuity/service_detail.html", context, status=400 if form else 200
        )

    def drawing(self, service: CriticalService, result: graph.Result) -> dict[str, Any]:
        """The service's own dependencies drawn (readable however large the whole graph is)."""
        node = getattr(service, "node", None)
        if result.graph is None or node is None or node.code not in result.graph.nodes:
            return {"drawing": "", "too_large": False}
        own = result.graph.dependencies_of(node.code)
        if len(own.nodes) > DRAW_LIMIT:
            return {"drawing": "", "too_large": True, "draw_limit": DRAW_LIMIT}
        names = {code: n.name for code, n in result.nodes.items()}
        points = {n.code for n, _s in result.single_points if n.code in own.nodes}
        drawn = svg.draw(own, names, _("What the service depends on"), single_points=points)
        return {"drawing": drawn, "too_large": False}


class ServiceEditView(EditView):
    model = CriticalService
    form_class = ServiceForm
    detail_url = "continuity:service_detail"
    list_url = "continuity:service_list"


class ServiceDeleteView(ObjectDeleteView):
    model = CriticalService
    list_url = "continuity:service_list"


class ImpactSaveView(ServiceDetailView):
    """Add the impact of a time bucket, or change it when the bucket is already rated."""

    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = get_object_or_404(self.scope(CriticalService.objects.all()), pk=pk)
        existing = service.impacts.filter(bucket=request.POST.get("bucket", "")).first()
        form = ImpactForm(request.POST, instance=existing)
        if not form.is_valid():
            return self.get(request, pk, form)
        with transaction.atomic():
            impact = form.save(commit=False)
            impact.organisation, impact.service = self.organisation, service
            impact.save()
        messages.success(request, _("Saved."))
        return redirect("continuity:service_detail", pk=service.pk)


class ImpactDeleteView(OrganisationMixin, View):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        impact = get_object_or_404(self.scope(ImpactRating.objects.all()), pk=pk)
        with transaction.atomic():
            impact.delete()
        return redirect("continuity:service_detail", pk=impact.service_id)


class FindingFromGapView(OrganisationMixin, View):
    """One click: a gap (RTO or RPO, worst case or a scenario) becomes a finding."""

    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = get_object_or_404(self.scope(CriticalService.objects.all()), pk=pk)
        scenario = None
        chosen = request.POST.get("scenario", "")
        if chosen:
            if not chosen.isdigit() or len(chosen) > 18:
                raise Http404
            scenario = get_object_or_404(self.scope(Scenario.objects.all()), pk=int(chosen))
        try:
            finding, created = findings.from_gap(
                self.organisation, service, request.POST.get("gap", ""), scenario, request.user
            )
        except findings.NoGap as error:
            messages.error(request, str(error))
            return redirect("continuity:service_detail", pk=service.pk)
        if created:
            messages.success(request, _("The finding was recorded."))
        else:
            messages.info(request, _("This gap is already an open finding."))
        return redirect("improvements:finding_detail", pk=finding.pk)


# --- nodes and edges ----------------------------------------------------------------------------


class NodeListView(ContinuityListView):
    model = Node
    filterset_class = NodeFilterSet
    template_name = "continuity/node_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .select_related("service", "system", "supplier", "site")
            .annotate(dependency_count=Count("dependencies", distinct=True))
            .annotate(dependent_count=Count("dependents", distinct=True))
            .order_by("kind", "code")
        )


class NodeDetailView(OrganisationMixin, View):
    def get(
        self,
        request: HttpRequest,
        pk: int,
        dependency_form: DependencyForm | None = None,
        layer_form: LayerForm | None = None,
    ) -> HttpResponse:
        node = get_object_or_404(
            self.scope(
                Node.objects.select_related(
                    "service", "system", "supplier", "site"
                ).prefetch_related("layers", "drill_results__drill")
            ),
            pk=pk,
        )
        recovery_time, recovery_point, source = node.effective_recovery()
        shown = node.demonstration()
        context = {
            "object": node,
            "dependencies": node.dependencies.select_related("target").order_by("group", "pk"),
            "dependents": node.dependents.select_related("node").order_by("node__code")[:200],
            "layers": node.layers.select_related("site").order_by("layer"),
            "effective": {
                "time": recovery_time,
                "point": recovery_point,
                "layer": source if isinstance(source, RecoveryLayer) else None,
                "drill": shown.drill if shown is not None else None,
                "shown": shown,
            },
            "dependency_form": dependency_form or DependencyForm(node=node),
            "layer_form": layer_form or LayerForm(node=node),
            "may": {a.value: self.may(a) for a in Action},
        }
        failed = dependency_form is not None or layer_form is not None
        return render(
            request, "continuity/node_detail.html", context, status=400 if failed else 200
        )


class NodeEditView(EditView):
    model = Node
    form_class = NodeForm
    detail_url = "continuity:node_detail"
    list_url = "continuity:node_list"


class NodeDeleteView(ObjectDeleteView):
    model = Node
    list_url = "continuity:node_list"


class DependencyAddView(NodeDetailView):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        node = get_object_or_404(self.scope(Node.objects.all()), pk=pk)
        form = DependencyForm(request.POST, node=node)
        if form.is_valid():
            problem = edge_problem(node, form.cleaned_data["target"], form.cleaned_data["group"])
            if problem:
                form.add_error("target", problem)
        if not form.is_valid():
            return self.get(request, pk, dependency_form=form)
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("continuity:node_detail", pk=node.pk)


class LayerAddView(NodeDetailView):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        node = get_object_or_404(self.scope(Node.objects.all()), pk=pk)
        existing = node.layers.filter(layer=request.POST.get("layer", "")).first()
        form = LayerForm(request.POST, instance=existing, node=node)
        if not form.is_valid():
            return self.get(request, pk, layer_form=form)
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("continuity:node_detail", pk=node.pk)


class DependencyDeleteView(ChildDeleteView):
    model = Dependency
    parent_url = "continuity:node_detail"
    parent_field = "node_id"


class LayerDeleteView(ChildDeleteView):
    model = RecoveryLayer
    parent_url = "continuity:node_detail"
    parent_field = "node_id"


# --- scenarios ----------------------------------------------------------------------------------


class ScenarioListView(ContinuityListView):
    model = Scenario
    template_name = "continuity/scenario_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().annotate(fail_count=Count("fail")).order_by("code")


class ScenarioDetailView(OrganisationMixin, View):
    """A saved scenario, run on demand: which services breach their RTO/RPO and by how much."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        scenario = get_object_or_404(self.scope(Scenario.objects.prefetch_related("fail")), pk=pk)
        result = graph.run(self.organisation, scenario)
        context = analysis_context(result)
        context.update(
            object=scenario, scenario=scenario, may={a.value: self.may(a) for a in Action}
        )
        return render(request, "continuity/scenario_detail.html", context)


class ScenarioEditView(EditView):
    model = Scenario
    form_class = ScenarioForm
    detail_url = "continuity:scenario_detail"
    list_url = "continuity:scenario_list"


class ScenarioDeleteView(ObjectDeleteView):
    model = Scenario
    list_url = "continuity:scenario_list"


# --- export and import --------------------------------------------------------------------------


class ExportView(OrganisationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        kind = request.GET.get("format", "yaml")
        if kind not in ("yaml", "json", "xlsx"):
            messages.error(request, _("Choose YAML, JSON or XLSX."))
            return redirect("continuity:overview")
        if kind == "xlsx":
            content: str | bytes = graph_xlsx.export_xlsx(self.organisation)
            content_type, name = tabular.XLSX, "graph.xlsx"
        else:
            content, content_type, name = graphio.export_text(self.organisation, kind)
            content_type += "; charset=utf-8"
        record_security_event(
            actions.EXPORT,
            organisation_id=self.organisation.pk,
            details={"register": "continuity-graph", "format": kind},
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response


class ImportView(OrganisationMixin, View):
    action = Action.MANAGE
    template = "continuity/import.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template, {"form": ImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template, {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        report = graphio.import_graph(self.organisation, upload.file, upload.name, upload.size)
        if not report.ok:
            return render(request, self.template, {"form": form, "report": report}, status=400)
        messages.success(
            request,
            _(
                "The graph was imported: %(created)s created, %(updated)s changed, "
                "%(deleted)s removed."
            )
            % {"created": report.created, "updated": report.updated, "deleted": report.deleted},
        )
        return redirect(reverse("continuity:overview"))
