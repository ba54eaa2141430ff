"""The target form: systems offered are always the current organisation's; the host is a
name or an address only (no scheme, path or port), so that what is scanned is what was typed.
An empty port is the protocol's own (443 for TLS, 22 for SSH); a server name (SNI) is for TLS
only."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finres.web.checks.models import DEFAULT_PORTS, Protocol, TlsTarget
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


SNI_ONLY_TLS = _("A server name (SNI) is only used by TLS: leave it empty for an SSH server.")
NOT_A_HOST = _("Give a host name or an IP address only, without https:// or a port.")
NOT_A_SERVER_NAME = _("The server name must be a host name.")
ALREADY_A_TARGET = _("This endpoint is already a target.")


def clean_server_name(value: str) -> str:
    """A server name (SNI) as kept, empty allowed; ValueError when it is not a host name."""
    text = value.strip()
    if text and not HOST_NAME.match(text):
        raise ValueError(text)
    return text.rstrip(".").lower()


def already_a_target(
    organisation: Organisation, host: str | None, port: int, server_name: str, pk: int | None
) -> bool:
    """Whether another target of ``organisation`` is this endpoint (the form and the API)."""
    others = TlsTarget.objects.filter(
        organisation=organisation, host=host, port=port, server_name=server_name
    )
    return (others.exclude(pk=pk) if pk else others).exists()


class TargetForm(FastChoicesMixin, forms.ModelForm):
    class Meta:
        model = TlsTarget
        fields = [
            "protocol",
            "system",
            "host",
            "port",
            "server_name",
            "schedule_days",
            "enabled",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["system"].queryset = InformationSystem.objects.filter(
            organisation=organisation
        ).order_by("code")
        self.fields["protocol"].required = False  # empty: TLS, as before there was a choice
        port = self.fields["port"]
        port.required = False
        port.help_text = _("Empty: 443 for TLS, 22 for SSH.")
        if not self.instance.pk:
            port.initial = None  # the protocol's own unless one is typed

    def clean_host(self) -> str:
        try:
            return clean_host(self.cleaned_data["host"])
        except ValueError:
            raise forms.ValidationError(NOT_A_HOST) from None

    def clean_server_name(self) -> str:
        try:
            return clean_server_name(self.cleaned_data.get("server_name", ""))
        except ValueError:
            raise forms.ValidationError(NOT_A_SERVER_NAME) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        protocol = cleaned["protocol"] = cleaned.get("protocol") or Protocol.TLS
        if cleaned.get("port") is None and "port" not in self.errors:
            cleaned["port"] = DEFAULT_PORTS[Protocol(protocol)]
        if protocol == Protocol.SSH and cleaned.get("server_name"):
            self.add_error("server_name", SNI_ONLY_TLS)
        host, port = cleaned.get("host"), cleaned.get("port")
        sni = cleaned.get("server_name", "")
        if host and port and already_a_target(self.organisation, host, port, sni, self.instance.pk):
            raise forms.ValidationError(ALREADY_A_TARGET)
        return cleaned
