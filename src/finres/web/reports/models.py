"""The CISO's annual report to the board and the annual information-security declaration.

Both are drafted, then made final. A final board report keeps the figures it was signed with
(``snapshot``) so that printing it again years later shows what the board saw, not today's data.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from finres.web.audit.models import Audited
from finres.web.orgs.models import Organisation

YEAR_VALIDATORS = [MinValueValidator(2000), MaxValueValidator(2100)]


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Final")


class BoardReport(Audited, models.Model):
    """資安長向董事會報告前一年度資安整體執行情形 (blueprint measure 2)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="board_reports"
    )
    year = models.PositiveSmallIntegerField(_("year reported on"), validators=YEAR_VALIDATORS)
    status = models.CharField(
        _("status"), max_length=8, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    summary = models.TextField(_("summary for the board"), blank=True)
    programme_execution = models.TextField(
        _("security programme: execution and changes"), blank=True
    )
    major_incidents = models.TextField(_("major incidents and improvements"), blank=True)
    risk_assessment = models.TextField(
        _("risk assessment and effectiveness of controls"), blank=True
    )
    budget_resources = models.TextField(_("budget use and resource allocation"), blank=True)
    budget_planned = models.BigIntegerField(
        _("security budget planned (NT$)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    budget_spent = models.BigIntegerField(
        _("security budget spent (NT$)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    it_budget = models.BigIntegerField(
        _("IT budget (NT$)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    security_staff = models.DecimalField(
        _("dedicated security staff (FTE)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)  # the figures as signed
    # The snapshot is left out of the audit trail (it is large); its hash goes in instead.
    snapshot_sha256 = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    audit_exclude = ("snapshot",)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("board report")
        verbose_name_plural = _("board reports")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"], name="board_report_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.year}"

    @property
    def is_final(self) -> bool:
        return self.status == DocumentStatus.FINAL

    @property
    def budget_execution(self) -> float | None:
        """Share of the planned budget spent."""
        if not self.budget_planned or self.budget_spent is None:
            return None
        return self.budget_spent / self.budget_planned

    @property
    def security_share_of_it(self) -> float | None:
        """The security budget as a share of the IT budget (budget to budget, as regulators
        compare them; the spending is shown separately as the execution rate)."""
        if not self.it_budget or self.budget_planned is None:
            return None
        return self.budget_planned / self.it_budget


class Declaration(Audited, models.Model):
    """資訊安全整體執行情形聲明書: the annual statement signed by the institution's leaders."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="declarations"
    )
    year = models.PositiveSmallIntegerField(_("year declared on"), validators=YEAR_VALIDATORS)
    statement = models.TextField(_("statement"))
    declared_on = models.DateField(_("date of the declaration"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"], name="declaration_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.year}"

    @property
    def is_final(self) -> bool:
        return self.status == DocumentStatus.FINAL


class Signatory(Audited, models.Model):
    """One person who signs a declaration (e.g. 董事長, 總經理, 總稽核, 資訊安全長)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="signatories"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(pgettext_lazy("signatory", "title"), max_length=100)
    name = models.CharField(pgettext_lazy("signatory", "name"), max_length=100)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)

    class Meta:
        ordering = ["declaration", "position", "pk"]
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")

    def __str__(self) -> str:
        return f"{self.title} {self.name}"
