"""The filters of the finding, milestone and exception lists, for the pages and the API alike
(see ``finres.web.filtering``)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from finres.core import plans
from finres.web.filtering import FilterSet, FlagFilter, IdFilter
from finres.web.improvements.forms import editors_of
from finres.web.improvements.models import Finding, Milestone, RiskException

OWNER_SCHEMA = {"type": "string", "pattern": "^(me|none|[1-9][0-9]{0,17})$"}


@extend_schema_field(OWNER_SCHEMA)
class OwnerFilter(django_filters.ChoiceFilter):
    """A person's id, ``me`` or ``none``; the choices are those who may own plans."""


def _with_all(choices: Any) -> list[tuple[str, Any]]:
    return [("all", _("All")), *choices]


class FindingFilterSet(FilterSet):
    """Without a status, closed findings are left out: the list is a worklist."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=_with_all(Finding.Status.choices),
        empty_label=_("Not closed"),
        method="filter_status",
        help_text="open, in_progress, closed or all (default: not closed)",
    )
    severity = django_filters.ChoiceFilter(
        label=_("Severity"), choices=Finding.Severity.choices, empty_label=_("Any")
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=Finding.Source.choices, empty_label=_("Any")
    )
    overdue = FlagFilter(label=_("Overdue only"), method="filter_overdue")
    owner = OwnerFilter(
        label=_("Owner"),
        choices=[],
        empty_label=_("Anyone"),
        method="filter_owner",
        help_text="a user id, me or none",
    )

    class Meta(FilterSet.Meta):
        model = Finding
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = editors_of(self.organisation) if self.organisation is not None else []
        self.filters["owner"].extra["choices"] = [
            ("me", _("Me")),
            ("none", _("Nobody")),
            *((str(u.pk), u.get_username()) for u in people),
        ]
        self.filters["owner"].__dict__.pop("_field", None)  # built again with the choices

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.open()
        return super().filter_queryset(queryset)

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.overdue(timezone.localdate()) if value else queryset

    def filter_owner(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "me":
            return queryset.filter(owner=self.user)
        if value == "none":
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner_id=int(value))


class MilestoneFilterSet(FilterSet):
    finding = IdFilter(field_name="finding_id")

    class Meta(FilterSet.Meta):
        model = Milestone
        fields: list[str] = []


class ExceptionFilterSet(FilterSet):
    """Without a status, only the exceptions still tracked (proposed or approved)."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=_with_all(RiskException.Status.choices),
        empty_label=_("Tracked (proposed or approved)"),
        method="filter_status",
        help_text="proposed, approved, rejected, closed or all (default: proposed or approved)",
    )
    flag = django_filters.ChoiceFilter(
        label=_("Expiry"),
        choices=[
            (plans.ExceptionFlag.EXPIRING_SOON.value, _("Expiring within 30 days")),
            (plans.ExceptionFlag.EXPIRED.value, _("Expired")),
        ],
        empty_label=_("Any"),
        method="filter_flag",
    )

    class Meta(FilterSet.Meta):
        model = RiskException
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.tracked()
        return super().filter_queryset(queryset)

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_flag(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        on = timezone.localdate()
        if value == plans.ExceptionFlag.EXPIRED.value:
            return queryset.expired(on)
        return queryset.expiring_soon(on)
