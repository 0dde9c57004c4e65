"""Shared fixtures: the notified rule set, one user per role, an API client, a media folder and
cache of the test's own, and a real Celery worker for the tests that need one."""

from __future__ import annotations

import importlib
import subprocess
import uuid
from pathlib import Path

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from repm_portal.celery import app
from repm_portal.models import CapacitySlab, RuleSet, Scheme
from repm_portal.roles import Role
from tests.factories import FirmUserFactory, UserFactory
from tests.workers import start_worker, stop

# Fails any test in which a status changed outside pipeline.transition().
pytest_plugins = ["tests.status_guard"]

_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")

LOCALE_ROOT = Path(__file__).resolve().parent.parent / "locale"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session) -> None:
    """Compile the translation catalogues (.po -> .mo) that are missing or older than their .po,
    as `make messages` does, so `pytest` alone serves Hindi pages. xdist workers leave it to the
    controller, which runs this before it starts them."""
    if hasattr(session.config, "workerinput"):
        return
    for po in sorted(LOCALE_ROOT.glob("*/*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)


@pytest.fixture
def rules(db) -> RuleSet:
    """Rule set v1 as notified; reloaded if a transactional test flushed the tables."""
    if not RuleSet.objects.filter(scheme__code="REPM", version=1).exists():
        _loader.load_scheme(Scheme, RuleSet, CapacitySlab)
    # Read back, so values carry the database's scale (2150.00, not 2150) as in production.
    return RuleSet.objects.get(scheme__code="REPM", version=1)


@pytest.fixture
def users(db, rules) -> dict[str, object]:
    """One active user per role; the firm user belongs to its own new firm."""
    made = {
        role: UserFactory(role=role, username=f"the_{role}")
        for role in Role.values
        if role != Role.FIRM_USER
    }
    made[Role.FIRM_USER] = FirmUserFactory(username="the_firm_user")
    return made


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads in the test's own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def private_cache(settings):
    """A cache of this test's own: API throttles kept in the shared Redis would leak between runs."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def worker():
    """A real Celery worker on a queue of its own (its name is the fixture's value)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    process = start_worker(queue)
    try:
        yield queue
    finally:
        stop(process)


@pytest.fixture
def media_for_both(settings, tmp_path, monkeypatch):
    """One media folder for this process and the worker (which inherits the environment)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    return settings.MEDIA_ROOT


@pytest.fixture
def sanction_queue(media_for_both, worker):
    """Route the sanction tasks to the test's own worker for the duration of the test."""
    routes = app.conf.task_routes
    app.conf.task_routes = {
        "incentives.tasks.issue_sanction": {"queue": worker},
        "incentives.tasks.render_sanction_letter": {"queue": worker},
    }
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)
    yield worker
    app.conf.task_routes = routes
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A Hindi request leaves Hindi active in the thread; the next test starts in English."""
    yield
    translation.deactivate()
