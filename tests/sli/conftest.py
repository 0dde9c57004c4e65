"""Fixtures for SLI money tests: a commissioned sales award (builders: tests/sli/money.py)."""

from __future__ import annotations

import pytest

from tests.claims.sales import sales_award


@pytest.fixture
def sli_media(media_root, private_cache):
    """Uploads and letters in the test's own folder, and a cache of its own (tests/conftest.py)."""


@pytest.fixture
def award(rules, sli_media):
    """An award of 15 Apr 2026 at Rs 2,150/kg for 1,200 MTPA; plant commissioned 10 May 2027."""
    return sales_award()
