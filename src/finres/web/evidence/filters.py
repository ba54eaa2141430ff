"""The filters of the evidence list, for the page and the API alike (see
``finres.web.filtering``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.evidence.services import is_current_q
from finres.web.filtering import DaysFilter, FilterSet, FlagFilter, IdFilter


class EvidenceFilterSet(FilterSet):
    """Without ``history``, only current versions are listed."""

    review = django_filters.ChoiceFilter(
        label=_("Review"), field_name="review_state", choices=Evidence.Review.choices
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Evidence.Kind.choices)
    expiring = DaysFilter(
        label=_("Expiring within (days)"),
        method="filter_expiring",
        help_text="Expires within this many days",
    )
    expired = FlagFilter(label=_("Expired"), method="filter_expired")
    unlinked = FlagFilter(
        label=_("Not linked to any requirement"),
        method="filter_unlinked",
        help_text="Supports no requirement",
    )
    history = FlagFilter(
        label=_("Include earlier versions"),
        method="filter_history",
        help_text="Include earlier versions",
    )
    result = IdFilter(
        label=_("Requirement result"),
        method="filter_result",
        help_text="Supports this requirement result",
    )
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        max_length=200,
        help_text="Title or file name contains",
    )

    class Meta(FilterSet.Meta):
        model = Evidence
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("history"):
            queryset = queryset.filter(is_current_q())
        return queryset

    def filter_expiring(self, queryset: QuerySet[Any], name: str, days: int) -> QuerySet[Any]:
        today = timezone.localdate()
        return queryset.filter(
            expiry_date__gte=today, expiry_date__lte=today + dt.timedelta(days=days)
        )

    def filter_expired(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(expiry_date__lt=timezone.localdate()) if value else queryset

    def filter_unlinked(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        if not value:
            return queryset
        return queryset.filter(~Exists(EvidenceLink.objects.filter(evidence=OuterRef("pk"))))

    def filter_history(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset  # applied in filter_queryset: its absence matters

    def filter_result(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset.filter(
            Exists(EvidenceLink.objects.filter(evidence=OuterRef("pk"), result_id=value))
        )

    def filter_text(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(title__icontains=text) | Q(original_name__icontains=text))


class EvidenceLinkFilterSet(FilterSet):
    evidence = IdFilter(field_name="evidence_id")
    result = IdFilter(field_name="result_id")
    assessment = IdFilter(field_name="result__assessment_id")

    class Meta(FilterSet.Meta):
        model = EvidenceLink
        fields: list[str] = []


EXPIRING_DEFAULT_DAYS = 30


class ExpiringFilterSet(FilterSet):
    """The expiring page: current evidence expired or expiring within ``days`` (default 30)."""

    days = DaysFilter(label=_("Expiring within (days)"), method="filter_days")

    class Meta(FilterSet.Meta):
        model = Evidence
        fields: list[str] = []

    def horizon_days(self) -> int:
        self.is_valid()  # cleans the form: an invalid value leaves the default (and is told)
        days = self.form.cleaned_data.get("days")
        return EXPIRING_DEFAULT_DAYS if days is None else int(days)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        horizon = timezone.localdate() + dt.timedelta(days=self.horizon_days())
        return queryset.filter(is_current_q(), expiry_date__lte=horizon)

    def filter_days(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset  # applied in filter_queryset: its absence means the default
