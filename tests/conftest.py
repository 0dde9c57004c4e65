"""Shared fixtures: the notified rule set, one user per role, an API client, a media folder and
cache of the test's own, and a real Celery worker for the tests that need one."""

from __future__ import annotations

import importlib

import pytest
from rest_framework.test import APIClient

from repm_portal.models import CapacitySlab, RuleSet, Scheme
from repm_portal.roles import Role
from tests.factories import FirmUserFactory, UserFactory

_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")


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
