"""Assessments of a framework for a period, and one result per requirement."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from finres.core.maturity import Scale, scale_from_library
from finres.core.propagation import Outcome
from finres.web.audit.models import Audited
from finres.web.frameworks.models import Framework, Requirement
from finres.web.orgs.models import Organisation

ISO27001_ANNEX_A = "iso27001-2022-annex-a"


def maturity_scale(framework: Framework) -> Scale:
    """The framework's own maturity levels, or the default scale from baseline compliance (1)
    to best practice (5)."""
    return scale_from_library(framework.maturity_levels or [])


def maturity_levels(framework: Framework) -> tuple[int, ...]:
    """The levels a result of ``framework`` may take."""
    return maturity_scale(framework).values


TALLIED_FIELDS = ("assessment_id", "result", "maturity_level", "proposal_state")
# A row read with .only()/.defer() leaves out some counted fields: what the counts hold for it
# is then unknown (reading the fields here would load each one and recurse through from_db):
# its save reads them from the database first.
UNKNOWN_TALLY = ("unknown",)


def tally_key(row: Any) -> tuple[Any, ...] | None:
    """The fields of a result the maintained counts depend on (None for an unsaved row)."""
    if row.pk is None:
        return None
    return (row.assessment_id, row.result, row.maturity_level, row.proposal_state)


class ResultQuerySet(models.QuerySet["RequirementResult"]):
    """Bulk writes of results keep the maintained counts (``ResultTally``) correct: each
    refreshes the assessments it touched, in the same transaction."""

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        from finres.web.assessments.aggregates import refresh_assessment_aggregates

        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            refresh_assessment_aggregates({row.assessment_id for row in objs})
        for row in created:
            row._tallied = tally_key(row)
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> Any:
        from finres.web.assessments.aggregates import TALLY_FIELDS, refresh_assessment_aggregates

        objs = list(objs)
        names = set(fields)
        if not names & TALLY_FIELDS:
            return super().bulk_update(objs, fields, *args, **kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            touched = {row.assessment_id for row in objs}
            if "assessment" in names or "assessment_id" in names:
                touched |= set(
                    self.model._base_manager.filter(pk__in=[row.pk for row in objs]).values_list(
                        "assessment_id", flat=True
                    )
                )
            updated = super().bulk_update(objs, fields, *args, **kwargs)
            refresh_assessment_aggregates(touched)
        for row in objs:
            row._tallied = tally_key(row)
        return updated

    def update(self, **kwargs: Any) -> int:
        from finres.web.assessments.aggregates import TALLY_FIELDS, refresh_assessment_aggregates

        if not set(kwargs) & TALLY_FIELDS:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            touched = set(self.order_by().values_list("assessment_id", flat=True).distinct())
            count = super().update(**kwargs)
            if "assessment" in kwargs or "assessment_id" in kwargs:
                target = kwargs.get("assessment_id", kwargs.get("assessment"))
                touched.add(getattr(target, "pk", target))
            refresh_assessment_aggregates(touched)
        return count

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        from finres.web.assessments.aggregates import refresh_assessment_aggregates

        with transaction.atomic(using=self.db, savepoint=False):
            touched = set(self.order_by().values_list("assessment_id", flat=True).distinct())
            deleted = super().delete()
            refresh_assessment_aggregates(touched)
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class Result(models.TextChoices):
    """The result values are the core's (``finres.core.propagation.Outcome``), with labels."""

    COMPLIANT = Outcome.COMPLIANT.value, _("Compliant")
    PARTIAL = Outcome.PARTIAL.value, _("Partially compliant")
    NON_COMPLIANT = Outcome.NON_COMPLIANT.value, _("Non-compliant")
    NOT_APPLICABLE = Outcome.NOT_APPLICABLE.value, _("Not applicable")
    NOT_ASSESSED = Outcome.NOT_ASSESSED.value, _("Not assessed")


class Assessment(Audited, models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="assessments"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="assessments")
    name = models.CharField(_("name"), max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "framework__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "framework", "period_start"],
                name="assessment_unique_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="assessment_period_in_order",
            ),
        ]

    choice_label_fields = ("name",)  # options read as one column (choices.py)

    def __str__(self) -> str:
        return self.name


