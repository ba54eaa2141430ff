"""Forms of the SBOM pages: systems and suppliers offered are always the organisation's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.web.choices import FastChoicesMixin
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem, Supplier
from finres.web.sbom.models import SbomSettings


class SbomImportForm(FastChoicesMixin, forms.Form):
    file = forms.FileField(
        label=_("SBOM file"),
        help_text=_("CycloneDX JSON or XML (1.2 to 1.6), or SPDX 2.3 JSON or tag-value."),
    )
    system = forms.ModelChoiceField(
        label=_("information system"), queryset=InformationSystem.objects.none()
    )
    supplier = forms.ModelChoiceField(
        label=_("supplier"),
        queryset=Supplier.objects.none(),
        required=False,
        help_text=_("For third-party software: who delivers it."),
    )
    name = forms.CharField(
        label=_("name"),
        max_length=200,
        required=False,
        help_text=_("Left empty: the software the SBOM describes, else the file's name."),
    )
    version = forms.CharField(label=_("version"), max_length=100, required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = InformationSystem.objects.filter(
            organisation=organisation
        ).order_by("code")
        self.fields["supplier"].queryset = Supplier.objects.filter(
            organisation=organisation
        ).order_by("code")


class SettingsForm(forms.ModelForm):
    class Meta:
        model = SbomSettings
        fields = ["finding_threshold"]
