"""Settings shared by every environment; each value comes from the environment where it varies."""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from celery.schedules import crontab

from repm_portal import demo_clock, embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret(name: str, nbytes: int) -> str:
    # Development only: random secrets kept beside the embedded data, never in the repository.
    path = embedded.data_root() / name
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


# A demo or UAT process may run at the demo's as-of moment (REPM_CLOCK_AS_OF); production refuses it.
CLOCK_AS_OF = demo_clock.start_from_env()

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret("secret_key", 48)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "repm_portal",
    "beneficiaries",
    "bidding",
    # The money core comes after the claim apps so its demo (payments) runs on their sanctions.
    "incentives.gestation",
    "incentives.capital",
    "incentives.claims",
    "incentives.sli",
    "incentives.recovery",
    # Before the money core, so the core's demo summary counts the payments made through runs.
    "incentives.payments",
    "incentives.evidence",
    # Samples paid claims: its demo runs once the SLI and recovery demos have paid them.
    "incentives.sampling",
    "incentives.monitor",
    "incentives.forecast",
    "incentives.oversight",
    "incentives",
    # Open data reads every app above (its demo keeps the releases the others' demos made).
    "incentives.opendata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # LocaleMiddleware, after sessions and before common (Django's order); the API stays English.
    "repm_portal.i18n.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "repm_portal.uploads.UploadsOfFailedRequests",
    # Last, as axes asks: it turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    # Innermost: a signed-in viewer's read-only page answered from the cache (see the module).
    "repm_portal.viewer_cache.ViewerCacheMiddleware",
]
# How long a viewer's cached page is kept at most; the database snapshot and the minute of the
# clock are in its key, so a change shows at once (repm_portal/viewer_cache.py). 0 turns it off.
VIEWER_CACHE_SECONDS = int(os.environ.get("VIEWER_CACHE_SECONDS", "60"))
# Sessions are read from the cache (Redis) and written through to the database: a page does
# not pay a query to find who is asking.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Content-Security-Policy (django-csp 4): scripts and styles only from our own static files,
# never inline; QR codes are data: images. /api/docs/ adds 'unsafe-inline' styles for
# Swagger UI's own <style> block (repm_portal/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    },
}

ROOT_URLCONF = "repm_portal.urls"
WSGI_APPLICATION = "repm_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "repm_portal.context_processors.navigation",
            ],
            "builtins": ["repm_portal.templatetags.repm_format"],
        },
    }
]


def database_from_environment() -> tuple[dj_database_url.DBConfig, dj_database_url.DBConfig | None]:
    """(the application's connection, the migrations' connection as the tables' owner or None).

    DATABASE_URL is the application's role and MIGRATION_DATABASE_URL the owner's; the embedded
    server derives both: migrations as its superuser, the application as the role `repm_app`.
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        owner_url = os.environ.get("MIGRATION_DATABASE_URL")
        owner = dj_database_url.parse(owner_url) if owner_url else None
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True), owner
    params = embedded.postgres()
    owner = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": embedded.DB_NAME,
        "USER": params["user"],
        "PASSWORD": "",
        "HOST": params["host"],
        "PORT": params["port"],
    }
    app_user, app_password = embedded.app_role(params)
    return owner | {"USER": app_user, "PASSWORD": app_password}, owner


def redis_urls() -> tuple[str, str]:
    """(Celery broker URL, redis-py URL): kombu and redis-py spell Unix sockets differently."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url, url
    sock = quote(str(embedded.redis_socket()))
    return f"redis+socket://{sock}", f"unix://{sock}?db=1"


_app_database, MIGRATION_DATABASE = database_from_environment()
DATABASES = {"default": _app_database}
# The role the migrations grant the application's privileges to (repm_portal/dbroles.py): the
# application's own when it differs from the owner's, or DATABASE_APP_ROLE.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE") or (
    _app_database["USER"]
    if MIGRATION_DATABASE and MIGRATION_DATABASE.get("USER") != _app_database["USER"]
    else ""
)
# Production refuses to serve as a superuser or an owner of tables (checked on each connection).
DATABASE_REFUSE_PRIVILEGED_ROLE = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "beneficiaries.User"

CELERY_BROKER_URL, CACHE_REDIS_URL = redis_urls()
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Kolkata"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Background jobs (repm_portal.jobs): defaults, and per Celery task overrides in JOBS_TASKS.
JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "5"))
JOBS_RETRY_BACKOFF_SECONDS = float(os.environ.get("JOBS_RETRY_BACKOFF_SECONDS", "30"))
JOBS_RETRY_BACKOFF_MAX_SECONDS = float(os.environ.get("JOBS_RETRY_BACKOFF_MAX_SECONDS", "1800"))
# A job that has not reported for this long is taken to have lost its worker.
JOBS_STALL_AFTER_SECONDS = float(os.environ.get("JOBS_STALL_AFTER_SECONDS", "600"))
# A queued job untouched for this long is taken to have lost its message.
JOBS_SWEEP_QUEUED_AFTER_SECONDS = float(os.environ.get("JOBS_SWEEP_QUEUED_AFTER_SECONDS", "120"))
JOBS_SWEEP_BATCH = int(os.environ.get("JOBS_SWEEP_BATCH", "100"))
JOBS_PROGRESS_EVERY_SECONDS = float(os.environ.get("JOBS_PROGRESS_EVERY_SECONDS", "0.5"))
JOBS_QUEUE = None  # Celery's default queue
# Sales-claim ingestion may run on workers of its own: CLAIMS_TASK_QUEUE names their queue.
CLAIMS_TASK_QUEUE = os.environ.get("CLAIMS_TASK_QUEUE") or None
JOBS_TASKS: dict[str, dict] = {
    # "queue_setting": the queue is read from that setting when the job is sent.
    "incentives.claims.tasks.process_upload": {
        "queue_setting": "CLAIMS_TASK_QUEUE",
        "max_attempts": 3,
    },
    "bidding.tasks.render_award_letter": {"max_attempts": 3},
    "incentives.evidence.tasks.build_bundle": {"max_attempts": 3},
}
# Sales-claim uploads: the size limit of one file and the line limit of one upload.
CLAIM_UPLOAD_MAX_BYTES = int(os.environ.get("REPM_CLAIM_UPLOAD_MAX_MB", "200")) * 1024 * 1024
CLAIM_UPLOAD_MAX_ROWS = int(os.environ.get("REPM_CLAIM_UPLOAD_MAX_ROWS", "1000000"))
# Test-only: seconds the claim-storing transaction waits between COPY and commit, so a test can
# kill the worker there. Only the test settings set it (REPM_CLAIMS_TEST_PAUSE_BEFORE_COMMIT).
CLAIMS_PAUSE_BEFORE_COMMIT_SECONDS = 0.0
# A lapsed sales claim reopened by an official (once) gets a new window of this many days.
CLAIM_REOPEN_DAYS = int(os.environ.get("REPM_CLAIM_REOPEN_DAYS", "30"))
# Our default, not the scheme's: how far (% of the magnets sold) the magnets a claim's declared
# oxide makes may differ before the verifier's feedstock check flags it (incentives/claims/feedstock.py).
CLAIM_FEEDSTOCK_TOLERANCE_PCT = os.environ.get("REPM_CLAIM_FEEDSTOCK_TOLERANCE_PCT", "10.00")

# Audit checkpoints (repm_portal/anchoring.py): the Ed25519 key the database never holds, and the
# append-only log of signed checkpoints, both outside the database. Development and tests generate
# the key beside the embedded data; production mounts it (production.py requires both).
AUDIT_CHECKPOINT_KEY_FILE = os.environ.get("AUDIT_CHECKPOINT_KEY_FILE") or str(
    embedded.data_root() / "audit_checkpoint_ed25519.pem"
)
AUDIT_CHECKPOINT_KEY_GENERATE = not os.environ.get("AUDIT_CHECKPOINT_KEY_FILE")
AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR") or str(
    embedded.data_root() / "checkpoints"
)
# Public keys (base64, raw Ed25519) of retired checkpoint keys, whose checkpoints still count.
AUDIT_CHECKPOINT_TRUSTED_KEYS = env_list("AUDIT_CHECKPOINT_TRUSTED_KEYS")

CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint-daily": {
        "task": "repm_portal.tasks.checkpoint_audit_chain",
        "schedule": crontab(hour=1, minute=50),
    },
    "jobs-sweep": {
        "task": "repm_portal.tasks.sweep_jobs",
        "schedule": crontab(minute="*/2"),
    },
    "verify-audit-chain-nightly": {
        "task": "repm_portal.tasks.verify_audit_chain",
        "schedule": crontab(hour=2, minute=15),
    },
    "bidding-pbg-expiry-reminders": {
        "task": "bidding.tasks.send_pbg_expiry_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "bidding-flag-expired-guarantees": {
        "task": "bidding.tasks.flag_expired_guarantees",
        "schedule": crontab(hour=9, minute=5),
    },
    "claims-lapse-overdue": {
        "task": "incentives.claims.tasks.lapse_overdue_claims",
        "schedule": crontab(hour=0, minute=20),
    },
    "gestation-open-missing": {
        "task": "incentives.gestation.tasks.open_missing_gestations",
        "schedule": crontab(hour=6, minute=30),
    },
    "sli-preview-quarters": {
        "task": "incentives.sli.tasks.preview_verified_quarters",
        "schedule": crontab(hour=5, minute=30),
    },
    "sli-compute-due-true-ups": {
        "task": "incentives.sli.tasks.compute_due_true_ups",
        "schedule": crontab(hour=6, minute=45),
    },
    "opendata-keep-releases": {
        "task": "incentives.opendata.tasks.keep_releases",
        "schedule": crontab(minute="*"),
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
    }
}
# Anonymous public tender pages and OCDS packages are kept this long at most; any change to what
# they show makes them stale at once (repm_portal/public_cache.py).
PUBLIC_CACHE_SECONDS = int(os.environ.get("REPM_PUBLIC_CACHE_SECONDS", "300"))

