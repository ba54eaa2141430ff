"""Forms of the registers. Related objects offered (sites, suppliers, reviewers) are always the
current organisation's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from finres.web.choices import FastChoicesMixin
from finres.web.language import current_language
from finres.web.orgs.models import Membership, Organisation
from finres.web.registers.models import (
    InformationSystem,
    Site,
    Supplier,
    SupplierReview,
    tags_problem,
    tiering,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def members_of(organisation: Organisation) -> QuerySet[Any]:
    """People holding a role in the organisation or in its group."""
    organisations = [organisation.pk]
    parent = organisation.parent
    while parent is not None:
        organisations.append(parent.pk)
        parent = parent.parent
    users = Membership.objects.filter(organisation__in=organisations).values("user")
    return get_user_model().objects.filter(pk__in=users).order_by("username")


def split_tags(text: str) -> list[str]:
    seen: list[str] = []
    for part in text.replace("；", ";").replace(",", ";").replace("\n", ";").split(";"):
        tag = part.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


class TagsField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Tags"))
        kwargs.setdefault("help_text", _("Separated by commas or semicolons."))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        tags = split_tags(str(value or ""))
        problem = tags_problem(tags)
        if problem:
            raise forms.ValidationError(problem)
        return tags


class OrganisationModelForm(FastChoicesMixin, forms.ModelForm):
    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation

    def validate_unique(self) -> None:
        # the organisation is not a form field: check the code's uniqueness within it ourselves
        super().validate_unique()
        code = self.cleaned_data.get("code")
        if code:
            others = type(self.instance).objects.filter(organisation=self.organisation, code=code)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("code", _("Another entry already has this code."))


class SiteForm(OrganisationModelForm):
    class Meta:
        model = Site
        fields = ["code", "name", "kind", "country", "address", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class SystemForm(OrganisationModelForm):
    tags = TagsField()

    class Meta:
        model = InformationSystem
        fields = [
            "code",
            "name",
            "description",
            "owner",
            "classification",
            "confidentiality",
            "integrity",
            "availability",
            "legal_compliance",
            "classification_rationale",
            "internet_facing",
            "data_sensitivity",
            "hosting",
            "cloud_provider",
            "cloud_service",
            "data_location",
            "material",
            "natural_person_customers",
            "sites",
            "suppliers",
            "tags",
            "reviewed_on",
            "reviewer",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "classification_rationale": forms.Textarea(attrs={"rows": 2}),
            "reviewed_on": DATE,
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        self.fields["sites"].queryset = Site.objects.filter(organisation=organisation)
        self.fields["suppliers"].queryset = Supplier.objects.filter(organisation=organisation)
        self.fields["reviewer"].queryset = members_of(organisation)


class ClauseChoiceField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Contract clauses present"))
        super().__init__(choices=clause_choices, **kwargs)


def clause_choices() -> list[tuple[str, str]]:
    language = "en" if current_language() == "en" else "zh"
    return [(c.id, f"{c.name.get(language)} ({c.source})") for c in tiering().clauses]


class SupplierForm(OrganisationModelForm):
    contract_clauses = ClauseChoiceField()
    tags = TagsField()

    class Meta:
        model = Supplier
        fields = [
            "code",
            "name",
            "tax_id",
            "industry",
            "services",
            "system_access",
            "data_sensitivity",
            "cloud_services",
            "processing_location",
            "contact",
            "contract_reference",
            "contract_start",
            "contract_end",
            "contract_clauses",
            "incident_notification_hours",
            "exit_plan",
            "exit_plan_tested_on",
            "dr_capability",
            "dr_rto_minutes",
            "dr_rpo_minutes",
            "dr_assessed_on",
            "dr_notes",
            "alternatives",
            "tags",
        ]
        widgets = {
            "services": forms.Textarea(attrs={"rows": 2}),
            "exit_plan": forms.Textarea(attrs={"rows": 3}),
            "dr_notes": forms.Textarea(attrs={"rows": 2}),
            "alternatives": forms.Textarea(attrs={"rows": 2}),
            "contract_start": DATE,
            "contract_end": DATE,
            "exit_plan_tested_on": DATE,
            "dr_assessed_on": DATE,
        }


class SupplierReviewForm(FastChoicesMixin, forms.ModelForm):
    class Meta:
        model = SupplierReview
        fields = ["kind", "performed_on", "performed_by", "outcome", "summary"]
        widgets = {"performed_on": DATE, "summary": forms.Textarea(attrs={"rows": 3})}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("An XLSX or CSV file in the format of the export.")
    )


class ApplyFactsForm(forms.Form):
    facts = forms.MultipleChoiceField(
        label=_("Facts to apply"), widget=forms.CheckboxSelectMultiple, choices=[]
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facts"].choices = choices
