"""Filters and search of the incident lists, for the pages and the API alike."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from finres.web.filtering import FilterSet, IdFilter
from finres.web.incidents.models import Incident, ReportingRegime, Submission, TimelineEntry
from finres.web.registers.filters import SearchFilter


class IncidentFilterSet(FilterSet):
    q = SearchFilter(("code", "title", "description", "root_cause"))
    severity = django_filters.ChoiceFilter(
        label=_("Severity"), choices=Incident.Severity.choices, empty_label=_("Any")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Incident.Status.choices, empty_label=_("Any")
    )
    major = django_filters.BooleanFilter(label=_("Major incident"))

    class Meta(FilterSet.Meta):
        model = Incident
        fields: list[str] = []


class TimelineFilterSet(FilterSet):
    incident = IdFilter(label=_("Incident (id)"), field_name="incident_id")

    class Meta(FilterSet.Meta):
        model = TimelineEntry
        fields: list[str] = []


class SubmissionFilterSet(FilterSet):
    incident = IdFilter(label=_("Incident (id)"), field_name="incident_id")

    class Meta(FilterSet.Meta):
        model = Submission
        fields: list[str] = []


class RegimeFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "regulator"))

    class Meta(FilterSet.Meta):
        model = ReportingRegime
        fields: list[str] = []
