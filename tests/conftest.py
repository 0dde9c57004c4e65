"""Shared fixtures: the notified rule set, one user per role, an API client."""

from __future__ import annotations

import importlib

import pytest
from rest_framework.test import APIClient

from repm_portal.models import CapacitySlab, RuleSet, Scheme
from repm_portal.roles import Role
from tests.factories import FirmUserFactory, UserFactory

# Fails any test in which a status changed outside pipeline.transition().
pytest_plugins = ["tests.status_guard"]

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