class ProposalState(models.TextChoices):
    NONE = "", _("No proposal")
    PENDING = "pending", _("Proposed, awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    OVERRIDDEN = "overridden", _("Overridden")


class RequirementResult(Audited, models.Model):
    """The result for one requirement in one assessment.

    Every write keeps the maintained counts (``ResultTally``) in step in the same transaction:
    ``save``/``delete`` here, and the bulk paths through ``ResultQuerySet`` (see
    ``finres.web.assessments.aggregates``).

    ``organisation`` repeats the assessment's so that every query can be scoped (and indexed)
    without a join. A result proposed through the library's mappings waits in
    ``proposed_result`` with its provenance until a person accepts or overrides it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="results")
    requirement = models.ForeignKey(
        Requirement, verbose_name=_("requirement"), on_delete=models.PROTECT, related_name="results"
    )
    result = models.CharField(
        _("result"), max_length=24, choices=Result.choices, default=Result.NOT_ASSESSED
    )
    not_applicable_reason = models.TextField(_("reason it does not apply"), blank=True)
    maturity_level = models.PositiveSmallIntegerField(_("maturity level"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    comments = models.TextField(_("comments"), blank=True)
    proposed_result = models.CharField(
        _("proposed result"), max_length=24, choices=Result.choices, blank=True
    )
    proposal_state = models.CharField(
        _("proposal state"), max_length=12, choices=ProposalState.choices, blank=True
    )
    proposal_provenance = models.JSONField(default=list, blank=True)
    # Statement of Applicability (ISO/IEC 27001 clause 6.1.3 d)
    soa_applicable = models.BooleanField(_("applicable (SoA)"), null=True, blank=True)
    soa_justification = models.TextField(_("justification (SoA)"), blank=True)
    soa_implemented = models.BooleanField(_("implemented (SoA)"), null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "requirement__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "requirement"], name="result_unique"),
        ]
        indexes = [
            models.Index(fields=["organisation", "result"]),
            models.Index(fields=["assessment", "result"]),
            # Scoped reads of some assessments (organisation = … AND assessment IN …): without
            # it a planner may pick (organisation, result) and read every result of the
            # organisation, with or without statistics.
            models.Index(
                fields=["organisation", "assessment", "result"], name="result_org_assessment"
            ),
            # API pages in id order (numbered or keyset) read the organisation's ids in order
            # from here, whatever the planner's statistics say (none right after an import).
            models.Index(fields=["organisation", "id"], name="result_org_id"),
            models.Index(fields=["organisation", "proposal_state"]),
            models.Index(fields=["assessment", "proposal_state"]),
        ]

    def __str__(self) -> str:
        return f"{self.requirement.label} · {self.get_result_display()}"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> RequirementResult:
        row = super().from_db(db, field_names, values)
        # what the maintained counts hold for this row
        loaded = all(name in row.__dict__ for name in TALLIED_FIELDS)
        row._tallied = tally_key(row) if loaded else UNKNOWN_TALLY
        return row

    def save(self, *args: Any, **kwargs: Any) -> None:
        from finres.web.assessments.aggregates import refresh_assessment_aggregates

        before = getattr(self, "_tallied", None)
        with transaction.atomic(savepoint=False):
            if before is UNKNOWN_TALLY:
                before = type(self).objects.filter(pk=self.pk).values_list(*TALLIED_FIELDS).first()
            super().save(*args, **kwargs)
            after = tally_key(self)
            if before != after:
                refresh_assessment_aggregates(
                    {key[0] for key in (before, after) if key is not None}
                )
        self._tallied = after

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        from finres.web.assessments.aggregates import refresh_assessment_aggregates

        assessment_id = self.assessment_id
        with transaction.atomic(savepoint=False):
            deleted = super().delete(*args, **kwargs)
            refresh_assessment_aggregates([assessment_id])
        self._tallied = None
        return deleted

    def clean(self) -> None:
        """The rules every change of a result follows, in forms and in the API alike."""
        errors: dict[str, Any] = {}
        self.not_applicable_reason = (self.not_applicable_reason or "").strip()
        if self.result == Result.NOT_APPLICABLE:
            if not self.not_applicable_reason:
                errors["not_applicable_reason"] = _(
                    "Give the reason why the requirement does not apply."
                )
        else:
            self.not_applicable_reason = ""  # a reason belongs to a not-applicable result only
        if self.maturity_level is not None and self.assessment_id is not None:
            levels = maturity_levels(self.assessment.framework)
            if self.maturity_level not in levels:
                errors["maturity_level"] = _(
                    "Choose a maturity level from %(low)s to %(high)s."
                ) % {
                    "low": min(levels),
                    "high": max(levels),
                }
        if self.owner_id is not None and self.organisation_id is not None:
            from finres.web.assessments.people import eligible_owners

            if not eligible_owners(self.organisation).filter(pk=self.owner_id).exists():
                errors["owner"] = _("The owner must be a member of the organisation.")
        if errors:
            raise ValidationError(errors)

    @property
    def implemented(self) -> str:
        """For the Statement of Applicability: yes / partial / no, or "" when not known."""
        return {
            Result.COMPLIANT: "yes",
            Result.PARTIAL: "partial",
            Result.NON_COMPLIANT: "no",
        }.get(self.result, "")

    @property
    def applicable_in_soa(self) -> bool:
        """Applicable unless the SoA says otherwise, or the result is not applicable."""
        if self.soa_applicable is not None:
            return self.soa_applicable
        return self.result != Result.NOT_APPLICABLE


class ResultTally(models.Model):
    """How many results of an assessment have a given result, maturity level and proposal state.

    Maintained, never edited by hand: ``finres.web.assessments.aggregates`` recomputes an
    assessment's rows from its results whenever they change, in the same transaction, so the
    dashboard, the lists and the reports read a few hundred rows instead of the whole history.
    """

    # not audited itself: it changes with the results it counts (``audit.versioned``)
    changes_with = ("assessments.requirementresult", "assessments.assessment")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="tallies")
    result = models.CharField(max_length=24, choices=Result.choices)
    maturity_level = models.PositiveSmallIntegerField(null=True, blank=True)
    pending = models.BooleanField(default=False)  # a proposal awaits review
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["assessment", "result", "maturity_level", "pending", "count"],
                name="tally_covering",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.result} {self.maturity_level}: {self.count}"


class ApplicabilitySnapshot(Audited, models.Model):
    """The applicable set last shown to the organisation, to tell what changed since."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="applicability_snapshots"
    )
    as_of = models.DateField()
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    items = models.JSONField(default=dict)  # "framework:node" -> {"in_force": bool, ...}
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

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
            models.UniqueConstraint(
                fields=["organisation", "framework", "tier"], name="maturity_target_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework.code} ≥ {self.level}"