# Sensitive variables are blanked on crash pages even with DEBUG on: a sealed rate never shows.
DEFAULT_EXCEPTION_REPORTER_FILTER = "repm_portal.debug.SealedExceptionReporterFilter"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "repm_portal.logins.StaffMinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("REPM_STAFF_PASSWORD_MIN_LENGTH", "12"))},
    },
]
# axes first: it refuses a locked-out username + address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock-out (django-axes, database handler): this many failures for one username from one address
# lock that pair out for the cool-off, which each further failure restarts. Admins unlock in the
# admin (Axes > Access attempts) or with `manage.py axes_reset_username <name>`.
AXES_FAILURE_LIMIT = int(os.environ.get("REPM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("REPM_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "repm_portal.logins.lockout_response"
# The address as DRF's throttles see it (X-Forwarded-For trusted only as far as NUM_PROXIES).
AXES_CLIENT_IP_CALLABLE = "repm_portal.logins.client_ip"
# API tokens (django-rest-knox): stored hashed, one new token per log-in, expiring after this.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=float(os.environ.get("REPM_API_TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-in"
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
# English and Hindi: the page's language from the switch (language cookie), else Accept-Language.
# LANGUAGE_CODE "en-in" falls back to "en" here. Numbers keep the Indian grouping in both: the
# money filters (repm_portal.money) group by hand, and no thousand separator is localised.
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]
USE_THOUSAND_SEPARATOR = False
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
# One catalogue per part (locale/<part>/hi/LC_MESSAGES/django.po), so translators of different
# parts never edit one file; the .mo files are compiled at install time (`make messages`).
_LOCALE_ROOT = BASE_DIR / "locale"
LOCALE_PATHS = (
    sorted(p for p in _LOCALE_ROOT.iterdir() if p.is_dir()) if _LOCALE_ROOT.is_dir() else []
)
USE_TZ = True

STATIC_URL = "static/"
# `collectstatic` fills it (`make run`, the image); WhiteNoise serves it. With DEBUG on (`make dev`)
# WhiteNoise reads the source folders instead, so an edited file shows without collecting.
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"
# htmx comes from the npm registry at install time (package.json), never copied into the repo.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
WHITENOISE_USE_FINDERS = DEBUG
# Uploads stored in a transaction that rolls back are removed again (repm_portal/uploads.py).
STORAGES = {
    "default": {"BACKEND": "repm_portal.uploads.Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / ".local" / "media")))
MEDIA_URL = "media/"

# Retired master key (base64, 32 bytes): only tenders sealed before issue 13 wrapped their data
# key with it, and their covers open only while it is set. New tenders seal to a public key
# whose private key only the committee's quorum can rebuild (bidding/services/opening_keys.py).
# Set in the environment (even empty, as production does) it is taken from there; otherwise
# development reads the one it kept beside the embedded data, if it ever made one.
if "BID_SEALING_MASTER_KEY" in os.environ:
    BID_SEALING_MASTER_KEY = os.environ["BID_SEALING_MASTER_KEY"].strip()
elif (embedded.data_root() / "bid_master_key").exists():
    BID_SEALING_MASTER_KEY = _local_secret("bid_master_key", 32)
else:
    BID_SEALING_MASTER_KEY = ""
# Scrypt cost (n) of the passphrase that locks each member's opening key; tests lower it.
BID_OPENING_KEY_SCRYPT_N = int(os.environ.get("BID_OPENING_KEY_SCRYPT_N", str(2**15)))
# How long a financial opening's ephemeral key (cache only) holds the members' unlocked shares.
BID_OPENING_SESSION_SECONDS = int(os.environ.get("BID_OPENING_SESSION_SECONDS", str(6 * 3600)))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "REPM Portal <repm-portal@mhi.gov.in>")

REST_FRAMEWORK = {
    # Token first, so an anonymous or badly authenticated call gets 401 with a challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # How many proxies stand in front: throttling trusts X-Forwarded-For only that far.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
    # Scoped rates (per address): the token log-in, on top of axes' per-username lock-out.
    "DEFAULT_THROTTLE_RATES": {
        "auth-token": os.environ.get("REPM_API_TOKEN_THROTTLE_RATE", "20/minute"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "repm_portal.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["repm_portal.scoping.ScopedFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "repm_portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "REPM Portal API",
    "DESCRIPTION": (
        "Scheme to Promote Manufacturing of Sintered Rare Earth Permanent Magnets: "
        "rule sets, firms, bidding, incentives and the audit trail. Money is a decimal "
        "string in rupees with paise."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" or "kind": each choice set gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "LedgerEntryKindEnum": "incentives.models.EntryKind",
        "SanctionLetterStatusEnum": "incentives.models.SanctionLetter.Status",
        "CapitalClaimStatusEnum": "incentives.capital.models.CapitalSubsidyClaim.Status",
        "CapitalDocumentKindEnum": "incentives.capital.models.ClaimDocument.Kind",
        "SalesClaimStatusEnum": "incentives.claims.models.Claim.Status",
        "ClaimUploadStatusEnum": "incentives.claims.models.ClaimUpload.ReportedStatus",
        "MilestoneStatusEnum": "incentives.gestation.models.Milestone.Status",
        "MilestoneKindEnum": "incentives.gestation.models.Milestone.Kind",
        "SliComputationKindEnum": "incentives.sli.models.SliComputation.Kind",
        "SalesClaimDocumentKindEnum": "incentives.claims.models.ClaimDocument.Kind",
        "LineAdjustmentKindEnum": "incentives.claims.models.LineAdjustment.Kind",
        "RecoveryStatusEnum": "incentives.recovery.models.Recovery.Status",
        "PoolEnum": "incentives.models.Pool",
        "SliComputationPurposeEnum": "incentives.sli.models.SliComputation.Purpose",
        "SliTrueUpStatusEnum": "incentives.sli.models.TrueUp.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "pgserver": {"level": "WARNING"},
        # axes reports its settings at start-up; a management command's output stays its own.
        "axes": {"level": "ERROR"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
