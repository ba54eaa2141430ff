"""Filters of the check runs in the API: by target, by status and by protocol."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from finres.web.checks.models import Protocol, RunStatus, TlsRun
from finres.web.filtering import FilterSet, IdFilter


class RunFilterSet(FilterSet):
    target = IdFilter(label=_("Target (id)"), field_name="target")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=RunStatus.choices, empty_label=_("Any")
    )
    protocol = django_filters.ChoiceFilter(
        label=_("Protocol"), choices=Protocol.choices, empty_label=_("Any")
    )

    class Meta(FilterSet.Meta):
        model = TlsRun
        fields: list[str] = []
