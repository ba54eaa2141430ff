"""Assessments of a framework for a period, and one result per requirement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.web.audit.models import Audited
from finres.web.frameworks.models import Framework, Requirement
from finres.web.orgs.models import Organisation


class Result(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    PARTIAL = "partially_compliant", _("Partially compliant")
    NON_COMPLIANT = "non_compliant", _("Non-compliant")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    NOT_ASSESSED = "not_assessed", _("Not assessed")


class Assessment(Audited, models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assessments")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="assessments")
    name = models.CharField(_("name"), max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.IN_PROGRESS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "framework__code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "framework", "period_start"],
                                    name="assessment_unique_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="assessment_period_in_order"),
        ]

    def __str__(self) -> str:
        return self.name


class ProposalState(models.TextChoices):
    NONE = "", _("No proposal")
    PENDING = "pending", _("Proposed, awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    OVERRIDDEN = "overridden", _("Overridden")


class RequirementResult(Audited, models.Model):
    """The result for one requirement in one assessment.

    ``organisation`` repeats the assessment's so that every query can be scoped (and indexed)
    without a join. A result proposed through the library's mappings waits in
    ``proposed_result`` with its provenance until a person accepts or overrides it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="results")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="results")
    result = models.CharField(_("result"), max_length=24, choices=Result.choices,
                              default=Result.NOT_ASSESSED)
    not_applicable_reason = models.TextField(_("reason it does not apply"), blank=True)
    maturity_level = models.PositiveSmallIntegerField(_("maturity level"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    due_date = models.DateField(_("due date"), null=True, blank=True)
    comments = models.TextField(_("comments"), blank=True)
    proposed_result = models.CharField(max_length=24, choices=Result.choices, blank=True)
    proposal_state = models.CharField(max_length=12, choices=ProposalState.choices, blank=True)
    proposal_provenance = models.JSONField(default=list, blank=True)
    # Statement of Applicability (ISO/IEC 27001 clause 6.1.3 d)
    soa_applicable = models.BooleanField(_("applicable (SoA)"), null=True, blank=True)
    soa_justification = models.TextField(_("justification (SoA)"), blank=True)
    soa_implemented = models.BooleanField(_("implemented (SoA)"), null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessment", "requirement__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "requirement"], name="result_unique"),
        ]
        indexes = [
            models.Index(fields=["organisation", "result"]),
            models.Index(fields=["assessment", "result"]),
            models.Index(fields=["organisation", "proposal_state"]),
        ]

    def __str__(self) -> str:
        return f"{self.requirement.label} · {self.get_result_display()}"


class ApplicabilitySnapshot(Audited, models.Model):
    """The applicable set last shown to the organisation, to tell what changed since."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="applicability_snapshots")
    as_of = models.DateField()
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    items = models.JSONField(default=dict)  # "framework:node" -> {"in_force": bool, ...}
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    audit_exclude = ("items",)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.organisation} @ {self.as_of}"


class MaturityTarget(Audited, models.Model):
    """The level an organisation aims for in a framework; may differ by tier."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    tier = models.PositiveSmallIntegerField(null=True, blank=True)  # None: whatever the tier
    level = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "framework", "tier"],
                                    name="maturity_target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.framework.code} ≥ {self.level}"
