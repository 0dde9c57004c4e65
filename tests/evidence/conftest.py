"""Fixtures for evidence bundles (builders: tests/evidence/bundles.py)."""

from __future__ import annotations

import pytest

from tests.evidence.bundles import build, seed_year


@pytest.fixture
def evidence_media(media_root, private_cache):
    """Uploads, letters and bundles in the test's own folder, and a cache of its own."""


@pytest.fixture
def year(rules, users, evidence_media):
    return seed_year(users)


@pytest.fixture
def bundle(year, users) -> bytes:
    return build(users)
