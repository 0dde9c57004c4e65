"""Fixtures for recovery tests: claim kinds that pay in each pool, and an award paid in both."""

from __future__ import annotations

import pytest

from incentives import sanctions
from incentives.models import Pool
from tests.factories import AwardFactory, UserFactory
from tests.recovery.payouts import Payouts, pay_both


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Every test here stores letters in its own folder and keeps its own cache (tests/conftest.py)."""


@pytest.fixture
def payouts(rules):
    kinds = Payouts()
    for pool in Pool.values:
        sanctions.register(kinds.kind(pool))
    yield kinds
    for pool in Pool.values:
        sanctions._KINDS.pop(kinds.kind(pool).code, None)


@pytest.fixture
def award(rules):
    return AwardFactory()


@pytest.fixture
def paid_award(payouts, users, award):
    """An award paid Rs 10 lakh of SLI (1 Jun 2026) and Rs 10 lakh of capital subsidy (20 Mar 2027)."""
    pay_both(payouts, users, award)
    return award


@pytest.fixture
def second_official(users):
    """Another ministry official: the checker of a recovery the_official proposes."""
    return UserFactory(role="official", username="the_second_official")
