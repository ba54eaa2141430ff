"""API endpoints of this app (registered on finres.web.api.router).

Assessments and their requirement results, scoped to the caller's current organisation like
every endpoint; updates of results follow the same rules as the pages (``RequirementResult.clean``).
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finres.web.api import OrganisationViewSet, RolePermission, router
from finres.web.assessments import aggregates, onboarding, proposals
from finres.web.assessments.filters import AssessmentFilterSet, ResultFilterSet
from finres.web.assessments.models import (
    Assessment,
    ProposalState,
    RequirementResult,
    Result,
)
from finres.web.assessments.people import eligible_owners
from finres.web.assessments.stats import COUNT_NAMES
from finres.web.frameworks.models import Framework
from finres.web.orgs.roles import Action, allows
from finres.web.strict import SlugField, StrictFieldsMixin

COMPLETED = _("The assessment is completed; reopen it to change its results.")


class PerActionRolePermission(RolePermission):
    """``RolePermission``, with the role check of some actions set in ``action_permissions``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        wanted = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if wanted is None:
            return super().has_permission(request, view)
        return getattr(request, "organisation", None) is not None and allows(
            getattr(request, "role", None), wanted
        )


def _django_errors(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "message_dict"):
        return ValidationError({k: [str(m) for m in v] for k, v in error.message_dict.items()})
    return ValidationError([str(m) for m in error.messages])


# --- assessments --------------------------------------------------------------------------------

COUNTS_SCHEMA = {
    "type": "object",
    "properties": {name.removeprefix("n_"): {"type": "integer"} for name in COUNT_NAMES},
}


class AssessmentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    framework = SlugField(slug_field="code", queryset=Framework.objects.filter(active=True))
    as_of = serializers.DateField(
        write_only=True,
        required=False,
        help_text="Create: result rows for the requirements applicable on this date (today).",
    )
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "framework",
            "name",
            "period_start",
            "period_end",
            "status",
            "created",
            "as_of",
            "counts",
        ]
        read_only_fields = ["id", "created"]
        extra_kwargs = {"name": {"required": False}}
        validators: list[Any] = []  # uniqueness is checked in validate() within the organisation

    @extend_schema_field(COUNTS_SCHEMA)
    def get_counts(self, obj: Assessment) -> dict[str, int]:
        names = COUNT_NAMES
        if not all(hasattr(obj, name) for name in names):
            values = aggregates.summaries([obj.pk])[obj.pk]  # one object: its maintained counts
        else:
            values = {name: getattr(obj, name) for name in names}
        return {name.removeprefix("n_"): int(values[name]) for name in names}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: Assessment | None = self.instance
        organisation = self.context["request"].organisation
        framework = attrs.get("framework", instance.framework if instance else None)
        if instance is not None and framework != instance.framework:
            raise ValidationError({"framework": _("The framework of an assessment cannot change.")})
        start = attrs.get("period_start", instance.period_start if instance else None)
        end = attrs.get("period_end", instance.period_end if instance else None)
        if start is None or end is None:
            raise ValidationError({"period_start": _("A period start and end are required.")})
        if end < start:
            raise ValidationError({"period_end": _("The period must end on or after its start.")})
        duplicate = Assessment.objects.filter(
            organisation=organisation, framework=framework, period_start=start
        )
        if instance is not None:
            duplicate = duplicate.exclude(pk=instance.pk)
        if duplicate.exists():
            raise ValidationError(
                {
                    "period_start": _(
                        "An assessment of this framework starting on this date already exists."
                    )
                }
            )
        return attrs

    def create(self, validated: dict[str, Any]) -> Assessment:
        request = self.context["request"]
        framework = validated["framework"]
        as_of = validated.get("as_of") or timezone.localdate()
        name = validated.get("name") or onboarding.default_name(
            framework, validated["period_start"], validated["period_end"]
        )
        try:
            assessment = onboarding.create_assessment(
                request.organisation,
                framework,
                name,
                validated["period_start"],
                validated["period_end"],
                onboarding.compute(request.organisation, as_of),
                request.user,
            )
        except onboarding.OnboardingError as error:
            raise ValidationError({"framework": str(error)}) from None
        if validated.get("status") == Assessment.Status.COMPLETED:
            assessment.status = Assessment.Status.COMPLETED
            assessment.save(update_fields=["status"])
        return assessment

    def update(self, instance: Assessment, validated: dict[str, Any]) -> Assessment:
        validated.pop("as_of", None)
        return super().update(instance, validated)


PropagationSerializer = inline_serializer(
    "PropagationReport",
    {
        "proposed": serializers.IntegerField(),
        "withdrawn": serializers.IntegerField(),
        "assessments": serializers.IntegerField(),
    },
)
AcceptedSerializer = inline_serializer(
    "ProposalsAccepted", {"accepted": serializers.IntegerField()}
)


