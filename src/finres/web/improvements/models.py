"""Findings with their improvement plans and milestones; exceptions (risk acceptances).

Blueprint measure 2 lets the CISO answer a requirement or maturity level not yet met with an
improvement plan and timeline (a ``Finding`` with ``Milestone`` rows) or with an equivalent,
compensating control (a ``RiskException``), both tracked until closed. The date and status
rules live in ``finres.core.plans``; the query forms of the same rules are here, so that lists,
the API and the dashboard filter in the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from finres.core import plans
from finres.web.assessments.models import RequirementResult
from finres.web.audit.models import Audited
from finres.web.frameworks.models import Requirement
from finres.web.orgs.models import Organisation


def exception_max_days() -> int:
    """The longest risk acceptance, in days (setting ``FINRES_EXCEPTION_MAX_DAYS``)."""
    return int(getattr(settings, "FINRES_EXCEPTION_MAX_DAYS", plans.EXCEPTION_MAX_DAYS))


class FindingQuerySet(models.QuerySet["Finding"]):
    def open(self) -> FindingQuerySet:
        return self.exclude(status=Finding.Status.CLOSED)

    def record_once(
        self, *, organisation_id: int, source_reference: str, user: Any, **fields: Any
    ) -> tuple[Finding, bool]:
        """A finding for what ``source_reference`` names (an analysis gap, a drill's issue, an
        incident's lesson), unless an open finding records it already: (finding, created)."""
        reference = source_reference[:200]
        with transaction.atomic():
            existing = (
                self.open()
                .filter(organisation_id=organisation_id, source_reference=reference)
                .first()
            )
            if existing is not None:
                return existing, False
            if "title" in fields:
                fields["title"] = fields["title"][:300]
            finding = self.create(
                organisation_id=organisation_id,
                source_reference=reference,
                created_by=user if getattr(user, "is_authenticated", False) else None,
                **fields,
            )
        return finding, True

    def overdue(self, today: dt.date) -> FindingQuerySet:
        """``plans.finding_overdue`` as a query."""
        late_milestone = Milestone.objects.filter(
            finding=OuterRef("pk"), done=False, due_date__lt=today
        )
        return self.open().filter(Q(due_date__lt=today) | Exists(late_milestone))

    def with_progress(self, today: dt.date) -> FindingQuerySet:
        """Milestone counts and the overdue flag, computed in the same query as the rows."""
        return self.annotate(
            milestone_count=Count("milestones"),
            milestones_done=Count("milestones", filter=Q(milestones__done=True)),
            milestones_late=Count(
                "milestones",
                filter=Q(milestones__done=False, milestones__due_date__lt=today),
            ),
        ).annotate(
            is_overdue=Case(
                When(status=Finding.Status.CLOSED, then=Value(False)),
                When(Q(due_date__lt=today) | Q(milestones_late__gt=0), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )

    def attach_progress(self, findings: Any, today: dt.date) -> list[Finding]:
        """``with_progress`` for the findings of a page already taken: the same counts and flag,
        set on each finding from one grouped query over the page's milestones (a list reads its
        page first instead of counting every finding's milestones before taking it)."""
        rows = list(findings)
        counts = {
            row["finding_id"]: row
            for row in Milestone.objects.filter(finding_id__in=[f.pk for f in rows])
            .order_by()
            .values("finding_id")
            .annotate(
                total=Count("pk"),
                done_count=Count("pk", filter=Q(done=True)),
                late=Count("pk", filter=Q(done=False, due_date__lt=today)),
            )
        }
        for finding in rows:
            found = counts.get(finding.pk, {})
            finding.milestone_count = found.get("total", 0)
            finding.milestones_done = found.get("done_count", 0)
            finding.milestones_late = found.get("late", 0)
            finding.is_overdue = finding.status != Finding.Status.CLOSED and bool(
                (finding.due_date is not None and finding.due_date < today)
                or finding.milestones_late
            )
        return rows

    def worklist_order(self) -> FindingQuerySet:
        """Open work first, earliest deadline first; closed findings last, newest first."""
        return self.annotate(
            closed_rank=Case(
                When(status=Finding.Status.CLOSED, then=Value(1)),
                default=Value(0),
                output_field=models.IntegerField(),
            )
        ).order_by("closed_rank", models.F("due_date").asc(nulls_last=True), "-pk")


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
        OPEN = plans.FindingStatus.OPEN.value, _("Open")
        IN_PROGRESS = plans.FindingStatus.IN_PROGRESS.value, _("In progress")
        CLOSED = plans.FindingStatus.CLOSED.value, _("Closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="findings"
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.ASSESSMENT
    )
    source_reference = models.CharField(
        _("source reference"),
        max_length=200,
        blank=True,
        help_text=_("E.g. the audit report and item number, or the check that raised it."),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    requirement = models.ForeignKey(
        Requirement,
        verbose_name=_("requirement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.ForeignKey(
        RequirementResult,
        verbose_name=_("assessment result"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
    )
    plan = models.TextField(_("improvement plan"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_date"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [
            models.Index(fields=["organisation", "status", "due_date"]),
            models.Index(fields=["organisation", "owner"]),
        ]
        constraints = [
            # closed_at is set exactly when the finding is closed
            models.CheckConstraint(
                condition=(Q(status="closed") & Q(closed_at__isnull=False))
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="finding_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def overdue(self, today: dt.date) -> bool:
        """Python form of ``FindingQuerySet.overdue`` for one loaded finding (uses the
        ``milestones`` prefetch when there is one)."""
        milestones = [(m.done, m.due_date) for m in self.milestones.all()]
        return plans.finding_overdue(self.status, self.due_date, milestones, today)


class MilestoneQuerySet(models.QuerySet["Milestone"]):
    def overdue(self, today: dt.date) -> MilestoneQuerySet:
        """``plans.milestone_overdue`` as a query."""
        return self.filter(done=False, due_date__lt=today).exclude(
            finding__status=Finding.Status.CLOSED
        )


class Milestone(Audited, models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due date"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        indexes = [models.Index(fields=["organisation", "done", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(done=True) & Q(done_at__isnull=False))
                | (Q(done=False) & Q(done_at__isnull=True)),
                name="milestone_done_at_iff_done",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def overdue(self, today: dt.date) -> bool:
        return plans.milestone_overdue(self.done, self.due_date, self.finding.status, today)


class RiskExceptionQuerySet(models.QuerySet["RiskException"]):
    def tracked(self) -> RiskExceptionQuerySet:
        return self.filter(status__in=[s.value for s in plans.TRACKED_EXCEPTION_STATUSES])

    def expired(self, today: dt.date) -> RiskExceptionQuerySet:
        """``plans.exception_flag`` == EXPIRED as a query."""
        return self.tracked().filter(expiry_date__lt=today)

    def expiring_soon(
        self, today: dt.date, warning_days: int = plans.EXPIRING_SOON_DAYS
    ) -> RiskExceptionQuerySet:
        """``plans.exception_flag`` == EXPIRING_SOON as a query."""
        return self.tracked().filter(
            expiry_date__gte=today, expiry_date__lte=today + dt.timedelta(days=warning_days)
        )

    def with_flag(self, today: dt.date) -> RiskExceptionQuerySet:
        tracked = Q(status__in=[s.value for s in plans.TRACKED_EXCEPTION_STATUSES])
        soon = today + dt.timedelta(days=plans.EXPIRING_SOON_DAYS)
        return self.annotate(
            expiry_flag=Case(
                When(
                    tracked & Q(expiry_date__lt=today),
                    then=Value(plans.ExceptionFlag.EXPIRED.value),
                ),
                When(
                    tracked & Q(expiry_date__lte=soon),
                    then=Value(plans.ExceptionFlag.EXPIRING_SOON.value),
                ),
                default=Value(""),
                output_field=models.CharField(),
            )
        )

    def worklist_order(self) -> RiskExceptionQuerySet:
        """Proposals awaiting a decision first, then accepted risks by expiry, then the rest."""
        return self.annotate(
            status_rank=Case(
                When(status=RiskException.Status.PROPOSED, then=Value(0)),
                When(status=RiskException.Status.APPROVED, then=Value(1)),
                default=Value(2),
                output_field=models.IntegerField(),
            )
        ).order_by("status_rank", "expiry_date", "-pk")


class RiskException(Audited, models.Model):
    """A risk acceptance: a requirement not (fully) met, with compensating controls, approved
    for a limited time (blueprint measure 2 lets the CISO propose such measures).

    ``expiry_date`` is the last day the acceptance holds. Expiry is computed from it (see
    ``plans.exception_flag``), never stored as a status. The person who decides (approves or
    rejects) is never the proposer: the database refuses it too.
    """

    class Status(models.TextChoices):
        PROPOSED = plans.ExceptionStatus.PROPOSED.value, _("Proposed")
        APPROVED = plans.ExceptionStatus.APPROVED.value, _("Approved")
        REJECTED = plans.ExceptionStatus.REJECTED.value, _("Rejected")
        CLOSED = plans.ExceptionStatus.CLOSED.value, _("Closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="exceptions"
    )
    title = models.CharField(_("title"), max_length=300)
    requirement = models.ForeignKey(
        Requirement,
        verbose_name=_("requirement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.ForeignKey(
        RequirementResult,
        verbose_name=_("assessment result"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exceptions",
    )
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exceptions",
    )
    risk = models.TextField(_("risk accepted"))
    compensating_controls = models.TextField(_("compensating controls"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    expiry_date = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    created = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closing_note = models.TextField(_("closing note"), blank=True)

    objects = RiskExceptionQuerySet.as_manager()

    class Meta:
        ordering = ["status", "expiry_date"]
        verbose_name = _("exception")
        verbose_name_plural = _("exceptions")
        indexes = [models.Index(fields=["organisation", "status", "expiry_date"])]
        constraints = [
            # segregation of duties: nobody approves or rejects their own proposal
            models.CheckConstraint(
                condition=~Q(approver=models.F("proposed_by")),
                name="exception_approver_is_not_proposer",
            ),
            models.CheckConstraint(
                condition=~Q(rejected_by=models.F("proposed_by")),
                name="exception_rejecter_is_not_proposer",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(approver__isnull=False) & Q(approved_at__isnull=False)),
                name="exception_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="exception_closed_has_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def flag(self, today: dt.date) -> str:
        """``expired``, ``expiring_soon`` or ``""`` (see ``plans.exception_flag``)."""
        found = plans.exception_flag(self.status, self.expiry_date, today)
        return found.value if found else ""

    def decided_by(self) -> Any:
        return self.approver if self.status == self.Status.APPROVED else self.rejected_by
