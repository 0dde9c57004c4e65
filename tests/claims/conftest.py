"""Fixtures for sales-claim tests: a commissioned award and its firm user (builders: sales.py)."""

from __future__ import annotations

import pytest

from incentives import sanctions
from incentives.claims import services
from tests.claims.sales import sales_award


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Every test here stores uploads in its own folder and keeps its own cache (tests/conftest.py)."""


@pytest.fixture
def award(rules):
    """An award of 15 Apr 2026 whose plant was commissioned on 10 May 2027 (early: gestation runs to 2028)."""
    return sales_award()


@pytest.fixture
def firm_user(award):
    return award.bid.firm.users.get()


@pytest.fixture
def sli_kind():
    """The SLI claim kind incentives.sli registers, which an approval asks to sanction."""
    kind = sanctions.registered(services.CLAIM_TYPE)
    assert kind is not None, "incentives.sli registers the sli_quarter claim kind"
    return kind
