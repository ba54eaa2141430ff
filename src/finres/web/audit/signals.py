"""Record create, update and delete of every audited model (see ``Audited``), and changes of the
many-to-many sets an app names with ``audit_links`` (saving their owner does not record them)."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from finres.web.audit.log import append, collecting
from finres.web.audit.models import Audited


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or None
    return value


def _values(instance: Audited) -> dict[str, Any]:
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in instance.audit_exclude:
            continue
        values[field.attname] = _plain(getattr(instance, field.attname))
    return values


def _label(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


def _before(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    if not isinstance(instance, Audited) or instance.pk is None or kwargs.get("raw"):
        instance._audit_before = None
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = _values(old) if old is not None else None


def _after_save(sender: type[models.Model], instance: Any, created: bool, **kwargs: Any) -> None:
    if not isinstance(instance, Audited) or kwargs.get("raw"):
        return
    after = _values(instance)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        changes = {name: [None, value] for name, value in after.items()}
        action = "create"
    else:
        changes = {n: [before.get(n), v] for n, v in after.items() if before.get(n) != v}
        if not changes:
            return
        action = "update"
    collector = collecting()
    if collector is not None:  # inside a bulk operation: one event for all its rows
        collector.add(
            instance.pk,
            str(instance),
            changes,
            action=action,
            model=_label(instance),
            organisation_id=instance.audit_organisation_id(),
        )
        return
    append(
        action,
        _label(instance),
        instance.pk,
        str(instance),
        changes,
        instance.audit_organisation_id(),
    )


def _after_delete(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    if not isinstance(instance, Audited):
        return
    changes = {name: [value, None] for name, value in _values(instance).items()}
    collector = collecting()
    if collector is not None:
        collector.add(
            instance.pk,
            str(instance),
            changes,
            action="delete",
            model=_label(instance),
            organisation_id=instance.audit_organisation_id(),
        )
        return
    append(
        "delete",
        _label(instance),
        instance.pk,
        str(instance),
        changes,
        instance.audit_organisation_id(),
    )


def connect() -> None:
    pre_save.connect(_before, dispatch_uid="finres-audit-before")
    post_save.connect(_after_save, dispatch_uid="finres-audit-save")
    post_delete.connect(_after_delete, dispatch_uid="finres-audit-delete")


# --- many-to-many sets --------------------------------------------------------------------------

_LINKS: dict[Any, tuple[type[models.Model], str]] = {}  # through model -> (owner, field)
_links_state = threading.local()


@contextmanager
def links_recorded_by_caller() -> Iterator[None]:
    """Link changes made inside are audited by the caller (an import writes one event per
    entry for all of its link sets, with the ids before and after)."""
    _links_state.suppressed = True
    try:
        yield
    finally:
        _links_state.suppressed = False


def _ids(instance: Any, name: str) -> list[int]:
    return sorted(getattr(instance, name).values_list("pk", flat=True))


def _links_changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    owner = _LINKS.get(sender)
    if reverse or owner is None or not isinstance(instance, owner[0]):
        return  # a set is changed from its owner's side only
    if getattr(_links_state, "suppressed", False):
        return
    model, name = owner
    memo = instance.__dict__.setdefault("_audit_links_before", {})
    if action.startswith("pre_"):
        memo[name] = _ids(instance, name)
        return
    if not action.startswith("post_"):
        return
    before = memo.pop(name, [])
    after = _ids(instance, name)
    if before != after:
        append(
            "update",
            model._meta.label_lower,
            instance.pk,
            str(instance),
            {name: [before, after]},
            instance.organisation_id,
        )


def audit_links(model: type[models.Model], *names: str) -> None:
    """Write each change of these many-to-many sets of ``model`` to the audit trail, as an
    update of the owner with the ids before and after."""
    for name in names:
        through = getattr(model, name).through
        _LINKS[through] = (model, name)
        m2m_changed.connect(
            _links_changed, sender=through, dispatch_uid=f"finres-audit-links-{through._meta.label}"
        )
