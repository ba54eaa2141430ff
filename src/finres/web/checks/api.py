"""API of the checks: targets (create, read, change, delete; ``protocol`` "tls" or "ssh"), runs
(the stored JSON of ``finres check tls`` with the outcomes per requirement, or of ``finres check
ssh`` with none), and starting a check (202 with the job).

Scoped like the pages: querysets are the caller's organisation's, a system named in a request
must belong to it too, and only a target of the organisation can be checked. Reading needs
VIEW, writing and starting checks EDIT, deleting MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, router
from finres.web.checks.filters import RunFilterSet
from finres.web.checks.forms import (
    ALREADY_A_TARGET,
    NOT_A_HOST,
    NOT_A_SERVER_NAME,
    SNI_ONLY_TLS,
    already_a_target,
    clean_host,
    clean_server_name,
)
from finres.web.checks.jobs import RUN_TARGETS
from finres.web.checks.models import DEFAULT_PORTS, Protocol, TlsOutcome, TlsRun, TlsTarget
from finres.web.jobs import services as jobs
from finres.web.jobs.api import JobSerializer, accepted
from finres.web.orgs.roles import Action, allows
from finres.web.registers.api import ScopedField
from finres.web.registers.models import InformationSystem
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


class TargetSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    system = ScopedField(queryset=InformationSystem.objects.all(), required=False, allow_null=True)

    class Meta:
        model = TlsTarget
        fields = [
            "id",
            "protocol",
            "system",
            "host",
            "port",
            "server_name",
            "schedule_days",
            "enabled",
            "notes",
            "created",
            "updated",
        ]
        read_only_fields = ["created", "updated"]

    def validate_host(self, value: str) -> str:
        try:
            return clean_host(value)
        except ValueError:
            raise ValidationError(NOT_A_HOST) from None

    def validate_server_name(self, value: str) -> str:
        try:
            return clean_server_name(value)
        except ValueError:
            raise ValidationError(NOT_A_SERVER_NAME) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        protocol = Protocol(attrs.get("protocol", current.protocol if current else Protocol.TLS))
        if "port" not in attrs and current is None:
            attrs["port"] = DEFAULT_PORTS[protocol]  # 443 for TLS, 22 for SSH
        host = attrs.get("host", current.host if current else None)
        port = attrs.get("port", current.port if current else DEFAULT_PORTS[protocol])
        sni = attrs.get("server_name", current.server_name if current else "")
        if protocol == Protocol.SSH and sni:
            raise ValidationError({"server_name": [SNI_ONLY_TLS]})
        organisation = self.context["request"].organisation
        if already_a_target(organisation, host, port, sni, current.pk if current else None):
            raise ValidationError({"host": [ALREADY_A_TARGET]})
        return attrs


class OutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TlsOutcome
        fields = ["requirement", "status", "evidence", "finding", "evidence_record"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = TlsRun
        fields = [
            "id",
            "target",
            "job",
            "started",
            "finished",
            "protocol",
            "status",
            "error",
            "passed",
            "failed",
            "needs_evidence",
            "not_recommended",
        ]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    outcomes = OutcomeSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "language", "result", "outcomes"]
        read_only_fields = fields


class TlsTargetViewSet(OrganisationViewSet):
    queryset = TlsTarget.objects.select_related("system").order_by("host", "port", "pk")
    serializer_class = TargetSerializer

    def perform_destroy(self, instance: Any) -> None:
        if not allows(getattr(self.request, "role", None), Action.MANAGE):
            raise PermissionDenied(_("Your role may not delete check targets."))
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            raise ValidationError(
                {"detail": _("It is still referred to and cannot be deleted.")}
            ) from None

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: Any = None) -> Response:
        """Check this target now, in a background job (poll the job's URL)."""
        target = self.get_object()
        job = jobs.start_or_join(
            RUN_TARGETS, request.organisation, request.user, {"targets": [target.pk]}
        )
        return accepted(job)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="run-all")
    def run_all(self, request: Request) -> Response:
        """Check every enabled target of the organisation, in one background job."""
        if not self.get_queryset().filter(enabled=True).exists():
            raise ValidationError({"detail": _("There is no endpoint to check.")})
        return accepted(jobs.start_or_join(RUN_TARGETS, request.organisation, request.user, {}))


class TlsRunViewSet(
    StrictViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Check runs, newest first; one run with the full JSON of ``finres check tls`` (or ``finres
    check ssh`` for a run whose ``protocol`` is "ssh")."""

    permission_classes = OrganisationViewSet.permission_classes
    pagination_class = OrganisationViewSet.pagination_class
    read_action = Action.VIEW
    write_action = Action.EDIT
    queryset = TlsRun.objects.all()
    filterset_class = RunFilterSet

    def get_queryset(self) -> Any:
        organisation = getattr(self.request, "organisation", None)
        if organisation is None:
            raise PermissionDenied("no organisation")
        found = TlsRun.objects.filter(organisation=organisation).order_by("-pk")
        if self.action == "retrieve":
            return found.prefetch_related("outcomes")
        return found.defer("result")

    def get_serializer_class(self) -> Any:
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer


router.register("tls-targets", TlsTargetViewSet, basename="tls-target")
router.register("tls-runs", TlsRunViewSet, basename="tls-run")
