"""Who may own a requirement result."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role

OWNER_ROLES = (Role.ADMINISTRATOR, Role.CISO, Role.CONTROL_OWNER)


def lineage(organisation: Organisation) -> list[int]:
    """The organisation and its groups: a role held in a group extends to its subsidiaries."""
    ids: list[int] = []
    current: Organisation | None = organisation
    while current is not None and current.pk not in ids:
        ids.append(current.pk)
        current = current.parent
    return ids


def eligible_owners(organisation: Organisation) -> QuerySet[Any]:
    """People who can be given a requirement: members who may record results."""
    return (
        get_user_model()
        .objects.filter(
            memberships__organisation_id__in=lineage(organisation),
            memberships__role__in=OWNER_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )
