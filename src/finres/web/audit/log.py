"""Appending to the chain: changes to business data and security events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from finres.web.audit import actions
from finres.web.audit.chain import GENESIS, SCHEME_HMAC, Head, event_hash
from finres.web.audit.context import (
    Actor,
    current_actor,
    current_organisation_id,
    current_request,
    request_user,
)
from finres.web.audit.keys import audit_key
from finres.web.audit.models import AuditEvent, AuditHead


def append(
    action: str,
    model: str,
    object_id: Any,
    object_repr: str,
    changes: dict[str, Any],
    organisation_id: int | None,
    actor: Actor | None = None,
) -> AuditEvent:
    """Write one event at the end of the chain (keyed with the audit key)."""
    actor = actor or current_actor()
    key = audit_key()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"sequence": 0, "hash": GENESIS}
        )
        entry: dict[str, Any] = {
            "sequence": head.sequence + 1,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": actor.user_id,
            "actor_name": actor.name[:150],
            "organisation_id": organisation_id,
            "action": action,
            "model": model,
            "object_id": str(object_id),
            "object_repr": object_repr[:300],
            "changes": changes,
            "previous_hash": head.hash,
            "scheme": SCHEME_HMAC,
        }
        entry["hash"] = event_hash(entry, key)
        event = AuditEvent.objects.create(**entry)
        head.sequence, head.hash = entry["sequence"], entry["hash"]
        head.save(update_fields=["sequence", "hash"])
        return event


def stored_head() -> Head:
    head = AuditHead.objects.filter(pk=1).first()
    return Head(head.sequence, head.hash) if head else Head(0, GENESIS)


def home_organisation_id(user: Any) -> int | None:
    """The organisation a person's security events belong to: the one they work in by default
    (the oldest they hold a role in, as ``orgs.access.current`` chooses), if any."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    from finres.web.orgs.access import roles_of

    roles = roles_of(user)
    return min(roles) if roles else None


def record_security_event(
    action: str,
    *,
    user: Any = None,
    username: str = "",
    organisation_id: int | None = None,
    target: models.Model | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Write a security event (log-in, second factor, API token, export, download) to the trail.

    - ``action``: one of the codes in ``finres.web.audit.actions.SECURITY_ACTIONS`` (``LOGIN``,
      ``LOGIN_FAILED``, ``LOGOUT``, ``SECOND_FACTOR_VERIFIED``, ``SECOND_FACTOR_FAILED``,
      ``SECOND_FACTOR_ENROLLED``, ``SECOND_FACTOR_RESET``, ``ACCOUNT_UNLOCKED``,
      ``PASSWORD_RESET_ISSUED``,
      ``TOKEN_CREATED``, ``TOKEN_REVOKED``, ``TOKEN_USED``, ``EXPORT``, ``DOWNLOAD``); any
      other code is refused with ``ValueError``.
    - ``user``: who acted (default: the current request's user, else ``system``);
      ``username``: the name to record when there is no user (a failed log-in's attempted
      name). Never pass a password or a token's secret, here or in ``details``.
    - ``organisation_id``: whose trail shows the event (default: the current request's
      organisation, else the user's default organisation; None: only the whole-chain views).
    - ``target``: the object concerned (a token, an evidence file, a report), if any.
    - ``details``: small JSON-serialisable facts (file name, format, token name, reason).

    The event is chained and keyed like every change, and appears on the audit page and in the
    CSV export with its translated action label.
    """
    if action not in actions.SECURITY_ACTIONS:
        raise ValueError(f"unknown security event {action!r}")
    if user is None:
        user = request_user(current_request())
    if user is not None:
        actor = Actor(user.pk, user.get_username())
    elif username:
        actor = Actor(None, username)
    else:
        actor = current_actor()
    if organisation_id is None:
        organisation_id = current_organisation_id()
    if organisation_id is None and target is not None:
        organisation_id = getattr(target, "organisation_id", None)
    if organisation_id is None:
        organisation_id = home_organisation_id(user)
    if target is not None:
        model = f"{target._meta.app_label}.{target._meta.model_name}"
        object_id: Any = target.pk
        object_repr = str(target)
    else:
        model, object_id, object_repr = actions.SECURITY_MODEL, "", actor.name
    return append(
        action, model, object_id, object_repr, dict(details or {}), organisation_id, actor
    )
