"""Forms of the continuity pages. Related objects offered (nodes, register entries, critical
services) are always the current organisation's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.web.continuity.models import (
    CriticalService,
    Dependency,
    ImpactRating,
    Node,
    RecoveryLayer,
    Scenario,
)
from finres.web.registers.forms import DATE, OrganisationModelForm, TagsField
from finres.web.registers.models import InformationSystem, Site, Supplier

MINUTES = ("recovery_time_minutes", "recovery_point_minutes", "failover_time_minutes")


class OptionalMinutesMixin:
    """Durations left empty are zero (the model's default), as in the graph file."""

    fields: Any
    cleaned_data: dict[str, Any]

    def optional_minutes(self) -> None:
        for name in MINUTES:
            if name in self.fields:
                self.fields[name].required = False

    def _post_clean(self) -> None:
        for name in MINUTES:
            if name in self.fields and self.cleaned_data.get(name) is None:
                self.cleaned_data[name] = 0
        super()._post_clean()  # type: ignore[misc]


def scope_choices(form: forms.ModelForm, organisation: Any, **fields: Any) -> None:
    for name, model in fields.items():
        if name in form.fields:
            form.fields[name].queryset = model.objects.filter(organisation=organisation)


class ServiceForm(OrganisationModelForm):
    class Meta:
        model = CriticalService
        fields = [
            "code",
            "name",
            "owner",
            "description",
            "mtpd_minutes",
            "rto_minutes",
            "rpo_minutes",
            "minimum_service_level",
            "reviewed_on",
        ]
        widgets = {"reviewed_on": DATE}


class ImpactForm(forms.ModelForm):
    class Meta:
        model = ImpactRating
        fields = ["bucket", "financial", "customer", "regulatory", "reputational"]


class NodeForm(OptionalMinutesMixin, OrganisationModelForm):
    tags = TagsField()

    class Meta:
        model = Node
        fields = [
            "code",
            "name",
            "kind",
            "service",
            "system",
            "supplier",
            "site",
            "recovery_time_minutes",
            "recovery_point_minutes",
            "failover_time_minutes",
            "tags",
        ]

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        self.optional_minutes()
        scope_choices(
            self,
            organisation,
            service=CriticalService,
            system=InformationSystem,
            supplier=Supplier,
            site=Site,
        )


class DependencyForm(forms.ModelForm):
    class Meta:
        model = Dependency
        fields = ["target", "group"]

    def __init__(self, *args: Any, node: Node, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.node = node
        self.instance.organisation = node.organisation
        self.fields["target"].queryset = Node.objects.filter(
            organisation=node.organisation
        ).exclude(pk=node.pk)


class LayerForm(OptionalMinutesMixin, forms.ModelForm):
    class Meta:
        model = RecoveryLayer
        fields = [
            "layer",
            "site",
            "recovery_time_minutes",
            "recovery_point_minutes",
            "demonstrated_on",
            "notes",
        ]
        widgets = {"demonstrated_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, node: Node, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.node = node
        self.instance.organisation = node.organisation
        self.optional_minutes()
        self.fields["site"].queryset = Site.objects.filter(organisation=node.organisation)


def unknown_tags(organisation: Any, tags: list[str]) -> list[str]:
    known: set[str] = set()
    for node_tags in Node.objects.filter(organisation=organisation).values_list("tags", flat=True):
        known.update(node_tags or [])
    return sorted(set(tags) - known)


class ScenarioForm(OrganisationModelForm):
    fail_tagged = TagsField(label=_("every node tagged"))

    class Meta:
        model = Scenario
        fields = ["code", "name", "description", "fail", "fail_tagged"]
        widgets = {"fail": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        self.fields["fail"].queryset = Node.objects.filter(organisation=organisation).order_by(
            "code"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tags = data.get("fail_tagged") or []
        unknown = unknown_tags(self.organisation, tags)
        if unknown:
            self.add_error(
                "fail_tagged", _("No node has the tag: %(tags)s") % {"tags": ", ".join(unknown)}
            )
        if not data.get("fail") and not tags and "fail" in data:
            self.add_error(None, _("A scenario fails some nodes, or every node with a tag."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Graph file (YAML or JSON)"))
