"""Demo of payment runs: the last quarter's SLI letters paid through the bank's file, one failure re-issued.

Runs after the SLI and recovery demos and before the money core's summary. The SLI demo leaves
the letters named in its BANK_RUN to this demo instead of paying them by hand. An official
prepares a run over them a week after the last was issued; a second official releases it the
next day; three days later the bank's return file pays all but one, which fails on a frozen
account. The failed instruction is re-issued in a second run, released and paid. What is paid in
the end is what the SLI demo would have paid by hand, a few days later. Idempotent: the runs are
taken on from where they stand.
"""

from __future__ import annotations

import datetime as dt

from beneficiaries.models import User
from incentives.claims.models import Claim
from incentives.models import Pool, SanctionLetter
from incentives.payments import returns, services
from incentives.payments.models import PaymentInstruction, PaymentRun
from incentives.sli.demo import BANK_RUN, MAIN_REFERENCE, PAY_AFTER_DAYS
from incentives.sli.models import QUARTER_CLAIM_TYPE
from repm_portal.demo_clock import DEMO_AS_OF, IST
from repm_portal.money import format_inr

R = PaymentRun.Status
IS = PaymentInstruction.Status
PREPARE_AFTER_DAYS = 7  # after the last letter of the run
FAILING_RANK = 3  # its account is frozen at the bank on the first attempt
FAILURE_REASON = "R17 Beneficiary account frozen pending KYC update"
HEADER = "Instruction ID,UTR No,Amount,Value Date,Status,Reason"  # as the bank names them


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=IST)


def _due(letter: SanctionLetter) -> dt.datetime:
    """When the SLI demo pays a letter by hand (PAY_AFTER_DAYS after it, at 15:30)."""
    paid_on = letter.dated + dt.timedelta(days=PAY_AFTER_DAYS)
    return dt.datetime.combine(paid_on, dt.time(15, 30), tzinfo=IST)


def _letters() -> list[SanctionLetter]:
    letters = SanctionLetter.objects.filter(
        claim_type=QUARTER_CLAIM_TYPE, pool=Pool.SLI, status=SanctionLetter.Status.ISSUED,
        reversed_by__isnull=True, award__tender__reference=MAIN_REFERENCE,
    ).select_related("award")  # fmt: skip
    claims = Claim.objects.in_bulk([int(letter.claim_id) for letter in letters])
    chosen = [
        letter
        for letter in letters
        if (letter.award.rank, claims[int(letter.claim_id)].quarter_label) in BANK_RUN
        # only what the SLI demo would have paid by hand before the demo's date
        and _due(letter) < DEMO_AS_OF
    ]
    return sorted(chosen, key=lambda letter: letter.award.rank)


def _utr(instruction: PaymentInstruction) -> str:
    letter = instruction.letter
    return (
        f"SBIN{letter.financial_year.replace('-', '')}{letter.serial:06d}R{instruction.run.serial}"
    )


def _return_file(run: PaymentRun, failing: set[int], day: dt.date) -> bytes:
    lines = [HEADER]
    for i in run.instructions.select_related("letter", "run").order_by("position"):
        if i.letter.award.rank in failing:
            lines.append(
                f"{i.instruction_id},,{i.amount:.2f},{day:%d-%m-%Y},FAILED,{FAILURE_REASON}"
            )
        else:
            lines.append(f"{i.instruction_id},{_utr(i)},{i.amount:.2f},{day:%d-%m-%Y},SUCCESS,")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _out_and_back(
    run: PaymentRun, *, official: User, second: User, start: dt.datetime, failing: set[int]
) -> None:
    """Release the run the next morning; the bank's return file comes back three days after it."""
    if run.status == R.PREPARED:
        services.release_run(actor=second, run=run, now=start + dt.timedelta(hours=23))
        run.refresh_from_db()
    if run.status == R.RELEASED and not run.return_files.exists():
        back = start + dt.timedelta(days=3, hours=5)
        returns.import_return_file(
            actor=official, run=run,
            data=_return_file(run, failing, (start + dt.timedelta(days=2)).date()),
            filename=f"SBI-CMP-return-{run.reference.replace('/', '-')}.csv", now=back,
        )  # fmt: skip


def seed() -> list[str]:
    letters = _letters()
    if not letters:
        return ["No SLI letter left for the bank's run: no payment run."]
    official = User.objects.get(username="official")
    second = User.objects.filter(username="official2").first()
    if second is None:
        return ["No second official (official2) to release a run: none prepared."]
    start = _at(max(letter.dated for letter in letters) + dt.timedelta(days=PREPARE_AFTER_DAYS), 11)
    if start + dt.timedelta(days=8) >= DEMO_AS_OF:
        return ["The last quarter's letters came too late for a run before the demo's date."]
    first = (
        PaymentRun.objects.filter(instructions__letter__in=letters, instructions__reissues=None)
        .exclude(status=R.CANCELLED)
        .distinct()
        .order_by("pk")
        .first()
    )
    if first is None:
        first = services.prepare_run(actor=official, letters=letters, now=start)
    _out_and_back(first, official=official, second=second, start=start, failing={FAILING_RANK})
    failed = first.instructions.filter(status=IS.FAILED).first()
    again = None
    if failed is not None:
        later = start + dt.timedelta(days=4)
        again = (
            PaymentRun.objects.filter(instructions__reissues=failed)
            .exclude(status=R.CANCELLED)
            .first()
        )
        if again is None:
            again = services.prepare_run(actor=official, reissue=[failed], now=later)
        _out_and_back(again, official=official, second=second, start=later, failing=set())
    lines = []
    for run in (first, again):
        if run is None:
            continue
        run.refresh_from_db()
        done = run.instructions.filter(status=IS.PAID)
        lines.append(
            f"{run.reference}: {run.instruction_count} instruction(s) for {format_inr(run.total)}, "
            f"prepared by {run.prepared_by.username}, released by "
            f"{run.released_by.username if run.released_by else 'nobody yet'}; "
            f"{done.count()} paid, {run.instructions.filter(status=IS.FAILED).count()} failed; "
            f"{run.get_status_display().lower()}"
        )
    if failed is not None:
        reissued = failed.reissued_as.exclude(status=IS.CANCELLED).first()
        lines.append(
            f"{failed.instruction_id} failed ({failed.failure_reason}); re-issued as "
            f"{reissued.instruction_id if reissued else '-'}"
            + (f", paid with UTR {reissued.utr}" if reissued and reissued.status == IS.PAID else "")
        )
    return lines
