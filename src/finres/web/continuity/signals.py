"""A scenario's failing nodes are a many-to-many link: saving the scenario does not record
them, so each change of the set is written to the audit trail here, as an update of the
scenario with the ids before and after."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed

from finres.web.audit.log import append


def _changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    from finres.web.continuity.models import Scenario

    if reverse or not isinstance(instance, Scenario):
        return  # the set is changed from the scenario's side only
    if action.startswith("pre_"):
        instance._continuity_before = sorted(instance.fail.values_list("pk", flat=True))
        return
    if not action.startswith("post_"):
        return
    before = getattr(instance, "_continuity_before", [])
    after = sorted(instance.fail.values_list("pk", flat=True))
    if before != after:
        append(
            "update",
            "continuity.scenario",
            instance.pk,
            str(instance),
            {"fail": [before, after]},
            instance.organisation_id,
        )
        instance._continuity_before = after


def connect() -> None:
    from finres.web.continuity.models import Scenario

    m2m_changed.connect(_changed, sender=Scenario.fail.through, dispatch_uid="finres-continuity")
