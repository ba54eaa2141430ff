"""Appending to the chain: changes to business data, bulk operations and security events.

Every append locks the chain's head (``AuditHead``) until the surrounding transaction ends, so
every writer waits for it in turn. A bulk operation therefore records one event carrying every
row's change (``bulk`` / ``append_bulk``), written last, just before its transaction commits:
the head is held for one insert instead of once per row for the whole operation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
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
from finres.web.audit.models import AuditEvent, AuditHead, DataVersion


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
    entry: dict[str, Any] = {
        "actor_id": actor.user_id,
        "actor_name": actor.name[:150],
        "organisation_id": organisation_id,
        "action": action,
        "model": model,
        "object_id": str(object_id),
        "object_repr": object_repr[:300],
        "changes": changes,
        "scheme": SCHEME_HMAC,
    }
    with transaction.atomic():
        # The head's lock is taken as late as possible: it is held until the outer commit.
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"sequence": 0, "hash": GENESIS}
        )
        entry["sequence"] = head.sequence + 1
        entry["timestamp"] = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        entry["previous_hash"] = head.hash
        entry["hash"] = event_hash(entry, key)
        event = AuditEvent.objects.create(**entry)
        head.sequence, head.hash = entry["sequence"], entry["hash"]
        head.save(update_fields=["sequence", "hash"])
        if organisation_id is not None:
            _move_versions(organisation_id, versioned_as(action, model, changes), event)
        from finres.web.audit import versioned  # it reads the trail: imported when first used

        versioned.forget(current_request())  # this request reads the versions it moved
        return event


def versioned_as(action: str, model: str, changes: Mapping[str, Any]) -> set[str]:
    """The versions an event moves: those of the kinds of data it changed, or for a security
    event (it changes no data) that of the organisation's security events."""
    if action in actions.SECURITY_CODES:
        return {actions.SECURITY_MODEL}
    return changed_models(model, changes)


def changed_models(model: str, changes: Mapping[str, Any]) -> set[str]:
    """The kinds of data an event changed ("app_label.modelname"): its own model and, for a
    bulk event, the model of its rows and of any row of another model."""
    found = {model.lower()}
    rows = bulk_rows(changes)
    if rows is not None:
        found.add(str(rows.get("model") or model).lower())
        found.update(
            str(row["model"]).lower()
            for row in rows["rows"].values()
            if isinstance(row, dict) and row.get("model")
        )
    return found


def _move_versions(organisation_id: int, models_changed: set[str], event: AuditEvent) -> None:
    """The event becomes the latest change of each kind of data it changed (in its own
    transaction: an event rolled back moves nothing)."""
    DataVersion.objects.bulk_create(
        [
            DataVersion(
                organisation_id=organisation_id,
                model=label[:80],
                sequence=event.sequence,
                hash=event.hash,
            )
            for label in sorted(models_changed)
        ],
        update_conflicts=True,
        unique_fields=["organisation_id", "model"],
        update_fields=["sequence", "hash"],
    )


# --- bulk operations ------------------------------------------------------------------------

BULK = "bulk"  # the key of ``changes`` that holds a bulk event's rows


def bulk_rows(changes: Any) -> dict[str, Any] | None:
    """The ``{"model", "count", "rows"}`` part of a bulk event's changes, if it is one."""
    if isinstance(changes, dict):
        found = changes.get(BULK)
        if isinstance(found, dict) and isinstance(found.get("rows"), dict):
            return found
    return None


def row_key(model: str, object_id: Any, rows_model: str) -> str:
    """A row's key in a bulk event: its id, or ``model:id`` for a row of another model."""
    return str(object_id) if model == rows_model else f"{model}:{object_id}"


def _merge(rows: list[dict[str, Any]], rows_model: str) -> dict[str, dict[str, Any]]:
    """Rows keyed by object; an object changed twice in the operation is one row whose
    changes go from the first value before to the last value after."""
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row_key(str(row.get("model") or rows_model), row["id"], rows_model)
        entry = {k: v for k, v in row.items() if k != "id"}
        found = merged.get(key)
        if found is None:
            merged[key] = entry
            continue
        for name, (before, after) in entry["changes"].items():
            earlier = found["changes"].get(name)
            found["changes"][name] = [earlier[0] if earlier else before, after]
        found["repr"] = entry["repr"]
        if entry.get("action") == "delete" or found.get("action") not in (None, "create"):
            found["action"] = entry.get("action")
        if found.get("action") is None:
            found.pop("action", None)
    return merged


