"""A real Celery worker process, started by the test, runs a real task against the test database."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from repm_portal import audit
from repm_portal.tasks import verify_audit_chain
from tests.factories import FirmFactory

pytestmark = pytest.mark.integration


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
