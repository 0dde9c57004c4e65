"""Apply the bank's return file for a run: checked whole, then applied in one transaction, or not at all.

Every row is judged before anything changes, and every problem is reported with its row and
column. Then, under the run's lock, a success records the payment through the money core's
`record_payment` (which posts the ledger entry and settles the claim) and a failure keeps the
bank's reason. A row for an instruction already final is refused: a final row never changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from beneficiaries.models import User
from incentives import services as money_services
from incentives.models import Payment
from incentives.payments import reading
from incentives.payments.models import BankReturnFile, PaymentInstruction, PaymentRun
from incentives.payments.selectors import IMPORTERS
from incentives.payments.services import INSTRUCTION_PIPELINE, close_if_returned
from incentives.recovery.models import Repayment
from repm_portal import audit, clock
from repm_portal.money import format_inr
from repm_portal.pipeline import transition
from repm_portal.roles import require_role

ZERO = Decimal("0.00")
IS = PaymentInstruction.Status
SUCCESS, FAILED = "SUCCESS", "FAILED"
STATUS_WORDS = {"SUCCESS": SUCCESS, "SUCCESSFUL": SUCCESS, "PAID": SUCCESS, "FAILED": FAILED,
                "FAILURE": FAILED, "RETURNED": FAILED, "REJECTED": FAILED}  # fmt: skip
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")
AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


@dataclass(frozen=True)
class Problem:
    row: int
    column: str  # the column's name; "" for the whole row or file
    letter: str  # the column's letter in the file
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}"
        if self.column:
            where += f", column {self.letter} ({self.column})"
        return f"{where}: {self.message}"


class ReturnFileRefused(ValidationError):
    """The file was refused whole; `problems` lists every row and column at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__([str(p) for p in problems])
        self.problems = problems


@dataclass(frozen=True)
class Outcome:
    """One row, checked: what it will do to its instruction."""

    row: int
    instruction: PaymentInstruction
    success: bool
    utr: str
    paid_on: dt.date
    amount: Decimal
    reason: str


def _parse_date(text: str) -> dt.date | None:
    for layout in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, layout).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    return None


def _paid_by_letter(letter_ids: set[int]) -> dict[int, Decimal]:
    """What is paid against each letter, in one query."""
    rows = (
        Payment.objects.filter(letter_id__in=letter_ids)
        .values("letter_id")
        .annotate(total=Sum("amount"))
    )
    return {row["letter_id"]: row["total"] for row in rows}


