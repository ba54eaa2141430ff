"""The target form: systems offered are always the current organisation's; the host is a
name or an address only (no scheme, path or port), so that what is scanned is what was typed."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.web.checks.models import TlsTarget
from finres.web.choices import FastChoicesMixin
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem

HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def clean_host(value: str) -> str:
    """A host name or an IP address (``[v6]`` brackets removed); ValueError otherwise."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if not HOST_NAME.match(text):
        raise ValueError(text)
    return text.rstrip(".").lower()


class TargetForm(FastChoicesMixin, forms.ModelForm):
    class Meta:
        model = TlsTarget
        fields = ["system", "host", "port", "server_name", "schedule_days", "enabled", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["system"].queryset = InformationSystem.objects.filter(
            organisation=organisation
        ).order_by("code")

    def clean_host(self) -> str:
        try:
            return clean_host(self.cleaned_data["host"])
        except ValueError:
            raise forms.ValidationError(
                _("Give a host name or an IP address only, without https:// or a port.")
            ) from None

    def clean_server_name(self) -> str:
        value = self.cleaned_data.get("server_name", "").strip()
        if value and not HOST_NAME.match(value):
            raise forms.ValidationError(_("The server name must be a host name."))
        return value.rstrip(".").lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        host, port = cleaned.get("host"), cleaned.get("port")
        if host and port:
            others = TlsTarget.objects.filter(
                organisation=self.organisation,
                host=host,
                port=port,
                server_name=cleaned.get("server_name", ""),
            )
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise forms.ValidationError(_("This endpoint is already a target."))
        return cleaned
