"""The audit trail's actions, in one place, with their labels in the interface language.

Changes to business data are ``create``, ``update`` and ``delete`` (written by the model
signals). Security events are written with ``finres.web.audit.log.record_security_event``
and use the other codes below; code elsewhere (log-in, second factor, API tokens) should pass
these constants rather than spell the codes itself.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CREATE = "create"
UPDATE = "update"
DELETE = "delete"

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
SECOND_FACTOR_VERIFIED = "second_factor_verified"
SECOND_FACTOR_FAILED = "second_factor_failed"
SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
SECOND_FACTOR_RESET = "second_factor_reset"
ACCOUNT_UNLOCKED = "account_unlocked"
PASSWORD_RESET_ISSUED = "password_reset_issued"
TOKEN_CREATED = "token_created"
TOKEN_REVOKED = "token_revoked"
TOKEN_USED = "token_used"
EXPORT = "export"
DOWNLOAD = "download"
CHAIN_KEYED = "chain_keyed"  # the upgrade's seal over an unkeyed (older) chain

CHANGE_ACTIONS: dict[str, Promise] = {
    CREATE: _("created"),
    UPDATE: _("updated"),
    DELETE: _("deleted"),
}
SECURITY_ACTIONS: dict[str, Promise] = {
    LOGIN: _("logged in"),
    LOGIN_FAILED: _("failed log-in"),
    LOGOUT: _("logged out"),
    SECOND_FACTOR_VERIFIED: _("second factor verified"),
    SECOND_FACTOR_FAILED: _("second factor failed"),
    SECOND_FACTOR_ENROLLED: _("second factor enrolled"),
    SECOND_FACTOR_RESET: _("second factor reset"),
    ACCOUNT_UNLOCKED: _("account unlocked"),
    PASSWORD_RESET_ISSUED: _("password reset link issued"),
    TOKEN_CREATED: _("API token created"),
    TOKEN_REVOKED: _("API token revoked"),
    TOKEN_USED: _("API token used"),
    EXPORT: _("exported"),
    DOWNLOAD: _("downloaded"),
    CHAIN_KEYED: _("audit chain keyed"),
}
LABELS: dict[str, Promise] = {**CHANGE_ACTIONS, **SECURITY_ACTIONS}
# The codes of events that change no data (``log.data_position`` passes over them).
SECURITY_CODES: tuple[str, ...] = tuple(SECURITY_ACTIONS)

# The object type of security events that concern no particular object (log-ins, tokens).
SECURITY_MODEL = "security"


def action_label(code: str) -> str:
    """The action in the interface language; an unknown code is shown as it is."""
    found = LABELS.get(code)
    return str(found) if found is not None else code


def choices() -> list[tuple[str, str]]:
    return [(code, str(text)) for code, text in LABELS.items()]
