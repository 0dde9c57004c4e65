"""Fixtures for payment runs: two awards of two firms, each with an issued sanction letter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from incentives import ledger, sanctions
from incentives.models import Pool
from repm_portal.money import crore, format_inr, to_money
from repm_portal.roles import Role
from tests.factories import AwardFactory, UserFactory

NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)
CODE = "test_payout"


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Return files stored in the test's own folder, a cache of its own (tests/conftest.py)."""


class Payouts:
    """A claim kind of the tests' own: claim id -> (award, amount)."""

    def __init__(self) -> None:
        self.claims: dict[str, tuple[object, object]] = {}

    def compute(self, claim_id: str) -> sanctions.Computation:
        award, amount = self.claims[claim_id]
        return sanctions.Computation(
            award=award,
            rule_set=award.rule_set,
            amount=to_money(amount),
            lines=[sanctions.Line("Sanctioned", format_inr(amount))],
            subject=f"test payout {claim_id}",
            claim_ref=f"TP-{claim_id}",
        )

    def issue(self, award, amount, *, actor, claim_id: str, now=NOW):
        self.claims[claim_id] = (award, amount)
        with transaction.atomic():
            request = sanctions.request_sanction(
                claim_type=CODE, claim_id=claim_id, actor=actor, now=now
            )
        return sanctions.issue(request.pk, now=now)


@pytest.fixture
def payouts(rules):
    kind = Payouts()
    sanctions.register(
        sanctions.ClaimKind(
            code=CODE, title="Test payout", title_hi="परीक्षण भुगतान", pool=Pool.CAPITAL_SUBSIDY,
            letter_prefix="REPM/TP", compute=kind.compute,
            on_result=lambda claim_id, letter, computation: None,
        )
    )  # fmt: skip
    yield kind
    sanctions._KINDS.pop(CODE, None)


@pytest.fixture
def second_official(users):
    return UserFactory(role=Role.OFFICIAL, username="the_second_official")


@pytest.fixture
def letters(payouts, users):
    """Two issued letters of two firms: Rs 2 crore and Rs 3 crore."""
    first = payouts.issue(AwardFactory(), crore(2), actor=users["approver"], claim_id="1")
    second = payouts.issue(AwardFactory(), crore(3), actor=users["approver"], claim_id="2")
    assert ledger.balances().sanctioned == crore(5)
    return [first, second]
