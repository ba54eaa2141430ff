from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from finres.web.orgs import access
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Action, Role, allows


def organisation(request: HttpRequest) -> dict[str, Any]:
    """The current organisation, the user's role and the organisations they may switch to."""
    current = getattr(request, "organisation", None)
    role = getattr(request, "role", None)
    choices: list[Organisation] = []
    if current is not None:
        choices = access.request_organisations(request)
    return {
        "current_organisation": current,
        "current_role": role,
        "current_role_label": Role(role).label if role in Role.values else "",
        "organisation_choices": choices,
        "role_may": {a.value: allows(role, a) for a in Action},
        # Pages a half-authenticated person sees (the second factor) must not fetch anything
        # that needs the completed log-in, such as the notification bell.
        "authentication_complete": current is not None and access.authentication_complete(request),
    }
