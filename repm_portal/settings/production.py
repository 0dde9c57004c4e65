"""Production settings: every secret from the environment, no defaults, no embedded servers."""

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment for production.")
    return value


# Checked before base is imported, so a missing DATABASE_URL never starts an embedded server.
_require("SECRET_KEY")
_require("ALLOWED_HOSTS")
_require("REDIS_URL")
# The audit checkpoints' signing key (a mounted secret) and their log (a volume of its own).
_require("AUDIT_CHECKPOINT_KEY_FILE")
_require("AUDIT_CHECKPOINT_DIR")
# The retired sealing master key is optional: only tenders sealed before issue 13 need it.
os.environ.setdefault("BID_SEALING_MASTER_KEY", "")
if os.environ.get("REPM_CLOCK_AS_OF", "").strip():
    raise ImproperlyConfigured(
        "REPM_CLOCK_AS_OF moves the clock for a demo; it is refused in production."
    )
if urlparse(_require("DATABASE_URL")).scheme not in {"postgres", "postgresql", "pgsql"}:
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL server in production.")

from .base import *  # noqa: E402, F403
from .base import BASE_DIR, env_bool, env_list  # noqa: E402

DEBUG = False
# Serve as the application's role only: a superuser or an owner of tables could rewrite history.
DATABASE_REFUSE_PRIVILEGED_ROLE = True
REST_FRAMEWORK = REST_FRAMEWORK | {  # noqa: F405
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "1")),
    # No browsable API in production: its forms are for developers, and JSON is the contract.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "repm_portal.uploads.Storage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
