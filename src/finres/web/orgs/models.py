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
    # The facts the institution has stated ({fact: true|false}); a fact not listed is unknown.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    total_assets = models.BigIntegerField(_("total assets (NT$)"), null=True, blank=True)
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
            "facts": dict(self.facts or {}),
            "total_assets": self.total_assets,
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
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        unique_together = [("user", "organisation")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A named API credential of one person: read-only or read-write, expiring, revocable.

    Creation, revocation and use are security events in the audit trail (not row changes).
    Only a SHA-256 of the key is stored (the key is shown once, when it is created); the key
    is high-entropy, so a plain hash is enough to make a stolen database useless for the API.
    """

    class Scope(models.TextChoices):
        READ = "read", _("read only")
        WRITE = "write", _("read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The organisation it was created in (for the audit trail)."),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key begins with"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)
    second_factor = models.BooleanField(
        _("created after the second factor"), default=False, editable=False
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"))
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now: Any) -> bool:
        return self.revoked is None and self.expires > now


class EnrolmentCode(Audited, models.Model):
    """An administrator's one-time permission for a person to register a second factor.

    Without it, whoever first learns a privileged person's password could register their own
    authenticator silently. Stored as a SHA-256; shown once to the administrator who issued it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_codes"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.CharField(_("issued by"), max_length=150)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"))
    used = models.DateTimeField(_("used"), null=True, blank=True)

    audit_exclude = ("code_hash",)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("second-factor enrolment code")
        verbose_name_plural = _("second-factor enrolment codes")

    def __str__(self) -> str:
        return f"{self.user} ({self.created:%Y-%m-%d})"

    def audit_organisation_id(self) -> int | None:
        return self.organisation_id


class Invitation(Audited, models.Model):
    """An administrator's invitation to join an organisation in a role.

    Adding a member goes through an invitation so that the page never reveals which user names
    exist on the platform, and nobody is attached to an organisation without accepting.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    note = models.CharField(_("for"), max_length=200, help_text=_("Whom it is for (a name)."))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.CharField(_("invited by"), max_length=150)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted = models.DateTimeField(_("accepted"), null=True, blank=True)

    audit_exclude = ("token_hash",)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.note} → {self.organisation} ({self.role})"


class ExternalIdentity(models.Model):
    """A person's account at the institution's identity provider (single sign-on).

    People are matched by the provider's stable subject, never by e-mail or user name, so that
    nobody can take over a local account by choosing its name at the provider.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(_("identity provider"), max_length=300)
    subject = models.CharField(_("subject"), max_length=255)
    last_login = models.DateTimeField(_("last single sign-on"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique")
        ]
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"
