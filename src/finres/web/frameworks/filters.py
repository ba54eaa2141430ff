"""The library's list filters (the API's; see ``finres.web.filtering``)."""

from __future__ import annotations

import django_filters

from finres.web.filtering import FilterSet
from finres.web.frameworks.models import Requirement


class RequirementFilterSet(FilterSet):
    framework = django_filters.CharFilter(
        field_name="framework__code", max_length=100, help_text="framework id"
    )

    class Meta(FilterSet.Meta):
        model = Requirement
        fields: list[str] = []
