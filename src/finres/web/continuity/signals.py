"""Many-to-many links are not recorded by saving their owner (a scenario's failing nodes; a
drill's services, nodes, suppliers and evidence), so each change of such a set is written to the
audit trail here, as an update of the owner with the ids before and after."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed

from finres.web.audit.log import append


def _changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    field = _FIELDS.get(sender)
    if reverse or field is None or not isinstance(instance, field[0]):
        return  # the set is changed from its owner's side only
    _model, name, label = field
    memo = f"_continuity_before_{name}"
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
            label,
            instance.pk,
            str(instance),
            {name: [before, after]},
            instance.organisation_id,
        )
        setattr(instance, memo, after)


_FIELDS: dict[Any, tuple[Any, str, str]] = {}


def connect() -> None:
    from finres.web.continuity.models import Drill, Scenario

    owners = [
        (Scenario, "fail", "continuity.scenario"),
        (Drill, "services", "continuity.drill"),
        (Drill, "nodes", "continuity.drill"),
        (Drill, "suppliers", "continuity.drill"),
        (Drill, "evidence", "continuity.drill"),
    ]
    for model, name, label in owners:
        through = getattr(model, name).through
        _FIELDS[through] = (model, name, label)
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"finres-continuity-{name}")
