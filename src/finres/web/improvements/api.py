"""API of findings (with nested milestones), milestones and exceptions.

Scoped like the pages: every queryset is the caller's current organisation's, related objects
named in a request (results, findings, owners) must belong to it too, and the role rules and
state changes are the same (``services``). Nothing is deleted through the API: findings are
closed and exceptions are closed, so that each is tracked to its end.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from finres.core import plans
from finres.web.api import OrganisationViewSet, router
from finres.web.assessments.models import RequirementResult
from finres.web.frameworks.models import Requirement
from finres.web.improvements.filters import (
    ExceptionFilterSet,
    FindingFilterSet,
    MilestoneFilterSet,
)
from finres.web.improvements.forms import DATE_PROBLEMS, editors_of, expiry_too_far
from finres.web.improvements.models import Finding, Milestone, RiskException, exception_max_days
from finres.web.improvements.services import (
    PlanError,
    change_finding_status,
    close_exception,
    decide_exception,
    set_milestone_done,
)
from finres.web.improvements.views import today
from finres.web.orgs.roles import Action, allows
from finres.web.strict import StrictFieldsMixin

NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


class OrganisationScopedField(serializers.PrimaryKeyRelatedField):
    """A reference to an object of the caller's organisation; any other id is "does not exist"."""

    def get_queryset(self) -> QuerySet[Any]:
        organisation = self.context["request"].organisation
        return super().get_queryset().filter(organisation=organisation)


