"""Audit events in people's words: object types, actions, field labels and values, local times."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finres.web.audit import actions
from finres.web.audit.log import bulk_rows
from finres.web.audit.models import AuditEvent

EMPTY = "—"
DETAIL_LABELS = {
    "address": gettext_lazy("network address"),
    "username": gettext_lazy("user name"),
    "file": gettext_lazy("file"),
    "format": gettext_lazy("format"),
    "kind": gettext_lazy("kind"),
    "rows": gettext_lazy("rows"),
    "changed": gettext_lazy("changed"),
    "sha256": gettext_lazy("SHA-256"),
    "assessment": gettext_lazy("assessment"),
    "source_assessment": gettext_lazy("source assessment"),
    "filters": gettext_lazy("filters"),
    "reason": gettext_lazy("reason"),
    "token": gettext_lazy("token"),
    "device": gettext_lazy("device"),
    "scope": gettext_lazy("scope"),
    "unkeyed_events": gettext_lazy("unkeyed events"),
    "last_unkeyed_hash": gettext_lazy("last unkeyed hash"),
}

BREAKS = {
    "order": gettext_lazy("an event is missing or out of order before this one"),
    "previous": gettext_lazy("does not follow the previous event"),
    "content": gettext_lazy(
        "content does not match its hash (altered, or written with another key)"
    ),
    "no_key": gettext_lazy("keyed events, but the audit key is not available"),
    "scheme": gettext_lazy("unknown hash scheme"),
    "downgrade": gettext_lazy("unkeyed event after keyed events"),
    "unsealed": gettext_lazy("unkeyed events not sealed by a keyed one"),
    "head": gettext_lazy("the chain does not end at the stored head: newest events removed"),
    "checkpoint": gettext_lazy("the verification checkpoint was altered"),
    "checkpointed": gettext_lazy("the event verified last was rewritten or removed"),
}
BULK_SHOWN = 200  # rows of a bulk event shown on the page; the CSV export has them all


def break_text(item: Any) -> str:
    found = BREAKS.get(item.code)
    return str(found) if found is not None else item.reason


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def zone_name() -> str:
    """The institution's time zone with its offset, e.g. ``Asia/Taipei (UTC+08:00)``."""
    offset = dt.datetime.now(zone()).strftime("%z")
    return f"{settings.TIME_ZONE} (UTC{offset[:3]}:{offset[3:]})"


def local_time(timestamp: str) -> str:
    """A stored UTC timestamp in the institution's zone, the offset marked."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone())
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} UTC{offset[:3]}:{offset[3:]}"


def utc_bound(day: dt.date, end: bool = False) -> str:
    """The stored-timestamp form of the start (or the end) of a local day, for filtering."""
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time(), zone())
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def model_class(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def model_label(label: str) -> str:
    if label == actions.SECURITY_MODEL:
        return _("security")
    found = model_class(label)
    return str(found._meta.verbose_name) if found is not None else label


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class BulkItem:
    """One row of a bulk event: its object, the action if it differs, its changes."""

    object_id: str
    object_repr: str
    what: str
    action: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Row:
    """An event in words. ``changes`` lists every change (for a bulk event: its details, then
    every row's changes labelled with the row); ``details`` and ``items`` split a bulk event
    into its own facts and its rows (``items`` at most ``BULK_SHOWN``, of ``count``)."""

    event: AuditEvent
    when: str
    action: str
    what: str
    changes: list[Change] = field(default_factory=list)
    details: list[Change] = field(default_factory=list)
    items: list[BulkItem] = field(default_factory=list)
    count: int = 0

    @property
    def is_bulk(self) -> bool:
        return self.count > 0 or bool(self.items)

    @property
    def more(self) -> int:
        return self.count - len(self.items)


class Presenter:
    """Turns events into rows; looks up related objects once per page."""

    def __init__(self) -> None:
        self._related: dict[tuple[str, str], str] = {}

    def row(self, event: AuditEvent) -> Row:
        row = Row(
            event=event,
            when=local_time(event.timestamp),
            action=actions.action_label(event.action),
            what=model_label(event.model),
        )
        found = bulk_rows(event.changes)
        rows_key = "bulk"
        if found is None and event.object_id == "bulk" and isinstance(event.changes, dict):
            # The earlier form of a bulk event (creation, proposals): rows under "results".
            results = event.changes.get("results")
            if isinstance(results, dict):
                rows_key = "results"
                found = {
                    "model": event.model,
                    "rows": {k: {"repr": "", "changes": v} for k, v in results.items()},
                }
        if found is None:
            row.changes = self.changes(event)
            return row
        details = {k: v for k, v in event.changes.items() if k != rows_key}
        row.details = [
            Change(str(DETAIL_LABELS.get(name, name)), "", self.plain(value))
            for name, value in details.items()
        ]
        rows_model = str(found.get("model") or event.model)
        row.count = len(found["rows"])
        row.changes = list(row.details)
        for index, (key, item) in enumerate(found["rows"].items()):
            if not isinstance(item, dict):
                continue
            shown = self.bulk_item(key, item, rows_model, event.action)
            prefix = f"#{shown.object_id} {shown.object_repr}"
            row.changes.extend(
                Change(f"{prefix} · {c.label}", c.before, c.after) for c in shown.changes
            )
            if index < BULK_SHOWN:
                row.items.append(shown)
        return row

    def bulk_item(self, key: str, item: dict[str, Any], rows_model: str, action: str) -> BulkItem:
        model = str(item.get("model") or rows_model)
        object_id = key.rsplit(":", 1)[-1] if item.get("model") else key
        changes = item.get("changes")
        fake = AuditEvent(model=model, action=str(item.get("action") or action))
        fake.changes = changes if isinstance(changes, dict) else {"": changes}
        return BulkItem(
            object_id=object_id,
            object_repr=str(item.get("repr", "")),
            what=model_label(model),
            action=actions.action_label(str(item.get("action") or action)),
            changes=self.changes(fake),
        )

    def changes(self, event: AuditEvent) -> list[Change]:
        data = event.changes if isinstance(event.changes, dict) else {"": event.changes}
        if event.action in actions.SECURITY_ACTIONS:
            return [
                Change(str(DETAIL_LABELS.get(name, name)), "", self.plain(value))
                for name, value in data.items()
            ]
        model = model_class(event.model)
        found = []
        for name, value in data.items():
            model_field = _field(model, name)
            label = str(model_field.verbose_name) if model_field is not None else name
            if isinstance(value, list) and len(value) == 2:
                before, after = value
            else:
                before, after = None, value
            found.append(
                Change(label, self.value(model_field, before), self.value(model_field, after))
            )
        return found

    def value(self, model_field: models.Field | None, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if model_field is None:
            return self.plain(value)
        if model_field.choices:
            labels = {str(k): str(v) for k, v in model_field.flatchoices}
            if isinstance(value, list):
                return ", ".join(labels.get(str(item), str(item)) for item in value)
            return labels.get(str(value), str(value))
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if model_field.is_relation and model_field.related_model is not None:
            return self.related(model_field.related_model, value)
        return self.plain(value)

    def related(self, model: Any, pk: Any) -> str:
        key = (model._meta.label_lower, str(pk))
        if key not in self._related:
            try:
                found = model._default_manager.filter(pk=pk).first()
            except (ValueError, TypeError):
                found = None
            self._related[key] = str(found) if found is not None else f"#{pk}"
        return self._related[key]

    @staticmethod
    def plain(value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    for candidate in model._meta.concrete_fields:
        if name in (candidate.attname, candidate.name):
            return candidate
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None
