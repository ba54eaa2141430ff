"""A background job and the notification its end leaves for the person who asked for it.

Jobs are operational records, not business data: they are not audited row by row (what a job
changes is audited by the code it runs, and downloading a result is a security event).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    FINISHED = (State.SUCCEEDED, State.FAILED)

    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=100)
    parameters = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="zh-hant")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_step = models.CharField(max_length=200, blank=True)
    # The result: a file in the default (evidence) storage, or a small JSON summary, or both.
    result_file = models.CharField(max_length=300, blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    result_data = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)  # for people: never a traceback
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "kind", "-created"], name="jobs_org_kind_created"),
            models.Index(fields=["expires"], name="jobs_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))

    def label(self) -> str:
        from finres.web.jobs.registry import label_of

        return label_of(self.kind)

    def summary(self) -> dict[str, Any]:
        return dict(self.result_data or {})


class Notification(models.Model):
    """A job ended: shown under the bell of the person who asked for it, until read."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="finres_notifications"
    )
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="notifications"
    )
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="notifications")
    read = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["person", "read"], name="jobs_notification_unread")]

    def __str__(self) -> str:
        return f"{self.job} → {self.person_id}"
