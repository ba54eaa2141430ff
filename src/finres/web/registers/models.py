"""Sites, information systems and assets, suppliers and their due-diligence records.

Every row has a stable ``code`` per organisation (what imports match on and what later models,
e.g. the dependency graph, refer to besides the primary key). The rules (CC-14000 criteria,
supplier tiering, contract clauses, the facts derived from the registers) live in the pure core,
``finres.core.registers``; a supplier's tier is computed from them on every save and stored so
that lists filter on it in the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from finres.core import registers as core
from finres.web.audit.models import Audited
from finres.web.choices import label_of
from finres.web.orgs.models import Organisation

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
    _("Letters, digits, “.”, “_” and “-”; at most 40."),
)
COUNTRY_VALIDATOR = RegexValidator(
    r"^[A-Z]{2}$", _("A two-letter country code (ISO 3166-1), e.g. TW, SG, JP.")
)


@functools.cache
def _tiering(path: str) -> core.TieringRules:
    return core.load_tiering(Path(path) if path else None)


def tiering() -> core.TieringRules:
    """The supplier tiering rules: the file named by the setting or environment variable
    ``FINRES_SUPPLIER_TIERING``, or the shipped file."""
    path = getattr(settings, "FINRES_SUPPLIER_TIERING", None)
    if path is None:
        path = os.environ.get("FINRES_SUPPLIER_TIERING", "")
    return _tiering(str(path or ""))


class Classification(models.TextChoices):
    CORE = core.Classification.CORE.value, _("Core system")
    NON_CORE = core.Classification.NON_CORE.value, _("Non-core system")


class Rating(models.TextChoices):
    HIGH = core.Rating.HIGH.value, _("High")
    MEDIUM = core.Rating.MEDIUM.value, _("Medium")
    LOW = core.Rating.LOW.value, _("Low")


class Hosting(models.TextChoices):
    ON_PREMISES = core.Hosting.ON_PREMISES.value, _("On premises")
    CO_LOCATION = core.Hosting.CO_LOCATION.value, _("Co-location")
    CLOUD = core.Hosting.CLOUD.value, _("Cloud")
    HYBRID = core.Hosting.HYBRID.value, _("Hybrid (cloud and on premises)")


class DataSensitivity(models.TextChoices):
    PUBLIC = core.DataSensitivity.PUBLIC.value, _("Public")
    INTERNAL = core.DataSensitivity.INTERNAL.value, _("Internal")
    CONFIDENTIAL = core.DataSensitivity.CONFIDENTIAL.value, _("Confidential")
    CUSTOMER = core.DataSensitivity.CUSTOMER.value, _("Customer or personal data")


class SystemAccess(models.TextChoices):
    CORE_SYSTEMS = core.SystemAccess.CORE_SYSTEMS.value, _("Core systems")
    NON_CORE_SYSTEMS = core.SystemAccess.NON_CORE_SYSTEMS.value, _("Non-core systems only")
    NONE = core.SystemAccess.NONE.value, _("No information systems")


class SupplierIndustry(models.TextChoices):
    CORE_SYSTEM_VENDOR = core.SupplierIndustry.CORE_SYSTEM_VENDOR.value, _("Core-system vendor")
    CLOUD_SERVICE_PROVIDER = (
        core.SupplierIndustry.CLOUD_SERVICE_PROVIDER.value,
        _("Cloud service provider"),
    )
    TELECOM = core.SupplierIndustry.TELECOM.value, _("Telecommunications")
    PAYMENT_PROCESSOR = core.SupplierIndustry.PAYMENT_PROCESSOR.value, _("Payment processor")
    API_PARTNER = core.SupplierIndustry.API_PARTNER.value, _("API partner")
    SYSTEM_INTEGRATOR = core.SupplierIndustry.SYSTEM_INTEGRATOR.value, _("System integrator")
    SOFTWARE_VENDOR = core.SupplierIndustry.SOFTWARE_VENDOR.value, _("Software vendor")
    HARDWARE_VENDOR = core.SupplierIndustry.HARDWARE_VENDOR.value, _("Hardware vendor")
    SECURITY_SERVICES = core.SupplierIndustry.SECURITY_SERVICES.value, _("Security services")
    DATA_CENTRE = core.SupplierIndustry.DATA_CENTRE.value, _("Data centre")
    OTHER = core.SupplierIndustry.OTHER.value, _("Other")


def tags_problem(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        return str(_("Expected a list of tags."))
    if any(not t.strip() or len(t) > 50 for t in value):
        return str(_("A tag is 1 to 50 characters."))
    if len(value) > 30:
        return str(_("At most 30 tags."))
    return None


def validate_tags(value: Any) -> None:
    problem = tags_problem(value)
    if problem:
        raise ValidationError(problem)


class Site(Audited, models.Model):
    """A location: data centre, backup or third site, co-location, cloud region, office."""

    class Kind(models.TextChoices):
        PRIMARY_DATA_CENTRE = "primary_data_centre", _("Primary data centre")
        BACKUP_DATA_CENTRE = "backup_data_centre", _("Backup data centre")
        THIRD_SITE = "third_site", _("Third site")
        CO_LOCATION = "co_location", _("Co-location facility")
        CLOUD_REGION = "cloud_region", _("Cloud region")
        OFFICE = "office", _("Office")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.OTHER)
    country = models.CharField(
        _("country"), max_length=2, default=core.HOME_COUNTRY, validators=[COUNTRY_VALIDATOR]
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="site_unique_code")
        ]

    choice_label_fields = ("code", "name")  # options read as two columns (choices.py)

    def __str__(self) -> str:
        return label_of(self.code, self.name)


class SupplierQuerySet(models.QuerySet["Supplier"]):
    def with_last_review(self) -> SupplierQuerySet:
        return self.annotate(last_review=Max("reviews__performed_on"))

    def review_due(self, today: dt.date) -> SupplierQuerySet:
        """Never reviewed, or last reviewed longer ago than its tier's interval (measure 19's
        tiering rules), as ``core.review_due`` decides for one supplier."""
        due = Q(last_review__isnull=True)
        for tier in tiering().tiers:
            since = core.add_months(today, -tier.review_interval_months)
            due |= Q(tier=tier.id, last_review__lte=since)
        annotated = self if "last_review" in self.query.annotations else self.with_last_review()
        return annotated.filter(due)


class Supplier(Audited, models.Model):
    """A third party the institution depends on (blueprint measures 18, 19, 29)."""

    class DisasterRecovery(models.TextChoices):
        UNKNOWN = "unknown", _("Not assessed")
        NONE = "none", _("None")
        DOCUMENTED = "documented", _("Documented, not tested")
        TESTED = "tested", _("Tested")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("business ID (統一編號)"), max_length=20, blank=True)
    industry = models.CharField(
        _("industry"),
        max_length=32,
        choices=SupplierIndustry.choices,
        default=SupplierIndustry.OTHER,
    )
    services = models.TextField(_("services provided"), blank=True)
    system_access = models.CharField(
        _("systems it touches"),
        max_length=20,
        choices=SystemAccess.choices,
        default=SystemAccess.NONE,
    )
    data_sensitivity = models.CharField(
        _("most sensitive data it handles"),
        max_length=16,
        choices=DataSensitivity.choices,
        default=DataSensitivity.PUBLIC,
    )
    cloud_services = models.BooleanField(_("provides cloud services"), default=False)
    processing_location = models.CharField(
        _("where it processes our data (country)"),
        max_length=2,
        default=core.HOME_COUNTRY,
        validators=[COUNTRY_VALIDATOR],
    )
    tier = models.CharField(_("tier"), max_length=40, editable=False, db_index=True)
    tier_rule = models.CharField(_("tiering rule"), max_length=60, editable=False, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    contract_reference = models.CharField(_("contract reference"), max_length=120, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    contract_clauses = models.JSONField(_("contract clauses present"), default=list, blank=True)
    incident_notification_hours = models.PositiveIntegerField(
        _("incident notification deadline (hours)"), null=True, blank=True
    )
    exit_plan = models.TextField(_("exit plan"), blank=True)
    exit_plan_tested_on = models.DateField(_("exit plan last tested"), null=True, blank=True)
    dr_capability = models.CharField(
        _("disaster recovery capability"),
        max_length=12,
        choices=DisasterRecovery.choices,
        default=DisasterRecovery.UNKNOWN,
    )
    dr_rto_minutes = models.PositiveIntegerField(
        _("supplier's recovery time (minutes)"), null=True, blank=True
    )
    dr_rpo_minutes = models.PositiveIntegerField(
        _("supplier's recovery point (minutes)"), null=True, blank=True
    )
    dr_assessed_on = models.DateField(_("DR capability assessed on"), null=True, blank=True)
    dr_notes = models.TextField(_("DR assessment notes"), blank=True)
    alternatives = models.TextField(
        _("backup arrangements or alternatives"),
        blank=True,
        help_text=_("Measure 29: backup arrangements or substitutes."),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True, validators=[validate_tags])
    updated = models.DateTimeField(auto_now=True)

    objects = SupplierQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="supplier_unique_code")
        ]
        indexes = [models.Index(fields=["organisation", "tier"])]

    choice_label_fields = ("code", "name")  # options read as two columns (choices.py)

    def __str__(self) -> str:
        return label_of(self.code, self.name)

    def profile(self) -> core.SupplierProfile:
        return core.SupplierProfile(
            core.SupplierIndustry(self.industry),
            core.SystemAccess(self.system_access),
            core.DataSensitivity(self.data_sensitivity),
            self.cloud_services,
        )

    def decide_tier(self) -> core.TierDecision:
        return core.tier_for(tiering(), self.profile())

    def current_tier(self) -> core.Tier:
        """The stored tier, or the rules' answer when the stored one is no longer a tier of the
        rules (an institution replaced its tiering file)."""
        rules = tiering()
        try:
            return rules.tier(self.tier)
        except KeyError:
            return self.decide_tier().tier

    def save(self, *args: Any, **kwargs: Any) -> None:
        decision = self.decide_tier()
        self.tier = decision.tier.id
        self.tier_rule = decision.rule.id if decision.rule else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "tier", "tier_rule"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        problems: dict[str, Any] = {}
        known = {c.id for c in tiering().clauses}
        clauses = self.contract_clauses
        if not isinstance(clauses, list) or not all(isinstance(c, str) for c in clauses):
            problems["contract_clauses"] = _("Expected a list of clause ids.")
        else:
            unknown = sorted(set(clauses) - known)
            if unknown:
                problems["contract_clauses"] = _("Unknown clauses: %(clauses)s") % {
                    "clauses": ", ".join(unknown)
                }
        if self.contract_start and self.contract_end and self.contract_end < self.contract_start:
            problems["contract_end"] = _("The contract cannot end before it starts.")
        if problems:
            raise ValidationError(problems)

    def gaps(self, today: dt.date, last_review: dt.date | None = None) -> list[core.Gap]:
        rules = tiering()
        if last_review is None:
            last_review = getattr(self, "last_review", None)
        return core.supplier_gaps(
            rules,
            self.current_tier(),
            cloud=self.cloud_services,
            clauses=self.contract_clauses or [],
            has_exit_plan=bool(self.exit_plan.strip()),
            dr_assessed=self.dr_capability != self.DisasterRecovery.UNKNOWN,
            last_review=last_review,
            today=today,
        )


class InformationSystemQuerySet(models.QuerySet["InformationSystem"]):
    def review_due(self, today: dt.date) -> InformationSystemQuerySet:
        """Never reviewed, or last reviewed more than a year ago (CC-14000: at least yearly)."""
        return self.filter(
            Q(reviewed_on__isnull=True) | Q(reviewed_on__lte=core.add_months(today, -12))
        )


class InformationSystem(Audited, models.Model):
    """An information system or asset, classified per TWSE CC-14000."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.CharField(
        _("owner"), max_length=200, blank=True, help_text=_("The unit or person responsible.")
    )
    classification = models.CharField(
        _("classification"),
        max_length=10,
        choices=Classification.choices,
        default=Classification.NON_CORE,
    )
    confidentiality = models.CharField(
        _("confidentiality"), max_length=8, choices=Rating.choices, default=Rating.MEDIUM
    )
    integrity = models.CharField(
        _("integrity"), max_length=8, choices=Rating.choices, default=Rating.MEDIUM
    )
    availability = models.CharField(
        _("availability"), max_length=8, choices=Rating.choices, default=Rating.MEDIUM
    )
    legal_compliance = models.CharField(
        _("legal compliance"), max_length=8, choices=Rating.choices, default=Rating.MEDIUM
    )
    classification_rationale = models.TextField(_("classification rationale"), blank=True)
    internet_facing = models.BooleanField(_("provides internet services"), default=False)
    data_sensitivity = models.CharField(
        _("data sensitivity"),
        max_length=16,
        choices=DataSensitivity.choices,
        default=DataSensitivity.INTERNAL,
    )
    hosting = models.CharField(
        _("hosting"), max_length=12, choices=Hosting.choices, default=Hosting.ON_PREMISES
    )
    cloud_provider = models.CharField(_("cloud provider"), max_length=120, blank=True)
    cloud_service = models.CharField(_("cloud service"), max_length=120, blank=True)
    data_location = models.CharField(
        _("where its data is processed and stored (country)"),
        max_length=2,
        default=core.HOME_COUNTRY,
        validators=[COUNTRY_VALIDATOR],
    )
    material = models.BooleanField(
        _("material (重大性) for outsourcing"),
        default=False,
        help_text=_("Material outsourcing per the cloud guideline (art. 6–9)."),
    )
    natural_person_customers = models.BooleanField(
        _("serves natural-person customers"), default=False
    )
    sites = models.ManyToManyField(
        Site, verbose_name=_("sites"), blank=True, related_name="systems"
    )
    suppliers = models.ManyToManyField(
        Supplier, verbose_name=_("suppliers"), blank=True, related_name="systems"
    )
    tags = models.JSONField(_("tags"), default=list, blank=True, validators=[validate_tags])
    reviewed_on = models.DateField(_("classification last reviewed"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated = models.DateTimeField(auto_now=True)

    objects = InformationSystemQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("information system")
        verbose_name_plural = _("information systems")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="system_unique_code")
        ]
        indexes = [
            models.Index(fields=["organisation", "classification", "internet_facing"]),
            models.Index(fields=["organisation", "hosting"]),
        ]

    choice_label_fields = ("code", "name")  # options read as two columns (choices.py)

    def __str__(self) -> str:
        return label_of(self.code, self.name)

    def clean(self) -> None:
        if self.hosting in (Hosting.CLOUD, Hosting.HYBRID) and not self.cloud_provider.strip():
            raise ValidationError({"cloud_provider": _("Name the cloud provider.")})

    @property
    def is_core(self) -> bool:
        return self.classification == Classification.CORE

    def review_due_on(self) -> dt.date | None:
        return core.add_months(self.reviewed_on, 12) if self.reviewed_on else None

    def scopes(self) -> frozenset[str]:
        return core.scopes_of(core.Classification(self.classification), self.internet_facing)

    def entry(self) -> core.SystemEntry:
        """The core's view of the system (uses the ``sites`` prefetch when there is one)."""
        countries = {self.data_location} | {site.country for site in self.sites.all()}
        return core.SystemEntry(
            id=self.pk,
            code=self.code,
            name=self.name,
            classification=core.Classification(self.classification),
            internet_facing=self.internet_facing,
            hosting=core.Hosting(self.hosting),
            data_sensitivity=core.DataSensitivity(self.data_sensitivity),
            material=self.material,
            natural_person_customers=self.natural_person_customers,
            countries=frozenset(countries),
        )


class SupplierReview(Audited, models.Model):
    """A due-diligence or periodic review of a supplier (guideline art. 5 and 6)."""

    class Kind(models.TextChoices):
        DUE_DILIGENCE = "due_diligence", _("Due diligence before contracting")
        PERIODIC = "periodic", _("Periodic review")
        AUDIT = "audit", _("Audit of the supplier")
        DR_ASSESSMENT = "dr_assessment", _("Disaster-recovery capability assessment")

    class Outcome(models.TextChoices):
        SATISFACTORY = "satisfactory", _("Satisfactory")
        FINDINGS = "findings", _("Satisfactory with findings")
        UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="reviews"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    performed_on = models.DateField(_("date"))
    performed_by = models.CharField(_("performed by"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["-performed_on", "-pk"]
        verbose_name = _("supplier review")
        verbose_name_plural = _("supplier reviews")

    def __str__(self) -> str:
        return f"{self.supplier.code} {self.performed_on.isoformat()}"
