"""The incident register: what happened, what it touched, how it was contained and recovered,
why, what was learnt, and what was reported to whom and when.

Reporting deadlines are not stored: they are computed by the pure core
(``finres.core.incidents``) from the incident's regime and times, on every read. A regime is
either shipped with FinRes (``content/incidents/regimes``; the EU DORA example) or entered by the
institution for its own regulator (``ReportingRegime``, validated by the same core model).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.core import incidents as core
from finres.web.audit.models import Audited
from finres.web.continuity.models import CriticalService, Node
from finres.web.orgs.models import Organisation
from finres.web.registers.models import CODE_VALIDATOR, InformationSystem, Supplier

CURRENCY = RegexValidator(r"^[A-Z]{3}$", _("Three capital letters (ISO 4217), e.g. TWD."))


def validate_stages(value: Any) -> None:
    """The stages as the core reads them (the regime's other fields are checked on save)."""
    data = {
        "id": "check",
        "name": {"zh": "-", "en": "-"},
        "regulator": "-",
        "source": "---",
        "stages": value,
    }
    try:
        core.regime_from_data(data, "stages")
    except core.RegimeError as error:
        raise ValidationError("; ".join(error.problems)) from None


class ReportingRegime(Audited, models.Model):
    """A regulator's reporting regime as the institution entered it (never without a source)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    regulator = models.CharField(_("regulator"), max_length=200)
    source = models.TextField(
        _("source"),
        help_text=_("Where the time limits are written (regulation, article)."),
    )
    notes = models.TextField(_("notes"), blank=True)
    stages = models.JSONField(_("stages"), default=list, validators=[validate_stages])

    class Meta:
        ordering = ["code"]
        verbose_name = _("reporting regime")
        verbose_name_plural = _("reporting regimes")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="regime_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def key(self) -> str:
        return f"org:{self.pk}"

    def regime(self) -> core.Regime:
        return core.regime_from_data(
            {
                "id": f"org-{self.pk or 0}",
                "name": {"zh": self.name, "en": self.name},
                "regulator": self.regulator,
                "source": self.source,
                "notes": self.notes,
                "stages": self.stages,
            },
            str(self),
        )

    def clean(self) -> None:
        if len(self.source.strip()) < 3:
            raise ValidationError({"source": _("Say where the time limits are written.")})


class Incident(Audited, models.Model):
    class Category(models.TextChoices):
        CYBER_ATTACK = "cyber_attack", _("Cyber attack")
        SYSTEM_FAILURE = "system_failure", _("System failure")
        HUMAN_ERROR = "human_error", _("Human error")
        THIRD_PARTY = "third_party", _("Third-party failure")
        PHYSICAL = "physical", _("Natural or physical event")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTAINED = "contained", _("Contained")
        RECOVERED = "recovered", _("Recovered")
        CLOSED = "closed", _("Closed")

    class Discovery(models.TextChoices):
        """How the incident came to light (FIRE's incident details)."""

        MONITORING = "monitoring", _("Internal monitoring or detection tools")
        STAFF = "staff", _("Staff")
        CLIENT = "client", _("Client or customer")
        THIRD_PARTY = "third_party", _("Supplier or other third party")
        AUTHORITY = "authority", _("Authority, CERT or ISAC")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected at"))
    classified_at = models.DateTimeField(
        _("classified at"),
        null=True,
        blank=True,
        help_text=_("When it was classified, e.g. as major (clocks may start here)."),
    )
    category = models.CharField(_("incident type"), max_length=16, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    major = models.BooleanField(_("major incident"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    services = models.ManyToManyField(
        CriticalService, verbose_name=_("services affected"), blank=True, related_name="incidents"
    )
    nodes = models.ManyToManyField(
        Node, verbose_name=_("graph nodes affected"), blank=True, related_name="incidents"
    )
    systems = models.ManyToManyField(
        InformationSystem, verbose_name=_("systems affected"), blank=True, related_name="+"
    )
    suppliers = models.ManyToManyField(
        Supplier, verbose_name=_("suppliers affected"), blank=True, related_name="+"
    )
    discovery = models.CharField(
        _("how it was discovered"), max_length=12, choices=Discovery.choices, blank=True
    )
    # The impact figures FIRE asks for: left empty when not (yet) known, never guessed.
    clients_affected = models.PositiveIntegerField(_("clients affected"), null=True, blank=True)
    transactions_affected = models.PositiveIntegerField(
        _("transactions affected"), null=True, blank=True
    )
    financial_loss = models.DecimalField(
        _("financial loss"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Direct and indirect costs estimated so far."),
    )
    loss_currency = models.CharField(
        _("currency"),
        max_length=3,
        default="TWD",
        blank=True,  # left empty: TWD (see clean)
        validators=[CURRENCY],
    )
    data_affected = models.TextField(
        _("data affected"),
        blank=True,
        help_text=_("Which data, and whether its confidentiality, integrity or availability."),
    )
    geographic_spread = models.CharField(
        _("geographic spread"),
        max_length=200,
        blank=True,
        help_text=_("Countries or regions affected, e.g. Taiwan only."),
    )
    contained_at = models.DateTimeField(_("contained at"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("recovered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    lessons = models.TextField(
        _("lessons learnt"), blank=True, help_text=_("One per line; each may become a finding.")
    )
    regime = models.CharField(_("reporting regime"), max_length=60, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detected_at", "code"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="incident_unique_code")
        ]
        indexes = [models.Index(fields=["organisation", "detected_at"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        problems: dict[str, Any] = {}
        self.loss_currency = self.loss_currency or "TWD"
        detected = self.detected_at
        if detected is not None:
            if self.occurred_at is not None and self.occurred_at > detected:
                problems["occurred_at"] = _("An incident cannot occur after it was detected.")
            for name in ("classified_at", "contained_at", "recovered_at", "closed_at"):
                value = getattr(self, name)
                if value is not None and value < detected:
                    problems[name] = _("This cannot come before the detection.")
        if self.closed_at is not None and self.status != self.Status.CLOSED:
            problems["status"] = _("An incident with a closing time is closed.")
        if problems:
            raise ValidationError(problems)


class TimelineEntry(Audited, models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField(_("time"))
    text = models.TextField(_("what happened"))

    class Meta:
        ordering = ["incident", "at", "pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.at:%Y-%m-%d %H:%M}"


class Submission(Audited, models.Model):
    """A report sent to the regulator for one stage of the incident's regime (a stage may be
    sent more than once, e.g. updated intermediate reports: the latest counts)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="submissions"
    )
    stage = models.CharField(_("stage"), max_length=40)
    submitted_at = models.DateTimeField(_("submitted at"))
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["incident", "submitted_at", "pk"]
        verbose_name = _("report submitted")
        verbose_name_plural = _("reports submitted")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.stage} {self.submitted_at:%Y-%m-%d %H:%M}"
