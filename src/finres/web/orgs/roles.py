"""Roles and what each may do. One table, used by views, the API and templates alike."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    CISO = "ciso", _("CISO")
    CONTROL_OWNER = "control_owner", _("Control owner")
    AUDITOR = "auditor", _("Internal auditor")
    BOARD = "board", _("Board member")


class Action(StrEnum):
    VIEW = "view"  # read business data (assessments, evidence, plans, registers)
    EDIT = "edit"  # record results, upload evidence, update plans
    MANAGE = "manage"  # create assessments, change the profile, accept proposals
    APPROVE = "approve"  # approve evidence and exceptions, sign reports
    AUDIT = "audit"  # read the audit trail
    REPORTS = "reports"  # read dashboards and reports
    ADMIN = "admin"  # manage members and roles


PERMISSIONS: dict[str, frozenset[Action]] = {
    "administrator": frozenset(Action),
    "ciso": frozenset(Action) - {Action.ADMIN},
    "control_owner": frozenset({Action.VIEW, Action.EDIT, Action.REPORTS}),
    "auditor": frozenset({Action.VIEW, Action.AUDIT, Action.REPORTS}),
    "board": frozenset({Action.REPORTS}),
}

# Roles whose members must confirm a TOTP device before they can work.
SECOND_FACTOR_REQUIRED: frozenset[str | None] = frozenset({"administrator", "ciso"})


def allows(role: str | None, action: Action) -> bool:
    return role is not None and action in PERMISSIONS.get(role, frozenset())
