"""Filters of the check runs in the API: by target and by status."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from finres.web.checks.models import RunStatus, TlsRun
from finres.web.filtering import FilterSet, IdFilter


class RunFilterSet(FilterSet):
    target = IdFilter(label=_("Target (id)"), field_name="target")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=RunStatus.choices, empty_label=_("Any")
    )

    class Meta(FilterSet.Meta):
        model = TlsRun
        fields: list[str] = []
