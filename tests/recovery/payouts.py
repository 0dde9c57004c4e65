"""Builders for recovery tests: an award paid through the real sanction pipeline, and its guarantee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from bidding import services as bidding
from incentives import sanctions, services
from incentives.models import Payment, Pool
from repm_portal.money import format_inr, lakh, to_money

IST = ZoneInfo("Asia/Kolkata")
# Interest runs to 1 Jun 2028: the SLI payment of 1 Jun 2026 is exactly 2 years old, and the
# capital subsidy payment of 20 Mar 2027 is 1 year and 73 days old (11 + 30 + 31 + 1 days).
AS_OF = dt.date(2028, 6, 1)
NOW = dt.datetime(2028, 6, 2, 11, 0, tzinfo=IST)
SLI_PAID_ON = dt.date(2026, 6, 1)
CS_PAID_ON = dt.date(2027, 3, 20)
# Rs 10 lakh each: 10,00,000 x 1.08^2 and 10,00,000 x 1.08 x (1 + 0.08 x 73/365).
SLI_DUE = Decimal("1166400.00")
CS_DUE = Decimal("1097280.00")
TOTAL = SLI_DUE + CS_DUE
KIND_CODES = {Pool.SLI: "test_sli_payout", Pool.CAPITAL_SUBSIDY: "test_cs_payout"}


class Payouts:
    """Claim kinds of the tests' own, one per pool: claim id -> (award, amount); the figure is the amount."""

    def __init__(self) -> None:
        self.claims: dict[str, tuple[object, Decimal, Decimal]] = {}

    def kind(self, pool: str) -> sanctions.ClaimKind:
        def compute(claim_id: str) -> sanctions.Computation:
            award, amount, deduction = self.claims[claim_id]
            return sanctions.Computation(
                award=award,
                rule_set=award.rule_set,
                amount=amount,
                lines=[sanctions.Line("Sanctioned", format_inr(amount))],
                subject=f"test payout {claim_id}",
                claim_ref=f"TP-{claim_id}",
                deduction=deduction,
            )

        return sanctions.ClaimKind(
            code=KIND_CODES[pool],
            title=f"Test payout ({pool})",
            title_hi="परीक्षण",
            pool=pool,
            letter_prefix="REPM/TS" if pool == Pool.SLI else "REPM/TC",
            compute=compute,
            on_result=lambda claim_id, letter, computation: None,
        )

    def letter(self, users, award, pool: str, amount, *, on: dt.date, deduction="0"):
        """A sanction letter issued on `on` for `amount` in the pool, netting `deduction`."""
        claim_id = f"{pool}-{len(self.claims) + 1}"
        self.claims[claim_id] = (award, to_money(amount), to_money(deduction))
        at = dt.datetime.combine(on, dt.time(10, 0), tzinfo=IST)
        with transaction.atomic():
            request = sanctions.request_sanction(
                claim_type=KIND_CODES[pool], claim_id=claim_id, actor=users["approver"], now=at
            )
        return sanctions.issue(request.pk, now=at)

    def pay(self, users, award, pool: str, amount, *, on: dt.date, utr: str) -> Payment:
        """A letter for `amount` in the pool, paid in full on `on`."""
        letter = self.letter(users, award, pool, amount, on=on)
        at = dt.datetime.combine(on, dt.time(16, 0), tzinfo=IST)
        return services.record_payment(
            actor=users["official"], letter=letter, amount=amount, paid_on=on, utr=utr, now=at
        )


def pay_both(payouts: Payouts, users, award) -> list[Payment]:
    """Rs 10 lakh of SLI on 1 Jun 2026 and Rs 10 lakh of capital subsidy on 20 Mar 2027."""
    return [
        payouts.pay(users, award, Pool.SLI, lakh(10), on=SLI_PAID_ON, utr=f"SBIN26{award.pk:010d}"),
        payouts.pay(
            users,
            award,
            Pool.CAPITAL_SUBSIDY,
            lakh(10),
            on=CS_PAID_ON,
            utr=f"HDFC27{award.pk:010d}",
        ),
    ]


def guarantee(users, award, amount=None):
    """The award's active guarantee, for the amount it must be unless `amount` says more."""
    return bidding.record_pbg(
        actor=users["official"],
        award=award,
        amount=amount or award.pbg_amount_required,
        bank_name="State Bank of India",
        guarantee_number=f"PBG/{award.pk}",
        issued_on=award.awarded_at.date(),
        valid_until=award.pbg_valid_until_required,
        now=award.awarded_at + dt.timedelta(days=2),
    )


REASON = "The plant was sold to a firm outside the scheme, so the award is ineligible."
