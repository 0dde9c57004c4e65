"""Fixtures for sampling tests: the tests' own claim kinds, and three awards paid in FY 2026-27."""

from __future__ import annotations

import datetime as dt

import pytest

from incentives import sanctions
from incentives.models import Pool
from tests.factories import AwardFactory, UserFactory
from tests.recovery.payouts import Payouts
from tests.sampling.population import AMOUNTS, ONE_PAID_LAKH, Paying


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Letters and evidence in the test's own folder, and a cache of its own (tests/conftest.py)."""


@pytest.fixture
def payouts(rules):
    kinds = Payouts()
    for pool in Pool.values:
        sanctions.register(kinds.kind(pool))
    yield kinds
    for pool in Pool.values:
        sanctions._KINDS.pop(kinds.kind(pool).code, None)


@pytest.fixture
def paying(payouts, users):
    return Paying(payouts, users)


@pytest.fixture
def paid(paying):
    """Three awards with AMOUNTS paid in FY 2026-27 (one claim each payment), and one claim paid
    in FY 2027-28 that no sample of FY 2026-27 may hold."""
    awards = [AwardFactory() for _ in AMOUNTS]
    for index, amounts in AMOUNTS.items():
        for n, amount in enumerate(amounts):
            paying.pay(awards[index], amount, on=dt.date(2026, 6, 1) + dt.timedelta(days=20 * n))
    paying.pay(awards[0], 50, on=dt.date(2027, 4, 20))
    return awards


@pytest.fixture
def one_paid(paying):
    """One award with one claim of Rs 15 lakh paid on 1 Jun 2026: the smallest sample there is."""
    award = AwardFactory()
    paying.pay(award, ONE_PAID_LAKH, on=dt.date(2026, 6, 1))
    return award


@pytest.fixture
def second_official(users):
    return UserFactory(role="official", username="the_second_official")
