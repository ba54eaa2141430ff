"""API of the crypto inventory: assets (with CBOM and XLSX/CSV export and import), each
system's risk factors, and the migration plan (the same JSON as ``finres crypto plan``).

Scoped like the pages: querysets are the caller's organisation's, a system named in a request
must belong to it too. Reading needs VIEW, writing EDIT, deleting and importing MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, router
from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.crypto import services, tabular
from finres.web.crypto.filters import AssetFilterSet
from finres.web.crypto.models import CryptoAsset, SystemCryptoRisk
from finres.web.orgs.roles import Action, allows
from finres.web.registers.api import RegisterViewSet, ScopedField
from finres.web.registers.models import InformationSystem
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


class AssetSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    system = ScopedField(queryset=InformationSystem.objects.all(), required=False, allow_null=True)
    exposure_reason = serializers.SerializerMethodField()

    class Meta:
        model = CryptoAsset
        fields = [
            "id",
            "code",
            "kind",
            "name",
            "system",
            "family",
            "parameter",
            "key_size",
            "where_used",
            "primitive",
            "signature_algorithm",
            "not_after",
            "version",
            "pqc_capable",
            "source",
            "notes",
            "exposure",
            "exposure_reason",
            "updated",
        ]
        read_only_fields = ["exposure", "source", "updated"]

    def get_exposure_reason(self, asset: CryptoAsset) -> str:
        return asset.assess().reason(services.language())

    def validate_code(self, value: str) -> str:
        organisation = self.context["request"].organisation
        others = CryptoAsset.objects.filter(organisation=organisation, code=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("Another entry already has this code."))
        return value


class CbomImportSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField()
    system = ScopedField(queryset=InformationSystem.objects.all(), required=False, allow_null=True)


class CbomImportResultSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField())


class CryptoAssetViewSet(RegisterViewSet):
    queryset = CryptoAsset.objects.select_related("system").order_by("code")
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
    register = tabular.REGISTER
    may_not_delete = gettext_lazy("Your role may not delete crypto assets.")
    may_not_import = gettext_lazy("Your role may not import crypto assets.")

    @extend_schema(responses={(200, "application/vnd.cyclonedx+json"): OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def cbom(self, request: Request) -> Response:
        """The inventory as a CycloneDX 1.6 CBOM."""
        record_security_event(
            actions.EXPORT,
            user=request.user,
            organisation_id=request.organisation.pk,
            details={"register": "crypto-assets", "format": "cbom"},
        )
        return Response(
            services.export_cbom(request.organisation),
            content_type="application/vnd.cyclonedx+json",  # as documented: a CycloneDX file
        )

    @extend_schema(
        request={"multipart/form-data": CbomImportSerializer},
        responses={200: CbomImportResultSerializer, 400: CbomImportResultSerializer},
    )
    @action(
        detail=False, methods=["post"], url_path="cbom-import", parser_classes=[MultiPartParser]
    )
    def cbom_import(self, request: Request) -> Response:
        """Create or update assets from a CycloneDX 1.6 CBOM (validated) or the JSON of
        ``finres check tls`` (its assets in ``system``), all or nothing."""
        self._may_import(request)
        body = CbomImportSerializer(data=request.data, context={"request": request})
        if not body.is_valid():
            errors = [f"{k}: {m}" for k, messages in body.errors.items() for m in messages]
            return Response(
                {"applied": False, "created": 0, "updated": 0, "unchanged": 0, "errors": errors},
                status=400,
            )
        upload = body.validated_data["file"]
        if upload.size > services.CBOM_MAX_BYTES:
            result = services.ImportResult(errors=[_("The file is larger than 20 MiB.")])
        else:
            result = services.import_upload(
                request.organisation,
                upload.read(),
                upload.name,
                body.validated_data.get("system"),
            )
        return Response(
            {
                "applied": result.ok,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": result.errors,
            },
            status=200 if result.ok else 400,
        )


class RiskSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    system = ScopedField(queryset=InformationSystem.objects.all())

    class Meta:
        model = SystemCryptoRisk
        fields = [
            "id",
            "system",
            "data_secrecy_years",
            "migration_years",
            "business_impact",
            "business_dependency",
            "ecosystem_linkage",
            "international_alignment",
            "assessed_on",
            "notes",
            "updated",
        ]
        read_only_fields = ["updated"]

    def validate_system(self, value: InformationSystem) -> InformationSystem:
        others = SystemCryptoRisk.objects.filter(system=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("This system already has a risk assessment."))
        return value


class CryptoRiskViewSet(OrganisationViewSet):
    queryset = SystemCryptoRisk.objects.select_related("system").order_by("system__code")
    serializer_class = RiskSerializer

    def perform_destroy(self, instance: Any) -> None:
        if not allows(getattr(self.request, "role", None), Action.MANAGE):
            raise PermissionDenied(_("Your role may not delete risk assessments."))
        instance.delete()


class CryptoPlanViewSet(StrictViewSetMixin, viewsets.GenericViewSet):
    """The PQC migration plan ordered by risk (the JSON of ``finres crypto plan``)."""

    permission_classes = OrganisationViewSet.permission_classes
    queryset = CryptoAsset.objects.none()
    read_action = Action.VIEW
    write_action = Action.MANAGE
    pagination_class = None

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request: Request) -> Response:
        return Response(services.plan_for(request.organisation))


router.register("crypto-assets", CryptoAssetViewSet, basename="crypto-asset")
router.register("crypto-risks", CryptoRiskViewSet, basename="crypto-risk")
router.register("crypto-plan", CryptoPlanViewSet, basename="crypto-plan")
