"""Links between systems and their sites and suppliers are many-to-many: saving a system does
not record them, so each change of a link set is written to the audit trail here, as an update
of the system with the ids before and after."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models.signals import m2m_changed

from finres.web.audit.log import append

_state = threading.local()


@contextmanager
def recorded_by_caller() -> Iterator[None]:
    """Link changes made inside are audited by the caller (the import writes one event per
    system for both of its link sets, with the ids before and after)."""
    _state.suppressed = True
    try:
        yield
    finally:
        _state.suppressed = False


def _ids(instance: Any, field: str) -> list[int]:
    return sorted(getattr(instance, field).values_list("pk", flat=True))


def _changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    from finres.web.registers.models import InformationSystem

    if reverse or not isinstance(instance, InformationSystem):
        return  # links are changed from the system's side only
    if getattr(_state, "suppressed", False):
        return
    field = "sites" if sender is InformationSystem.sites.through else "suppliers"
    if action.startswith("pre_"):
        instance._registers_before = getattr(instance, "_registers_before", {})
        instance._registers_before[field] = _ids(instance, field)
        return
    if not action.startswith("post_"):
        return
    before = getattr(instance, "_registers_before", {}).pop(field, [])
    after = _ids(instance, field)
    if before != after:
        append(
            "update",
            "registers.informationsystem",
            instance.pk,
            str(instance),
            {field: [before, after]},
            instance.organisation_id,
        )


def connect() -> None:
    from finres.web.registers.models import InformationSystem

    for through in (InformationSystem.sites.through, InformationSystem.suppliers.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"finres-registers-{through}")
