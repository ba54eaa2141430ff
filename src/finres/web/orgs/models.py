from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.core.profile import InstitutionProfile, ProfileError, profile_from_data
from finres.core.vocab import Industry, Use
from finres.web.audit.models import Audited
from finres.web.orgs.roles import Role


class Organisation(Audited, models.Model):
    """A financial institution, or a financial holding company grouping subsidiaries."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("group (parent)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidiaries",
    )
    industry = models.CharField(
        _("industry"), max_length=32, choices=[(i.value, i.value) for i in Industry]
    )
    paid_in_capital = models.BigIntegerField(_("paid-in capital (NT$)"))
    internet_order = models.BooleanField(_("takes orders over the internet"), default=False)
    uses = models.JSONField(_("uses"), default=list, blank=True)
    is_group = models.BooleanField(_("financial holding (group)"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def audit_organisation_id(self) -> int | None:
        return self.pk

    def profile_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "industry": self.industry,
            "paid_in_capital": self.paid_in_capital,
            "internet_order": self.internet_order,
            "uses": list(self.uses or []),
        }

    def profile(self) -> InstitutionProfile:
        """The same profile the CLI reads, so the web app and the CLI agree on applicability."""
        return profile_from_data(self.profile_data(), source=self.name)

    def clean(self) -> None:
        try:
            self.profile()
        except ProfileError as error:
            raise ValidationError(
                {field.split(".")[0] or "uses": message for field, message in error.problems}
            ) from None
        unknown = [u for u in self.uses or [] if u not in {x.value for x in Use}]
        if unknown:
            raise ValidationError({"uses": _("unknown values: %s") % ", ".join(unknown)})
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": _("an organisation cannot be its own group")})
            ancestor = ancestor.parent

    def descendants(self) -> list[Organisation]:
        found: list[Organisation] = []
        frontier = [self]
        while frontier:
            children = list(Organisation.objects.filter(parent__in=frontier))
            found += children
            frontier = children
        return found


class Membership(Audited, models.Model):
    """A person's role in an organisation (and, for a group, in its subsidiaries)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        unique_together = [("user", "organisation")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"
