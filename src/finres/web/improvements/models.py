"""Findings with their improvement plans and milestones; exceptions (risk acceptances)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.web.assessments.models import RequirementResult
from finres.web.audit.models import Audited
from finres.web.frameworks.models import Requirement
from finres.web.orgs.models import Organisation


class Finding(Audited, models.Model):
    class Source(models.TextChoices):
        ASSESSMENT = "assessment", _("Assessment")
        AUDIT = "audit", _("Audit")
        CHECK = "check", _("Automated check")
        INCIDENT = "incident", _("Incident")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="findings")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices,
                              default=Source.ASSESSMENT)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices,
                                default=Severity.MEDIUM)
    requirement = models.ForeignKey(Requirement, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    result = models.ForeignKey(RequirementResult, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="findings")
    plan = models.TextField(_("improvement plan"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.OPEN)
    created = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_date"]
        indexes = [models.Index(fields=["organisation", "status", "due_date"])]

    def __str__(self) -> str:
        return self.title


class Milestone(Audited, models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    due_date = models.DateField(_("due date"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date"]

    def __str__(self) -> str:
        return self.title


class RiskException(Audited, models.Model):
    """A risk acceptance: a requirement not (fully) met, with compensating controls, approved
    for a limited time (blueprint measure 2 lets the CISO propose such measures)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="exceptions")
    title = models.CharField(_("title"), max_length=300)
    requirement = models.ForeignKey(Requirement, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    result = models.ForeignKey(RequirementResult, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="exceptions")
    risk = models.TextField(_("risk accepted"))
    compensating_controls = models.TextField(_("compensating controls"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approver"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    expiry_date = models.DateField(_("expires on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PROPOSED)
    created = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "expiry_date"]
        indexes = [models.Index(fields=["organisation", "status", "expiry_date"])]

    def __str__(self) -> str:
        return self.title
