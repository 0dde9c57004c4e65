"""Fixtures for bidding tests: uploads kept in a temporary media folder, the ministry staff."""

from __future__ import annotations

import pytest

from tests.bidding.builders import Staff


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def private_cache(settings):
    """A cache of this test's own: API throttles kept in the shared Redis would leak between runs."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def staff(rules) -> Staff:
    return Staff()
