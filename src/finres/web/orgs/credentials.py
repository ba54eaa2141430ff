"""Secrets handed to people: API tokens, second-factor enrolment codes, invitations.

Each is random, shown once, stored only as a SHA-256 and looked up by that hash. The plain
value never reaches the database or the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from finres.web.orgs.models import ApiToken, EnrolmentCode, Invitation, Membership, Organisation

TOKEN_PREFIX = "frs_"
MAX_TOKEN_DAYS = 365
ENROLMENT_CODE_DAYS = 3
INVITATION_DAYS = 7


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(
    user: Any,
    name: str,
    scope: str,
    days: int,
    *,
    organisation: Organisation | None = None,
    second_factor: bool = False,
) -> tuple[ApiToken, str]:
    """A new token and its key (the only time the key exists in the clear)."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_TOKEN_DAYS}")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        organisation=organisation,
        name=name,
        prefix=key[: len(TOKEN_PREFIX) + 6],
        key_hash=digest(key),
        scope=scope,
        second_factor=second_factor,
        expires=timezone.now() + dt.timedelta(days=days),
    )
    return token, key


def find_token(key: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(key_hash=digest(key)).first()


def revoke_token(token: ApiToken) -> None:
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])


def issue_enrolment_code(
    user: Any, issued_by: str, organisation: Organisation | None = None
) -> str:
    """A one-time code that lets ``user`` register a second factor; older codes lapse."""
    code = "-".join(secrets.token_hex(3).upper() for _ in range(3))  # e.g. 4F2A91-0C77DE-…
    with transaction.atomic():
        for old in EnrolmentCode.objects.filter(user=user, used__isnull=True):
            old.used = timezone.now()  # superseded: a code is valid until the next is issued
            old.save(update_fields=["used"])
        EnrolmentCode.objects.create(
            user=user,
            organisation=organisation,
            code_hash=digest(normalise_code(code)),
            issued_by=issued_by,
            expires=timezone.now() + dt.timedelta(days=ENROLMENT_CODE_DAYS),
        )
    return code


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def redeem_enrolment_code(user: Any, code: str) -> bool:
    """Use up ``code`` if it is ``user``'s, unused and not expired."""
    with transaction.atomic():
        found = (
            EnrolmentCode.objects.select_for_update()
            .filter(
                user=user,
                code_hash=digest(normalise_code(code)),
                used__isnull=True,
                expires__gt=timezone.now(),
            )
            .first()
        )
        if found is None:
            return False
        found.used = timezone.now()
        found.save(update_fields=["used"])
        return True


def issue_invitation(organisation: Organisation, role: str, note: str, invited_by: str) -> str:
    token = secrets.token_urlsafe(24)
    Invitation.objects.create(
        organisation=organisation,
        role=role,
        note=note,
        token_hash=digest(token),
        invited_by=invited_by,
        expires=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    return token


def open_invitation(token: str) -> Invitation | None:
    """The invitation for ``token`` if it can still be accepted."""
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=digest(token), accepted__isnull=True, expires__gt=timezone.now())
        .first()
    )


def accept_invitation(invitation: Invitation, user: Any) -> Membership:
    """Join the organisation (or take the invited role there if already a member)."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted is not None:
            raise ValueError("invitation already used")
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=locked.organisation, defaults={"role": locked.role}
        )
        if not created and membership.role != locked.role:
            membership.role = locked.role
            membership.save(update_fields=["role"])
        locked.accepted, locked.accepted_by = timezone.now(), user
        locked.save(update_fields=["accepted", "accepted_by"])
        return membership
