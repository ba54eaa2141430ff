"""API of the incident register: incidents, their timeline and submissions, the institution's
own reporting regimes, each incident's deadlines and its FSB FIRE export.

Scoped like the pages (the caller's organisation only; related objects named in a request must
be its own). Reading needs VIEW, writing EDIT; deleting an incident and writing regimes MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finres.core import incidents as core
from finres.web.api import OrganisationViewSet, router
from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.continuity.api import ManagedDeleteMixin
from finres.web.continuity.models import CriticalService, Node
from finres.web.incidents import services
from finres.web.incidents.filters import (
    IncidentFilterSet,
    RegimeFilterSet,
    SubmissionFilterSet,
    TimelineFilterSet,
)
from finres.web.incidents.models import Incident, ReportingRegime, Submission, TimelineEntry
from finres.web.orgs.roles import Action
from finres.web.registers.api import ModelCleanMixin, ScopedField, UniqueCodeMixin
from finres.web.registers.models import InformationSystem, Supplier
from finres.web.strict import StrictFieldsMixin

MANY = ("services", "nodes", "systems", "suppliers")


class IncidentSerializer(
    StrictFieldsMixin, UniqueCodeMixin, ModelCleanMixin, serializers.ModelSerializer
):
    services = ScopedField(many=True, queryset=CriticalService.objects.all(), required=False)
    nodes = ScopedField(many=True, queryset=Node.objects.all(), required=False)
    systems = ScopedField(many=True, queryset=InformationSystem.objects.all(), required=False)
    suppliers = ScopedField(many=True, queryset=Supplier.objects.all(), required=False)

    class Meta:
        model = Incident
        fields = [
            "id",
            "code",
            "title",
            "description",
            "category",
            "severity",
            "major",
            "status",
            "occurred_at",
            "detected_at",
            "classified_at",
            "contained_at",
            "recovered_at",
            "closed_at",
            "services",
            "nodes",
            "systems",
            "suppliers",
            "discovery",
            "clients_affected",
            "transactions_affected",
            "financial_loss",
            "loss_currency",
            "data_affected",
            "geographic_spread",
            "root_cause",
            "lessons",
            "regime",
            "updated",
        ]
        read_only_fields = ["updated"]

    def validate_regime(self, value: str) -> str:
        if value and value not in services.choices(self.context["request"].organisation):
            raise ValidationError(_("No such reporting regime."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        many = {k: attrs.pop(k) for k in MANY if k in attrs}
        attrs = super().validate(attrs)
        attrs.update(many)
        return attrs


class TimelineSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    incident = ScopedField(queryset=Incident.objects.all())

    class Meta:
        model = TimelineEntry
        fields = ["id", "incident", "at", "text"]


class SubmissionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    incident = ScopedField(queryset=Incident.objects.all())

    class Meta:
        model = Submission
        fields = ["id", "incident", "stage", "submitted_at", "reference", "notes"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        incident = attrs.get("incident") or (self.instance.incident if self.instance else None)
        stage = attrs.get("stage", self.instance.stage if self.instance else "")
        choice = services.choices(self.context["request"].organisation).get(
            incident.regime if incident else ""
        )
        if choice is None:
            raise ValidationError({"incident": [_("The incident has no reporting regime.")]})
        if stage not in {s.id for s in choice.regime.stages}:
            raise ValidationError({"stage": [_("No such stage in the incident's regime.")]})
        return attrs


class RegimeSerializer(
    StrictFieldsMixin, UniqueCodeMixin, ModelCleanMixin, serializers.ModelSerializer
):
    class Meta:
        model = ReportingRegime
        fields = ["id", "code", "name", "regulator", "source", "notes", "stages"]


DEADLINES_SCHEMA = {
    "type": "object",
    "properties": {
        "regime": {"type": "string", "nullable": True},
        "overdue": {"type": "boolean"},
        "stages": {"type": "array", "items": {"type": "object"}},
    },
}


class IncidentViewSet(ManagedDeleteMixin, OrganisationViewSet):
    queryset = Incident.objects.prefetch_related(
        "services", "nodes", "systems", "suppliers"
    ).order_by("-detected_at", "code")
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet

    @extend_schema(responses={200: DEADLINES_SCHEMA})
    @action(detail=True, methods=["get"])
    def deadlines(self, request: Request, pk: str | None = None) -> Response:
        """The reporting deadlines of the incident's regime, with their status now."""
        incident = self.get_object()
        result = services.deadlines(incident, services.choices(request.organisation))
        return Response(
            {
                "regime": result.choice.key if result.choice else None,
                "overdue": result.overdue,
                "stages": [
                    {
                        "stage": row.stage.id,
                        "due": row.due,
                        "submitted": row.submitted,
                        "status": row.status.value,
                        "remaining_minutes": None
                        if row.remaining is None
                        else int(row.remaining.total_seconds() // 60),
                        "source": row.stage.source,
                    }
                    for row in result.rows
                ],
            }
        )

    @extend_schema(responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"])
    def fire(self, request: Request, pk: str | None = None) -> Response:
        """The incident in the FSB FIRE groups (docs/incidents.md has the mapping)."""
        incident = self.get_object()
        record_security_event(
            actions.EXPORT,
            user=request.user,
            organisation_id=request.organisation.pk,
            details={"register": "incident-fire", "incident": incident.code},
        )
        return Response(services.fire_data(incident, request.organisation))


class TimelineViewSet(OrganisationViewSet):
    queryset = TimelineEntry.objects.order_by("incident_id", "at", "pk")
    serializer_class = TimelineSerializer
    filterset_class = TimelineFilterSet


class SubmissionViewSet(OrganisationViewSet):
    queryset = Submission.objects.order_by("incident_id", "submitted_at", "pk")
    serializer_class = SubmissionSerializer
    filterset_class = SubmissionFilterSet


class RegimeViewSet(OrganisationViewSet):
    """The institution's own regimes (the shipped ones are content: /incidents/regimes/)."""

    queryset = ReportingRegime.objects.order_by("code")
    serializer_class = RegimeSerializer
    filterset_class = RegimeFilterSet
    write_action = Action.MANAGE

    def perform_create(self, serializer: Any) -> None:
        self._check(serializer)
        super().perform_create(serializer)

    def perform_update(self, serializer: Any) -> None:
        self._check(serializer)
        super().perform_update(serializer)

    def _check(self, serializer: Any) -> None:
        data = serializer.validated_data
        try:
            core.regime_from_data(
                {
                    "id": "check",
                    "name": {"zh": data.get("name") or "-", "en": data.get("name") or "-"},
                    "regulator": data.get("regulator") or "-",
                    "source": data.get("source") or "",
                    "stages": data.get(
                        "stages", serializer.instance.stages if serializer.instance else []
                    ),
                },
                "regime",
            )
        except core.RegimeError as error:
            raise ValidationError({"stages": error.problems}) from None
        if not self.request.organisation:
            raise PermissionDenied


router.register("incidents", IncidentViewSet, basename="incident")
router.register("incident-timeline", TimelineViewSet, basename="incident-timeline")
router.register("incident-submissions", SubmissionViewSet, basename="incident-submission")
router.register("reporting-regimes", RegimeViewSet, basename="reporting-regime")
