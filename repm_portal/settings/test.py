"""Test settings: the same PostgreSQL and Redis code path, faster hashing, mail kept in memory."""

import os

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, MIGRATION_DATABASE

# pytest-django creates the test database as the connecting role, so tests connect as the owner
# (the embedded server's superuser); the role tests SET ROLE to an application role of their own.
if MIGRATION_DATABASE:
    DATABASES["default"]["USER"] = MIGRATION_DATABASE.get("USER", "")
    DATABASES["default"]["PASSWORD"] = MIGRATION_DATABASE.get("PASSWORD", "")
MIGRATION_DATABASE = None
DATABASE_APP_ROLE = ""

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A suffix lets two test runs share one server without sharing a test database.
_suffix = os.environ.get("REPM_TEST_DB_SUFFIX", "")
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{_suffix}"}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Signed audit checkpoints stay within one test process (written only if a test makes one).
AUDIT_CHECKPOINT_DIR = f"/tmp/repm-checkpoints{_suffix}-{os.getpid()}"  # noqa: S108
# Tests read static files from the source folders (finders); nothing is collected for them.
STATIC_ROOT = None
# Throttle counters and other cache keys stay within one test run and one xdist worker, and
# are shared with the Celery worker a test starts (it inherits the environment): the change
# count a viewer's cached pages follow (repm_portal/viewer_cache.py) must be one for both.
_run = os.environ.setdefault("REPM_TEST_CACHE_RUN", str(os.getpid()))
_xdist = os.environ.get("PYTEST_XDIST_WORKER", "main")
CACHES["default"]["KEY_PREFIX"] = f"test{_suffix}-{_run}-{_xdist}"
# A test of a worker killed mid-store sets this in the worker's environment (see
# incentives.claims.services.accepting).
CLAIMS_PAUSE_BEFORE_COMMIT_SECONDS = float(
    os.environ.get("REPM_CLAIMS_TEST_PAUSE_BEFORE_COMMIT", "0") or 0
)
# axes stays on; only the test client's request-less `login()` passes its backend (see logins.py).
AUTHENTICATION_BACKENDS = [
    "repm_portal.logins.RequestOptionalAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A cheap Scrypt cost for members' opening-key passphrases keeps the tests fast.
BID_OPENING_KEY_SCRYPT_N = 2**4
