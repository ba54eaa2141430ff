from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change. Rows are never updated or deleted (database triggers refuse it)."""

    sequence = models.BigIntegerField(unique=True)
    timestamp = models.CharField(max_length=40)  # ISO 8601, hashed exactly as stored
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who"), max_length=150)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=40)
    model = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    changes = models.JSONField(_("changes"), default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # How ``hash`` is computed (see ``chain``): events written before the key was introduced
    # are ``sha256``; every new event is ``hmac-sha256``.
    scheme = models.CharField(max_length=20, default="sha256")

    class Meta:
        ordering = ["sequence"]

    def as_chain_entry(self) -> dict[str, object]:
        return {
            "sequence": self.sequence,
            "timestamp": self.timestamp,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "organisation_id": self.organisation_id,
            "action": self.action,
            "model": self.model,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "previous_hash": self.previous_hash,
            "hash": self.hash,
            "scheme": self.scheme,
        }


class AuditHead(models.Model):
    """A single row holding the chain's tip, locked while an event is appended."""

    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)


class Audited(models.Model):
    """Mixin for business models: every change to a row is written to the audit trail.

    ``audit_exclude`` names fields left out of the recorded changes (e.g. large blobs).
    Bulk operations bypass model signals; code that uses them must call ``audit.log.append``.
    """

    audit_exclude: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def audit_organisation_id(self) -> int | None:
        return getattr(self, "organisation_id", None)
