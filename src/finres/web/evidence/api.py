"""API endpoints of this app (registered on finres.web.api.router).

``/api/evidence/``: list (with the same filters as the page), multipart upload with the same
content checks, metadata updates, review, integrity check and download; deletion only of
evidence that supports nothing. ``/api/evidence-links/``: which evidence supports which
requirement result. ``/api/assessment-workbooks/<id>/``: the Excel export, gap report and import.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, RolePermission, router
from finres.web.assessments.models import Assessment, RequirementResult
from finres.web.evidence import files, services, xlsx
from finres.web.evidence.filters import EvidenceFilterSet, EvidenceLinkFilterSet
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.evidence.views import evidence_file_response
from finres.web.orgs.roles import Action
from finres.web.strict import StrictFieldsMixin, StrictViewSetMixin


def _drf_error(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(
            {k: [str(m) for e in v for m in e.messages] for k, v in error.error_dict.items()}
        )
    return ValidationError({"detail": [str(m) for m in error.messages]})


# What a download can be: the types accepted at upload (checked by content, files.check_file).
FILE_TYPES = (
    files.PDF,
    files.PNG,
    files.JPEG,
    files.TEXT,
    files.CSV,
    files.XLSX,
    files.DOCX,
    files.PPTX,
    "application/octet-stream",
)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """Accepts only ids of objects of the caller's current organisation (others: 'does not
    exist', exactly as if they did not)."""

    def get_queryset(self) -> Any:
        request = self.context["request"]
        return super().get_queryset().filter(organisation=request.organisation)


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    url = serializers.CharField(read_only=True, help_text="The http(s) link; empty for a file.")
    superseded_by = serializers.SerializerMethodField()
    link_count = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "url",
            "effective_date",
            "expiry_date",
            "review_state",
            "reviewer",
            "reviewed_at",
            "review_comment",
            "uploaded_by",
            "created",
            "supersedes",
            "superseded_by",
            "link_count",
        ]
        read_only_fields = fields

    def get_link_count(self, evidence: Evidence) -> int:
        """Counted for a whole page at once (``attach_link_counts``); a single object alone."""
        found = getattr(evidence, "link_count", None)
        return int(found) if found is not None else evidence.links.count()

    def get_superseded_by(self, evidence: Evidence) -> int | None:
        try:
            return int(evidence.superseded_by.pk)
        except Evidence.DoesNotExist:
            return None


class EvidenceCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(
        required=False, allow_empty_file=True, help_text="The file (or give url)."
    )
    url = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=1000, help_text="http(s) link."
    )
    effective_date = serializers.DateField(required=False, allow_null=True, default=None)
    expiry_date = serializers.DateField(required=False, allow_null=True, default=None)
    supersedes = ScopedPrimaryKeyRelatedField(
        queryset=Evidence.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The evidence this is a new version of; its links move to the new version.",
    )
    results = ScopedPrimaryKeyRelatedField(
        queryset=RequirementResult.objects.select_related("assessment"),
        many=True,
        required=False,
        default=list,
        help_text="Requirement results the evidence supports.",
    )


class EvidenceUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    ignored_fields = tuple(EvidenceSerializer.Meta.fields)  # read-only: what was read
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    url = serializers.CharField(required=False, max_length=1000)
    effective_date = serializers.DateField(required=False, allow_null=True)
    expiry_date = serializers.DateField(required=False, allow_null=True)


class ReviewSerializer(StrictFieldsMixin, serializers.Serializer):
    decision = serializers.ChoiceField(choices=[services.APPROVED, services.REJECTED])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class IntegritySerializer(serializers.Serializer):
    status = serializers.CharField(help_text="ok, mismatch, missing (file gone) or link")
    recorded = serializers.CharField()
    actual = serializers.CharField(allow_null=True)


