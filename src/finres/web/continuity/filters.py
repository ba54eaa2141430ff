"""Filters and search of the continuity lists, for the pages and the API alike
(see ``finres.web.filtering``)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from finres.web.continuity.models import (
    CriticalService,
    Dependency,
    Drill,
    DrillNodeResult,
    DrillServiceResult,
    ImpactRating,
    Node,
    RecoveryLayer,
    Scenario,
)
from finres.web.filtering import FilterSet, IdFilter
from finres.web.registers.filters import SearchFilter, TagFilter


class ServiceFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "owner", "description"))

    class Meta(FilterSet.Meta):
        model = CriticalService
        fields: list[str] = []


class NodeFilterSet(FilterSet):
    q = SearchFilter(("code", "name"))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Node.Kind.choices, empty_label=_("Any")
    )
    tag = TagFilter()

    class Meta(FilterSet.Meta):
        model = Node
        fields: list[str] = []


class DependencyFilterSet(FilterSet):
    node = IdFilter(label=_("Node (id)"), field_name="node_id")
    target = IdFilter(label=_("Depends on (id)"), field_name="target_id")

    class Meta(FilterSet.Meta):
        model = Dependency
        fields: list[str] = []


class LayerFilterSet(FilterSet):
    node = IdFilter(label=_("Node (id)"), field_name="node_id")

    class Meta(FilterSet.Meta):
        model = RecoveryLayer
        fields: list[str] = []


class ImpactFilterSet(FilterSet):
    service = IdFilter(label=_("Service (id)"), field_name="service_id")

    class Meta(FilterSet.Meta):
        model = ImpactRating
        fields: list[str] = []


class ScenarioFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "description"))

    class Meta(FilterSet.Meta):
        model = Scenario
        fields: list[str] = []


class DrillFilterSet(FilterSet):
    q = SearchFilter(("code", "name", "scenario_text", "participants", "summary"))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Drill.Kind.choices, empty_label=_("Any")
    )
    performed = django_filters.BooleanFilter(
        label=_("Performed"), field_name="performed_on", lookup_expr="isnull", exclude=True
    )

    class Meta(FilterSet.Meta):
        model = Drill
        fields: list[str] = []


class DrillServiceResultFilterSet(FilterSet):
    drill = IdFilter(label=_("Drill (id)"), field_name="drill_id")

    class Meta(FilterSet.Meta):
        model = DrillServiceResult
        fields: list[str] = []


class DrillNodeResultFilterSet(FilterSet):
    drill = IdFilter(label=_("Drill (id)"), field_name="drill_id")
    node = IdFilter(label=_("Node (id)"), field_name="node_id")

    class Meta(FilterSet.Meta):
        model = DrillNodeResult
        fields: list[str] = []