def check_rows(
    table: reading.ReturnTable, *, run: PaymentRun, today: dt.date
) -> tuple[list[Outcome], list[Problem]]:
    """Judge every row against the run's instructions; change nothing."""
    letters = table.letters
    problems: list[Problem] = []

    def fault(row: int, column: str, message: str) -> None:
        problems.append(Problem(row, column, letters.get(column, ""), message))

    ids = {row.cells["instruction_id"].upper() for row in table.rows}
    known = {
        i.instruction_id: i
        for i in PaymentInstruction.objects.filter(instruction_id__in=ids).select_related(
            "run", "letter", "payment"
        )
    }
    utrs = {row.cells["utr"].upper() for row in table.rows if row.cells["utr"]}
    used = set(Payment.objects.filter(utr__in=utrs).values_list("utr", flat=True))
    used |= set(Repayment.objects.filter(utr__in=utrs).values_list("utr", flat=True))
    # A UTR the bank gave with a failed transfer names that transfer, never a later one.
    used |= set(PaymentInstruction.objects.filter(utr__in=utrs).values_list("utr", flat=True))
    paid = _paid_by_letter({i.letter_id for i in known.values()})
    seen_ids: dict[str, int] = {}
    seen_utrs: dict[str, int] = {}
    outcomes: list[Outcome] = []
    released_on = timezone.localdate(run.released_at) if run.released_at else today
    for row in table.rows:
        n, cells = row.number, row.cells
        before = len(problems)
        key = cells["instruction_id"].upper()
        instruction = known.get(key)
        if not key:
            fault(n, "instruction_id", "The instruction id is missing.")
        elif key in seen_ids:
            fault(
                n,
                "instruction_id",
                f"Instruction {key} is given twice (first in row {seen_ids[key]}).",
            )
        elif instruction is None:
            fault(
                n, "instruction_id", f"Unknown instruction {key}: no run of the portal issued it."
            )
        elif instruction.run_id != run.pk:
            fault(
                n, "instruction_id",
                f"Instruction {key} belongs to run {instruction.run.reference}, not {run.reference}.",
            )  # fmt: skip
        elif instruction.is_final:
            done = (
                f"paid (UTR {instruction.utr})"
                if instruction.status == IS.PAID
                else instruction.get_status_display().lower()
            )
            fault(
                n, "instruction_id",
                f"Instruction {key} is already final, {done}: a final row is never changed.",
            )  # fmt: skip
        if key:
            seen_ids.setdefault(key, n)
        word = STATUS_WORDS.get(cells["status"].upper())
        if word is None:
            fault(n, "status", f"Status '{cells['status']}' is neither SUCCESS nor FAILED.")
        amount: Decimal | None = None
        text = cells["amount"].replace(",", "")
        if not AMOUNT.fullmatch(text):
            fault(n, "amount", f"'{cells['amount']}' is not an amount in rupees (e.g. 1250000.00).")
        else:
            try:
                amount = Decimal(text).quantize(Decimal("0.01"))
            except InvalidOperation:
                fault(n, "amount", f"'{cells['amount']}' is not an amount in rupees.")
        if amount is not None and instruction is not None and amount != instruction.amount:
            fault(
                n, "amount",
                f"The bank reports {format_inr(amount)}; instruction {key} was for "
                f"{format_inr(instruction.amount)}.",
            )  # fmt: skip
        paid_on = _parse_date(cells["date"])
        if paid_on is None:
            fault(n, "date", f"'{cells['date']}' is not a date (YYYY-MM-DD or DD-MM-YYYY).")
        elif paid_on > today:
            fault(n, "date", f"{paid_on:%d %b %Y} is in the future.")
        elif paid_on < released_on:
            fault(
                n,
                "date",
                f"{paid_on:%d %b %Y} is before the run was released ({released_on:%d %b %Y}).",
            )
        utr = cells["utr"].upper()
        if word == SUCCESS:
            if not utr:
                fault(n, "utr", "A successful payment needs its UTR.")
            elif not money_services.UTR_PATTERN.fullmatch(utr):
                fault(n, "utr", f"'{cells['utr']}' is not a UTR (12 to 22 letters and digits).")
            elif utr in used:
                fault(n, "utr", f"UTR {utr} is already recorded in the portal.")
            elif utr in seen_utrs:
                fault(
                    n, "utr", f"UTR {utr} is repeated in the file (first in row {seen_utrs[utr]})."
                )
            if utr:
                seen_utrs.setdefault(utr, n)
            if instruction is not None and amount is not None and len(problems) == before:
                left = instruction.letter.payable - paid.get(instruction.letter_id, ZERO)
                if amount > left:
                    fault(
                        n, "amount",
                        f"Letter {instruction.letter.number} has only {format_inr(left)} left to "
                        "pay (paid by hand since the run went out).",
                    )  # fmt: skip
        elif word == FAILED and not cells["reason"]:
            fault(n, "reason", "A failed payment needs the bank's reason.")
        if len(problems) == before and instruction and amount is not None and paid_on and word:
            outcomes.append(
                Outcome(n, instruction, word == SUCCESS, utr, paid_on, amount, cells["reason"])
            )
    return outcomes, problems


@dataclass(frozen=True)
class Applied:
    return_file: BankReturnFile
    succeeded: int
    failed: int
    closed: bool


