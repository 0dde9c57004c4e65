"""Reads of payment runs: ministry staff who handle money and auditors read them; a firm never does.

A run holds every beneficiary's bank details, so it is shown to no firm, its own included: a firm
sees its payments on its sanction letters.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from beneficiaries.models import BankAccount
from incentives.models import SanctionLetter
from incentives.payments.models import PaymentInstruction, PaymentRun
from incentives.services import PAYERS
from repm_portal.roles import AnyUser, Role, has_role

ZERO = Decimal("0.00")
# The finance wing: officials prepare, release and import; a second official releases.
PREPARERS = PAYERS
RELEASERS = PAYERS
IMPORTERS = PAYERS
# Who reads runs and instructions: the finance wing, the approvers and the auditors (read-only).
READERS = (*PAYERS, Role.APPROVER, Role.AUDITOR)

IS = PaymentInstruction.Status


def can_read(user: AnyUser) -> bool:
    return has_role(user, *READERS)


def runs_visible_to(user: AnyUser) -> QuerySet[PaymentRun]:
    if not can_read(user):
        return PaymentRun.objects.none()
    return PaymentRun.objects.select_related("prepared_by", "released_by", "cancelled_by").annotate(
        paid_total=Coalesce(
            Sum("instructions__amount", filter=Q(instructions__status=IS.PAID)), Value(ZERO)
        ),
        failed_count=Count("instructions", filter=Q(instructions__status=IS.FAILED)),
    )


def run_for(user: AnyUser, run_id: int) -> PaymentRun | None:
    """The run if the user may read it, else None (the caller answers 404 or 403)."""
    return runs_visible_to(user).filter(pk=run_id).first()


def instructions_visible_to(user: AnyUser) -> QuerySet[PaymentInstruction]:
    if not can_read(user):
        return PaymentInstruction.objects.none()
    return PaymentInstruction.objects.select_related(
        "run", "letter__award__tender", "letter__award__bid", "payment", "reissues", "return_file"
    )


def instructions_of(run: PaymentRun) -> QuerySet[PaymentInstruction]:
    return (
        PaymentInstruction.objects.filter(run=run)
        .select_related("letter__award__tender", "letter__award__bid", "payment", "reissues")
        .prefetch_related("reissued_as__run")
        .order_by("position")
    )


def _reissued() -> Exists:
    """An instruction re-issues this one and is not cancelled."""
    return Exists(
        PaymentInstruction.objects.filter(reissues=OuterRef("pk")).exclude(status=IS.CANCELLED)
    )


def failed_awaiting_reissue(user: AnyUser) -> QuerySet[PaymentInstruction]:
    """Failed instructions not yet re-issued, with the bank's reason, oldest first."""
    return (
        instructions_visible_to(user)
        .filter(status=IS.FAILED)
        .exclude(_reissued())
        .order_by("returned_at", "pk")
    )


@dataclass(frozen=True)
class Candidate:
    """A letter that a run may pay: what is left to pay, and the account it would go to."""

    letter: SanctionLetter
    remaining: Decimal
    account: BankAccount | None

    @property
    def blocked(self) -> str:
        if self.account is None:
            firm = self.letter.award.bid.firm
            return (
                f"{firm.legal_name} has no primary bank account on record: add one before "
                f"letter {self.letter.number} can be paid."
            )
        return ""


def payable_letters(user: AnyUser) -> list[Candidate]:
    """Issued letters with something left to pay and no instruction the bank may still act on.

    A letter whose last instruction failed is left out: it is paid by re-issuing that instruction.
    """
    if not has_role(user, *PREPARERS):
        return []
    live = PaymentInstruction.objects.filter(
        letter=OuterRef("pk"), status__in=PaymentInstruction.LIVE_STATUSES
    )
    unresolved = PaymentInstruction.objects.filter(letter=OuterRef("pk"), status=IS.FAILED).exclude(
        Exists(
            PaymentInstruction.objects.filter(reissues=OuterRef("pk")).exclude(status=IS.CANCELLED)
        )
    )
    letters = (
        SanctionLetter.objects.filter(status=SanctionLetter.Status.ISSUED, reversed_by__isnull=True)
        .exclude(Exists(live))
        .exclude(Exists(unresolved))
        .select_related("award__tender", "award__bid__firm", "award__bid__consortium")
        .annotate(paid=Coalesce(Sum("payments__amount"), Value(ZERO)))
        .order_by("dated", "serial")
    )
    firms = {letter.award.bid.firm_id for letter in letters}
    accounts = {
        a.firm_id: a for a in BankAccount.objects.filter(firm_id__in=firms, is_primary=True)
    }
    out = []
    for letter in letters:
        remaining = letter.payable - letter.paid
        if remaining > 0:
            out.append(Candidate(letter, remaining, accounts.get(letter.award.bid.firm_id)))
    return out


def succeeded_total(*, run: PaymentRun | None = None) -> Decimal:
    """What instructions returned as paid sum to (a run's, or all)."""
    query = PaymentInstruction.objects.filter(status=IS.PAID)
    if run is not None:
        query = query.filter(run=run)
    return query.aggregate(total=Sum("amount"))["total"] or ZERO


__all__ = [
    "IMPORTERS",
    "PREPARERS",
    "READERS",
    "RELEASERS",
    "Candidate",
    "can_read",
    "failed_awaiting_reissue",
    "instructions_of",
    "instructions_visible_to",
    "payable_letters",
    "run_for",
    "runs_visible_to",
    "succeeded_total",
]