class EditorField(serializers.PrimaryKeyRelatedField):
    """A person who may own plans in the caller's organisation (see ``forms.editors_of``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=get_user_model().objects.all(), **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return editors_of(self.context["request"].organisation)


def date_error(problem: plans.DateProblem, due: Any = "") -> str:
    return str(DATE_PROBLEMS[problem]) % {"due": due}


class MilestoneSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    finding = OrganisationScopedField(queryset=Finding.objects.all())
    owner = EditorField(required=False, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id",
            "finding",
            "title",
            "owner",
            "due_date",
            "done",
            "done_at",
            "done_by",
            "overdue",
        ]
        read_only_fields = ["done", "done_at", "done_by"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, milestone: Milestone) -> bool:
        return milestone.overdue(self.context.get("today") or today())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: Milestone | None = self.instance
        finding: Finding = attrs.get("finding") or instance.finding  # type: ignore[union-attr]
        if instance is not None and finding.pk != instance.finding_id:
            raise ValidationError({"finding": _("A milestone cannot move to another finding.")})
        if finding.status == Finding.Status.CLOSED:
            raise ValidationError(
                {"finding": _("The finding is closed: reopen it to plan more work.")}
            )
        due = attrs.get("due_date") or instance.due_date  # type: ignore[union-attr]
        problem = plans.milestone_due_problem(
            due, today(), finding.due_date, previous=instance.due_date if instance else None
        )
        if problem is not None:
            raise ValidationError({"due_date": date_error(problem, finding.due_date)})
        return attrs


class NestedMilestoneSerializer(MilestoneSerializer):
    class Meta(MilestoneSerializer.Meta):
        fields = ["id", "title", "owner", "due_date", "done", "done_at", "done_by", "overdue"]
        read_only_fields = fields


class FindingSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=Requirement.objects.filter(active=True), required=False, allow_null=True
    )
    result = OrganisationScopedField(
        queryset=RequirementResult.objects.all(), required=False, allow_null=True
    )
    owner = EditorField(required=False, allow_null=True)
    overdue = serializers.SerializerMethodField()
    milestones = NestedMilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "title",
            "description",
            "source",
            "source_reference",
            "severity",
            "requirement",
            "result",
            "plan",
            "owner",
            "due_date",
            "status",
            "overdue",
            "created",
            "created_by",
            "closed_at",
            "closing_note",
            "milestones",
        ]
        read_only_fields = ["status", "created", "created_by", "closed_at", "closing_note"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, finding: Finding) -> bool:
        annotated = getattr(finding, "is_overdue", None)
        if annotated is not None:
            return bool(annotated)
        return finding.overdue(self.context.get("today") or today())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: Finding | None = self.instance
        result = attrs.get("result", instance.result if instance else None)
        if result is not None:
            requirement = attrs.get("requirement")
            if requirement is not None and requirement.pk != result.requirement_id:
                raise ValidationError(
                    {"requirement": _("The requirement differs from the result's requirement.")}
                )
            attrs["requirement"] = result.requirement
        if "due_date" in attrs:
            open_dues = (
                list(instance.milestones.filter(done=False).values_list("due_date", flat=True))
                if instance
                else []
            )
            problem = plans.finding_due_problem(
                attrs["due_date"],
                today(),
                previous=instance.due_date if instance else None,
                open_milestone_dues=open_dues,
            )
            if problem is not None:
                raise ValidationError(
                    {"due_date": date_error(problem, max(open_dues) if open_dues else "")}
                )
        return attrs


class StatusChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Finding.Status.choices)
    closing_note = serializers.CharField(required=False, allow_blank=True, default="")


class RiskExceptionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=Requirement.objects.filter(active=True), required=False, allow_null=True
    )
    result = OrganisationScopedField(
        queryset=RequirementResult.objects.all(), required=False, allow_null=True
    )
    finding = OrganisationScopedField(
        queryset=Finding.objects.all(), required=False, allow_null=True
    )
    expiry_flag = serializers.SerializerMethodField(
        help_text="expired, expiring_soon (within 30 days) or empty; computed, never stored"
    )

    class Meta:
        model = RiskException
        fields = [
            "id",
            "title",
            "requirement",
            "result",
            "finding",
            "risk",
            "compensating_controls",
            "expiry_date",
            "status",
            "expiry_flag",
            "proposed_by",
            "approver",
            "approved_at",
            "rejected_by",
            "rejected_at",
            "decision_note",
            "created",
            "closed_at",
            "closed_by",
            "closing_note",
        ]
        read_only_fields = [
            "status",
            "proposed_by",
            "approver",
            "approved_at",
            "rejected_by",
            "rejected_at",
            "decision_note",
            "created",
            "closed_at",
            "closed_by",
            "closing_note",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_expiry_flag(self, exception: RiskException) -> str:
        return exception.flag(self.context.get("today") or today())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: RiskException | None = self.instance
        if instance is not None and instance.status != RiskException.Status.PROPOSED:
            raise ValidationError({"detail": _("Only a proposed exception can be changed.")})

        def current(name: str) -> Any:
            return attrs.get(name, getattr(instance, name) if instance else None)

        result, finding = current("result"), current("finding")
        requirement = current("requirement")
        implied = [
            source.requirement
            for source in (result, finding)
            if source is not None and source.requirement_id is not None
        ]
        for other in implied:
            if requirement is not None and requirement.pk != other.pk:
                raise ValidationError(
                    {
                        "requirement": _(
                            "The requirement differs from the one of the result or finding."
                        )
                    }
                )
            requirement = other
        if requirement is None:
            raise ValidationError(
                {"requirement": _("Name the requirement whose risk is accepted.")}
            )
        attrs["requirement"] = requirement
        if "expiry_date" in attrs:
            max_days = exception_max_days()
            problem = plans.expiry_problem(attrs["expiry_date"], today(), max_days)
            if problem == plans.DateProblem.TOO_FAR:
                raise ValidationError({"expiry_date": expiry_too_far(max_days, today())})
            if problem is not None:
                raise ValidationError({"expiry_date": date_error(problem)})
        return attrs


class DecisionSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CloseSerializer(StrictFieldsMixin, serializers.Serializer):
    closing_note = serializers.CharField()


def plan_error(error: PlanError) -> ValidationError:
    return ValidationError({"detail": str(error)})


class FindingViewSet(OrganisationViewSet):
    """Findings with their improvement plan and milestones. The status changes through
    ``status`` (open → in progress → closed; closing needs every milestone done or a note)."""

    queryset = Finding.objects.all()
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
    http_method_names = NO_DELETE

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related("owner", "requirement__framework")
            # the prefetch sets each milestone's finding to the one loaded (its overdue reads it)
            .prefetch_related("milestones")
            .worklist_order()
        )

    def paginate_queryset(self, queryset: Any) -> Any:
        # Page first, then the page's milestone counts and overdue flags (one grouped query).
        page = super().paginate_queryset(queryset)
        return None if page is None else Finding.objects.attach_progress(page, today())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": today()}

    def perform_create(self, serializer: Any) -> None:
        serializer.save(organisation=self.request.organisation, created_by=self.request.user)

    @extend_schema(request=StatusChangeSerializer, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()  # not found (404) comes before a bad body (400)
        change = StatusChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        with transaction.atomic():
            finding = self.get_object()
            try:
                change_finding_status(
                    finding, change.validated_data["status"], change.validated_data["closing_note"]
                )
            except PlanError as error:
                raise plan_error(error) from None
        return Response(self.get_serializer(self.get_object()).data)


class MilestoneViewSet(OrganisationViewSet):
    queryset = Milestone.objects.select_related("finding").order_by("due_date", "pk")
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilterSet
    http_method_names = NO_DELETE

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": today()}

    def _set_done(self, request: Request, done: bool) -> Response:
        with transaction.atomic():
            milestone = self.get_object()
            try:
                set_milestone_done(milestone, done, request.user)
            except PlanError as error:
                raise plan_error(error) from None
        return Response(self.get_serializer(milestone).data)

    @extend_schema(request=None, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._set_done(request, True)

    @extend_schema(request=None, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._set_done(request, False)


class RiskExceptionViewSet(OrganisationViewSet):
    """Risk acceptances. Proposed by anyone who may edit; approved or rejected by someone
    else with the approval right; changeable only while proposed; closed to end tracking."""

    queryset = RiskException.objects.all()
    serializer_class = RiskExceptionSerializer
    filterset_class = ExceptionFilterSet
    http_method_names = NO_DELETE

    def get_queryset(self) -> Any:
        return super().get_queryset().worklist_order()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": today()}

    def perform_create(self, serializer: Any) -> None:
        serializer.save(
            organisation=self.request.organisation,
            proposed_by=self.request.user,
            status=RiskException.Status.PROPOSED,
        )

    def _decide(self, request: Request, approve: bool) -> Response:
        if not allows(getattr(request, "role", None), Action.APPROVE):
            raise PermissionDenied(_("Your role may not approve or reject exceptions."))
        self.get_object()  # not found (404) comes before a bad body (400)
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        with transaction.atomic():
            exception = self.get_object()
            try:
                decide_exception(
                    exception, request.user, approve, decision.validated_data["note"], today()
                )
            except PlanError as error:
                raise plan_error(error) from None
        return Response(self.get_serializer(exception).data)

    @extend_schema(request=DecisionSerializer, responses=RiskExceptionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses=RiskExceptionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, False)

    @extend_schema(request=CloseSerializer, responses=RiskExceptionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()  # not found (404) comes before a bad body (400)
        closing = CloseSerializer(data=request.data)
        closing.is_valid(raise_exception=True)
        with transaction.atomic():
            exception = self.get_object()
            try:
                close_exception(exception, request.user, closing.validated_data["closing_note"])
            except PlanError as error:
                raise plan_error(error) from None
        return Response(self.get_serializer(exception).data)


router.register("findings", FindingViewSet, basename="finding")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("exceptions", RiskExceptionViewSet, basename="exception")
