"""The crypto inventory of an organisation (blueprint measure 17): crypto assets linked to the
register's systems, the risk-factor scores of each system, and the migration plan's settings
(its threat horizon and the improvement plan that holds its milestones).

The rules (quantum exposure, factor scales, Mosca, ordering) live in the pure core,
``finres.core.crypto``; an asset's exposure is computed on every save and stored so that lists
filter on it in the database.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from finres.core import crypto as core
from finres.core.crypto.exposure import Exposure as CoreExposure
from finres.web.audit.models import Audited
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem


class Kind(models.TextChoices):
    PROTOCOL = core.AssetKind.PROTOCOL.value, _("Protocol")
    GROUP = core.AssetKind.GROUP.value, _("Key-exchange group")
    CERTIFICATE = core.AssetKind.CERTIFICATE.value, _("Certificate")
    KEY = core.AssetKind.KEY.value, _("Key")
    ALGORITHM = core.AssetKind.ALGORITHM.value, _("Algorithm")
    LIBRARY = core.AssetKind.LIBRARY.value, pgettext_lazy("crypto asset kind", "Library")
    HSM = core.AssetKind.HSM.value, _("Hardware security module (HSM)")


class Exposure(models.TextChoices):
    CLASSICALLY_WEAK = core.Level.CLASSICALLY_WEAK.value, _("Weak already")
    QUANTUM_VULNERABLE = core.Level.QUANTUM_VULNERABLE.value, _("Broken by a quantum computer")
    UNKNOWN = core.Level.UNKNOWN.value, _("To be confirmed")
    GROVER_WEAKENED = core.Level.GROVER_WEAKENED.value, _("Too weak under Grover")
    QUANTUM_SAFE = core.Level.QUANTUM_SAFE.value, _("Quantum-safe")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    TLS = "tls", _("TLS check")
    SSH = "ssh", _("SSH check")
    CBOM = "cbom", _("CBOM import")
    XLSX = "xlsx", _("Table import")


SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class CryptoAsset(Audited, models.Model):
    """A protocol, key-exchange group, certificate, key, algorithm, library or HSM in use."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(
        _("code"),
        max_length=200,
        help_text=_("A stable identifier: a CBOM bom-ref, or one of your own."),
    )
    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crypto_assets",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    family = models.CharField(
        _("algorithm family"),
        max_length=40,
        blank=True,
        help_text=_("E.g. RSA, ECDH, AES, ML-KEM; left empty, it is recognised from the name."),
    )
    parameter = models.CharField(
        _("parameter"), max_length=100, blank=True, help_text=_("Curve, parameter set or version.")
    )
    key_size = models.PositiveIntegerField(
        _("key size (bits)"), null=True, blank=True, validators=[MaxValueValidator(65536)]
    )
    where_used = models.CharField(_("where used"), max_length=300, blank=True)
    primitive = models.CharField(_("primitive"), max_length=40, blank=True)
    signature_algorithm = models.CharField(_("signature algorithm"), max_length=100, blank=True)
    not_after = models.DateField(_("valid until"), null=True, blank=True)
    version = models.CharField(_("version"), max_length=100, blank=True)
    pqc_capable = models.BooleanField(
        _("supports post-quantum algorithms"),
        null=True,
        blank=True,
        help_text=_("Libraries and HSMs: whether they offer ML-KEM and ML-DSA."),
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.MANUAL
    )
    notes = models.TextField(_("notes"), blank=True)
    exposure = models.CharField(
        _("quantum exposure"), max_length=20, choices=Exposure.choices, editable=False
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("crypto asset")
        verbose_name_plural = _("crypto assets")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="crypto_asset_unique_code"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "exposure"]),
            models.Index(fields=["organisation", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    def core(self) -> core.CryptoAsset:
        """The core's view (uses ``system`` when it is loaded with the asset)."""
        return core.CryptoAsset(
            id=self.code,
            kind=core.AssetKind(self.kind),
            name=self.name,
            family=self.family or None,
            parameter=self.parameter or None,
            key_size=self.key_size,
            system=self.system.code if self.system_id and self.system else None,
            where_used=self.where_used,
            primitive=self.primitive or None,
            signature_algorithm=self.signature_algorithm or None,
            not_after=str(self.not_after)[:10] if self.not_after else None,
            version=self.version or None,
            pqc_capable=self.pqc_capable,
            source=self.source,
            notes=self.notes,
        )

    def assess(self) -> CoreExposure:
        return core.exposure(self.core())

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.family:
            self.family = (core.family_of(self.name, self.parameter) or "")[:40]
        self.exposure = self.assess().level.value
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "exposure", "family"}
        super().save(*args, **kwargs)


class SystemCryptoRisk(Audited, models.Model):
    """The measure's risk factors for one system, as people judge them, and Mosca's x and y."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    system = models.OneToOneField(
        InformationSystem,
        verbose_name=_("information system"),
        on_delete=models.CASCADE,
        related_name="crypto_risk",
    )
    data_secrecy_years = models.PositiveSmallIntegerField(
        _("data confidentiality period (years)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("How many years the data must stay secret (Mosca's x)."),
    )
    migration_years = models.PositiveSmallIntegerField(
        _("migration time (years)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "How many years moving this system to post-quantum cryptography takes (Mosca's y)."
        ),
    )
    business_impact = models.PositiveSmallIntegerField(
        _("business impact"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    business_dependency = models.PositiveSmallIntegerField(
        _("business dependency"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    ecosystem_linkage = models.PositiveSmallIntegerField(
        _("ecosystem linkage"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    international_alignment = models.PositiveSmallIntegerField(
        _("international alignment"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    notes = models.TextField(_("notes"), blank=True)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    FACTOR_FIELDS = {
        "business-impact": "business_impact",
        "business-dependency": "business_dependency",
        "ecosystem-linkage": "ecosystem_linkage",
        "international-alignment": "international_alignment",
    }

    class Meta:
        ordering = ["system__code"]
        verbose_name = _("system crypto risk")
        verbose_name_plural = _("system crypto risks")

    def __str__(self) -> str:
        return f"{self.system.code} {self.system.name}"

    def core(self) -> core.SystemRisk:
        scores = {
            factor: getattr(self, field)
            for factor, field in self.FACTOR_FIELDS.items()
            if getattr(self, field) is not None
        }
        return core.SystemRisk(
            self.system.code,
            self.system.name,
            self.data_secrecy_years,
            self.migration_years,
            scores,
        )


class MigrationPlan(Audited, models.Model):
    """The organisation's PQC migration plan: its threat horizon (Mosca's z as a year) and the
    improvement plan (finding) whose milestones are the preparation items and migrations."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="crypto_plan"
    )
    threat_horizon_year = models.PositiveSmallIntegerField(
        _("threat horizon (year)"),
        default=2035,
        validators=[MinValueValidator(2000), MaxValueValidator(2200)],
        help_text=_(
            "The year by which a quantum computer is assumed able to break today's "
            "public-key cryptography (Mosca's z). Default: 2035, after which NIST IR "
            "8547 (draft) disallows quantum-vulnerable algorithms."
        ),
    )
    finding = models.ForeignKey(
        "improvements.Finding",
        verbose_name=_("improvement plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("PQC migration plan")
        verbose_name_plural = _("PQC migration plans")

    def __str__(self) -> str:
        return str(_("PQC migration plan"))
