"""Forms of the continuity pages. Related objects offered (nodes, register entries, critical
services) are always the current organisation's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.web.choices import FastChoicesMixin
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
from finres.web.evidence.models import Evidence
from finres.web.evidence.services import is_current_q
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


class ImpactForm(FastChoicesMixin, forms.ModelForm):
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


class DependencyForm(FastChoicesMixin, forms.ModelForm):
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


class LayerForm(OptionalMinutesMixin, FastChoicesMixin, forms.ModelForm):
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
        # a select box, not checkboxes: a large graph has thousands of nodes
        widgets = {"fail": forms.SelectMultiple(attrs={"size": 10})}

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
    file = forms.FileField(label=_("Graph file (YAML, JSON or XLSX)"))


# --- drills -------------------------------------------------------------------------------------


class DrillForm(OrganisationModelForm):
    """Plan a drill (and, once done, record its date, summary and issues)."""

    class Meta:
        model = Drill
        fields = [
            "code",
            "name",
            "kind",
            "scenario",
            "scenario_text",
            "services",
            "nodes",
            "suppliers",
            "participants",
            "planned_on",
            "performed_on",
            "summary",
            "issues",
            "evidence",
        ]
        widgets = {
            "planned_on": DATE,
            "performed_on": DATE,
            "services": forms.CheckboxSelectMultiple,
            "suppliers": forms.SelectMultiple(attrs={"size": 8}),  # thousands, not a few
            "scenario_text": forms.Textarea(attrs={"rows": 2}),
            "participants": forms.Textarea(attrs={"rows": 2}),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "issues": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        scope_choices(
            self,
            organisation,
            scenario=Scenario,
            services=CriticalService,
            nodes=Node,
            suppliers=Supplier,
        )
        self.fields["nodes"].queryset = self.fields["nodes"].queryset.exclude(
            kind=Node.Kind.SERVICE
        )
        # the current version of each piece of evidence: a replaced one is not offered
        self.fields["evidence"].queryset = (
            Evidence.objects.filter(organisation=organisation)
            .filter(is_current_q())
            .order_by("-pk")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("scenario") and not (data.get("scenario_text") or "").strip():
            self.add_error("scenario_text", _("Choose a saved scenario or describe one."))
        return data


class DrillServiceResultForm(OptionalMinutesMixin, FastChoicesMixin, forms.ModelForm):
    class Meta:
        model = DrillServiceResult
        fields = ["service", "recovery_time_minutes", "data_loss_minutes", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 1})}

    def __init__(self, *args: Any, drill: Drill, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "service_result_%s")  # two result forms on one page
        super().__init__(*args, **kwargs)
        self.instance.drill = drill
        self.instance.organisation = drill.organisation
        self.fields["service"].queryset = CriticalService.objects.filter(
            organisation=drill.organisation
        )
        self.fields["data_loss_minutes"].required = False

    def _post_clean(self) -> None:
        if self.cleaned_data.get("data_loss_minutes") is None:
            self.cleaned_data["data_loss_minutes"] = 0
        super()._post_clean()


class DrillNodeResultForm(OptionalMinutesMixin, FastChoicesMixin, forms.ModelForm):
    class Meta:
        model = DrillNodeResult
        fields = ["node", "layer", "recovery_time_minutes", "recovery_point_minutes", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 1})}

    def __init__(self, *args: Any, drill: Drill, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "node_result_%s")
        super().__init__(*args, **kwargs)
        self.instance.drill = drill
        self.instance.organisation = drill.organisation
        self.optional_minutes()
        self.fields["node"].queryset = Node.objects.filter(organisation=drill.organisation).exclude(
            kind=Node.Kind.SERVICE
        )
