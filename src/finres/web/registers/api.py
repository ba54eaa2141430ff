"""API of the registers: sites, systems, suppliers, supplier reviews; export and import of each
register; the profile facts the registers answer.

Scoped like the pages: querysets are the caller's organisation's, related objects named in a
request (sites, suppliers, reviewers) must belong to it too. Reading needs VIEW, writing EDIT,
deleting and importing MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, ProtectedError, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finres.core import registers as core
from finres.web.api import OrganisationViewSet, router
from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.orgs.roles import Action, allows
from finres.web.registers import facts, formats, tabular
from finres.web.registers.filters import (
    SiteFilterSet,
    SupplierFilterSet,
    SupplierReviewFilterSet,
    SystemFilterSet,
)
from finres.web.registers.forms import members_of
from finres.web.registers.models import (
    InformationSystem,
    Site,
    Supplier,
    SupplierReview,
    tags_problem,
    tiering,
)
from finres.web.registers.requirements import for_system, scoped_requirements
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


class ScopedField(serializers.PrimaryKeyRelatedField):
    """An object of the caller's organisation; any other id is "does not exist"."""

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(organisation=self.context["request"].organisation)


class MemberField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Any]:
        return members_of(self.context["request"].organisation)


class TagsField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def to_internal_value(self, data: Any) -> list[str]:
        value = super().to_internal_value(data)
        problem = tags_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class ModelCleanMixin:
    """Run the model's own ``clean`` (cross-field rules) on the would-be instance."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from django.core.exceptions import ValidationError as DjangoError

        model = self.Meta.model  # type: ignore[attr-defined]
        instance = self.instance or model(organisation=self.context["request"].organisation)  # type: ignore[attr-defined]
        plain = {k: v for k, v in attrs.items() if k not in ("sites", "suppliers")}
        for name, value in plain.items():
            setattr(instance, name, value)
        try:
            instance.clean()
        except DjangoError as error:
            raise ValidationError(error.message_dict) from None
        return attrs


class UniqueCodeMixin:
    def validate_code(self, value: str) -> str:
        organisation = self.context["request"].organisation  # type: ignore[attr-defined]
        others = self.Meta.model.objects.filter(organisation=organisation, code=value)  # type: ignore[attr-defined]
        if self.instance is not None:  # type: ignore[attr-defined]
            others = others.exclude(pk=self.instance.pk)  # type: ignore[attr-defined]
        if others.exists():
            raise ValidationError(_("Another entry already has this code."))
        return value


class SiteSerializer(StrictFieldsMixin, UniqueCodeMixin, serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "code", "name", "kind", "country", "address", "notes"]


class SystemSerializer(
    StrictFieldsMixin, UniqueCodeMixin, ModelCleanMixin, serializers.ModelSerializer
):
    sites = ScopedField(many=True, queryset=Site.objects.all(), required=False)
    suppliers = ScopedField(many=True, queryset=Supplier.objects.all(), required=False)
    reviewer = MemberField(required=False, allow_null=True)
    tags = TagsField(required=False)

    class Meta:
        model = InformationSystem
        fields = [
            "id",
            "code",
            "name",
            "description",
            "owner",
            "classification",
            "confidentiality",
            "integrity",
            "availability",
            "legal_compliance",
            "classification_rationale",
            "internet_facing",
            "data_sensitivity",
            "hosting",
            "cloud_provider",
            "cloud_service",
            "data_location",
            "material",
            "natural_person_customers",
            "sites",
            "suppliers",
            "tags",
            "reviewed_on",
            "reviewer",
            "updated",
        ]
        read_only_fields = ["updated"]


class ClauseListField(serializers.ListField):
    child = serializers.CharField()

    def to_internal_value(self, data: Any) -> list[str]:
        value = super().to_internal_value(data)
        known = {c.id for c in tiering().clauses}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValidationError(
                _("Unknown clauses: %(clauses)s") % {"clauses": ", ".join(unknown)}
            )
        return list(dict.fromkeys(value))


class SupplierSerializer(
    StrictFieldsMixin, UniqueCodeMixin, ModelCleanMixin, serializers.ModelSerializer
):
    contract_clauses = ClauseListField(required=False)
    tags = TagsField(required=False)
    missing_clauses = serializers.SerializerMethodField()
    gaps = serializers.SerializerMethodField()
    last_review = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "code",
            "name",
            "tax_id",
            "industry",
            "services",
            "system_access",
            "data_sensitivity",
            "cloud_services",
            "processing_location",
            "tier",
            "tier_rule",
            "contact",
            "contract_reference",
            "contract_start",
            "contract_end",
            "contract_clauses",
            "missing_clauses",
            "incident_notification_hours",
            "exit_plan",
            "exit_plan_tested_on",
            "dr_capability",
            "dr_rto_minutes",
            "dr_rpo_minutes",
            "dr_assessed_on",
            "dr_notes",
            "alternatives",
            "tags",
            "last_review",
            "gaps",
            "updated",
        ]
        read_only_fields = ["tier", "tier_rule", "updated"]

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_missing_clauses(self, supplier: Supplier) -> list[str]:
        missing = core.missing_clauses(
            tiering(), supplier.tier, supplier.cloud_services, supplier.contract_clauses or []
        )
        return [c.id for c in missing]

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_gaps(self, supplier: Supplier) -> list[str]:
        return [g.value for g in supplier.gaps(timezone.localdate())]


class SupplierReviewSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    supplier = ScopedField(queryset=Supplier.objects.all())

    class Meta:
        model = SupplierReview
        fields = ["id", "supplier", "kind", "performed_on", "performed_by", "outcome", "summary"]


class RegisterImportSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField()


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class RegisterImportReportSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)


EXPORT_PARAMETERS = [OpenApiParameter("export_format", str, enum=["xlsx", "csv"])]


class RegisterViewSet(OrganisationViewSet):
    """Shared by the registers (and the crypto inventory, a register of its own): deletion
    needs MANAGE; export and import actions in the register's table format."""

    register: formats.Register
    query_parameters = {"export": frozenset({"export_format"})}
    may_not_delete = gettext_lazy("Your role may not delete register entries.")
    may_not_import = gettext_lazy("Your role may not import registers.")

    def _may_import(self, request: Request) -> None:
        if not allows(getattr(request, "role", None), Action.MANAGE):
            raise PermissionDenied(self.may_not_import)

    def perform_destroy(self, instance: Any) -> None:
        if not allows(getattr(self.request, "role", None), Action.MANAGE):
            raise PermissionDenied(self.may_not_delete)
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            raise ValidationError(
                {"detail": _("It is still referred to and cannot be deleted.")}
            ) from None

    @extend_schema(parameters=EXPORT_PARAMETERS, responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """The whole register as XLSX (default) or CSV, in the import's format."""
        kind = request.query_params.get("export_format", "xlsx")
        if kind not in ("xlsx", "csv"):
            raise ValidationError({"export_format": _("Choose xlsx or csv.")})
        content, content_type, name = formats.export(self.register, request.organisation, kind)
        record_security_event(
            actions.EXPORT,
            user=request.user,
            organisation_id=request.organisation.pk,
            details={"register": self.register.key, "format": kind},
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    @extend_schema(
        request={"multipart/form-data": RegisterImportSerializer},
        responses={200: RegisterImportReportSerializer, 400: RegisterImportReportSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request: Request) -> Response:
        """Create or update entries from an XLSX or CSV file (all or nothing)."""
        self._may_import(request)
        body = RegisterImportSerializer(data=request.data)
        if not body.is_valid():  # no file, or not a file: told in the report's one shape
            problems = [
                formats.RowError(0, str(field), str(message))
                for field, messages in body.errors.items()
                for message in messages
            ]
            return Response(self._report(formats.ImportReport(errors=problems)), status=400)
        upload = body.validated_data["file"]
        try:
            report = formats.import_table(
                self.register, request.organisation, upload.file, upload.name, upload.size
            )
        except tabular.TableError as error:
            # the whole file is refused: one problem, on no particular row (as evidence imports)
            report = formats.ImportReport(errors=[formats.RowError(0, "", error.message)])
        return Response(self._report(report), status=200 if report.ok else 400)

    @staticmethod
    def _report(report: formats.ImportReport) -> dict[str, Any]:
        return {
            "applied": report.applied,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in report.errors
            ],
        }


class SiteViewSet(RegisterViewSet):
    queryset = Site.objects.order_by("code")
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet
    register = formats.SITES


class SystemViewSet(RegisterViewSet):
    queryset = InformationSystem.objects.all()
    serializer_class = SystemSerializer
    filterset_class = SystemFilterSet
    register = formats.SYSTEMS

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("sites", queryset=Site.objects.only("pk")),
                Prefetch("suppliers", queryset=Supplier.objects.only("pk")),
            )
            .order_by("code")
        )

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def requirements(self, request: Request, pk: str | None = None) -> Response:
        """The applicable requirements scoped to core (internet-facing) systems that concern it."""
        system = self.get_object()
        found = for_system(
            system.scopes(), scoped_requirements(request.organisation) if system.is_core else {}
        )
        return Response(
            {
                "system": system.pk,
                "scopes": sorted(system.scopes()),
                "requirements": [
                    {
                        "id": r.pk,
                        "framework": r.framework.code,
                        "code": r.code,
                        "ref": r.ref,
                        "scope": r.scope,
                        "title": r.title(),
                    }
                    for r in found
                ],
            }
        )


