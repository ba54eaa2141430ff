"""Single sign-on with the institution's OpenID Connect provider (mozilla-django-oidc).

- People are matched by the provider's (issuer, subject), never by e-mail or user name.
- The ID token's issuer and audience are checked (the library checks the signature and nonce).
- The provider's groups map to roles per organisation (``FINRES_OIDC_ROLE_MAP``); at each
  sign-on the memberships in the organisations the map names follow the groups, and the other
  memberships (local ones) are left alone.
- The provider's multi-factor log-in counts as the second factor only when the ID token says so
  (``amr`` names one of ``FINRES_OIDC_MFA_METHODS``); otherwise FinRes asks for its own.

Local accounts stay: SSO is off unless ``settings.FINRES_SSO`` is set (see settings.base).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from finres.web.audit.context import Actor, acting_as
from finres.web.orgs.models import ExternalIdentity, Membership, Organisation
from finres.web.orgs.roles import Role

logger = logging.getLogger(__name__)

SSO_MFA_SESSION_KEY = "finres_sso_mfa"


def sso_settings() -> dict[str, Any] | None:
    value: dict[str, Any] | None = getattr(settings, "FINRES_SSO", None)
    return value or None


def load_role_map(path: str | Path) -> dict[str, dict[str, str]]:
    """``{group: {organisation name: role}}`` from a JSON file, checked whole."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(f"FINRES_OIDC_ROLE_MAP: {path}: {error}") from None
    problems = []
    if not isinstance(data, dict):
        problems.append("expected an object {group: {organisation: role}}")
        data = {}
    for group, grants in data.items():
        if not isinstance(grants, dict):
            problems.append(f"{group}: expected an object {{organisation: role}}")
            continue
        for organisation, role in grants.items():
            if role not in Role.values:
                problems.append(f"{group}: {organisation}: unknown role {role!r}")
    if problems:
        raise ImproperlyConfigured(f"FINRES_OIDC_ROLE_MAP: {path}: " + "; ".join(problems))
    return data


def wanted_roles(groups: list[str], role_map: dict[str, dict[str, str]]) -> dict[str, str | None]:
    """Organisation name -> role the groups grant (None: the map names it, no group grants it).

    Where several groups grant roles in one organisation, the first group in the map wins: the
    operator orders the map.
    """
    wanted: dict[str, str | None] = {}
    for group, grants in role_map.items():
        for organisation, role in grants.items():
            wanted.setdefault(organisation, None)
            if group in groups and wanted[organisation] is None:
                wanted[organisation] = role
    return wanted


class SSOBackend(OIDCAuthenticationBackend):
    """The authentication backend for the provider; inert while SSO is not configured."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.enabled = sso_settings() is not None
        if self.enabled:
            super().__init__(*args, **kwargs)

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not self.enabled:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as error:  # a forged or misdirected token: no log-in
            logger.warning("single sign-on refused: %s", error)
            return None

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))  # the e-mail is optional: people are matched by subject

    def get_user(self, user_id: Any) -> Any:
        return get_user_model().objects.filter(pk=user_id).first()

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        config = sso_settings() or {}
        if payload.get("iss") != config["issuer"]:
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        self.id_claims = payload
        return payload

    def _subject(self, claims: dict[str, Any]) -> str:
        subject = str(self.id_claims.get("sub", ""))
        if not subject or str(claims.get("sub", subject)) != subject:
            raise SuspiciousOperation("the user information does not match the ID token")
        return subject

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        issuer = (sso_settings() or {})["issuer"]
        return get_user_model().objects.filter(
            external_identities__issuer=issuer,
            external_identities__subject=self._subject(claims),
        )

    def create_user(self, claims: dict[str, Any]) -> Any:
        subject = self._subject(claims)
        base = str(claims.get("preferred_username") or claims.get("email") or "sso").split("@")[0]
        base = "".join(ch for ch in base if ch.isalnum() or ch in "._-")[:100] or "sso"
        username = base
        user_model = get_user_model()
        if user_model.objects.filter(username__iexact=username).exists():
            # Never attach to a local account of the same name: make the name unique.
            username = f"{base}-{hashlib.sha256(subject.encode()).hexdigest()[:8]}"
        with acting_as(Actor(None, f"{username} (SSO)")), transaction.atomic():
            user = user_model.objects.create_user(username, email=claims.get("email", ""))
            user.set_unusable_password()  # signs in through the provider only
            user.save()
            ExternalIdentity.objects.create(
                user=user, issuer=(sso_settings() or {})["issuer"], subject=subject
            )
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        config = sso_settings() or {}
        with acting_as(Actor(user.pk, f"{user.get_username()} (SSO)")), transaction.atomic():
            if claims.get("email") and claims["email"] != user.email:
                user.email = claims["email"]
                user.save(update_fields=["email"])
            ExternalIdentity.objects.filter(user=user, issuer=config["issuer"]).update(
                last_login=timezone.now()
            )
            groups = claims.get(config.get("groups_claim", "groups")) or []
            if isinstance(groups, str):
                groups = [groups]
            self._sync_memberships(user, [str(g) for g in groups], config["role_map"])
        amr = self.id_claims.get("amr") or []
        user.finres_sso_mfa = bool(set(amr) & set(config.get("mfa_methods", ())))
        return user

    def _sync_memberships(
        self, user: Any, groups: list[str], role_map: dict[str, dict[str, str]]
    ) -> None:
        for name, role in wanted_roles(groups, role_map).items():
            organisation = Organisation.objects.filter(name=name).first()
            if organisation is None:
                logger.warning("FINRES_OIDC_ROLE_MAP names an unknown organisation %r", name)
                continue
            membership = Membership.objects.filter(user=user, organisation=organisation).first()
            if role is None:
                if membership is not None:
                    membership.delete()
            elif membership is None:
                Membership.objects.create(user=user, organisation=organisation, role=role)
            elif membership.role != role:
                membership.role = role
                membership.save(update_fields=["role"])


def _require_sso() -> None:
    if sso_settings() is None:
        raise Http404("single sign-on is not configured")


class SSOStartView(OIDCAuthenticationRequestView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if sso_settings() is not None:
            super().__init__(*args, **kwargs)
        else:
            View.__init__(self, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_sso()
        return super().get(request)


class SSOCallbackView(OIDCAuthenticationCallbackView):
    @property
    def failure_url(self) -> str:
        return reverse("orgs:login")

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_sso()
        return super().get(request)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        if getattr(self.user, "finres_sso_mfa", False):
            self.request.session[SSO_MFA_SESSION_KEY] = self.user.pk
        else:
            self.request.session.pop(SSO_MFA_SESSION_KEY, None)
        return response


def completed_by_provider(request: HttpRequest) -> bool:
    """Whether this session's second factor was the provider's multi-factor log-in."""
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SSO_MFA_SESSION_KEY) == request.user.pk)
