"""Fixtures for capital subsidy tests: uploads and cache of the test's own, a commissioned award."""

from __future__ import annotations

import pytest

from tests.factories import AwardFactory


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Every test here stores uploads in its own folder and keeps its own cache (tests/conftest.py)."""


@pytest.fixture
def award(rules):
    return AwardFactory(commissioned=True)
