from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.web.assessments.models import RequirementResult
from finres.web.audit.models import Audited
from finres.web.choices import label_of
from finres.web.orgs.models import Organisation


def evidence_path(instance: Evidence, filename: str) -> str:
    # Never the uploader's file name on disk: a generated one, per organisation.
    return f"{instance.organisation_id}/{uuid.uuid4().hex}"


class Evidence(Audited, models.Model):
    class Kind(models.TextChoices):
        FILE = "file", _("File")
        LINK = "link", _("Link")

    class Review(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="evidence"
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    effective_date = models.DateField(_("effective from"), null=True, blank=True)
    expiry_date = models.DateField(_("expires on"), null=True, blank=True)
    review_state = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    results = models.ManyToManyField(
        RequirementResult, through="EvidenceLink", related_name="evidence"
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    # A new version is a new row: the old one keeps its file, hash and review as history.
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["organisation", "expiry_date"]),
            models.Index(fields=["organisation", "review_state"]),
            # the lists' order (newest first): a page is read from the index, not sorted
            models.Index(fields=["organisation", "created", "id"], name="evidence_org_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expiry_date__isnull=True)
                | models.Q(effective_date__isnull=True)
                | models.Q(expiry_date__gte=models.F("effective_date")),
                name="evidence_expiry_after_effective",
                violation_error_message=_("The expiry date cannot be before the effective date."),
            ),
            # segregation of duties: nobody reviews the evidence they uploaded
            models.CheckConstraint(
                condition=~models.Q(reviewer=models.F("uploaded_by")),
                name="evidence_reviewer_is_not_uploader",
            ),
        ]

    choice_label_fields = ("title",)  # options read as one column (choices.py)

    def __str__(self) -> str:
        return label_of(self.title)

    @property
    def is_current(self) -> bool:
        """Whether no newer version replaces this one."""
        try:
            self.superseded_by  # noqa: B018 - reading the reverse one-to-one raises if absent
        except Evidence.DoesNotExist:
            return True
        return False


class EvidenceLink(Audited, models.Model):
    """One piece of evidence supporting one requirement result (evidence supports many)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links")
    result = models.ForeignKey(
        RequirementResult, on_delete=models.CASCADE, related_name="evidence_links"
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "result"], name="evidence_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence} → {self.result_id}"
