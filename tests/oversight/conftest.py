"""Fixtures for the auditors' exports: two claim kinds of the tests' own (one per pool), sanctioned
through the real pipeline, and a small book of letters and payments across years and awards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction

from incentives import sanctions, services
from incentives.models import Pool, SanctionLetter
from repm_portal.money import crore, format_inr, to_money
from tests.factories import AwardFactory, FirmFactory

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
FY28 = dt.datetime(2028, 9, 1, 12, 0, tzinfo=IST)  # in FY 2028-29
FY29 = dt.datetime(2029, 5, 2, 12, 0, tzinfo=IST)  # in FY 2029-30
LATER = dt.datetime(2029, 6, 30, 12, 0, tzinfo=IST)


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Letters rendered into the test's own folder, and a cache of its own (tests/conftest.py)."""


@dataclass
class Grants:
    """Claim kinds for the tests: claim id -> (award, amount); the figure is what is asked."""

    claims: dict[str, tuple[object, Decimal]] = field(default_factory=dict)

    def compute(self, claim_id: str) -> sanctions.Computation:
        award, amount = self.claims[claim_id]
        return sanctions.Computation(
            award=award,
            rule_set=award.rule_set,
            amount=amount,
            lines=[sanctions.Line("Amount asked", format_inr(amount), "=1+1 as a note")],
            subject=f"oversight grant {claim_id}",
            claim_ref=f"OG-{claim_id}",
        )


KINDS = {"ov_capital": Pool.CAPITAL_SUBSIDY, "ov_sli": Pool.SLI}


@pytest.fixture
def grants(rules):
    book = Grants()
    for code, pool in KINDS.items():
        sanctions.register(
            sanctions.ClaimKind(
                code=code, title=f"Oversight {code}", title_hi="परीक्षण", pool=pool,
                letter_prefix=f"REPM/{code.upper()}", compute=book.compute,
                on_result=lambda claim_id, letter, computation: None,
            )
        )  # fmt: skip
    yield book
    for code in KINDS:
        sanctions._KINDS.pop(code, None)


def sanction(grants, users, kind: str, claim_id: str, award, amount, now) -> SanctionLetter:
    grants.claims[claim_id] = (award, to_money(amount))
    with transaction.atomic():
        request = sanctions.request_sanction(
            claim_type=kind, claim_id=claim_id, actor=users["approver"], now=now
        )
    letter = sanctions.issue(request.pk, now=now)
    assert letter is not None
    return letter


def pay(users, letter, amount, utr: str, paid_on: dt.date):
    return services.record_payment(
        actor=users["official"], letter=letter, amount=amount, paid_on=paid_on, utr=utr, now=LATER
    )


@dataclass
class Book:
    award_a: object
    award_b: object
    letters: dict[str, SanctionLetter]


@pytest.fixture
def book(grants, users) -> Book:
    """Five letters: two years, two pools, two awards, two kinds; payments; one letter corrected.

    Award B's firm has a name a spreadsheet would run as a formula.
    """
    award_a = AwardFactory(allocated_mtpa=1200)
    award_b = AwardFactory(allocated_mtpa=600, firm=FirmFactory(legal_name='=HYPERLINK("x")'))
    letters = {
        "a_cs": sanction(grants, users, "ov_capital", "1", award_a, crore(10), FY28),
        "b_cs": sanction(grants, users, "ov_capital", "2", award_b, crore(5), FY29),
        "a_sli": sanction(grants, users, "ov_sli", "3", award_a, crore(3), FY28),
        "b_sli": sanction(grants, users, "ov_sli", "4", award_b, crore(2), FY29),
    }
    pay(users, letters["a_cs"], crore(4), "SBIN228245000001", dt.date(2028, 9, 10))
    pay(users, letters["a_cs"], crore(6), "SBIN228245000002", dt.date(2028, 11, 10))
    pay(users, letters["b_cs"], crore(1), "SBIN228245000003", dt.date(2029, 6, 1))
    # the SLI letter of award B is corrected: the figure is Rs 2.5 crore, not 2
    grants.claims["4"] = (award_b, crore(2) + crore(1) / 2)
    request = sanctions.request_correction(
        letter=letters["b_sli"],
        actor=users["approver"],
        reason="The figure is restated after the true-up.",
        now=FY29,
    )
    letters["b_sli_fix"] = sanctions.issue(request.pk, now=FY29)
    return Book(
        award_a, award_b, {k: SanctionLetter.objects.get(pk=v.pk) for k, v in letters.items()}
    )
