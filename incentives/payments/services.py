"""Writes of payment runs: prepare (one official), release (a second), cancel before release.

The bank's return file is applied by `returns.py`; a success there records the payment through the
money core's `record_payment`, so the ledger is posted in one place only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from beneficiaries.bank_accounts import payout_account
from beneficiaries.models import BankAccount, User
from incentives.models import LetterSeries, Pool, SanctionLetter
from incentives.payments.models import RUN_SERIES_PREFIX, PaymentInstruction, PaymentRun
from incentives.payments.selectors import PREPARERS, RELEASERS
from repm_portal import audit, clock
from repm_portal.fiscal import FinancialYear
from repm_portal.money import format_inr
from repm_portal.pipeline import transition
from repm_portal.roles import require_role
from repm_portal.text import clean_reason

ZERO = Decimal("0.00")
R = PaymentRun.Status
IS = PaymentInstruction.Status

RUN_PIPELINE: dict[str, set[str]] = {
    R.PREPARED: {R.RELEASED, R.CANCELLED},
    R.RELEASED: {R.CLOSED},
}
INSTRUCTION_PIPELINE: dict[str, set[str]] = {
    IS.PENDING: {IS.SENT, IS.CANCELLED},
    IS.SENT: {IS.PAID, IS.FAILED},
}
# Instruction ids give a line three digits (instruction_id()), so a run holds at most 999.
MAX_INSTRUCTIONS = 999
POOL_SHORT: dict[str, str] = {Pool.SLI: "SLI", Pool.CAPITAL_SUBSIDY: "CAPSUB"}


def _year_label(day: dt.date) -> str:
    year = FinancialYear.for_date(day)
    return f"{year.start_year}-{(year.start_year + 1) % 100:02d}"


def _next_run_number(day: dt.date) -> tuple[LetterSeries, int, str, str]:
    """The year's next run number, its series row locked so a rollback leaves no gap."""
    label = _year_label(day)
    series, _ = LetterSeries.objects.get_or_create(prefix=RUN_SERIES_PREFIX, financial_year=label)
    series = LetterSeries.objects.select_for_update().get(pk=series.pk)
    series.last_serial += 1
    series.save(update_fields=["last_serial"])
    return (
        series,
        series.last_serial,
        label,
        f"{RUN_SERIES_PREFIX}/{label}/{series.last_serial:04d}",
    )


def instruction_id(label: str, serial: int, position: int) -> str:
    """Letters and digits only, as every bank's file takes: RP + year + run + line (RP31320001001)."""
    return f"RP{label[2:4]}{label[5:7]}{serial:04d}{position:03d}"


def _paid(letter: SanctionLetter) -> Decimal:
    return letter.payments.aggregate(total=Sum("amount"))["total"] or ZERO


def _letter_problem(letter: SanctionLetter) -> str:
    if letter.status != SanctionLetter.Status.ISSUED:
        return gettext("Letter %(number)s is not issued yet.") % {"number": letter.number}
    if SanctionLetter.objects.filter(reverses=letter).exists():
        return gettext("Letter %(number)s was corrected by a later letter; pay that one.") % {
            "number": letter.number
        }
    return ""


def _primary_account(letter: SanctionLetter) -> BankAccount | None:
    # The one rule for where money goes: the firm's verified payout account.
    return payout_account(letter.award.bid.firm)


def _no_account(letter: SanctionLetter) -> str:
    firm = letter.award.bid.firm
    return gettext(
        "Letter %(number)s: %(firm)s has no primary bank account on record; "
        "add one on the firm's page before it can be paid."
    ) % {"number": letter.number, "firm": firm.legal_name}


def _narration(letter: SanctionLetter) -> str:
    """What the beneficiary's statement shows: the scheme, the pool and the letter paid."""
    return f"REPM {POOL_SHORT.get(letter.pool, letter.pool.upper())} {letter.number}"[:140]


