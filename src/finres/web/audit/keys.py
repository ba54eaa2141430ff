"""The audit key: the HMAC key of the audit chain, kept outside the database.

It comes from ``FINRES_AUDIT_KEY`` in the environment, else from the file ``audit_key`` in the
data folder (``FINRES_DATA_DIR``). Outside production the file is generated (mode 0600) on first
use, like the development secret key; the production settings refuse to start without one of
the two. Keep a copy of the key apart from the database backups: without it the keyed chain
cannot be verified, and whoever holds both can rewrite the trail.

This module imports nothing from Django at import time, so that the settings can use it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENVIRONMENT_VARIABLE = "FINRES_AUDIT_KEY"
FILE_NAME = "audit_key"


class AuditKeyError(RuntimeError):
    """No audit key is available where one is required."""


def key_file(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def key_available(data_dir: Path) -> bool:
    """Whether a key is configured without generating one (for the production settings)."""
    if os.environ.get(ENVIRONMENT_VARIABLE, "").strip():
        return True
    path = key_file(data_dir)
    return path.is_file() and bool(path.read_text(encoding="utf-8").strip())


def load_key(data_dir: Path, create: bool = True) -> bytes:
    """The key from the environment, else from the data folder (generated there if ``create``)."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if value:
        return value.encode("utf-8")
    path = key_file(data_dir)
    if not path.exists():
        if not create:
            raise AuditKeyError(
                f"no audit key: set {ENVIRONMENT_VARIABLE} or create the file {path} (mode 0600)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise AuditKeyError(f"the audit key file {path} is empty")
    return value.encode("utf-8")


def audit_key(create: bool = True) -> bytes:
    """The key for the running site (``settings.DATA_DIR``).

    It is generated there only if ``create`` and the settings allow it
    (``FINRES_AUDIT_KEY_CREATE``, true except in production); verification never creates one,
    since a new key would only make every keyed event look forged.
    """
    from django.conf import settings

    create = create and getattr(settings, "FINRES_AUDIT_KEY_CREATE", True)
    return load_key(Path(settings.DATA_DIR), create=create)
