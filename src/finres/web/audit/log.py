"""Appending to the chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from finres.web.audit.chain import GENESIS, event_hash
from finres.web.audit.context import current_actor
from finres.web.audit.models import AuditEvent, AuditHead


def append(
    action: str,
    model: str,
    object_id: Any,
    object_repr: str,
    changes: dict[str, Any],
    organisation_id: int | None,
) -> AuditEvent:
    actor = current_actor()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"sequence": 0, "hash": GENESIS}
        )
        entry: dict[str, Any] = {
            "sequence": head.sequence + 1,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": actor.user_id,
            "actor_name": actor.name,
            "organisation_id": organisation_id,
            "action": action,
            "model": model,
            "object_id": str(object_id),
            "object_repr": object_repr[:300],
            "changes": changes,
            "previous_hash": head.hash,
        }
        entry["hash"] = event_hash(entry)
        event = AuditEvent.objects.create(**entry)
        head.sequence, head.hash = entry["sequence"], entry["hash"]
        head.save(update_fields=["sequence", "hash"])
        return event
