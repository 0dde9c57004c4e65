"""Fixtures for the money core: a claim kind of the tests' own, sanctioned through the real pipeline."""

from __future__ import annotations

from decimal import Decimal

import pytest

from incentives import ledger, sanctions
from incentives.models import Pool
from repm_portal.money import format_inr, to_money
from tests.factories import AwardFactory


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Every test here stores uploads in its own folder and keeps its own cache (tests/conftest.py)."""


class Grants:
    """A claim kind for the tests: claim id -> (award, amount asked); the figure is what is asked,
    capped (like any real kind) by the award cap and what is left in the pool."""

    code = "test_grant"

    def __init__(self) -> None:
        self.claims: dict[str, tuple[object, Decimal]] = {}
        self.results: dict[str, object] = {}
        self.respect_headroom = True
        self.award_cap: Decimal | None = None
        self.deductions: dict[str, Decimal] = {}

    def add(self, claim_id: str, award, amount, *, deduction="0") -> str:
        self.claims[str(claim_id)] = (award, to_money(amount))
        self.deductions[str(claim_id)] = to_money(deduction)
        return str(claim_id)

    def compute(self, claim_id: str) -> sanctions.Computation:
        award, asked = self.claims[claim_id]
        rule_set = award.rule_set
        left = ledger.pool_headroom(rule_set, Pool.CAPITAL_SUBSIDY)
        amount = min(asked, left) if self.respect_headroom else asked
        return sanctions.Computation(
            award=award,
            rule_set=rule_set,
            amount=amount,
            lines=[
                sanctions.Line("Amount asked", format_inr(asked)),
                sanctions.Line("Left in the pool", format_inr(left), "under the pool's lock"),
                sanctions.Line("Sanctioned", format_inr(amount)),
            ],
            subject=f"test grant {claim_id}",
            claim_ref=f"TG-{claim_id}",
            award_cap=self.award_cap,
            deduction=min(amount, self.deductions.get(claim_id, to_money(0))),
        )

    def on_result(self, claim_id: str, letter, computation) -> None:
        self.results[claim_id] = letter


@pytest.fixture
def grants(rules):
    kinds = Grants()
    sanctions.register(
        sanctions.ClaimKind(
            code=kinds.code,
            title="Test grant",
            title_hi="परीक्षण अनुदान",
            pool=Pool.CAPITAL_SUBSIDY,
            letter_prefix="REPM/TG",
            compute=kinds.compute,
            on_result=kinds.on_result,
        )
    )
    yield kinds
    sanctions._KINDS.pop(kinds.code, None)


@pytest.fixture
def award(rules):
    return AwardFactory(allocated_mtpa=1200)
