"""Imported SBOMs of an organisation's systems (blueprint measure 8), their components, and the
vulnerabilities the last matching run found in each component.

An SBOM is kept as its parsed components plus the uploaded file's SHA-256, name and size: the
upload itself is deleted once read (the hash proves which file it was). A new SBOM of the same
system and name supersedes the previous one, which is kept (``previous``) for the diff.
Components and matches belong to their SBOM's organisation (no field of their own), so every
query reaches them through an organisation-scoped ``Sbom``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.core.i18n import Language, gettext_for
from finres.core.supply_chain.scan import NOTES
from finres.web.audit.models import Audited
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem, Supplier

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
SEVERITY_CHOICES = [
    ("low", _("Low")),
    ("medium", _("Medium")),
    ("high", _("High")),
    ("critical", _("Critical")),
]


class Threshold(models.TextChoices):
    CRITICAL = "critical", _("Critical only")
    HIGH = "high", _("High and above")
    MEDIUM = "medium", _("Medium and above")
    LOW = "low", _("Every rated vulnerability")


class SbomSettings(Audited, models.Model):
    """Which vulnerabilities become findings (KEV-listed ones always do)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="sbom_settings"
    )
    finding_threshold = models.CharField(
        _("lowest severity that becomes a finding"),
        max_length=10,
        choices=Threshold.choices,
        default=Threshold.HIGH,
        help_text=_("Vulnerabilities listed in CISA KEV become findings whatever their severity."),
    )

    class Meta:
        verbose_name = _("SBOM settings")
        verbose_name_plural = _("SBOM settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Sbom(Audited, models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        on_delete=models.PROTECT,
        related_name="sboms",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sboms",
        help_text=_("For third-party software: who delivers it."),
    )
    name = models.CharField(_("name"), max_length=200)
    version = models.CharField(_("version"), max_length=100, blank=True)
    format = models.CharField(_("format"), max_length=20)  # "CycloneDX" or "SPDX"
    spec_version = models.CharField(_("specification version"), max_length=10)
    serial_number = models.CharField(max_length=200, blank=True)
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"))
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # VEX statements embedded in a CycloneDX SBOM (its ``vulnerabilities``), applied at matching.
    embedded_vex = models.JSONField(null=True, blank=True, editable=False)
    current = models.BooleanField(_("current"), default=True)
    matched_at = models.DateTimeField(_("last matched"), null=True, blank=True)
    # Maintained by each matching run, so that the list needs no aggregation.
    component_count = models.PositiveIntegerField(default=0)
    vulnerable_count = models.PositiveIntegerField(default=0)
    kev_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["system__code", "name", "-imported_at"]
        verbose_name = _("SBOM")
        verbose_name_plural = _("SBOMs")
        indexes = [models.Index(fields=["organisation", "current"])]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class Component(Audited, models.Model):
    sbom = models.ForeignKey(Sbom, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveIntegerField()
    name = models.CharField(_("name"), max_length=300)
    version = models.CharField(_("version"), max_length=200, blank=True)
    purl = models.CharField(_("purl"), max_length=1000, blank=True)
    ecosystem = models.CharField(_("ecosystem"), max_length=40, blank=True)
    ref = models.CharField(max_length=1000, blank=True)
    # Why the component cannot be matched: a code of the core's NOTES and its detail, worded
    # in the reader's language by ``note_text``.
    note = models.CharField(_("not matched because"), max_length=40, blank=True)
    note_detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["sbom", "position"]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()

    def note_text(self, language: Language) -> str:
        if self.note not in NOTES:
            return ""
        return gettext_for(language).gettext(NOTES[self.note]).format(detail=self.note_detail)

    def audit_organisation_id(self) -> int | None:
        return (
            Sbom.objects.filter(pk=self.sbom_id).values_list("organisation_id", flat=True).first()
        )


class VexStatus(models.TextChoices):
    NONE = "", _("No statement")
    NOT_AFFECTED = "not_affected", _("Not affected (VEX)")
    FIXED = "fixed", _("Fixed (VEX)")


class VulnerabilityMatch(Audited, models.Model):
    """One advisory found for one component by the last matching run."""

    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="vulnerabilities"
    )
    advisory_id = models.CharField(_("advisory"), max_length=100)
    aliases = models.JSONField(_("aliases"), default=list)
    kev = models.BooleanField(_("in CISA KEV"), default=False)
    severity = models.CharField(_("severity"), max_length=10, blank=True, choices=SEVERITY_CHOICES)
    score = models.FloatField(_("CVSS base score"), null=True, blank=True)
    cvss_type = models.CharField(max_length=10, blank=True)
    vector = models.CharField(_("CVSS vector"), max_length=300, blank=True)
    fixed = models.JSONField(_("fixed in"), default=list)
    why_zh = models.TextField(blank=True)
    why_en = models.TextField(blank=True)
    vex_status = models.CharField(
        _("VEX status"), max_length=20, choices=VexStatus.choices, blank=True, default=""
    )
    vex_detail = models.CharField(max_length=500, blank=True)
    finding = models.ForeignKey(
        "improvements.Finding",
        verbose_name=_("finding"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-kev", models.F("score").desc(nulls_last=True), "advisory_id"]
        verbose_name = _("vulnerability match")
        verbose_name_plural = _("vulnerability matches")
        constraints = [
            models.UniqueConstraint(
                fields=["component", "advisory_id"], name="sbom_match_unique_advisory"
            )
        ]

    def __str__(self) -> str:
        return self.advisory_id

    def audit_organisation_id(self) -> int | None:
        return (
            Component.objects.filter(pk=self.component_id)
            .values_list("sbom__organisation_id", flat=True)
            .first()
        )

    def why(self, language: str) -> str:
        return self.why_en if language == "en" else self.why_zh

    @property
    def cves(self) -> list[str]:
        ids = [self.advisory_id, *self.aliases]
        return [i for i in ids if i.startswith("CVE-")]
