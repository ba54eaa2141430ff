"""API endpoints of this app (registered on finres.web.api.router).

- ``dashboard/compliance/`` and ``dashboard/maturity/``: read-only figures of the current
  organisation (the dashboard's), for anyone who may read reports;
- ``board-reports/`` and ``declarations/``: the documents, readable with the reports permission,
  written by those who manage, made final (``…/finalise/``) by those who approve. A final
  document cannot be changed or deleted (409). ``board-reports/{id}/pdf/`` and ``…/docx/``
  (POST) start the document as a background job: 202 with the job's URL.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, RolePermission, router
from finres.web.jobs import kinds as job_kinds
from finres.web.jobs.api import JobSerializer
from finres.web.orgs.roles import Action, allows
from finres.web.reports import content, documents, metrics, workflow
from finres.web.reports.models import BoardReport, Declaration, Signatory
from finres.web.reports.resilience import resilience_numbers
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"
    default_code = "conflict"


def _year(request: Request) -> int | None:
    value = request.query_params.get("year")
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except ValueError:
        raise ValidationError({"year": "expected a year such as 2025"}) from None
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "expected a year between 2000 and 2100"})
    return year


# --- dashboard ----------------------------------------------------------------------------------


def localised_text() -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(), help_text='the text by language: "zh-TW" and "en"'
    )


class FrameworkMaturitySerializer(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True)
    scale = serializers.ListField(child=serializers.IntegerField())
    target = serializers.IntegerField(allow_null=True)
    share_at_target = serializers.FloatField(allow_null=True)
    assessed = serializers.IntegerField()


class FrameworkFiguresSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = localised_text()
    assessment = serializers.CharField()
    period_end = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    maturity = FrameworkMaturitySerializer(allow_null=True)
    previous_mean = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)


class ComplianceSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    frameworks = FrameworkFiguresSerializer(many=True)


class FunctionSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = localised_text()
    current = serializers.FloatField(allow_null=True)
    previous = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)


class OverallSerializer(serializers.Serializer):
    current = serializers.FloatField(allow_null=True)
    previous = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)


class MaturitySerializer(serializers.Serializer):
    year = serializers.IntegerField()
    previous_year = serializers.IntegerField()
    tier = serializers.IntegerField(allow_null=True)
    functions = FunctionSerializer(many=True)
    overall = OverallSerializer()
    coverage = serializers.FloatField(allow_null=True)
    years = serializers.ListField(child=serializers.IntegerField())
    trend = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True))
    )
    frameworks = FrameworkFiguresSerializer(many=True)


class ResilienceSerializer(serializers.Serializer):
    """The dashboard's resilience and verification figures, each from its domain."""

    services = serializers.DictField(help_text="critical services, RTO/RPO breaches, single points")
    reviews = serializers.DictField(help_text="system classifications and suppliers due a review")
    drills = serializers.DictField(help_text="services and core systems due a drill")
    incidents = serializers.DictField(help_text="open, open major, reports overdue")
    crypto = serializers.DictField(help_text="crypto assets by quantum exposure, PQC readiness")
    checks = serializers.DictField(help_text="TLS endpoints checked and failing")
    sbom = serializers.DictField(help_text="components with KEV-listed or any vulnerability")


class ReportDataSerializer(serializers.Serializer):
    """The figures of a report (see ``finres.web.reports.content.build``)."""

    year = serializers.IntegerField()
    as_of = serializers.DateField()
    generated = serializers.DateTimeField()
    tier = serializers.IntegerField(allow_null=True)
    frameworks = FrameworkFiguresSerializer(many=True)
    compliance = serializers.DictField()
    maturity = serializers.DictField()
    findings = serializers.DictField()
    serious = serializers.ListField(child=serializers.DictField())
    milestones = serializers.DictField()
    exceptions = serializers.DictField()
    evidence = serializers.DictField()


YEAR_PARAMETER = OpenApiParameter(
    "year", int, description="the year to report on (default: the latest assessed year)"
)