def import_return_file(
    *,
    actor: User,
    run: PaymentRun,
    data: bytes,
    filename: str,
    now: dt.datetime | None = None,
) -> Applied:
    """Check the whole file, then apply it in one transaction; ReturnFileRefused changes nothing."""
    require_role(actor, *IMPORTERS, action="import a bank's return file")
    now = clock.now(now)
    try:
        table = reading.read_return_file(data, filename)
    except reading.FileRejected as error:
        raise ReturnFileRefused([Problem(1, "", "", error.message)]) from None
    digest = hashlib.sha256(data).hexdigest()
    stored: BankReturnFile | None = None
    try:
        with transaction.atomic():
            run = PaymentRun.objects.select_for_update().get(pk=run.pk)
            if run.status != PaymentRun.Status.RELEASED:
                raise ReturnFileRefused([Problem(1, "", "", (
                    f"{run.reference} is {run.get_status_display().lower()}: a return file is "
                    "taken only for a run released to the bank and not yet closed."))])  # fmt: skip
            list(PaymentInstruction.objects.select_for_update().filter(run=run).order_by("pk"))
            outcomes, problems = check_rows(table, run=run, today=timezone.localdate(now))
            if problems:
                raise ReturnFileRefused(problems)
            succeeded = [o for o in outcomes if o.success]
            stored = BankReturnFile(
                run=run, original_name=(filename or "return")[:300], size=len(data),
                sha256=digest, rows=len(outcomes), succeeded=len(succeeded),
                failed=len(outcomes) - len(succeeded),
                amount_succeeded=sum((o.amount for o in succeeded), start=ZERO),
                uploaded_by=actor, uploaded_at=now,
            )  # fmt: skip
            suffix = PurePath(filename or "").suffix.lower()
            stored.file.save(f"{run.reference.replace('/', '-')}-{digest[:12]}{suffix}",
                             ContentFile(data), save=False)  # fmt: skip
            stored.save()
            for outcome in outcomes:
                _apply(outcome, actor=actor, run=run, stored=stored, now=now)
            closed = close_if_returned(run=run, actor=actor, now=now)
            audit.record(
                actor=actor,
                action="payment_return.applied",
                obj=stored,
                new={
                    "run": run.reference, "sha256": digest, "file": stored.file.name,
                    "rows": stored.rows, "succeeded": stored.succeeded, "failed": stored.failed,
                    "amount_succeeded": stored.amount_succeeded, "run_closed": closed,
                },
            )  # fmt: skip
    except BaseException:
        if stored is not None and stored.file:
            stored.file.storage.delete(stored.file.name)
        raise
    return Applied(stored, stored.succeeded, stored.failed, closed)


def _apply(
    outcome: Outcome, *, actor: User, run: PaymentRun, stored: BankReturnFile, now: dt.datetime
) -> None:
    instruction = outcome.instruction
    label = f"Instruction {instruction.instruction_id}"
    common = {"return_file_id": stored.pk, "returned_at": now, "bank_date": outcome.paid_on}
    if not outcome.success:
        transition(
            instruction, IS.FAILED, pipeline=INSTRUCTION_PIPELINE, actor=actor, now=now,
            label=label, reason=outcome.reason,
            extra={**common, "failure_reason": outcome.reason[:2000], "utr": outcome.utr[:22]},
            audit_new={"row": outcome.row, "sha256": stored.sha256},
        )  # fmt: skip
        return
    try:
        payment = money_services.record_payment(
            actor=actor, letter=instruction.letter, amount=outcome.amount,
            paid_on=outcome.paid_on, utr=outcome.utr,
            remarks=f"Bank return for instruction {instruction.instruction_id} ({run.reference})",
            now=now,
        )  # fmt: skip
    except ValidationError as error:
        raise ReturnFileRefused(
            [Problem(outcome.row, "", "", f"{label}: " + " ".join(error.messages))]
        ) from None
    transition(
        instruction, IS.PAID, pipeline=INSTRUCTION_PIPELINE, actor=actor, now=now, label=label,
        extra={**common, "payment_id": payment.pk, "utr": outcome.utr},
        audit_new={"row": outcome.row, "sha256": stored.sha256},
    )  # fmt: skip


__all__ = ["Applied", "Problem", "ReturnFileRefused", "check_rows", "import_return_file"]
