"""Log-ins, failed log-ins and log-outs, from Django's authentication signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from finres.web.audit import actions
from finres.web.audit.log import home_organisation_id, record_security_event

USERNAME_LIMIT = 150


def _client(request: Any) -> dict[str, str]:
    if request is None:
        return {}
    address = getattr(request, "META", {}).get("REMOTE_ADDR", "")
    return {"address": address} if address else {}


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_security_event(actions.LOGIN, user=user, details=_client(request))


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:  # the session had expired: nobody to record
        return
    record_security_event(actions.LOGOUT, user=user, details=_client(request))


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    """Only the attempted user name is kept: never the password or any other credential."""
    field = get_user_model().USERNAME_FIELD
    attempted = str(credentials.get(field) or credentials.get("username") or "")[:USERNAME_LIMIT]
    known = get_user_model()._default_manager.filter(**{field: attempted}).first()
    details = {"username": attempted, **_client(request)}
    organisation_id = None
    if known is not None:
        organisation_id = home_organisation_id(known)
    record_security_event(
        actions.LOGIN_FAILED,
        username=attempted or "?",
        organisation_id=organisation_id,
        details=details,
    )


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="finres-audit-login")
    user_logged_out.connect(_logged_out, dispatch_uid="finres-audit-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="finres-audit-login-failed")
