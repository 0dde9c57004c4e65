"""Writes of the money core: payments against sanction letters (sanctions go through sanctions.py)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from beneficiaries.models import User
from incentives import ledger, sanctions
from incentives.models import EntryKind, Payment, SanctionLetter
from repm_portal import audit, clock
from repm_portal.money import format_inr, to_money
from repm_portal.roles import Role, require_role

PAYERS = (Role.OFFICIAL, Role.ADMIN)
# NEFT UTRs are 16 characters, RTGS 22, IMPS 12 digits: letters and digits only.
UTR_PATTERN = re.compile(r"^[A-Z0-9]{12,22}$")


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


@transaction.atomic
def record_payment(
    *,
    actor: User,
    letter: SanctionLetter,
    amount: Decimal | str,
    paid_on: dt.date,
    utr: str,
    remarks: str = "",
    now: dt.datetime | None = None,
) -> Payment:
    """Record money released against a sanction letter and post it; paid never exceeds sanctioned."""
    require_role(actor, *PAYERS, action="record a payment")
    now = clock.now(now)
    letter = SanctionLetter.objects.select_for_update().select_related("award").get(pk=letter.pk)
    errors: dict[str, list[str]] = {}
    try:
        amount = to_money(amount)
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise ValidationError(
            {"amount": [f"Give the amount in rupees, e.g. 1250000.00 ({exc})."]}
        ) from None
    utr = (utr or "").strip().upper()
    if letter.status != SanctionLetter.Status.ISSUED:
        _add(
            errors,
            "__all__",
            f"Letter {letter.number} is not issued yet; pay against an issued letter.",
        )
    if SanctionLetter.objects.filter(reverses=letter).exists():
        _add(
            errors,
            "__all__",
            f"Letter {letter.number} was corrected by a later letter; pay against that one.",
        )
    if amount <= 0:
        _add(errors, "amount", "The amount paid must be more than zero.")
    paid = ledger.balance(EntryKind.PAYMENT, letter=letter)
    if amount > 0 and paid + amount > letter.payable:
        netted = (
            f", {format_inr(letter.deducted)} of it netted against deductions"
            if letter.deducted
            else ""
        )
        _add(
            errors,
            "amount",
            f"Paid may never exceed sanctioned: {format_inr(letter.amount)} is sanctioned{netted}, "
            f"{format_inr(paid)} already paid, so at most {format_inr(letter.payable - paid)} can be paid.",
        )
    today = timezone.localdate(now)
    if paid_on > today:
        _add(errors, "paid_on", "The payment date cannot be in the future.")
    if paid_on < letter.dated:
        _add(
            errors, "paid_on", f"The payment cannot precede the sanction ({letter.dated:%d %b %Y})."
        )
    if not UTR_PATTERN.fullmatch(utr):
        _add(errors, "utr", "A UTR is 12 to 22 letters and digits (NEFT 16, RTGS 22).")
    elif Payment.objects.filter(utr=utr).exists():
        _add(errors, "utr", f"UTR {utr} is already recorded against a payment.")
    if errors:
        raise ValidationError(errors)
    entry = ledger.post(
        kind=EntryKind.PAYMENT,
        pool=letter.pool,
        award=letter.award,
        amount=amount,
        source_key=f"payment:utr:{utr}",
        rule_set=letter.rule_set,
        document_ref=f"UTR {utr} against sanction letter {letter.number}",
        narration=f"Payment of {format_inr(amount)} on {paid_on:%d %b %Y} against {letter.number}",
        actor=actor,
        now=now,
        claim_type=letter.claim_type,
        claim_id=letter.claim_id,
        letter=letter,
    )
    if entry is None:
        raise ValidationError({"utr": [f"UTR {utr} is already recorded against a payment."]})
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                letter=letter,
                entry=entry,
                amount=amount,
                paid_on=paid_on,
                utr=utr,
                remarks=remarks.strip(),
                recorded_by=actor,
                recorded_at=now,
            )
    except IntegrityError:
        raise ValidationError(
            {"utr": [f"UTR {utr} is already recorded against a payment."]}
        ) from None
    audit.record(
        actor=actor,
        action="payment.recorded",
        obj=payment,
        new={
            "letter": letter.number,
            "amount": amount,
            "paid_on": paid_on,
            "utr": utr,
            "paid_so_far": paid + amount,
            "sanctioned": letter.amount,
        },
    )
    kind = sanctions.registered(letter.claim_type)
    if kind is not None and kind.on_paid is not None and paid + amount == letter.payable:
        kind.on_paid(letter.claim_id, letter)
    return payment


__all__ = ["PAYERS", "record_payment"]