class AssessmentViewSet(OrganisationViewSet):
    """Compliance assessments of the current organisation (no deletion: results are kept)."""

    serializer_class = AssessmentSerializer
    permission_classes = [PerActionRolePermission]
    read_action = Action.VIEW
    write_action = Action.MANAGE
    action_permissions = {"propose": Action.EDIT, "accept_proposals": Action.MANAGE}
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    queryset = Assessment.objects.select_related("framework")
    filterset_class = AssessmentFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-period_start", "framework__code", "pk")

    def paginate_queryset(self, queryset: Any) -> Any:
        # Page first, then the page's counts from the maintained tallies (one query).
        page = super().paginate_queryset(queryset)
        if page is not None:
            page = list(page)
            aggregates.attach_summaries(page)
        return page

    def perform_create(self, serializer: Any) -> None:
        serializer.save()

    @extend_schema(request=None, responses=PropagationSerializer)
    @action(detail=True, methods=["post"])
    def propose(self, request: Request, pk: str | None = None) -> Response:
        """Propose this assessment's results to the organisation's other open assessments."""
        assessment = self.get_object()
        with transaction.atomic():
            report = proposals.propose_from(assessment)
        return Response(
            {
                "proposed": report.proposed,
                "withdrawn": report.cleared,
                "assessments": len(report.by_assessment),
            }
        )

    @extend_schema(request=None, responses=AcceptedSerializer)
    @action(detail=True, methods=["post"], url_path="accept-proposals")
    def accept_proposals(self, request: Request, pk: str | None = None) -> Response:
        """Accept every pending proposal of this assessment."""
        assessment = self.get_object()
        if assessment.status != Assessment.Status.IN_PROGRESS:
            raise ValidationError({"detail": COMPLETED})
        scoped = RequirementResult.objects.filter(organisation=request.organisation)
        with transaction.atomic():
            accepted = proposals.accept_all(assessment, scoped)
            if accepted:
                proposals.propose_from(assessment)
        return Response({"accepted": accepted})


# --- results ------------------------------------------------------------------------------------


class ResultSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    framework = serializers.CharField(source="requirement.framework.code", read_only=True)
    requirement = serializers.CharField(source="requirement.code", read_only=True)
    requirement_ref = serializers.CharField(source="requirement.label", read_only=True)
    requirement_title = serializers.SerializerMethodField()
    proposed_result = serializers.ChoiceField(
        choices=Result.choices, allow_blank=True, read_only=True, help_text="empty: no proposal"
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(),
        allow_null=True,
        required=False,
    )

    class Meta:
        model = RequirementResult
        fields = [
            "id",
            "assessment",
            "framework",
            "requirement",
            "requirement_ref",
            "requirement_title",
            "result",
            "not_applicable_reason",
            "maturity_level",
            "owner",
            "due_date",
            "comments",
            "proposed_result",
            "proposal_state",
            "proposal_provenance",
            "soa_applicable",
            "soa_justification",
            "updated",
        ]
        read_only_fields = [
            "id",
            "assessment",
            "proposed_result",
            "proposal_state",
            "proposal_provenance",
            "updated",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        organisation = getattr(request, "organisation", None)
        if organisation is not None:
            # Only members can be owners: another organisation's user is "not found".
            self.fields["owner"].queryset = eligible_owners(organisation)

    def get_requirement_title(self, obj: RequirementResult) -> str:
        return obj.requirement.title()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        row: RequirementResult | None = self.instance
        if row is None:
            raise ValidationError(_("Results are created with their assessment."))
        if row.assessment.status != Assessment.Status.IN_PROGRESS:
            raise ValidationError({"detail": COMPLETED})
        # The same rules as the page: apply the change to a copy and clean it.
        candidate = copy.copy(row)
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        attrs["not_applicable_reason"] = candidate.not_applicable_reason
        return attrs


class OverrideSerializer(StrictFieldsMixin, serializers.Serializer):
    result = serializers.ChoiceField(
        choices=[c for c in Result.choices if c[0] != Result.NOT_ASSESSED]
    )
    not_applicable_reason = serializers.CharField(required=False, allow_blank=True, default="")


class ResultViewSet(OrganisationViewSet):
    """Requirement results of the current organisation's assessments."""

    serializer_class = ResultSerializer
    permission_classes = [PerActionRolePermission]
    read_action = Action.VIEW
    write_action = Action.EDIT
    action_permissions = {"accept": Action.MANAGE, "override": Action.MANAGE}
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    queryset = RequirementResult.objects.select_related(
        "requirement__framework", "assessment__framework", "owner"
    )

    filterset_class = ResultFilterSet

    def get_queryset(self) -> Any:
        # Id order: results are created with their assessment in requirement order, and a
        # page (however deep) is read from the (organisation, id) index instead of a sort of
        # every result by requirement position.
        return super().get_queryset().order_by("pk")

    @extend_schema(exclude=True)  # results are created with their assessment: always 405
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(
            {"detail": _("Results are created with their assessment.")},
            status=status.HTTP_405_METHOD_NOT_ALLOWED,
        )

    def perform_update(self, serializer: Any) -> None:
        before = serializer.instance.result
        with transaction.atomic():
            row = serializer.save()
            if row.result != before:
                proposals.after_result_change(row)

    def _pending(self) -> RequirementResult:
        row: RequirementResult = self.get_object()
        if row.assessment.status != Assessment.Status.IN_PROGRESS:
            raise ValidationError({"detail": COMPLETED})
        if row.proposal_state != ProposalState.PENDING or not row.proposed_result:
            raise ValidationError({"detail": _("There is no pending proposal for this result.")})
        return row

    @extend_schema(request=None, responses=ResultSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """The proposed result becomes the result."""
        row = self._pending()
        with transaction.atomic():
            proposals.accept(row)
            proposals.after_result_change(row)
        return Response(self.get_serializer(row).data)

    @extend_schema(request=OverrideSerializer, responses=ResultSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk: str | None = None) -> Response:
        """Set your own result instead of the proposed one."""
        row = self._pending()
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row.result = body.validated_data["result"]
        row.not_applicable_reason = body.validated_data["not_applicable_reason"]
        try:
            row.clean()
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        with transaction.atomic():
            proposals.override(row)
            proposals.after_result_change(row)
        return Response(self.get_serializer(row).data)


router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("assessment-results", ResultViewSet, basename="assessment-result")