class SupplierViewSet(RegisterViewSet):
    queryset = Supplier.objects.all()
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilterSet
    register = formats.SUPPLIERS

    def get_queryset(self) -> Any:
        return super().get_queryset().with_last_review().order_by("code")


class SupplierReviewViewSet(OrganisationViewSet):
    queryset = SupplierReview.objects.select_related("supplier").order_by("-performed_on", "-pk")
    serializer_class = SupplierReviewSerializer
    filterset_class = SupplierReviewFilterSet

    def perform_destroy(self, instance: Any) -> None:
        if not allows(getattr(self.request, "role", None), Action.MANAGE):
            raise PermissionDenied(_("Your role may not delete register entries."))
        instance.delete()


class FactSerializer(serializers.Serializer):
    fact = serializers.CharField()
    value = serializers.BooleanField(allow_null=True)
    profile = serializers.BooleanField(allow_null=True)
    basis = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.DictField())


class RegisterFactsViewSet(StrictViewSetMixin, viewsets.GenericViewSet):
    """The profile facts the registers answer, with the entries that are the reason."""

    permission_classes = OrganisationViewSet.permission_classes
    queryset = InformationSystem.objects.none()
    read_action = Action.VIEW
    write_action = Action.MANAGE
    serializer_class = FactSerializer
    pagination_class = None

    @extend_schema(responses=FactSerializer(many=True))
    def list(self, request: Request) -> Response:
        stated = facts.current_facts(request.organisation)
        return Response(
            [
                {
                    "fact": fact.value,
                    "value": derivation.value,
                    "profile": stated.get(fact.value),
                    "basis": derivation.basis,
                    "reasons": [
                        {"kind": r.kind, "id": r.id, "code": r.code, "name": r.name}
                        for r in derivation.reasons
                    ],
                }
                for fact, derivation in facts.derive(request.organisation).items()
            ]
        )


router.register("sites", SiteViewSet, basename="site")
router.register("systems", SystemViewSet, basename="system")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("supplier-reviews", SupplierReviewViewSet, basename="supplier-review")
router.register("register-facts", RegisterFactsViewSet, basename="register-fact")
