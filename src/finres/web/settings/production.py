"""Production: HTTPS only, secrets from the environment, strict cookies and HSTS."""

import os

from finres.web.audit import keys as _audit_keys
from finres.web.settings.base import *  # noqa: F403

if not os.environ.get("FINRES_SECRET_KEY"):
    raise RuntimeError("FINRES_SECRET_KEY must be set in production")
# The audit chain's HMAC key lives outside the database; production never generates one.
FINRES_AUDIT_KEY_CREATE = False
if not _audit_keys.key_available(DATA_DIR):  # noqa: F405
    raise RuntimeError(
        "FINRES_AUDIT_KEY must be set in production, or the file "
        f"{_audit_keys.key_file(DATA_DIR)} exist (see docs/web.md, 'Audit key')"  # noqa: F405
    )
DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# Several server processes share rate limits and rendered charts: without Redis, in a folder
# of the data directory (one machine); with FINRES_REDIS_URL, in Redis (base settings).
if not FINRES_REDIS_URL:  # noqa: F405
    CACHES = {"default": SHARED_FOLDER_CACHE}  # noqa: F405
