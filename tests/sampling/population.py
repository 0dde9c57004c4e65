"""Builders for sampling tests: awards paid through the real sanction pipeline, claim by claim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from incentives.models import Pool
from repm_portal.fiscal import FinancialYear
from repm_portal.money import lakh
from tests.factories import pdf_bytes
from tests.recovery.payouts import KIND_CODES

IST = ZoneInfo("Asia/Kolkata")
YEAR = FinancialYear(2026)  # FY 2026-27: payments from 1 Apr 2026 to 31 Mar 2027
DRAWN_AT = dt.datetime(2027, 5, 10, 11, 0, tzinfo=IST)
SLI = KIND_CODES[Pool.SLI]
CS = KIND_CODES[Pool.CAPITAL_SUBSIDY]
KINDS = [SLI, CS]
RATIONALE = "Annual field check of the claims paid in the year, at the scheme's floor."
FINDING = "Invoices and dispatch records for the quarter agree with the claim as paid."
# Three awards' claims paid in FY 2026-27, in lakh: unequal, so the floor needs several draws.
AMOUNTS = {
    0: [Decimal(v) for v in ("3", "7", "12")],
    1: [Decimal(v) for v in ("20", "2")],
    2: [Decimal(v) for v in ("5",)],
}
ONE_PAID_LAKH = Decimal("15")
PDF_BYTES = pdf_bytes("Field note")


class Paying:
    """Pays claims to awards in the tests' own SLI kind, with UTRs that never repeat."""

    def __init__(self, payouts, users) -> None:
        self.payouts = payouts
        self.users = users
        self.n = 0

    def pay(self, award, amount_lakh, *, on: dt.date, pool: str = Pool.SLI):
        self.n += 1
        return self.payouts.pay(
            self.users, award, pool, lakh(amount_lakh), on=on, utr=f"SAMP{self.n:012d}"
        )


def pdf(name: str = "field-note.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")
