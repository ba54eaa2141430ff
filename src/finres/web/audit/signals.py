"""Record create, update and delete of every audited model (see ``Audited``)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

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
