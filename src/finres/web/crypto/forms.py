"""Forms of the crypto inventory: systems offered are always the current organisation's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.web.choices import FastChoicesMixin
from finres.web.crypto.models import SCORE_CHOICES, CryptoAsset, MigrationPlan, SystemCryptoRisk
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssetForm(FastChoicesMixin, forms.ModelForm):
    class Meta:
        model = CryptoAsset
        fields = [
            "code",
            "kind",
            "name",
            "system",
            "family",
            "parameter",
            "key_size",
            "where_used",
            "signature_algorithm",
            "not_after",
            "version",
            "pqc_capable",
            "notes",
        ]
        widgets = {"not_after": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["system"].queryset = InformationSystem.objects.filter(
            organisation=organisation
        ).order_by("code")

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        others = CryptoAsset.objects.filter(organisation=self.organisation, code=code)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Another entry already has this code."))
        return code


def score_field(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "—"), *SCORE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )


class RiskForm(FastChoicesMixin, forms.ModelForm):
    # 1–5 chosen from a list; the model keeps plain bounded integers (one schema for the API)
    business_impact = score_field(_("Business impact"))
    business_dependency = score_field(_("Business dependency"))
    ecosystem_linkage = score_field(_("Ecosystem linkage"))
    international_alignment = score_field(_("International alignment"))

    class Meta:
        model = SystemCryptoRisk
        fields = [
            "data_secrecy_years",
            "migration_years",
            "business_impact",
            "business_dependency",
            "ecosystem_linkage",
            "international_alignment",
            "assessed_on",
            "notes",
        ]
        widgets = {"assessed_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}


class PlanForm(forms.ModelForm):
    class Meta:
        model = MigrationPlan
        fields = ["threat_horizon_year"]


class MilestonesForm(forms.Form):
    due_date = forms.DateField(
        label=_("Due date of the preparation items"),
        widget=DATE,
        help_text=_(
            "The migrations of the systems at risk get the same date; change any of "
            "them afterwards on the improvement plan."
        ),
    )


class CbomImportForm(FastChoicesMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A CycloneDX 1.6 CBOM, or the JSON of finres check tls or finres check ssh (one "
            "result or a list); at most 20 MiB."
        ),
    )
    system = forms.ModelChoiceField(
        label=_("System of the TLS results"),
        queryset=InformationSystem.objects.none(),
        required=False,
        help_text=_("The TLS check's assets belong to this system (a CBOM names its own)."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = InformationSystem.objects.filter(
            organisation=organisation
        ).order_by("code")
