"""Database copies of the library's frameworks, requirements and mappings.

The YAML content (``finres.core.library``) is the source of truth; ``sync.sync_library`` copies
it here so that assessments can refer to requirements by foreign key. Requirements are never
deleted, only marked inactive, because results and evidence keep pointing at them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from finres.web.language import current_language


class FrameworkQuerySet(models.QuerySet["Framework"]):
    def content_version(self) -> list[tuple[int, str, bool]]:
        """Each framework's id, content hash and whether it is active: a version of the library
        as loaded, for figures cached on what the library says."""
        return list(self.order_by("pk").values_list("pk", "content_hash", "active"))


class Framework(models.Model):
    code = models.CharField(_("id"), max_length=80, unique=True)
    name_zh = models.CharField(max_length=300, blank=True)
    name_en = models.CharField(max_length=300, blank=True)
    version = models.CharField(_("version"), max_length=40)
    kind = models.CharField(_("kind"), max_length=32)
    binding = models.BooleanField(_("binding"))
    source_language = models.CharField(max_length=8)
    published = models.DateField(_("published"))
    maturity_levels = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    synced = models.DateTimeField(auto_now=True)

    objects = FrameworkQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name()

    def name(self, language: str | None = None) -> str:
        language = language or current_language()
        return (self.name_en if language == "en" else self.name_zh) or self.name_zh or self.name_en


class Requirement(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="requirements")
    code = models.CharField(_("id"), max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=40, blank=True)
    ref = models.CharField(_("reference"), max_length=80, blank=True)
    title_zh = models.TextField(blank=True)
    title_en = models.TextField(blank=True)
    text_zh = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    assessable = models.BooleanField(default=False)
    obligation = models.CharField(max_length=10, blank=True)
    scope = models.CharField(max_length=40, blank=True)
    tiers = models.JSONField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    due_by = models.DateField(null=True, blank=True)
    data = models.JSONField(default=dict)  # the whole node as in the library, for display
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="requirement_unique_code")
        ]
        indexes = [models.Index(fields=["framework", "assessable", "active"])]

    def __str__(self) -> str:
        return f"{self.ref or self.code} {self.title()}"

    def title(self, language: str | None = None) -> str:
        language = language or current_language()
        return (
            (self.title_en if language == "en" else self.title_zh) or self.title_zh or self.title_en
        )

    def text(self, language: str | None = None) -> str:
        language = language or current_language()
        return (self.text_en if language == "en" else self.text_zh) or self.text_zh or self.text_en

    @property
    def label(self) -> str:
        return self.ref or self.code

    def node_data(self) -> dict[str, Any]:
        return dict(self.data)


class Mapping(models.Model):
    """A NIST OLIR relationship between two requirements, read: source <relationship> target."""

    mapping_set = models.CharField(max_length=120)
    source = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="mappings_out")
    target = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="mappings_in")
    relationship = models.CharField(max_length=12)
    rationale_zh = models.TextField(blank=True)
    rationale_en = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mapping_set", "source", "target"], name="mapping_unique_pair"
            )
        ]
