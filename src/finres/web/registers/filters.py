"""Filters and search of the register lists, for the pages and the API alike
(see ``finres.web.filtering``)."""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finres.web.filtering import FilterSet, FlagFilter, IdFilter
from finres.web.registers.models import (
    Classification,
    DataSensitivity,
    Hosting,
    InformationSystem,
    Site,
    Supplier,
    SupplierIndustry,
    SupplierReview,
    SystemAccess,
    tiering,
)


def _search(queryset: QuerySet[Any], value: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": value.strip()})
    return queryset.filter(condition)


class SearchFilter(django_filters.CharFilter):
    def __init__(self, fields: tuple[str, ...], **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("max_length", 100)
        super().__init__(method=self.search, **kwargs)
        self.search_fields = fields

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _search(queryset, value, self.search_fields) if value.strip() else queryset


class TagFilter(django_filters.CharFilter):
    """Systems carrying a tag."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Tag"))
        kwargs.setdefault("max_length", 50)
        super().__init__(method=self.tagged, **kwargs)

    def tagged(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            return queryset.filter(tags__contains=[value])
        # SQLite has no JSON containment: match the element as Django serialises it.
        return queryset.filter(tags__icontains=json.dumps(value))


class SystemFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "description", "owner", "cloud_provider", "cloud_service"))
    classification = django_filters.ChoiceFilter(
        label=_("Classification"), choices=Classification.choices, empty_label=_("Any")
    )
    internet_facing = FlagFilter(label=_("Internet-facing only"), method="filter_flag")
    hosting = django_filters.ChoiceFilter(
        label=_("Hosting"), choices=Hosting.choices, empty_label=_("Any")
    )
    data_sensitivity = django_filters.ChoiceFilter(
        label=_("Data sensitivity"), choices=DataSensitivity.choices, empty_label=_("Any")
    )
    site = IdFilter(label=_("Site (id)"), field_name="sites")
    supplier = IdFilter(label=_("Supplier (id)"), field_name="suppliers")
    tag = TagFilter()
    review_due = FlagFilter(label=_("Review due only"), method="filter_review_due")

    class Meta(FilterSet.Meta):
        model = InformationSystem
        fields: list[str] = []

    def filter_flag(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        return queryset.filter(**{name: value}) if value is not None else queryset

    def filter_review_due(
        self, queryset: QuerySet[Any], name: str, value: bool | None
    ) -> QuerySet[Any]:
        return queryset.review_due(timezone.localdate()) if value else queryset


def tier_choices() -> list[tuple[str, str]]:
    from finres.web.language import current_language

    language = current_language()
    return [(t.id, t.name.get("en" if language == "en" else "zh")) for t in tiering().tiers]


class SupplierFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "services", "tax_id", "contact"))
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=tier_choices, empty_label=_("Any"))
    industry = django_filters.ChoiceFilter(
        label=_("Industry"), choices=SupplierIndustry.choices, empty_label=_("Any")
    )
    system_access = django_filters.ChoiceFilter(
        label=_("Systems it touches"), choices=SystemAccess.choices, empty_label=_("Any")
    )
    cloud_services = FlagFilter(label=_("Cloud providers only"), method="filter_flag")
    offshore = FlagFilter(label=_("Processing abroad only"), method="filter_offshore")
    exit_plan_missing = FlagFilter(
        label=_("Exit plan missing (where required)"), method="filter_exit_plan_missing"
    )
    review_due = FlagFilter(label=_("Review due only"), method="filter_review_due")

    class Meta(FilterSet.Meta):
        model = Supplier
        fields: list[str] = []

    def filter_flag(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        return queryset.filter(**{name: value}) if value is not None else queryset

    def filter_offshore(
        self, queryset: QuerySet[Any], name: str, value: bool | None
    ) -> QuerySet[Any]:
        return queryset.exclude(processing_location="TW") if value else queryset

    def filter_review_due(
        self, queryset: QuerySet[Any], name: str, value: bool | None
    ) -> QuerySet[Any]:
        return queryset.review_due(timezone.localdate()) if value else queryset

    def filter_exit_plan_missing(
        self, queryset: QuerySet[Any], name: str, value: bool | None
    ) -> QuerySet[Any]:
        if not value:
            return queryset
        tiers = [t.id for t in tiering().tiers if t.exit_plan_required]
        return queryset.filter(tier__in=tiers, exit_plan="")


class SiteFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "address"))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Site.Kind.choices, empty_label=_("Any")
    )
    country = django_filters.CharFilter(label=_("Country"), max_length=2, lookup_expr="iexact")

    class Meta(FilterSet.Meta):
        model = Site
        fields: list[str] = []


class SupplierReviewFilterSet(FilterSet):
    supplier = IdFilter(label=_("Supplier (id)"), field_name="supplier_id")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=SupplierReview.Kind.choices, empty_label=_("Any")
    )

    class Meta(FilterSet.Meta):
        model = SupplierReview
        fields: list[str] = []
