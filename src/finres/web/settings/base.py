"""Settings shared by every environment. Configuration comes from the environment:

- ``FINRES_DATA_DIR``: where the embedded database, uploads and keys live (default ``./var``)
- ``DATABASE_URL``: e.g. ``postgres://user@127.0.0.1:5432/finres`` (default: SQLite in the data dir)
- ``FINRES_SECRET_KEY``: required in production; development generates and keeps one in the data dir
- ``FINRES_ALLOWED_HOSTS``: comma-separated host names
- ``FINRES_EVIDENCE_MAX_BYTES``: largest evidence upload (default 25 MiB)
- ``FINRES_EXCEPTION_MAX_DAYS``: longest risk acceptance in days (default 365)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url

from finres.web.serving import default_workers

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent  # src/finres
DATA_DIR = Path(os.environ.get("FINRES_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    key = os.environ.get("FINRES_SECRET_KEY")
    if key:
        return key
    # Development and the embedded default: a random key kept beside the database.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("FINRES_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "finres.web.orgs",
    "finres.web.frameworks",
    "finres.web.audit",
    "finres.web.assessments",
    "finres.web.evidence",
    "finres.web.improvements",
    "finres.web.reports",
    "finres.web.registers",
    "finres.web.continuity",
    "finres.web.incidents",
    "finres.web.crypto",
    "finres.web.checks",
    "finres.web.sbom",
    "finres.web.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "finres.web.orgs.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "finres.web.audit.context.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "finres.web.orgs.middleware.CurrentOrganisationMiddleware",
    "finres.web.orgs.middleware.SecurityHeadersMiddleware",
    "finres.web.orgs.middleware.CompletedAuthenticationMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "finres.web.urls"
WSGI_APPLICATION = "finres.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "finres.web.orgs.context.organisation",
            ],
            # every template's {% url %} reverses each view's name once (finres.web.urlcache)
            "builtins": ["finres.web.urlcache"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'finres.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default serves many people at once. Write-ahead logging lets readers go on
    # while one request writes; a writer waits for the lock (up to 30 s) instead of failing
    # with "database is locked"; and a transaction takes the write lock when it begins, so it
    # never has to upgrade a read lock half-way (which SQLite refuses at once, without waiting).
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication and security ----------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "finres.web.orgs.sso.SSOBackend",  # inert unless FINRES_SSO is set below
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
# Per person, never per address alone: a whole institution behind one NAT address must not be
# locked out by one colleague's (or one attacker's) failures. Guessing one person's password
# from many addresses still locks that person, until the cool-off or an administrator unlocks.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LOGIN_URL = "orgs:login"
LOGIN_REDIRECT_URL = "reports:dashboard"
LOGOUT_REDIRECT_URL = "orgs:login"
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
OTP_TOTP_ISSUER = "FinRes"

# --- languages ----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "web" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Taipei"
USE_TZ = True

# --- files --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "web" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "evidence"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "evidence"

# --- scale out: object storage, Redis (docs/operations.md) --------------------------------------
# FINRES_S3_BUCKET (+ FINRES_S3_ENDPOINT_URL, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _PREFIX):
# evidence files in S3-compatible object storage, shared by every application server.
from finres.web.ops.storage import s3_storage as _s3_storage  # noqa: E402

if _s3 := _s3_storage():
    STORAGES["default"] = _s3
# FINRES_REDIS_URL (redis://host:6379/1): caches (rate limits, charts, figures) and sessions in
# Redis, shared by every process and machine. Without it: one process (the embedded default on
# SQLite) keeps them in its memory; several server processes (`finres serve` on PostgreSQL, or
# FINRES_WORKERS above 1) share a folder of the data directory, so that a rate limit counts
# every process's attempts and a figure is computed once, not once per process. The production
# settings always use the folder.
FINRES_REDIS_URL = os.environ.get("FINRES_REDIS_URL", "")
_workers = os.environ.get("FINRES_WORKERS", "")
_vendor = "sqlite" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "server"
SEVERAL_PROCESSES = (int(_workers) if _workers.isdigit() else default_workers(_vendor)) > 1
# Django's default of 300 entries is soon reached by rate-limit counters, charts and the
# organisations' figures; past it a third is dropped and computed again.
SHARED_FOLDER_CACHE: dict[str, Any] = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": str(DATA_DIR / "cache"),
    "TIMEOUT": 300,
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}
CACHES: dict[str, dict[str, Any]] = {
    "default": SHARED_FOLDER_CACHE
    if SEVERAL_PROCESSES
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}
if FINRES_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": FINRES_REDIS_URL,
            "KEY_PREFIX": "finres",
            "TIMEOUT": 300,
        }
    }
    # Sessions read from Redis, written through to the database (survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
FINRES_EVIDENCE_MAX_BYTES = int(os.environ.get("FINRES_EVIDENCE_MAX_BYTES", 25 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Limits on assessment workbooks (XLSX) brought in for import.
FINRES_XLSX_MAX_BYTES = int(os.environ.get("FINRES_XLSX_MAX_BYTES", 10 * 1024 * 1024))
FINRES_XLSX_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
FINRES_XLSX_MAX_ROWS = int(os.environ.get("FINRES_XLSX_MAX_ROWS", 20_000))
# Longest risk acceptance (exception), in days from the day it is proposed.
FINRES_EXCEPTION_MAX_DAYS = int(os.environ.get("FINRES_EXCEPTION_MAX_DAYS", 365))

# --- background jobs (Celery; docs/jobs.md) -----------------------------------------------------
# FINRES_BROKER_URL (amqp://… or redis://…) sends jobs to that broker, for `finres worker`
# processes on any machine sharing the database, the storage and the keys. Unset, the embedded
# default: kombu's filesystem transport under the data folder (no extra server) and one worker
# started beside `finres serve`. The Job row is the truth about a job: Celery keeps no results.
FINRES_BROKER_URL = os.environ.get("FINRES_BROKER_URL", "")
FINRES_JOB_TIME_LIMIT = int(os.environ.get("FINRES_JOB_TIME_LIMIT", 30 * 60))  # seconds
FINRES_JOB_RESULT_DAYS = int(os.environ.get("FINRES_JOB_RESULT_DAYS", 7))
FINRES_JOB_WAIT_SECONDS = float(os.environ.get("FINRES_JOB_WAIT_SECONDS", 2))  # quick jobs
FINRES_JOBS_EAGER = False  # run a job at once in the caller (the test settings only)

# Schedules asked by the beat (docs/jobs.md): "name=seconds,…" replaces a schedule's interval,
# 0 turns it off, e.g. FINRES_SCHEDULE="checks.due=1800,sbom.rematch=0".
from finres.web.jobs.intervals import parse_schedule  # noqa: E402

FINRES_SCHEDULE = parse_schedule(os.environ.get("FINRES_SCHEDULE", ""))
# Where the beat remembers when each schedule last ran (one beat per site).
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "jobs" / "beat-schedule")

# SBOM matching's advisory data (docs/sbom-web.md): OSV dumps (folders, JSON or zip files,
# separated by the path separator) and the CISA KEV catalogue (JSON or CSV).
FINRES_OSV_PATHS = [p for p in os.environ.get("FINRES_OSV_PATHS", "").split(os.pathsep) if p]
FINRES_KEV_FILE = os.environ.get("FINRES_KEV_FILE", "")
# (the host name means nothing to the filesystem transport; naming one keeps kombu from
# warning on the console that it assumed one)
CELERY_BROKER_URL = FINRES_BROKER_URL or "filesystem://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if not FINRES_BROKER_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(DATA_DIR / "jobs" / "queue"),
        "data_folder_out": str(DATA_DIR / "jobs" / "queue"),
        "control_folder": str(DATA_DIR / "jobs" / "control"),
        "polling_interval": 0.2,
    }
elif FINRES_BROKER_URL.startswith(("redis://", "rediss://")):
    # A job not acknowledged within this time is delivered again (then found claimed: no-op).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": FINRES_JOB_TIME_LIMIT + 600}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "finres"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = FINRES_JOB_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = FINRES_JOB_TIME_LIMIT + 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "finres.web.authentication.OrganisationTokenAuthentication",
        "finres.web.authentication.CompletedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "finres.web.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "finres.web.throttling.AnonymousThrottle",
        "finres.web.throttling.PersonThrottle",
    ],
    # Never trust a client's X-Forwarded-For unless a proxy is configured to set it.
    "NUM_PROXIES": int(os.environ.get("FINRES_TRUSTED_PROXY_COUNT", "0")),
}
# Requests per minute: API calls per person (token or session) and per address when anonymous,
# and log-in attempts per address (the lockout counts failures per person besides).
FINRES_THROTTLE_RATES = {
    "anonymous": os.environ.get("FINRES_THROTTLE_ANONYMOUS", "60/min"),
    "person": os.environ.get("FINRES_THROTTLE_PERSON", "1200/min"),
    "login": os.environ.get("FINRES_THROTTLE_LOGIN", "30/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FinRes API",
    "DESCRIPTION": "Cyber-resilience and compliance platform for financial institutions.",
    "VERSION": "0.2.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # + the middleware
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ResultEnum": "finres.web.assessments.models.Result",
        "AssessmentStatusEnum": "finres.web.assessments.models.Assessment.Status",
        "DocumentStatusEnum": "finres.web.reports.models.DocumentStatus",
        "FindingStatusEnum": "finres.web.improvements.models.Finding.Status",
        "ExceptionStatusEnum": "finres.web.improvements.models.RiskException.Status",
        # One choice set used by several fields: one name in the schema.
        "RatingEnum": "finres.web.registers.models.Rating",
        "ImpactLevelEnum": "finres.web.continuity.models.ImpactRating.Level",
        "TlsRunStatusEnum": "finres.web.checks.models.RunStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- single sign-on (OpenID Connect), off unless FINRES_OIDC_CLIENT_ID is set ---------------------
# The provider's endpoints are given explicitly (no discovery at start-up). See docs/web.md.
FINRES_SSO = None
if os.environ.get("FINRES_OIDC_CLIENT_ID"):
    from finres.web.orgs.sso import load_role_map

    FINRES_SSO = {
        "name": os.environ.get("FINRES_OIDC_NAME", "SSO"),
        "issuer": os.environ["FINRES_OIDC_ISSUER"],
        "role_map": load_role_map(os.environ["FINRES_OIDC_ROLE_MAP"]),
        "groups_claim": os.environ.get("FINRES_OIDC_GROUPS_CLAIM", "groups"),
        "mfa_methods": os.environ.get("FINRES_OIDC_MFA_METHODS", "mfa,otp,hwk,swk,sc").split(","),
    }
    OIDC_RP_CLIENT_ID = os.environ["FINRES_OIDC_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ.get("FINRES_OIDC_CLIENT_SECRET", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ["FINRES_OIDC_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = os.environ["FINRES_OIDC_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = os.environ["FINRES_OIDC_USERINFO_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = os.environ["FINRES_OIDC_JWKS_ENDPOINT"]
OIDC_RP_SIGN_ALGO = os.environ.get("FINRES_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "orgs:sso_callback"
