"""Fixtures for bidding tests: uploads kept in a temporary media folder, the ministry staff."""

from __future__ import annotations

import pytest

from tests.bidding.builders import Staff


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Every test here stores uploads in its own folder and keeps its own cache (tests/conftest.py)."""


@pytest.fixture
def staff(rules) -> Staff:
    return Staff()
