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
        indexes = [
            # an organisation's trail newest first (the audit page) and in order (verification),
            # read from the index instead of sorting every event of the organisation
            models.Index(fields=["organisation_id", "sequence"], name="audit_org_sequence"),
            # one object's history (a result's page) and the organisation's bulk events
            # (object_id "bulk"), without reading every event of the organisation
            models.Index(fields=["organisation_id", "object_id", "model"], name="audit_org_object"),
        ]

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


class DataVersion(models.Model):
    """The latest event that changed one kind of an organisation's data (one row per
    organisation and model, and one for its security events, written by ``log.append`` in the
    event's transaction): the version of a cached figure is that of the kinds it read
    (``audit.versioned``), so a figure of the registers is not computed again when a result
    changes."""

    organisation_id = models.BigIntegerField()
    model = models.CharField(max_length=80)  # "app_label.modelname", as events name it
    sequence = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_id", "model"], name="audit_dataversion_unique"
            )
        ]


class AuditCheckpoint(models.Model):
    """How far the chain was verified with the key (per scope: the whole chain, or one
    organisation's events), when and by whom, so that the next verification starts there.

    Signed with the audit key (``signature``): moving it forward to skip events needs the key.
    """

    scope = models.CharField(max_length=40, unique=True)  # "all" or "organisation:<id>"
    sequence = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    verified_at = models.CharField(max_length=40)  # ISO 8601 UTC, signed as stored
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    verified_by_name = models.CharField(max_length=150)
    full = models.BooleanField(default=False)  # the last run checked from the first event
    signature = models.CharField(max_length=64)

    def as_signed(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "sequence": self.sequence,
            "hash": self.hash,
            "verified_at": self.verified_at,
            "verified_by_name": self.verified_by_name,
            "full": self.full,
        }


class Audited(models.Model):
    """Mixin for business models: every change to a row is written to the audit trail.

    ``audit_exclude`` names fields left out of the recorded changes (e.g. large blobs).
    Bulk operations bypass model signals; code that uses them records the rows' changes in one
    event with ``audit.log.bulk`` (or ``audit.log.append_bulk``).
    """

    audit_exclude: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def audit_organisation_id(self) -> int | None:
        return getattr(self, "organisation_id", None)