class DashboardViewSet(StrictViewSetMixin, viewsets.ViewSet):
    """The dashboard's figures for the caller's current organisation."""

    query_parameters = {"compliance": frozenset({"year"}), "maturity": frozenset({"year"})}
    permission_classes = [permissions.IsAuthenticated, RolePermission]
    read_action = Action.REPORTS
    write_action = Action.ADMIN  # nothing to write

    def _found(self, request: Request) -> metrics.OrganisationMetrics:
        organisation = getattr(request, "organisation", None)
        if organisation is None:
            raise PermissionDenied("no organisation")
        return metrics.for_organisation(organisation, _year(request))

    @extend_schema(parameters=[YEAR_PARAMETER], responses=ComplianceSerializer)
    @action(detail=False, methods=["get"])
    def compliance(self, request: Request) -> Response:
        """Results counted by framework (each framework's latest assessment up to the year)."""
        found = self._found(request)
        return Response(
            {
                "year": found.year,
                **content.compliance_total(found),
                "frameworks": content.frameworks_data(found),
            }
        )

    @extend_schema(parameters=[YEAR_PARAMETER], responses=MaturitySerializer)
    @action(detail=False, methods=["get"])
    def maturity(self, request: Request) -> Response:
        """Maturity per NIST CSF 2.0 function (current, previous year, target), trend, and per
        framework."""
        found = self._found(request)
        return Response(
            {
                **content.maturity_data(found),
                "tier": found.tier,
                "frameworks": content.frameworks_data(found),
            }
        )

    @extend_schema(responses=ResilienceSerializer)
    @action(detail=False, methods=["get"])
    def resilience(self, request: Request) -> Response:
        """Operational resilience and technical verification figures."""
        organisation = getattr(request, "organisation", None)
        if organisation is None:
            raise PermissionDenied("no organisation")
        return Response(resilience_numbers(organisation))


# --- documents ----------------------------------------------------------------------------------


class OrganisationYearValidation:
    """One document per organisation and year (the organisation is the caller's)."""

    def validate_year(self, year: int) -> int:
        serializer: Any = self
        model = serializer.Meta.model
        organisation = serializer.context["request"].organisation
        clash = model.objects.filter(organisation=organisation, year=year)
        if serializer.instance is not None:
            clash = clash.exclude(pk=serializer.instance.pk)
        if clash.exists():
            raise ValidationError(f"there is already a {model._meta.model_name} for {year}")
        return year


class BoardReportSerializer(
    StrictFieldsMixin, OrganisationYearValidation, serializers.ModelSerializer
):
    class Meta:
        model = BoardReport
        fields = [
            "id",
            "year",
            "status",
            "summary",
            "programme_execution",
            "major_incidents",
            "risk_assessment",
            "budget_resources",
            "budget_planned",
            "budget_spent",
            "it_budget",
            "security_staff",
            "prepared_by",
            "signed_by",
            "signed_at",
            "snapshot_sha256",
            "created",
            "updated",
        ]
        read_only_fields = [
            "id",
            "status",
            "prepared_by",
            "signed_by",
            "signed_at",
            "snapshot_sha256",
            "created",
            "updated",
        ]


class DocumentViewSet(OrganisationViewSet):
    read_action = Action.REPORTS
    write_action = Action.MANAGE
    conflict_actions = ("update", "partial_update", "destroy", "finalise")

    def get_queryset(self) -> Any:
        return workflow.readable(super().get_queryset(), getattr(self.request, "role", None))

    def perform_update(self, serializer: Any) -> None:
        try:
            workflow.ensure_draft(serializer.instance)
        except workflow.DocumentError as error:
            raise Conflict(str(error)) from None
        super().perform_update(serializer)

    def perform_destroy(self, instance: Any) -> None:
        try:
            workflow.ensure_draft(instance)
        except workflow.DocumentError as error:
            raise Conflict(str(error)) from None
        instance.delete()

    def _may_approve(self, request: Request) -> None:
        if not allows(getattr(request, "role", None), Action.APPROVE):
            raise PermissionDenied("your role may not make documents final")


