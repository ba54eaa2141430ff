"""Filters of the crypto inventory list, for the page and the API alike."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from finres.web.crypto.models import CryptoAsset, Exposure, Kind, Source
from finres.web.filtering import FilterSet, FlagFilter, IdFilter
from finres.web.registers.filters import SearchFilter


class AssetFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "family", "parameter", "where_used", "system__code"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=_("Any"))
    exposure = django_filters.ChoiceFilter(
        label=_("Quantum exposure"), choices=Exposure.choices, empty_label=_("Any")
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=Source.choices, empty_label=_("Any")
    )
    system = IdFilter(label=_("System (id)"), field_name="system")
    unassigned = FlagFilter(label=_("No system only"), method="filter_unassigned")

    class Meta(FilterSet.Meta):
        model = CryptoAsset
        fields: list[str] = []

    def filter_unassigned(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(system__isnull=True) if value else queryset
