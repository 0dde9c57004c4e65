"""Fixtures for open data: own media and cache, the ministry staff, and a claim kind to sanction."""

from __future__ import annotations

import pytest

from incentives import sanctions
from incentives.models import Pool
from tests.bidding.builders import Staff
from tests.opendata.story import Grants


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Every test here stores uploads in its own folder and keeps its own cache (tests/conftest.py)."""


@pytest.fixture
def staff(rules) -> Staff:
    return Staff()


@pytest.fixture
def grants(rules):
    """A stand-in SLI claim kind."""
    kinds = Grants(Pool.SLI)
    sanctions.register(kinds.kind())
    yield kinds
    sanctions._KINDS.pop(kinds.code, None)


@pytest.fixture
def capital_grants(rules):
    """A stand-in capital-subsidy claim kind."""
    kinds = Grants(Pool.CAPITAL_SUBSIDY)
    sanctions.register(kinds.kind())
    yield kinds
    sanctions._KINDS.pop(kinds.code, None)