def _instruction_snapshot(instruction: PaymentInstruction) -> dict[str, Any]:
    return audit.snapshot(
        instruction,
        [
            "instruction_id", "run_id", "position", "letter_id", "bank_account_id",
            "beneficiary_name", "account_holder", "account_number", "ifsc", "amount",
            "narration", "reissues_id", "status",
        ],
    )  # fmt: skip


@transaction.atomic
def prepare_run(
    *,
    actor: User,
    letters: Iterable[SanctionLetter] = (),
    reissue: Iterable[PaymentInstruction] = (),
    now: dt.datetime | None = None,
) -> PaymentRun:
    """A run of one instruction per letter for what is left to pay, and one per failed instruction re-issued.

    All or nothing: a letter that cannot be paid (not issued, corrected, nothing left, already in a
    live instruction, a failure awaiting re-issue, no bank account) refuses the run with its reason.
    """
    require_role(actor, *PREPARERS, action="prepare a payment run")
    now = clock.now(now)
    letter_ids = sorted({letter.pk for letter in letters})
    reissue_ids = sorted({instruction.pk for instruction in reissue})
    if not letter_ids and not reissue_ids:
        raise ValidationError(
            gettext("Choose at least one letter to pay or failed instruction to re-issue.")
        )
    failed = list(
        PaymentInstruction.objects.select_for_update(of=("self",))
        .filter(pk__in=reissue_ids)
        .select_related("letter__award__bid__firm", "letter__award__bid__consortium")
        .order_by("pk")
    )
    if len(failed) != len(reissue_ids):
        raise ValidationError(gettext("A chosen instruction no longer exists."))
    every_letter = sorted(set(letter_ids) | {f.letter_id for f in failed})
    locked = {
        letter.pk: letter
        for letter in SanctionLetter.objects.select_for_update(of=("self",))
        .filter(pk__in=every_letter)
        .select_related("award__bid__firm", "award__bid__consortium")
        .order_by("pk")
    }
    problems: list[str] = []
    plan: list[tuple[SanctionLetter, Decimal, BankAccount, PaymentInstruction | None]] = []
    reissued_letters = {f.letter_id for f in failed}
    for pk in letter_ids:
        letter = locked[pk]
        if pk in reissued_letters:
            problems.append(
                gettext("Letter %(number)s is chosen twice: as a letter and as a re-issue.")
                % {"number": letter.number}
            )
            continue
        problem = _letter_problem(letter)
        live = letter.payment_instructions.filter(
            status__in=PaymentInstruction.LIVE_STATUSES
        ).first()
        waiting = (
            letter.payment_instructions.filter(status=IS.FAILED)
            .exclude(reissued_as__status__in=[IS.PENDING, IS.SENT, IS.PAID, IS.FAILED])
            .first()
        )
        remaining = letter.payable - _paid(letter)
        account = _primary_account(letter)
        if problem:
            problems.append(problem)
        elif live is not None:
            problems.append(
                gettext("Letter %(number)s is already in instruction %(id)s (%(status)s).")
                % {
                    "number": letter.number,
                    "id": live.instruction_id,
                    "status": gettext(live.get_status_display()).lower(),
                }
            )
        elif waiting is not None:
            problems.append(
                gettext(
                    "Letter %(number)s: instruction %(id)s failed (%(reason)s); "
                    "re-issue it rather than paying the letter afresh."
                )
                % {
                    "number": letter.number,
                    "id": waiting.instruction_id,
                    "reason": waiting.failure_reason,
                }
            )
        elif remaining <= 0:
            problems.append(
                gettext("Letter %(number)s has nothing left to pay.") % {"number": letter.number}
            )
        elif account is None:
            problems.append(_no_account(letter))
        else:
            plan.append((letter, remaining, account, None))
    for old in failed:
        letter = locked[old.letter_id]
        problem = _letter_problem(letter)
        remaining = letter.payable - _paid(letter)
        account = _primary_account(letter)
        already = old.reissued_as.exclude(status=IS.CANCELLED).first()
        if old.status != IS.FAILED:
            problems.append(
                gettext("Instruction %(id)s is %(status)s; only a failed instruction is re-issued.")
                % {"id": old.instruction_id, "status": gettext(old.get_status_display()).lower()}
            )
        elif already is not None:
            problems.append(
                gettext("Instruction %(id)s is already re-issued as %(new)s.")
                % {"id": old.instruction_id, "new": already.instruction_id}
            )
        elif problem:
            problems.append(problem)
        elif letter.payment_instructions.filter(
            status__in=PaymentInstruction.LIVE_STATUSES
        ).exists():
            problems.append(
                gettext("Letter %(number)s is already in a live instruction.")
                % {"number": letter.number}
            )
        elif remaining <= 0:
            problems.append(
                gettext("Instruction %(id)s: letter %(number)s has nothing left to pay.")
                % {"id": old.instruction_id, "number": letter.number}
            )
        elif account is None:
            problems.append(_no_account(letter))
        else:
            plan.append((letter, min(old.amount, remaining), account, old))
    if len(plan) > MAX_INSTRUCTIONS:
        problems.append(
            gettext(
                "A run holds at most %(max)s instructions; %(n)s are chosen. "
                "Split them over two runs."
            )
            % {"max": MAX_INSTRUCTIONS, "n": len(plan)}
        )
    if problems:
        raise ValidationError(problems)
    series, serial, label, reference = _next_run_number(timezone.localdate(now))
    total = sum((amount for _, amount, _, _ in plan), start=ZERO)
    run = PaymentRun.objects.create(
        reference=reference, series=series, serial=serial, financial_year=label,
        status=R.PREPARED, total=total, instruction_count=len(plan), prepared_by=actor,
        prepared_at=now,
    )  # fmt: skip
    made = []
    for position, (letter, amount, account, earlier) in enumerate(plan, start=1):
        instruction = PaymentInstruction.objects.create(
            instruction_id=instruction_id(label, serial, position),
            run=run,
            position=position,
            letter=letter,
            bank_account=account,
            beneficiary_name=letter.award.bid.bidder_name[:300],
            account_holder=account.account_holder,
            account_number=account.account_number,
            ifsc=account.ifsc,
            bank_name=account.bank_name,
            amount=amount,
            narration=_narration(letter),
            reissues=earlier,
            status=IS.PENDING,
        )
        audit.record(
            actor=actor,
            action="payment_instruction.reissued" if earlier else "payment_instruction.prepared",
            obj=instruction,
            new={
                **_instruction_snapshot(instruction),
                "reissues": earlier.instruction_id if earlier else "",
            },
        )
        made.append(instruction)
    audit.record(
        actor=actor,
        action="payment_run.prepared",
        obj=run,
        new={
            "reference": run.reference,
            "status": run.status,
            "total": total,
            "instructions": [i.instruction_id for i in made],
            "reissues": [old.instruction_id for old in failed],
        },
    )
    return run


