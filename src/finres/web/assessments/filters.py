"""The filters of the assessment and result lists, for the pages and the API alike (see
``finres.web.filtering``)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from finres.web.assessments.models import Assessment, ProposalState, RequirementResult, Result
from finres.web.assessments.people import eligible_owners
from finres.web.filtering import FilterSet, IdFilter

OWNER_SCHEMA = {"type": "string", "pattern": "^(me|none|[1-9][0-9]{0,17})$"}


class AssessmentFilterSet(FilterSet):
    framework = django_filters.CharFilter(
        field_name="framework__code", max_length=100, help_text="framework id"
    )
    status = django_filters.ChoiceFilter(choices=Assessment.Status.choices)

    class Meta(FilterSet.Meta):
        model = Assessment
        fields: list[str] = []


@extend_schema_field(OWNER_SCHEMA)
class OwnerFilter(django_filters.ChoiceFilter):
    """A member's id, ``me`` or ``none``; the choices are the people who may own results."""


class ResultFilterSet(FilterSet):
    assessment = IdFilter(field_name="assessment_id", label=_("assessment"))
    framework = django_filters.CharFilter(
        field_name="requirement__framework__code", max_length=100, help_text="framework id"
    )
    result = django_filters.ChoiceFilter(
        label=_("result"), choices=Result.choices, empty_label=_("All results")
    )
    owner = OwnerFilter(
        label=_("owner"),
        method="filter_owner",
        choices=[],
        empty_label=_("Anyone"),
        help_text="a user id, me or none",
    )
    proposal_state = django_filters.ChoiceFilter(
        label=_("proposal"),
        choices=[choice for choice in ProposalState.choices if choice[0]],
        empty_label=_("Any"),
    )
    q = django_filters.CharFilter(
        label=_("search"),
        method="filter_text",
        max_length=200,
        help_text="text in the reference, title or comments",
    )

    class Meta(FilterSet.Meta):
        model = RequirementResult
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "owner" in self.filters:
            owners = eligible_owners(self.organisation) if self.organisation else []
            self.filters["owner"].extra["choices"] = [
                ("me", _("Me")),
                ("none", _("No owner")),
                *[(str(user.pk), user.get_username()) for user in owners],
            ]
            self.filters["owner"].__dict__.pop("_field", None)  # built again with the choices

    def filter_owner(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "me":
            return queryset.filter(owner=self.user)
        if value == "none":
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner_id=int(value))

    def filter_text(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(requirement__ref__icontains=text)
            | Q(requirement__code__icontains=text)
            | Q(requirement__title_zh__icontains=text)
            | Q(requirement__title_en__icontains=text)
            | Q(comments__icontains=text)
        )
