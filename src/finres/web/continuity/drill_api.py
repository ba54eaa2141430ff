"""API of drills and exercises and their results per service and node, and the drills due.

Scoped like the pages: the caller's organisation only; services, nodes, suppliers, scenarios and
evidence named in a request must be its own. Reading needs VIEW, writing EDIT, deleting a drill
MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, RolePermission, router
from finres.web.continuity import drills
from finres.web.continuity.api import ManagedDeleteMixin
from finres.web.continuity.filters import (
    DrillFilterSet,
    DrillNodeResultFilterSet,
    DrillServiceResultFilterSet,
)
from finres.web.continuity.models import (
    CriticalService,
    Drill,
    DrillNodeResult,
    DrillServiceResult,
    Node,
    Scenario,
)
from finres.web.evidence.models import Evidence
from finres.web.orgs.roles import Action
from finres.web.registers.api import ModelCleanMixin, ScopedField, UniqueCodeMixin
from finres.web.registers.models import Supplier
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


class DrillSerializer(
    StrictFieldsMixin, UniqueCodeMixin, ModelCleanMixin, serializers.ModelSerializer
):
    scenario = ScopedField(queryset=Scenario.objects.all(), required=False, allow_null=True)
    services = ScopedField(many=True, queryset=CriticalService.objects.all(), required=False)
    nodes = ScopedField(many=True, queryset=Node.objects.all(), required=False)
    suppliers = ScopedField(many=True, queryset=Supplier.objects.all(), required=False)
    evidence = ScopedField(many=True, queryset=Evidence.objects.all(), required=False)

    class Meta:
        model = Drill
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "scenario",
            "scenario_text",
            "services",
            "nodes",
            "suppliers",
            "participants",
            "planned_on",
            "performed_on",
            "summary",
            "issues",
            "evidence",
            "updated",
        ]
        read_only_fields = ["updated"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        many: dict[str, Any] = {
            k: attrs.pop(k) for k in ("services", "nodes", "suppliers", "evidence") if k in attrs
        }
        attrs = super().validate(attrs)
        scenario = attrs.get("scenario", self.instance.scenario if self.instance else None)
        text = attrs.get("scenario_text", self.instance.scenario_text if self.instance else "")
        if scenario is None and not (text or "").strip():
            raise ValidationError(
                {"scenario_text": [_("Choose a saved scenario or describe one.")]}
            )
        attrs.update(many)
        return attrs


class ServiceResultSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    drill = ScopedField(queryset=Drill.objects.all())
    service = ScopedField(queryset=CriticalService.objects.all())
    meets_rto = serializers.BooleanField(read_only=True)
    meets_rpo = serializers.BooleanField(read_only=True)

    class Meta:
        model = DrillServiceResult
        fields = [
            "id",
            "drill",
            "service",
            "recovery_time_minutes",
            "data_loss_minutes",
            "notes",
            "meets_rto",
            "meets_rpo",
        ]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        drill = attrs.get("drill") or (self.instance.drill if self.instance else None)
        service = attrs.get("service") or (self.instance.service if self.instance else None)
        others = DrillServiceResult.objects.filter(drill=drill, service=service)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError({"service": [_("This service is already recorded.")]})
        return attrs

    def save(self, **kwargs: Any) -> Any:
        result = super().save(**kwargs)
        result.drill.services.add(result.service)
        return result


class NodeResultSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    drill = ScopedField(queryset=Drill.objects.all())
    node = ScopedField(queryset=Node.objects.all())

    class Meta:
        model = DrillNodeResult
        fields = [
            "id",
            "drill",
            "node",
            "layer",
            "recovery_time_minutes",
            "recovery_point_minutes",
            "notes",
        ]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        drill = attrs.get("drill") or (self.instance.drill if self.instance else None)
        node = attrs.get("node") or (self.instance.node if self.instance else None)
        layer = attrs.get("layer", self.instance.layer if self.instance else "")
        others = DrillNodeResult.objects.filter(drill=drill, node=node, layer=layer)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError({"node": [_("This node and layer are already recorded.")]})
        return attrs

    def save(self, **kwargs: Any) -> Any:
        result = super().save(**kwargs)
        result.drill.nodes.add(result.node)
        return result


class DrillViewSet(ManagedDeleteMixin, OrganisationViewSet):
    queryset = (
        Drill.objects.select_related("scenario")
        .prefetch_related("services", "nodes", "suppliers", "evidence")
        .order_by("-planned_on", "code")
    )
    serializer_class = DrillSerializer
    filterset_class = DrillFilterSet


class DrillServiceResultViewSet(OrganisationViewSet):
    queryset = DrillServiceResult.objects.select_related("service", "drill").order_by(
        "drill_id", "pk"
    )
    serializer_class = ServiceResultSerializer
    filterset_class = DrillServiceResultFilterSet


class DrillNodeResultViewSet(OrganisationViewSet):
    queryset = DrillNodeResult.objects.select_related("drill").order_by("drill_id", "pk")
    serializer_class = NodeResultSerializer
    filterset_class = DrillNodeResultFilterSet


DUE_SCHEMA = {
    "type": "object",
    "properties": {
        "tier": {"type": "integer", "nullable": True},
        "rule": {"type": "object", "nullable": True},
        "items": {"type": "array", "items": {"type": "object"}},
    },
}


class DrillsDueViewSet(StrictViewSetMixin, viewsets.ViewSet):
    """Which critical services and core systems are due a drill (CC-20000 rule as data)."""

    permission_classes = [permissions.IsAuthenticated, RolePermission]
    read_action = Action.VIEW
    write_action = Action.EDIT

    @extend_schema(responses={200: DUE_SCHEMA})
    @action(detail=False, methods=["get"])
    def due(self, request: Request) -> Response:
        found = drills.schedule(request.organisation)
        rule = found.rule
        return Response(
            {
                "tier": found.tier,
                "rule": None
                if rule is None
                else {
                    "id": rule.id,
                    "requirement": rule.requirement,
                    "interval_months": rule.interval_months,
                    "interval_from_source": rule.interval_from_source,
                    "quote": rule.quote,
                },
                "items": [
                    {
                        "kind": row.kind,
                        "id": row.object.pk,
                        "code": row.object.code,
                        "last_drill": row.due.last,
                        "due": row.due.due,
                        "state": row.due.state.value,
                        "required": row.required,
                    }
                    for row in found.services + found.systems
                ],
            }
        )


router.register("drills", DrillViewSet, basename="drill")
router.register("drill-service-results", DrillServiceResultViewSet, basename="drill-service-result")
router.register("drill-node-results", DrillNodeResultViewSet, basename="drill-node-result")
router.register("drill-schedule", DrillsDueViewSet, basename="drill-schedule")
