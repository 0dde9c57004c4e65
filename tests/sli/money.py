"""Builders for SLI money tests: quarter claims walked to approved, sanctioned through the real pipeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from beneficiaries.models import User
from incentives import ledger, sanctions
from incentives.claims import services as claim_services
from incentives.claims.models import Claim
from incentives.models import EntryKind, Pool, SanctionLetter, SanctionRequest
from incentives.sli.models import QUARTER_CLAIM_TYPE
from repm_portal.roles import Role
from tests.claims.sales import IST, csv_bytes, lines_for, submit
from tests.claims.workflow import declare
from tests.factories import UserFactory, pdf_bytes

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


def _verifier():
    user = User.objects.filter(role=Role.VERIFIER).order_by("pk").first()
    return user or UserFactory(role=Role.VERIFIER)


def certificate() -> SimpleUploadedFile:
    return SimpleUploadedFile("ca-certificate.pdf", pdf_bytes("CA certificate"))


def walk(claim: Claim, to: str, *, now: dt.datetime) -> Claim:
    """Move a claim through the workflow's own services to `to` (submitted, under verification, verified)."""
    claim = Claim.objects.get(pk=claim.pk)
    # Submitted ten days after its period ends (within its window); verified from then on.
    submitted_at = after(claim.period_end)
    now = max(now, submitted_at)
    steps = PATH[PATH.index(claim.status) + 1 if claim.status in PATH else 0 :]
    for step in steps:
        if step == S.APPROVED:
            approver = User.objects.filter(role=Role.APPROVER).order_by("pk").first()
            with transaction.atomic():
                claim_services.approve_claim(
                    actor=approver or UserFactory(role=Role.APPROVER), claim=claim, now=now
                )
        elif step == S.SUBMITTED:
            firm_user = claim.award.bid.firm.users.order_by("pk").first()
            if not claim.feedstock.exists():
                declare(claim, firm_user, now=submitted_at)
            claim_services.submit_claim(
                actor=firm_user,
                claim=claim,
                certificate=certificate(),
                declaration=True,
                now=submitted_at,
            )
        elif step == S.UNDER_VERIFICATION:
            claim_services.start_verification(actor=_verifier(), claim=claim, now=now)
        elif step == S.VERIFIED:
            # A line the verifier excluded can put the declared oxide out of tolerance: the
            # note (ignored when within it) says why the verifier accepts the declaration.
            claim_services.verify_claim(
                actor=_verifier(),
                claim=claim,
                now=now,
                feedstock_note="The declared oxide matches the invoices before the excluded lines.",
            )
        claim.refresh_from_db()
        if step == to:
            break
    return claim


def approve(claim: Claim, approver, *, now: dt.datetime):
    """Approve the claim, which asks for its sanction in the same transaction, as the workflow does."""
    walk(claim, S.VERIFIED, now=now)
    with transaction.atomic():
        claim_services.approve_claim(
            actor=approver, claim=claim, now=max(now, after(claim.period_end))
        )
    return SanctionRequest.objects.get(key=f"{QUARTER_CLAIM_TYPE}:{claim.pk}")


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
