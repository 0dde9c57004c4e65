"""Builders for SLI money tests: quarter claims walked to approved, sanctioned through the real pipeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from incentives import ledger, sanctions
from incentives.claims.models import Claim
from incentives.claims.services import CLAIM_PIPELINE
from incentives.models import EntryKind, Pool, SanctionLetter
from incentives.sli.models import QUARTER_CLAIM_TYPE
from repm_portal.pipeline import transition
from tests.claims.sales import IST, csv_bytes, lines_for, submit

S = Claim.Status
# The quarters of FY 2027-28 for the sales award (commissioned 10 May 2027).
Q1 = (dt.date(2027, 5, 10), dt.date(2027, 6, 30))
Q2 = (dt.date(2027, 7, 1), dt.date(2027, 9, 30))
Q3 = (dt.date(2027, 10, 1), dt.date(2027, 12, 31))
Q4 = (dt.date(2028, 1, 1), dt.date(2028, 3, 31))
NEXT_Q1 = (dt.date(2028, 4, 1), dt.date(2028, 6, 30))
# Five lines of 100.5 kg at Rs 5,000/kg: gross Rs 10,80,375; 40 % of Rs 25,12,500 is Rs 10,05,000;
# 85 % of that is released.
RELEASE = Decimal("854250.00")
PATH = (S.SUBMITTED, S.UNDER_VERIFICATION, S.VERIFIED, S.APPROVED)


def after(day: dt.date, days: int = 10) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(11, 0), tzinfo=IST)


def quarter_claim(award, period: tuple[dt.date, dt.date], *, count: int = 5) -> Claim:
    """An accepted claim of `count` lines for the period, uploaded ten days after it ends."""
    start, end = period
    user = award.bid.firm.users.first()
    upload = submit(
        award, user, csv_bytes(lines_for(start, count)), period_start=start, now=after(end)
    )
    assert upload.status == "accepted", upload.errors
    return Claim.objects.get(pk=upload.claim_id)


def walk(claim: Claim, to: str, *, now: dt.datetime) -> Claim:
    """Move a claim along the lifecycle to `to` (test helper: the workflow's services are elsewhere)."""
    claim = Claim.objects.get(pk=claim.pk)
    for step in PATH[PATH.index(claim.status) + 1 if claim.status in PATH else 0 :]:
        transition(claim, step, pipeline=CLAIM_PIPELINE, actor=None, now=now, label="test claim")
        if step == to:
            break
    return claim


def approve(claim: Claim, approver, *, now: dt.datetime):
    """Approve the claim and ask for its sanction, in one transaction, as the workflow does."""
    with transaction.atomic():
        walk(claim, S.APPROVED, now=now)
        return sanctions.request_sanction(
            claim_type=QUARTER_CLAIM_TYPE, claim_id=claim.pk, actor=approver, now=now
        )


def sanction(
    claim: Claim, approver, *, now: dt.datetime, render: bool = False
) -> SanctionLetter | None:
    """Approve and issue at once, as the worker would (rendering the PDF only when asked)."""
    request = approve(claim, approver, now=now)
    if render:
        return sanctions.issue(request.pk, now=now)
    return sanctions._sanction(request.pk, now=now)


def penalty(award, amount, *, key: str = "penalty:1", now: dt.datetime | None = None) -> None:
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.PENALTY, pool=Pool.SLI, award=award, amount=amount, source_key=key,
            rule_set=award.rule_set, document_ref="Milestone acceptance", narration="delay penalty",
            now=now,
        )  # fmt: skip


def spend_pool(award, *, leave: Decimal, now: dt.datetime) -> None:
    """Sanction all but `leave` of the SLI pool to `award`."""
    limit = ledger.pool_limit(award.rule_set, Pool.SLI)
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.SANCTION, pool=Pool.SLI, award=award,
            amount=limit - ledger.sanctioned(Pool.SLI) - leave, source_key=f"fill:{award.pk}",
            rule_set=award.rule_set, document_ref="fill", narration="spend the pool down", now=now,
        )  # fmt: skip