class MayReadReports(permissions.IsAuthenticated):
    """Asking for a document to be made (a POST) needs no more than reading it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and allows(
            getattr(request, "role", None), Action.REPORTS
        )


class BoardReportViewSet(DocumentViewSet):
    """The CISO's annual report to the board (blueprint measure 2)."""

    queryset = BoardReport.objects.select_related("prepared_by", "signed_by").order_by("-year")
    serializer_class = BoardReportSerializer

    def perform_create(self, serializer: Any) -> None:
        serializer.save(organisation=self.request.organisation, prepared_by=self.request.user)

    @extend_schema(responses=ReportDataSerializer)
    @action(detail=True, methods=["get"])
    def data(self, request: Request, pk: Any = None) -> Response:
        """The report's figures: as signed for a final report, as they are now for a draft."""
        return Response(documents.report_data(self.get_object()))

    @extend_schema(request=None, responses=BoardReportSerializer)
    @action(detail=True, methods=["post"])
    def finalise(self, request: Request, pk: Any = None) -> Response:
        """Freeze the figures and sign: every section must be written."""
        self._may_approve(request)
        report = self.get_object()
        try:
            report = workflow.finalise_board_report(report, request.user)
        except workflow.DocumentError as error:
            raise Conflict(str(error)) from None
        return Response(self.get_serializer(report).data)

    def _document_job(self, request: Request, kind: str) -> Response:
        from finres.web.jobs import services as job_services
        from finres.web.jobs.api import accepted
        from finres.web.reports.views import board_document_parameters

        report = self.get_object()
        job = job_services.start_or_join(
            kind, request.organisation, request.user, board_document_parameters(report)
        )
        return accepted(job)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], permission_classes=[MayReadReports])
    def pdf(self, request: Request, pk: Any = None) -> Response:
        """Start making the report's PDF in the background: 202 with the job (poll its URL;
        its ``download`` appears when done)."""
        return self._document_job(request, job_kinds.BOARD_REPORT_PDF)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], permission_classes=[MayReadReports])
    def docx(self, request: Request, pk: Any = None) -> Response:
        """Start making the report's Word file in the background (as ``pdf``)."""
        return self._document_job(request, job_kinds.BOARD_REPORT_DOCX)


class SignatorySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Signatory
        fields = ["position", "title", "name", "signed_on"]


class DeclarationSerializer(
    StrictFieldsMixin, OrganisationYearValidation, serializers.ModelSerializer
):
    signatories = SignatorySerializer(many=True)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "year",
            "statement",
            "declared_on",
            "status",
            "signatories",
            "finalised_at",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "status", "finalised_at", "created", "updated"]

    def validate_signatories(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not value:
            raise ValidationError("a declaration needs at least one signatory")
        return value

    def _replace_signatories(self, declaration: Declaration, rows: list[dict[str, Any]]) -> None:
        declaration.signatories.all().delete()
        for row in rows:
            Signatory.objects.create(
                organisation=declaration.organisation, declaration=declaration, **row
            )

    def create(self, validated_data: dict[str, Any]) -> Declaration:
        rows = validated_data.pop("signatories")
        with transaction.atomic():
            declaration = Declaration.objects.create(**validated_data)
            self._replace_signatories(declaration, rows)
        return declaration

    def update(self, instance: Declaration, validated_data: dict[str, Any]) -> Declaration:
        rows = validated_data.pop("signatories", None)
        with transaction.atomic():
            declaration: Declaration = super().update(instance, validated_data)
            if rows is not None:
                self._replace_signatories(declaration, rows)
        return declaration


class DeclarationViewSet(DocumentViewSet):
    """The annual information security declaration (資訊安全整體執行情形聲明書)."""

    queryset = Declaration.objects.prefetch_related("signatories").order_by("-year")
    serializer_class = DeclarationSerializer

    @extend_schema(request=None, responses=DeclarationSerializer)
    @action(detail=True, methods=["post"])
    def finalise(self, request: Request, pk: Any = None) -> Response:
        """Make the declaration final: every signatory's date and the declaration's date given."""
        self._may_approve(request)
        declaration = self.get_object()
        try:
            declaration = workflow.finalise_declaration(declaration, request.user)
        except workflow.DocumentError as error:
            raise Conflict(str(error)) from None
        return Response(self.get_serializer(declaration).data)


router.register("dashboard", DashboardViewSet, basename="dashboard")
router.register("board-reports", BoardReportViewSet, basename="board-report")
router.register("declarations", DeclarationViewSet, basename="declaration")
