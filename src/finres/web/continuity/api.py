"""API of critical services, their BIA, the dependency graph, backup layers and scenarios; the
graph in the core's file format (export, all-or-nothing import) and its analysis.

Scoped like the pages: querysets are the caller's organisation's, and related objects named in
a request (services, nodes, register entries) must belong to it too. Reading needs VIEW,
writing EDIT, deleting services, nodes and scenarios and importing the graph MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, RolePermission, router
from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.continuity import graph, graphio
from finres.web.continuity.filters import (
    DependencyFilterSet,
    ImpactFilterSet,
    LayerFilterSet,
    NodeFilterSet,
    ScenarioFilterSet,
    ServiceFilterSet,
)
from finres.web.continuity.forms import unknown_tags
from finres.web.continuity.models import (
    CriticalService,
    Dependency,
    ImpactRating,
    Node,
    RecoveryLayer,
    Scenario,
)
from finres.web.continuity.rules import edge_problem
from finres.web.filtering import DB_INTEGER_MAX
from finres.web.orgs.roles import Action, allows
from finres.web.registers.api import ModelCleanMixin, ScopedField, TagsField, UniqueCodeMixin
from finres.web.registers.models import InformationSystem, Site, Supplier
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


class ServiceSerializer(
    StrictFieldsMixin, UniqueCodeMixin, ModelCleanMixin, serializers.ModelSerializer
):
    node = serializers.SerializerMethodField()

    class Meta:
        model = CriticalService
        fields = [
            "id",
            "code",
            "name",
            "description",
            "owner",
            "mtpd_minutes",
            "rto_minutes",
            "rpo_minutes",
            "minimum_service_level",
            "reviewed_on",
            "node",
            "updated",
        ]
        read_only_fields = ["updated"]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_node(self, service: CriticalService) -> int | None:
        node = getattr(service, "node", None)
        return node.pk if node is not None else None


class ImpactSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    service = ScopedField(queryset=CriticalService.objects.all())

    class Meta:
        model = ImpactRating
        fields = ["id", "service", "bucket", "financial", "customer", "regulatory", "reputational"]


class NodeSerializer(
    StrictFieldsMixin, UniqueCodeMixin, ModelCleanMixin, serializers.ModelSerializer
):
    service = ScopedField(queryset=CriticalService.objects.all(), required=False, allow_null=True)
    system = ScopedField(queryset=InformationSystem.objects.all(), required=False, allow_null=True)
    supplier = ScopedField(queryset=Supplier.objects.all(), required=False, allow_null=True)
    site = ScopedField(queryset=Site.objects.all(), required=False, allow_null=True)
    tags = TagsField(required=False)
    effective_recovery_time = serializers.SerializerMethodField()
    effective_recovery_point = serializers.SerializerMethodField()

    class Meta:
        model = Node
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "service",
            "system",
            "supplier",
            "site",
            "recovery_time_minutes",
            "recovery_point_minutes",
            "failover_time_minutes",
            "effective_recovery_time",
            "effective_recovery_point",
            "tags",
        ]

    def validate_service(self, value: CriticalService | None) -> CriticalService | None:
        if value is not None:
            others = Node.objects.filter(service=value)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise ValidationError(_("Another node already stands for this service."))
        return value

    @extend_schema_field(OpenApiTypes.INT)
    def get_effective_recovery_time(self, node: Node) -> int:
        return node.effective_recovery()[0]

    @extend_schema_field(OpenApiTypes.INT)
    def get_effective_recovery_point(self, node: Node) -> int:
        return node.effective_recovery()[1]


class DependencySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    node = ScopedField(queryset=Node.objects.all())
    target = ScopedField(queryset=Node.objects.all())

    class Meta:
        model = Dependency
        fields = ["id", "node", "target", "group"]
        validators: list[Any] = []  # the duplicate check below names the problem

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        node = attrs.get("node") or (self.instance.node if self.instance else None)
        target = attrs.get("target") or (self.instance.target if self.instance else None)
        group = attrs.get("group", self.instance.group if self.instance else "")
        if node is not None and target is not None:
            problem = edge_problem(
                node, target, group, exclude=self.instance.pk if self.instance else None
            )
            if problem:
                raise ValidationError({"target": [problem]})
        return attrs


class LayerSerializer(StrictFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    node = ScopedField(queryset=Node.objects.all())
    site = ScopedField(queryset=Site.objects.all(), required=False, allow_null=True)

    class Meta:
        model = RecoveryLayer
        fields = [
            "id",
            "node",
            "layer",
            "site",
            "recovery_time_minutes",
            "recovery_point_minutes",
            "demonstrated_on",
            "notes",
        ]


class ScenarioSerializer(StrictFieldsMixin, UniqueCodeMixin, serializers.ModelSerializer):
    fail = ScopedField(many=True, queryset=Node.objects.all(), required=False)
    fail_tagged = TagsField(required=False)

    class Meta:
        model = Scenario
        fields = ["id", "code", "name", "description", "fail", "fail_tagged"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        organisation = self.context["request"].organisation
        tags = attrs.get("fail_tagged", self.instance.fail_tagged if self.instance else [])
        unknown = unknown_tags(organisation, tags)
        if unknown:
            raise ValidationError(
                {"fail_tagged": [_("No node has the tag: %(tags)s") % {"tags": ", ".join(unknown)}]}
            )
        fail = attrs.get("fail", list(self.instance.fail.all()) if self.instance else [])
        if not fail and not tags:
            raise ValidationError(_("A scenario fails some nodes, or every node with a tag."))
        return attrs


class ManagedDeleteMixin:
    """Deleting needs MANAGE (services, nodes, scenarios: a node's removal reshapes the graph)."""

    request: Request

    def perform_destroy(self, instance: Any) -> None:
        if not allows(getattr(self.request, "role", None), Action.MANAGE):
            raise PermissionDenied(_("Your role may not delete this."))
        instance.delete()


class ServiceViewSet(ManagedDeleteMixin, OrganisationViewSet):
    queryset = CriticalService.objects.select_related("node").order_by("code")
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet


class ImpactViewSet(OrganisationViewSet):
    queryset = ImpactRating.objects.order_by("service_id", "bucket")
    serializer_class = ImpactSerializer
    filterset_class = ImpactFilterSet


class NodeViewSet(ManagedDeleteMixin, OrganisationViewSet):
    queryset = Node.objects.prefetch_related("layers", "drill_results__drill").order_by(
        "kind", "code"
    )
    serializer_class = NodeSerializer
    filterset_class = NodeFilterSet


class DependencyViewSet(OrganisationViewSet):
    queryset = Dependency.objects.order_by("node_id", "group", "pk")
    serializer_class = DependencySerializer
    filterset_class = DependencyFilterSet


class LayerViewSet(OrganisationViewSet):
    queryset = RecoveryLayer.objects.order_by("node_id", "layer")
    serializer_class = LayerSerializer
    filterset_class = LayerFilterSet


def result_data(result: graph.Result) -> dict[str, Any]:
    """The core's JSON contract, plus the concentration counts and the graph's problems."""
    data = result.data() or {"scenario": None, "services": [], "single_points_of_failure": []}
    data["problems"] = (
        [{"place": p.place, "message": p.text("en")} for p in result.error.problems]
        if result.error is not None
        else []
    )
    data["concentration"] = [
        {"kind": row.kind, "label": row.label, "services": [n.code for n in row.services]}
        for row in graph.concentration(result)
    ]
    return data


ANALYSIS_SCHEMA = {
    "type": "object",
    "properties": {
        "scenario": {"type": "string", "nullable": True},
        "services": {"type": "array", "items": {"type": "object"}},
        "single_points_of_failure": {"type": "array", "items": {"type": "object"}},
        "problems": {"type": "array", "items": {"type": "object"}},
        "concentration": {"type": "array", "items": {"type": "object"}},
    },
}


GRAPH_SCHEMA = {
    "type": "object",
    "properties": {
        "nodes": {"type": "array", "items": {"type": "object"}},
        "scenarios": {"type": "array", "items": {"type": "object"}},
    },
}


class ScenarioViewSet(ManagedDeleteMixin, OrganisationViewSet):
    queryset = Scenario.objects.prefetch_related("fail").order_by("code")
    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilterSet

    @extend_schema(responses={200: ANALYSIS_SCHEMA})
    @action(detail=True, methods=["get"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        """The scenario's analysis: which services breach their RTO/RPO and by how much."""
        return Response(result_data(graph.run(request.organisation, self.get_object())))


class ImportSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField()


class GraphViewSet(StrictViewSetMixin, viewsets.ViewSet):
    """The whole graph in the core's file format, its import, its analysis and the numbers a
    dashboard shows."""

    permission_classes = [permissions.IsAuthenticated, RolePermission]
    read_action = Action.VIEW
    write_action = Action.MANAGE
    query_parameters = {"analysis": frozenset({"scenario"})}

    @extend_schema(responses={200: GRAPH_SCHEMA})
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> Response:
        """The graph file (``finres resilience analyse --file`` reads it as JSON)."""
        record_security_event(
            actions.EXPORT,
            user=request.user,
            organisation_id=request.organisation.pk,
            details={"register": "continuity-graph", "format": "json"},
        )
        return Response(graph.graph_data(request.organisation))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "scenario",
                {"type": "integer", "minimum": 1, "maximum": DB_INTEGER_MAX},
                description="a saved scenario's id; without it, the worst single failure",
            )
        ],
        responses={200: ANALYSIS_SCHEMA},
    )
    @action(detail=False, methods=["get"])
    def analysis(self, request: Request) -> Response:
        """The analysis: each service against its RTO and RPO, single points of failure,
        concentration."""
        scenario = None
        chosen = request.query_params.get("scenario")
        if chosen is not None:
            scenario = (
                Scenario.objects.filter(organisation=request.organisation, pk=int(chosen)).first()
                if chosen.isdigit() and int(chosen) <= DB_INTEGER_MAX
                else None
            )
            if scenario is None:
                raise ValidationError({"scenario": [_("No such scenario.")]})
        return Response(result_data(graph.run(request.organisation, scenario)))

    @extend_schema(
        responses={
            200: {
                "type": "object",
                "properties": {
                    "services": {"type": "integer"},
                    "valid": {"type": "boolean"},
                    "breaching_rto": {"type": "integer", "nullable": True},
                    "breaching_rpo": {"type": "integer", "nullable": True},
                    "single_points_of_failure": {"type": "integer", "nullable": True},
                },
            }
        }
    )
    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        """The numbers a dashboard tile shows."""
        return Response(graph.dashboard_numbers(request.organisation))

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={200: {"type": "object"}},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request: Request) -> Response:
        """Replace the graph with a YAML or JSON graph file (all or nothing; every problem by
        place)."""
        body = ImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        report = graphio.import_graph(request.organisation, upload.file, upload.name, upload.size)
        data = {
            "applied": report.ok,
            "created": report.created,
            "updated": report.updated,
            "deleted": report.deleted,
            "problems": [{"place": p, "message": m} for p, m in report.problems],
        }
        return Response(data, status=200 if report.ok else 400)


router.register("critical-services", ServiceViewSet, basename="critical-service")
router.register("impact-ratings", ImpactViewSet, basename="impact-rating")
router.register("graph-nodes", NodeViewSet, basename="graph-node")
router.register("graph-dependencies", DependencyViewSet, basename="graph-dependency")
router.register("recovery-layers", LayerViewSet, basename="recovery-layer")
router.register("continuity-scenarios", ScenarioViewSet, basename="continuity-scenario")
router.register("continuity-graph", GraphViewSet, basename="continuity-graph")

# The drills' endpoints live in their own module, registered on the same router.
from finres.web.continuity import drill_api  # noqa: E402, F401
