"""Demo of the money core: payments released against the capital subsidy sanctioned in the demo.

Runs after the claim apps' demos (this app comes last). Every payment goes through the service,
dated after its letter and before the demo's as-of date; one letter is left part-paid and one
unpaid, so the pages show pending amounts and the service level at work.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from beneficiaries.models import User
from incentives import services
from incentives.models import SanctionLetter
from repm_portal.demo_clock import DEMO_AS_OF, IST
from repm_portal.money import to_money

# (days after the letter, share of the sanction) per tranche, for each letter in date order.
PLANS = [
    [(18, Decimal("1"))],
    [(12, Decimal("0.6")), (26, Decimal("0.4"))],
    [(21, Decimal("0.5"))],
    [],  # left unpaid: past the service level by the as-of date
]


def _utr(letter: SanctionLetter, n: int) -> str:
    return f"SBIN{letter.financial_year.replace('-', '')}{letter.serial:06d}{n}"


def seed() -> list[str]:
    official = User.objects.filter(username="official").first()
    if official is None:
        return ["payments: no demo official; skipped"]
    letters = list(
        SanctionLetter.objects.filter(status=SanctionLetter.Status.ISSUED, reversed_by__isnull=True)
        .select_related("rule_set")
        .order_by("dated", "serial")
    )
    if not letters:
        return ["payments: no sanction letter issued yet; nothing to pay"]
    made = 0
    for index, letter in enumerate(letters):
        plan = PLANS[index % len(PLANS)]
        for n, (days, share) in enumerate(plan, start=1):
            utr = _utr(letter, n)
            if letter.payments.filter(utr=utr).exists():
                continue
            paid_on = letter.dated + dt.timedelta(days=days)
            moment = dt.datetime.combine(paid_on, dt.time(15, 30), tzinfo=IST)
            if moment >= DEMO_AS_OF:
                continue
            services.record_payment(
                actor=official,
                letter=letter,
                amount=to_money(letter.amount * share),
                paid_on=paid_on,
                utr=utr,
                remarks="Released through PFMS",
                now=moment,
            )
            made += 1
    return [f"payments: {made} recorded against {len(letters)} sanction letter(s)"]