@extend_schema_view(
    create=extend_schema(request=EvidenceCreateSerializer, responses={201: EvidenceSerializer}),
    update=extend_schema(request=EvidenceUpdateSerializer, responses=EvidenceSerializer),
    partial_update=extend_schema(request=EvidenceUpdateSerializer, responses=EvidenceSerializer),
    destroy=extend_schema(responses={204: None, 409: OpenApiResponse(description="Still linked")}),
)
class EvidenceViewSet(OrganisationViewSet):
    """Evidence of the current organisation: files (checked by content, stored under generated
    names, SHA-256 recorded) or http(s) links. Create with a multipart upload; delete only what
    supports no requirement result."""

    queryset = Evidence.objects.all()
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    conflict_actions = ("destroy",)
    cursor_ordering = ("-pk",)  # keyset pages newest first, like the numbered ones

    @property
    def write_action(self) -> Action:  # type: ignore[override]
        # Reviewing needs the right to approve; checking integrity only the right to read.
        return {"review": Action.APPROVE, "verify": Action.VIEW}.get(self.action or "", Action.EDIT)

    def get_queryset(self) -> Any:
        organisation = getattr(self.request, "organisation", None)
        if organisation is None:
            raise PermissionDenied("no organisation")
        return services.evidence_for(organisation).order_by("-created", "-pk")

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return None if page is None else services.attach_link_counts(page)

    def get_serializer_class(self) -> Any:
        return {
            "create": EvidenceCreateSerializer,
            "update": EvidenceUpdateSerializer,
            "partial_update": EvidenceUpdateSerializer,
            "review": ReviewSerializer,
        }.get(self.action or "", EvidenceSerializer)

    def _out(self, evidence: Evidence, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=evidence.pk)
        return Response(EvidenceSerializer(fresh, context=self.get_serializer_context()).data, code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            evidence = services.create_evidence(
                organisation=request.organisation,
                user=request.user,
                title=data["title"],
                description=data["description"],
                effective_date=data["effective_date"],
                expiry_date=data["expiry_date"],
                upload=data.get("file"),
                url=data["url"],
                supersedes=data["supersedes"],
                results=data["results"],
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        return self._out(evidence, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evidence = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.update_metadata(evidence, dict(serializer.validated_data))
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        return self._out(evidence)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evidence = self.get_object()
        try:
            services.delete(evidence)
        except DjangoValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ReviewSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        evidence = self.get_object()
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.review(
                evidence,
                request.user,
                serializer.validated_data["decision"],
                serializer.validated_data["comment"],
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "own_evidence":  # segregation of duties
                raise PermissionDenied(error.messages[0]) from None
            raise _drf_error(error) from None
        return self._out(evidence)

    @extend_schema(request=None, responses=IntegritySerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Hash the stored file again and compare it with the SHA-256 recorded at upload."""
        integrity = services.verify(self.get_object())
        return Response(
            {"status": integrity.status, "recorded": integrity.recorded, "actual": integrity.actual}
        )

    @extend_schema(
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in FILE_TYPES}
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> Any:
        evidence = self.get_object()
        if (
            evidence.kind != Evidence.Kind.FILE
            or not evidence.file.name
            or not evidence.file.storage.exists(evidence.file.name)
        ):
            raise Http404("no file")
        return evidence_file_response(evidence)


class EvidenceLinkSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    evidence = ScopedPrimaryKeyRelatedField(queryset=Evidence.objects.all())
    result = ScopedPrimaryKeyRelatedField(
        queryset=RequirementResult.objects.select_related("assessment")
    )
    assessment = serializers.IntegerField(source="result.assessment_id", read_only=True)
    framework = serializers.CharField(source="result.requirement.framework.code", read_only=True)
    requirement = serializers.CharField(source="result.requirement.code", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EvidenceLink
        fields = [
            "id",
            "evidence",
            "result",
            "assessment",
            "framework",
            "requirement",
            "created",
            "created_by",
        ]
        read_only_fields = ["id", "created", "created_by"]
        validators: list[Any] = []  # the service reports duplicates with a clear message


class EvidenceLinkViewSet(OrganisationViewSet):
    """Which evidence supports which requirement result (both of the current organisation)."""

    queryset = EvidenceLink.objects.select_related(
        "created_by", "result__requirement__framework"
    ).order_by("pk")
    serializer_class = EvidenceLinkSerializer
    filterset_class = EvidenceLinkFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = services.link(data["evidence"], data["result"], self.request.user)
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_destroy(self, instance: EvidenceLink) -> None:
        services.unlink(instance)


class WorkbookUploadSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number in the sheet; 0 for the whole file")
    column = serializers.CharField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    rows = serializers.IntegerField()
    changed = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)


class AssessmentWorkbookViewSet(StrictViewSetMixin, viewsets.GenericViewSet):
    """An assessment in Excel: export, gap report, import of results (same format)."""

    permission_classes = [RolePermission]
    read_action = Action.VIEW
    write_action = Action.EDIT
    queryset = Assessment.objects.select_related("framework", "organisation")
    parser_classes = [MultiPartParser]
    serializer_class = WorkbookUploadSerializer

    def get_queryset(self) -> Any:
        organisation = getattr(self.request, "organisation", None)
        if organisation is None:
            raise PermissionDenied("no organisation")
        return super().get_queryset().filter(organisation=organisation)

    def _xlsx(self, content: bytes, name: str) -> HttpResponse:
        from django.utils.http import content_disposition_header

        response = HttpResponse(content, content_type=xlsx.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    @extend_schema(responses={(200, xlsx.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        assessment = self.get_object()
        return self._xlsx(xlsx.export_assessment(assessment), f"assessment-{assessment.pk}.xlsx")

    @extend_schema(responses={(200, xlsx.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def gaps(self, request: Request, pk: str | None = None) -> HttpResponse:
        assessment = self.get_object()
        return self._xlsx(xlsx.gap_report(assessment), f"assessment-{assessment.pk}-gaps.xlsx")

    @extend_schema(
        request={"multipart/form-data": WorkbookUploadSerializer},
        responses={200: ImportReportSerializer, 400: ImportReportSerializer},
    )
    @action(detail=True, methods=["post"], url_path="import")
    def import_results(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        serializer = WorkbookUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        report = xlsx.import_results(assessment, upload, size=upload.size, file_name=upload.name)
        body = {
            "applied": report.applied,
            "rows": report.rows,
            "changed": report.changed,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in report.errors
            ],
        }
        return Response(
            body, status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST
        )


router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("evidence-links", EvidenceLinkViewSet, basename="evidence-link")
router.register("assessment-workbooks", AssessmentWorkbookViewSet, basename="assessment-workbook")
