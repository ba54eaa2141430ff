"""Forms of the incident register. Everything offered (services, nodes, systems, suppliers,
regimes) is the current organisation's; times are typed in the institution's time zone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.core import incidents as core
from finres.web.choices import FastChoicesMixin
from finres.web.continuity.forms import scope_choices
from finres.web.continuity.models import CriticalService, Node
from finres.web.incidents import services
from finres.web.incidents.models import Incident, ReportingRegime, Submission, TimelineEntry
from finres.web.registers.forms import OrganisationModelForm
from finres.web.registers.models import InformationSystem, Supplier

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIMES = ("occurred_at", "detected_at", "classified_at", "contained_at", "recovered_at", "closed_at")


class IncidentForm(OrganisationModelForm):
    regime = forms.ChoiceField(label=_("reporting regime"), required=False)

    class Meta:
        model = Incident
        fields = [
            "code",
            "title",
            "description",
            "category",
            "severity",
            "major",
            "status",
            "occurred_at",
            "detected_at",
            "classified_at",
            "contained_at",
            "recovered_at",
            "closed_at",
            "services",
            "nodes",
            "systems",
            "suppliers",
            "discovery",
            "clients_affected",
            "transactions_affected",
            "financial_loss",
            "loss_currency",
            "data_affected",
            "geographic_spread",
            "root_cause",
            "lessons",
            "regime",
        ]
        widgets = {
            **{name: DATETIME for name in TIMES},
            "description": forms.Textarea(attrs={"rows": 3}),
            "root_cause": forms.Textarea(attrs={"rows": 3}),
            "data_affected": forms.Textarea(attrs={"rows": 2}),
            "lessons": forms.Textarea(attrs={"rows": 3}),
            "services": forms.CheckboxSelectMultiple,
            "suppliers": forms.SelectMultiple(attrs={"size": 8}),  # thousands, not a few
        }

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        scope_choices(
            self,
            organisation,
            services=CriticalService,
            nodes=Node,
            systems=InformationSystem,
            suppliers=Supplier,
        )
        for name in TIMES:
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        available = services.choices(organisation)
        self.fields["regime"].choices = [("", _("None"))] + [
            (
                key,
                f"{choice.regime.name.get(_language())}"
                + (f" ({_('example only')})" if choice.example_only else ""),
            )
            for key, choice in available.items()
        ]


def _language() -> str:
    from finres.web.language import current_language

    return "en" if current_language() == "en" else "zh"


class TimelineForm(FastChoicesMixin, forms.ModelForm):
    class Meta:
        model = TimelineEntry
        fields = ["at", "text"]
        widgets = {"at": DATETIME, "text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.incident = incident
        self.instance.organisation = incident.organisation
        self.fields["at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class SubmissionForm(FastChoicesMixin, forms.ModelForm):
    stage = forms.ChoiceField(label=_("stage"))

    class Meta:
        model = Submission
        fields = ["stage", "submitted_at", "reference", "notes"]
        widgets = {"submitted_at": DATETIME, "notes": forms.Textarea(attrs={"rows": 1})}
        labels = {"reference": _("report reference")}

    def __init__(self, *args: Any, incident: Incident, regime: core.Regime | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance.incident = incident
        self.instance.organisation = incident.organisation
        self.fields["submitted_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        language = _language()
        self.fields["stage"].choices = [
            (stage.id, stage.name.get(language)) for stage in (regime.stages if regime else [])
        ]


ANCHORS = [
    ("detected", _("awareness of the incident")),
    ("classified", _("classification of the incident")),
    ("recovered", _("recovery of regular activities")),
    ("stage", _("submission of the previous stage")),
]
UNITS = [("hours", _("hours")), ("days", _("days")), ("months", _("months"))]
STAGE_ROWS = 4


class RegimeForm(OrganisationModelForm):
    """A regime for the institution's own regulator: up to four stages, each due within a time
    after an anchor, each with the clause that sets it (no deadline without its source)."""

    class Meta:
        model = ReportingRegime
        fields = ["code", "name", "regulator", "source", "notes"]
        widgets = {
            "source": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        stages = list(self.instance.stages or []) if self.instance.pk else []
        for index in range(STAGE_ROWS):
            stage = stages[index] if index < len(stages) else {}
            limit = (stage.get("within") or [{}])[0]
            n = index + 1
            self.fields[f"stage{n}_name"] = forms.CharField(
                label=_("Stage %(n)s: name") % {"n": n},
                required=False,
                max_length=100,
                initial=(stage.get("name") or {}).get("zh", ""),
            )
            self.fields[f"stage{n}_amount"] = forms.IntegerField(
                label=_("within"),
                required=False,
                min_value=1,
                max_value=8784,
                initial=limit.get("amount"),
            )
            self.fields[f"stage{n}_unit"] = forms.ChoiceField(
                label=_("unit"), choices=UNITS, required=False, initial=limit.get("unit", "hours")
            )
            self.fields[f"stage{n}_after"] = forms.ChoiceField(
                label=_("counted from"),
                choices=ANCHORS,
                required=False,
                initial=limit.get("after", "detected"),
            )
            self.fields[f"stage{n}_source"] = forms.CharField(
                label=_("clause that sets it"),
                required=False,
                max_length=500,
                initial=stage.get("source", ""),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        stages: list[dict[str, Any]] = []
        for n in range(1, STAGE_ROWS + 1):
            name = (data.get(f"stage{n}_name") or "").strip()
            if not name:
                continue
            amount = data.get(f"stage{n}_amount")
            source = (data.get(f"stage{n}_source") or "").strip()
            if not amount:
                self.add_error(f"stage{n}_amount", _("Give the time limit."))
                continue
            if len(source) < 3:
                self.add_error(f"stage{n}_source", _("Say which clause sets this time limit."))
                continue
            limit: dict[str, Any] = {
                "amount": amount,
                "unit": data.get(f"stage{n}_unit") or "hours",
                "after": data.get(f"stage{n}_after") or "detected",
            }
            if limit["after"] == "stage":
                if not stages:
                    self.add_error(f"stage{n}_after", _("The first stage has no previous stage."))
                    continue
                limit["stage"] = stages[-1]["id"]
            stages.append(
                {
                    "id": f"stage-{len(stages) + 1}",
                    "name": {"zh": name, "en": name},
                    "within": [limit],
                    "source": source,
                }
            )
        if not stages and not self.errors:
            self.add_error("stage1_name", _("A regime has at least one stage."))
        self.instance.stages = stages
        return data
