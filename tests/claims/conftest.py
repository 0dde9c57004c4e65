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
def sli_kind(monkeypatch):
    """The SLI claim kind, as incentives.sli will register it; a stand-in until it does."""
    if sanctions.registered(services.CLAIM_TYPE) is None:

        def compute(claim_id: str) -> sanctions.Computation:
            raise NotImplementedError

        def on_result(claim_id, letter, computation) -> None:
            raise NotImplementedError

        monkeypatch.setitem(
            sanctions._KINDS,
            services.CLAIM_TYPE,
            sanctions.ClaimKind(
                code=services.CLAIM_TYPE, title="Sales-linked incentive", title_hi="",
                pool="sli", letter_prefix="REPM/SLI", compute=compute, on_result=on_result,
            ),
        )  # fmt: skip