def _lock_run(run: PaymentRun) -> PaymentRun:
    return PaymentRun.objects.select_for_update().get(pk=run.pk)


@transaction.atomic
def release_run(*, actor: User, run: PaymentRun, now: dt.datetime | None = None) -> PaymentRun:
    """A second official releases the run to the bank; only then may its advice be downloaded."""
    require_role(actor, *RELEASERS, action="release a payment run")
    now = clock.now(now)
    run = _lock_run(run)
    if run.prepared_by_id == actor.pk:
        raise PermissionDenied(
            gettext("You prepared %(reference)s; a second official must release it.")
            % {"reference": run.reference}
        )
    instructions = list(
        PaymentInstruction.objects.select_for_update().filter(run=run).order_by("pk")
    )
    problems = []
    for instruction in instructions:
        letter = SanctionLetter.objects.get(pk=instruction.letter_id)
        problem = _letter_problem(letter)
        left = letter.payable - _paid(letter)
        if problem:
            problems.append(f"{instruction.instruction_id}: {problem}")
        elif instruction.amount > left:
            problems.append(
                gettext(
                    "%(id)s: letter %(number)s has been paid since the run was prepared; "
                    "only %(left)s is left, not %(amount)s. Cancel this run and prepare another."
                )
                % {
                    "id": instruction.instruction_id,
                    "number": letter.number,
                    "left": format_inr(left),
                    "amount": format_inr(instruction.amount),
                }
            )
    if problems:
        raise ValidationError(problems)
    label = f"Payment run {run.reference}"
    transition(
        run, R.RELEASED, pipeline=RUN_PIPELINE, actor=actor, now=now, label=label,
        extra={"released_by_id": actor.pk, "released_at": now},
        audit_new={"prepared_by": run.prepared_by_id},
    )  # fmt: skip
    for instruction in instructions:
        transition(
            instruction, IS.SENT, pipeline=INSTRUCTION_PIPELINE, actor=actor, now=now,
            label=f"Instruction {instruction.instruction_id}",
            audit_new={"run": run.reference, "amount": instruction.amount},
        )  # fmt: skip
    return run


