"""Production settings refuse to start without their secrets and a real database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD = {
    "DJANGO_SETTINGS_MODULE": "repm_portal.settings.production",
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "repm.example.gov.in",
    "DATABASE_URL": "postgresql://repm@db.example:5432/repm",
    "REDIS_URL": "redis://redis.example:6379/0",
    "BID_SEALING_MASTER_KEY": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
    "AUDIT_CHECKPOINT_KEY_FILE": "/run/secrets/audit_checkpoint_ed25519.pem",
    "AUDIT_CHECKPOINT_DIR": "/var/lib/repm/checkpoints",
}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in GOOD}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env=clean | env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_starts_without_the_retired_sealing_master_key():
    # New tenders seal to a public key only the committee's quorum can open (issue 13)
    result = _start({k: v for k, v in GOOD.items() if k != "BID_SEALING_MASTER_KEY"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_starts_with_everything_set():
    result = _start(GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "AUDIT_CHECKPOINT_KEY_FILE",
        "AUDIT_CHECKPOINT_DIR",
    ],
)
def test_production_refuses_to_start_without(missing):
    result = _start({k: v for k, v in GOOD.items() if k != missing})
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_production_refuses_a_database_that_is_not_postgresql():
    result = _start(GOOD | {"DATABASE_URL": "sqlite:///tmp/db.sqlite3"})
    assert result.returncode != 0
    assert "must name a PostgreSQL server" in result.stderr


def test_tests_run_on_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_production_serves_no_browsable_api():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])",
        ],
        env={k: v for k, v in os.environ.items() if k not in GOOD} | GOOD,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['rest_framework.renderers.JSONRenderer']"
