"""A real Celery worker process, started by the test, runs a real task against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from repm_portal import audit
from repm_portal.tasks import verify_audit_chain
from tests.factories import FirmFactory

pytestmark = pytest.mark.integration


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="")
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{host}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker():
    """A `celery worker` on a private queue, so no other worker on the same broker takes our task."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "DATABASE_URL": _database_url(),  # the test database, which the worker must see
        "DJANGO_SETTINGS_MODULE": "repm_portal.settings.test",
    }
    if "REDIS_URL" not in env:
        env["REDIS_URL"] = settings.CELERY_BROKER_URL
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "repm_portal", "worker", "--pool", "solo",
         "--queues", queue, "--loglevel", "warning", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_verifies_the_audit_chain(rules, worker):
    # given committed audit rows the worker can see
    firm = FirmFactory()
    with transaction.atomic():
        for n in range(3):
            audit.record(actor=None, action="integration.event", obj=firm, new={"n": n})
    # when the task goes through the broker to the worker process
    result = verify_audit_chain.apply_async(queue=worker)
    report = result.get(timeout=90)
    # then the worker read our database and found the chain intact
    assert report["intact"] is True
    assert report["rows_checked"] == 3


@pytest.mark.django_db
def test_the_cache_is_redis():
    # given Django's cache on the configured Redis, a value round-trips through the server
    key = f"probe-{uuid.uuid4().hex}"
    cache.set(key, {"rs": "1,23,45,678.00"}, timeout=30)
    assert cache.get(key) == {"rs": "1,23,45,678.00"}
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