def append_bulk(
    action: str,
    model: str,
    organisation_id: int | None,
    description: str,
    rows: list[dict[str, Any]],
    *,
    object_id: Any = BULK,
    rows_model: str | None = None,
    details: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> AuditEvent:
    """One chained, keyed event for a bulk operation carrying every row's change.

    ``rows`` are ``bulk_row(id, repr, {field: [before, after]})`` (optionally with
    ``"action"`` and ``"model"`` where a row differs from the event's); ``rows_model`` names
    the rows' model when the event is about another object (an import is an event of the
    assessment whose rows are results). ``details`` are the operation's own facts (file,
    counts). Stored as ``changes["bulk"] = {"model", "count", "rows": {id: {"repr",
    "changes"}}}``, so that a row's history finds it with one JSON key lookup. The HMAC covers
    every row, so altering one breaks the chain like any event.
    """
    label = rows_model or model
    merged = _merge(rows, label)
    changes: dict[str, Any] = dict(details or {})
    changes[BULK] = {"model": label, "count": len(merged), "rows": merged}
    return append(action, model, object_id, description, changes, organisation_id, actor)


def bulk_row(object_id: Any, object_repr: str, changes: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(object_id), "repr": object_repr[:300], "changes": changes}


@dataclass
class Bulk:
    """The rows collected by ``bulk``: those added by the caller, and those the per-row signal
    handlers would have appended one by one (grouped by organisation: every organisation's
    rows go to an event of its own, so that nobody sees another's rows)."""

    action: str
    model: str
    organisation_id: int | None
    description: str
    object_id: Any = BULK
    rows_model: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    actor: Actor | None = None
    rows: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def add(
        self,
        object_id: Any,
        object_repr: str,
        changes: dict[str, Any],
        *,
        action: str | None = None,
        model: str | None = None,
        organisation_id: Any = ...,
    ) -> None:
        row = bulk_row(object_id, object_repr, changes)
        if action and action != self.action:
            row["action"] = action
        if model and model != (self.rows_model or self.model):
            row["model"] = model
        owner = self.organisation_id if organisation_id is ... else organisation_id
        self.rows.setdefault(owner, []).append(row)

    def write(self) -> list[AuditEvent]:
        """Append the events (nothing at all when there is neither a row nor a detail)."""
        written: list[AuditEvent] = []
        main = self.rows.get(self.organisation_id, [])
        if main or self.details:
            written.append(
                append_bulk(
                    self.action,
                    self.model,
                    self.organisation_id,
                    self.description,
                    main,
                    object_id=self.object_id,
                    rows_model=self.rows_model,
                    details=self.details,
                    actor=self.actor,
                )
            )
        for organisation_id, rows in self.rows.items():
            if organisation_id != self.organisation_id and rows:
                written.append(
                    append_bulk(
                        self.action,
                        self.rows_model or self.model,
                        organisation_id,
                        self.description,
                        rows,
                        actor=self.actor,
                    )
                )
        return written


_collector: ContextVar[Bulk | None] = ContextVar("finres_audit_bulk", default=None)


def collecting() -> Bulk | None:
    """The bulk operation under way in this context, if any (the signal handlers add to it)."""
    return _collector.get()


@contextlib.contextmanager
def bulk(
    action: str,
    model: str,
    organisation_id: int | None,
    description: str,
    *,
    object_id: Any = BULK,
    rows_model: str | None = None,
    details: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> Iterator[Bulk]:
    """Record a bulk operation as one chained event (per organisation) instead of one per row.

    Inside, rows saved or deleted one by one are collected instead of appended; rows written
    with ``bulk_update``/``bulk_create`` are added by the caller with ``Bulk.add``. On a clean
    exit the event is appended, in the same transaction (one is opened if none is): keep the
    block the last thing before the commit, so that the head's lock is held briefly. On an
    exception nothing is appended (and the transaction rolls back). ``details`` may be
    changed on the yielded object until the block ends.
    """
    collector = Bulk(
        action,
        model,
        organisation_id,
        description,
        object_id=object_id,
        rows_model=rows_model,
        details=dict(details or {}),
        actor=actor,
    )
    with transaction.atomic():
        token = _collector.set(collector)
        try:
            yield collector
        finally:
            _collector.reset(token)
        collector.write()


def rebuild_versions(events: Any = AuditEvent, versions: Any = DataVersion) -> int:
    """Every organisation's ``DataVersion`` rows from its trail (the latest event that changed
    each kind of data, and its latest security event), for a trail written before they were
    kept. ``events`` and ``versions`` are the models (a migration passes its own)."""
    latest: dict[tuple[int, str], tuple[int, str]] = {}

    def keep(organisation_id: int, model: str, sequence: int, hash_: str) -> None:
        found = latest.get((organisation_id, model))
        if found is None or found[0] < sequence:
            latest[(organisation_id, model)] = (sequence, hash_)

    every = events.objects.exclude(organisation_id=None)
    for organisation_id, action, model, sequence, hash_ in (
        every.order_by()
        .values_list("organisation_id", "action", "model", "sequence", "hash")
        .iterator()
    ):
        for label in versioned_as(action, model, {}):
            keep(organisation_id, label, sequence, hash_)
    changes = every.exclude(action__in=actions.SECURITY_CODES)
    # a bulk event's rows may be of other models: only these events' changes are read
    for organisation_id, model, sequence, hash_, details in (
        changes.filter(changes__has_key=BULK)
        .order_by()
        .values_list("organisation_id", "model", "sequence", "hash", "changes")
        .iterator()
    ):
        for label in changed_models(model, details):
            keep(organisation_id, label, sequence, hash_)
    with transaction.atomic():
        versions.objects.all().delete()
        versions.objects.bulk_create(
            [
                versions(organisation_id=org, model=model[:80], sequence=seq, hash=hash_)
                for (org, model), (seq, hash_) in latest.items()
            ],
            batch_size=1000,
        )
    return len(latest)


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
