"""The incident's many-to-many links (services, nodes, systems, suppliers affected) are not
recorded by saving it, so each change of such a set is written to the audit trail here."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed

from finres.web.audit.log import append

FIELDS = ("services", "nodes", "systems", "suppliers")


def _changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    from finres.web.incidents.models import Incident

    name = _THROUGH.get(sender)
    if reverse or name is None or not isinstance(instance, Incident):
        return
    memo = f"_incidents_before_{name}"
    if action.startswith("pre_"):
        setattr(instance, memo, sorted(getattr(instance, name).values_list("pk", flat=True)))
        return
    if not action.startswith("post_"):
        return
    before = getattr(instance, memo, [])
    after = sorted(getattr(instance, name).values_list("pk", flat=True))
    if before != after:
        append(
            "update",
            "incidents.incident",
            instance.pk,
            str(instance),
            {name: [before, after]},
            instance.organisation_id,
        )
        setattr(instance, memo, after)


_THROUGH: dict[Any, str] = {}


def connect() -> None:
    from finres.web.incidents.models import Incident

    for name in FIELDS:
        through = getattr(Incident, name).through
        _THROUGH[through] = name
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"finres-incidents-{name}")
