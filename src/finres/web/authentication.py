"""API authentication (kept apart from ``api`` so that DRF can load it while it starts)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from finres.web.orgs import access


class OrganisationTokenAuthentication(TokenAuthentication):
    """Token authentication that also settles the organisation the caller works in.

    The middleware chose the organisation before DRF knew who the caller was (a token request
    is anonymous to Django), so it is chosen again here: the one named in the
    ``X-FinRes-Organisation`` header if the caller has a role there, else their default.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is not None:
            raw = request._request
            raw.user = found[0]
            raw.__dict__.pop("_finres_roles", None)  # computed for the anonymous user
            raw.organisation, raw.role = access.current(raw)
        return found
