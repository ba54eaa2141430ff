"""API of the SBOM app: SBOMs with their components and the vulnerabilities of the last
matching run (read), an upload that starts the import-and-match job (202 with the job), and a
re-match of every current SBOM.

Scoped like the pages: the caller's organisation only; a system or supplier named in an upload
must be the organisation's too. Reading needs VIEW, importing and matching MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, router
from finres.web.jobs import services as job_services
from finres.web.jobs.api import JobSerializer, accepted
from finres.web.language import current_language
from finres.web.orgs.roles import Action, allows
from finres.web.registers.api import ScopedField
from finres.web.registers.models import InformationSystem, Supplier
from finres.web.sbom import jobs, services
from finres.web.sbom.models import (
    SEVERITY_CHOICES,
    Component,
    Sbom,
    VexStatus,
    VulnerabilityMatch,
)
from finres.web.strict import StrictFieldsMixin


class MatchSerializer(serializers.ModelSerializer):
    why = serializers.SerializerMethodField()
    # "" when unknown or not stated: declared so the schema says so (read-only model fields
    # with choices lose their blank in the schema otherwise)
    severity = serializers.ChoiceField(choices=SEVERITY_CHOICES, allow_blank=True, read_only=True)
    vex_status = serializers.ChoiceField(
        choices=VexStatus.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = VulnerabilityMatch
        fields = [
            "advisory_id",
            "aliases",
            "kev",
            "severity",
            "score",
            "vector",
            "fixed",
            "why",
            "vex_status",
            "finding",
        ]
        read_only_fields = fields

    def get_why(self, match: VulnerabilityMatch) -> str:
        return match.why(current_language())


class ComponentSerializer(serializers.ModelSerializer):
    vulnerabilities = MatchSerializer(many=True, read_only=True)
    note = serializers.SerializerMethodField()

    class Meta:
        model = Component
        fields = ["purl", "name", "version", "ecosystem", "note", "vulnerabilities"]
        read_only_fields = fields

    def get_note(self, component: Component) -> str:
        """Why the component cannot be matched (empty when it can)."""
        return component.note_text(current_language())


class SbomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sbom
        fields = [
            "id",
            "system",
            "supplier",
            "name",
            "version",
            "format",
            "spec_version",
            "file_name",
            "file_sha256",
            "file_size",
            "imported_at",
            "previous",
            "current",
            "matched_at",
            "component_count",
            "vulnerable_count",
            "kev_count",
        ]
        read_only_fields = fields


class SbomDetailSerializer(SbomSerializer):
    components = ComponentSerializer(many=True, read_only=True)

    class Meta(SbomSerializer.Meta):
        fields = [*SbomSerializer.Meta.fields, "components"]
        read_only_fields = fields


class UploadSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField()
    system = ScopedField(queryset=InformationSystem.objects.all())
    supplier = ScopedField(queryset=Supplier.objects.all(), required=False, allow_null=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    version = serializers.CharField(max_length=100, required=False, allow_blank=True)


class SbomViewSet(OrganisationViewSet):
    queryset = Sbom.objects.order_by("pk")
    serializer_class = SbomSerializer
    write_action = Action.MANAGE
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.action == "retrieve":
            matches = VulnerabilityMatch.objects.order_by("-kev", "advisory_id")
            components = Component.objects.order_by("position").prefetch_related(
                Prefetch("vulnerabilities", queryset=matches)
            )
            queryset = queryset.prefetch_related(Prefetch("components", queryset=components))
        return queryset

    def get_serializer_class(self) -> Any:
        return SbomDetailSerializer if self.action == "retrieve" else SbomSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise PermissionDenied(_("Upload an SBOM with POST /api/sboms/upload/."))

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={202: JobSerializer}
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request: Request) -> Response:
        """Import an SBOM (CycloneDX or SPDX) for a system and match it, in a background job:
        answers 202 with the job (poll ``url``; its result names the SBOM)."""
        if not allows(getattr(request, "role", None), Action.MANAGE):
            raise PermissionDenied(_("Your role may not import SBOMs."))
        body = UploadSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > services.MAX_BYTES:
            raise ValidationError({"file": [_("The file is larger than 100 MiB.")]})
        from finres.web.sbom.views import start_import

        job = start_import(request.organisation, request.user, upload, body.validated_data)
        return accepted(job)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=False, methods=["post"])
    def rematch(self, request: Request) -> Response:
        """Match every current SBOM again (after new advisories or KEV entries)."""
        job = job_services.start_or_join(jobs.REMATCH, request.organisation, request.user, {})
        return accepted(job)


router.register("sboms", SbomViewSet, basename="sbom")
