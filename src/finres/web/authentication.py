"""API authentication (kept apart from ``api`` so that DRF can load it while it starts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions, permissions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request

from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.orgs import access

# Recording every request would write on every read: a token's use is recorded (last used, and
# an event in the audit trail) at most once in this interval.
LAST_USED_RESOLUTION = dt.timedelta(minutes=15)


class OrganisationTokenAuthentication(TokenAuthentication):
    """Named, expiring, revocable, scoped tokens (``orgs.models.ApiToken``).

    A token holds the same completed authentication as a session: a person who must use a
    second factor can only use a token created after it. A read-only token cannot write,
    whatever the endpoint. The organisation the caller works in is settled here too (the
    middleware chose it before DRF knew who the caller was): the one named in the
    ``X-FinRes-Organisation`` header if the caller has a role there, else their default.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        if access.second_factor_expected(user) and not token.second_factor:
            raise exceptions.AuthenticationFailed(
                _("This token was created without a second factor; create a new one.")
            )
        if token.scope != token.Scope.WRITE and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(_("This token may only read."))
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            token.last_used = now
            token.save(update_fields=["last_used"])
            record_security_event(actions.TOKEN_USED, user=user, target=token)
        raw = request._request
        raw.user = user
        access.forget(raw)  # what was remembered was the anonymous user's
        raw.organisation, raw.role = access.current(raw)
        return found

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from finres.web.orgs.credentials import find_token

        token = find_token(key)
        if token is None or not token.is_active(timezone.now()):
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


class CompletedSessionAuthentication(SessionAuthentication):
    """Session authentication that refuses a session without its second factor.

    The middleware already refuses such sessions on every route; this keeps the API right even
    if a route were ever served without it.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is not None and not access.authentication_complete(request._request):
            raise exceptions.PermissionDenied(_("Confirm your second factor before using the API."))
        return found


class CompletedSessionScheme(SessionScheme):  # type: ignore[no-untyped-call]
    """The OpenAPI description of the session: a cookie, like DRF's own session scheme."""

    target_class = "finres.web.authentication.CompletedSessionAuthentication"
    priority = 0