@transaction.atomic
def cancel_run(
    *, actor: User, run: PaymentRun, reason: str, now: dt.datetime | None = None
) -> PaymentRun:
    """Cancel a run before its release; its letters (and re-issued failures) are free to pay again."""
    require_role(actor, *PREPARERS, action="cancel a payment run")
    now = clock.now(now)
    reason = clean_reason(reason, what="reason the run is cancelled")
    run = _lock_run(run)
    transition(
        run, R.CANCELLED, pipeline=RUN_PIPELINE, actor=actor, now=now,
        label=f"Payment run {run.reference}", reason=reason,
        extra={"cancelled_by_id": actor.pk, "cancelled_at": now, "cancel_reason": reason},
    )  # fmt: skip
    for instruction in (
        PaymentInstruction.objects.select_for_update().filter(run=run).order_by("pk")
    ):
        transition(
            instruction, IS.CANCELLED, pipeline=INSTRUCTION_PIPELINE, actor=actor, now=now,
            label=f"Instruction {instruction.instruction_id}", reason=reason,
        )  # fmt: skip
    return run


def close_if_returned(*, run: PaymentRun, actor: User, now: dt.datetime) -> bool:
    """Close a released run once the bank has returned every instruction (in the caller's transaction)."""
    if run.status != R.RELEASED:
        return False
    if PaymentInstruction.objects.filter(
        run=run, status__in=PaymentInstruction.LIVE_STATUSES
    ).exists():
        return False
    transition(
        run, R.CLOSED, pipeline=RUN_PIPELINE, actor=actor, now=now,
        label=f"Payment run {run.reference}", extra={"closed_at": now},
    )  # fmt: skip
    return True


@transaction.atomic
def record_advice_download(*, actor: User, run: PaymentRun, file_format: str) -> None:
    """Who took the advice file, and when: the audit trail shows every copy handed out."""
    require_role(actor, *RELEASERS, action="download a payment advice")
    if not run.advice_ready:
        raise PermissionDenied(
            gettext(
                "%(reference)s is %(status)s: its advice is handed to the "
                "bank only once a second official has released it."
            )
            % {"reference": run.reference, "status": gettext(run.get_status_display()).lower()}
        )
    audit.record(
        actor=actor,
        action="payment_run.advice_downloaded",
        obj=run,
        new={"format": file_format, "instructions": run.instruction_count, "total": run.total},
    )


__all__ = [
    "INSTRUCTION_PIPELINE",
    "RUN_PIPELINE",
    "cancel_run",
    "close_if_returned",
    "instruction_id",
    "prepare_run",
    "record_advice_download",
    "release_run",
]
