"""Demo of the SLI money: every approved claim's letter, the annual true-ups, and the payments.

Runs after the claims demo, which leaves its claims approved with their sanction requests. This
plays the scheme's SLI years in date order, so each figure reads the ledger as it stood: each
claim's letter issued through its job two hours after approval (as the worker would), and on
2 July of each year (when the last quarter's window has closed) the daily sweep computing the
year's true-ups, which the approver approves two days later: a balance is sanctioned by letter,
an excess posted as a recovery that the award's next quarter letter nets. Deccan's delay penalty
is netted from its first letter. Payments follow three weeks after each letter, except one letter
left unpaid past the 30-day service level and one paid in part. At the end every sanctioned
figure is replayed (`recompute_claim`), and any difference stops the seed: the demo never prints
a figure it cannot replay. Idempotent: a request already settled, a true-up already approved and a
payment already recorded are left alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from beneficiaries.models import User
from bidding.models import Award
from incentives import ledger, sanctions
from incentives import services as money_services
from incentives.claims.models import Claim
from incentives.models import Pool, SanctionLetter, SanctionRequest
from incentives.sli import selectors
from incentives.sli.models import QUARTER_CLAIM_TYPE, TRUE_UP_CLAIM_TYPE, SliComputation, TrueUp
from incentives.sli.replay import recompute
from incentives.sli.true_up import approve_true_up, compute_due_true_ups
from repm_portal import jobs
from repm_portal.demo_clock import DEMO_AS_OF, IST
from repm_portal.models import Job
from repm_portal.money import format_inr, to_money

MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"
YEARS = ("2028-29", "2029-30", "2030-31")
LETTER_AFTER = dt.timedelta(hours=2)  # the worker issues a letter soon after approval
PAY_AFTER_DAYS = 21
UNPAID = (1, "Q4 FY 2030-31")  # left unpaid: past the 30-day service level by the demo's date
PART_PAID = (4, "Q3 FY 2030-31"), Decimal("0.6")  # one tranche of 60 % so far
# Paid through the bank's file instead of by hand, by the payment runs' demo (incentives/payments).
BANK_RUN = ((2, "Q4 FY 2030-31"), (3, "Q4 FY 2030-31"), (4, "Q4 FY 2030-31"))
T = TrueUp.Status


def _sweep_at(year: str) -> dt.datetime:
    """The daily sweep that finds the year due: 2 July, once the last quarter's 90-day window closed."""
    return dt.datetime(int(year[:4]) + 1, 7, 2, 6, 0, tzinfo=IST)


def _approve_at(year: str) -> dt.datetime:
    return dt.datetime(int(year[:4]) + 1, 7, 4, 11, 0, tzinfo=IST)


def _issue(request: SanctionRequest, at: dt.datetime) -> None:
    """Issue the request's letter through its job, as the worker would; a failure stops the seed."""
    if request.status != SanctionRequest.Status.REQUESTED:
        return
    jobs.run(sanctions.ISSUE_TASK, request.pk, lambda run: sanctions.issue(request.pk, now=at))
    request.refresh_from_db()
    if request.status == SanctionRequest.Status.REQUESTED:
        job = Job.objects.filter(task=sanctions.ISSUE_TASK, target=str(request.pk)).first()
        raise RuntimeError(
            f"Sanction request {request.key} was not issued: {job.last_error if job else 'no job'}"
        )


def _events() -> list[tuple[dt.datetime, str, Any]]:
    """Every step still to take, by date: letters of approved claims, sweeps and approvals of true-ups."""
    events: list[tuple[dt.datetime, str, Any]] = []
    pending = SanctionRequest.objects.filter(
        claim_type=QUARTER_CLAIM_TYPE, status=SanctionRequest.Status.REQUESTED
    )
    claims = Claim.objects.in_bulk([int(r.claim_id) for r in pending])
    for request in pending:
        approved_at = claims[int(request.claim_id)].approved_at
        if approved_at is None:
            raise RuntimeError(f"Sanction request {request.key} names a claim never approved")
        events.append((approved_at + LETTER_AFTER, "letter", request))
    for year in YEARS:
        if _approve_at(year) < DEMO_AS_OF:
            events.append((_sweep_at(year), "sweep", year))
            events.append((_approve_at(year), "approve", year))
    return sorted(events, key=lambda event: (event[0], event[1] != "letter"))


def _play(approver: User) -> None:
    for at, kind, what in _events():
        if kind == "letter":
            _issue(what, at)
        elif kind == "sweep":
            compute_due_true_ups(now=at)
        else:
            for true_up in TrueUp.objects.filter(financial_year=what, status=T.COMPUTED).order_by(
                "pk"
            ):
                approve_true_up(true_up=true_up, actor=approver, now=at)
                request = SanctionRequest.objects.filter(
                    key=f"{TRUE_UP_CLAIM_TYPE}:{true_up.pk}"
                ).first()
                if request is not None:
                    _issue(request, at + LETTER_AFTER)


def _letter_keys() -> dict[int, tuple[int, str]]:
    """(award rank, quarter) of each quarter letter."""
    keys = {}
    letters = SanctionLetter.objects.filter(claim_type=QUARTER_CLAIM_TYPE).select_related("award")
    claims = Claim.objects.in_bulk([int(letter.claim_id) for letter in letters])
    for letter in letters:
        keys[letter.pk] = (letter.award.rank, claims[int(letter.claim_id)].quarter_label)
    return keys


def _utr(letter: SanctionLetter, n: int) -> str:
    return f"UTIB{letter.financial_year.replace('-', '')}{letter.serial:06d}{n}"


def _pay(official: User) -> None:
    keys = _letter_keys()
    letters = SanctionLetter.objects.filter(
        pool=Pool.SLI, status=SanctionLetter.Status.ISSUED, reversed_by__isnull=True
    ).order_by("dated", "serial")
    part_key, part_share = PART_PAID
    for letter in letters:
        key = keys.get(letter.pk)
        if key == UNPAID or key in BANK_RUN or letter.payable == 0:
            continue
        paid_on = letter.dated + dt.timedelta(days=PAY_AFTER_DAYS)
        moment = dt.datetime.combine(paid_on, dt.time(15, 30), tzinfo=IST)
        utr = _utr(letter, 1)
        if moment >= DEMO_AS_OF or letter.payments.filter(utr=utr).exists():
            continue
        share = part_share if key == part_key else Decimal(1)
        money_services.record_payment(
            actor=official, letter=letter, amount=to_money(letter.payable * share),
            paid_on=paid_on, utr=utr, remarks="Released through PFMS", now=moment,
        )  # fmt: skip


def _replay_all() -> int:
    """Replay every sanctioned SLI figure; raise on the first that differs."""
    figures = SliComputation.objects.filter(purpose=SliComputation.Purpose.SANCTION).order_by("pk")
    checked = 0
    for figure in figures:
        ref = str(figure.claim_id) if figure.claim_id else f"true-up:{figure.true_up_id}"
        report = recompute(ref)
        if not report.identical:
            raise RuntimeError(
                f"The SLI figure {ref} does not replay: "
                + "; ".join(str(d) for d in report.differences[:5])
            )
        checked += 1
    return checked


def _true_up_text(true_up: TrueUp) -> str:
    if true_up.status == T.SANCTIONED and true_up.letter is not None:
        return f"{true_up.financial_year} +{format_inr(true_up.letter.amount)} ({true_up.letter.number})"
    if true_up.status == T.RECOVERED:
        netted = (
            SanctionLetter.objects.filter(
                award=true_up.award, pool=Pool.SLI, deducted__gt=0,
                created_at__gt=true_up.settled_at,
            ).order_by("created_at").first()
        )  # fmt: skip
        return f"{true_up.financial_year} -{format_inr(true_up.recovery)} recovered" + (
            f", netted from {netted.number}" if netted else ", to be netted"
        )
    return f"{true_up.financial_year} {true_up.get_status_display().lower()}"


def _award_line(award: Award) -> str:
    sums = ledger.balances(award=award, pool=Pool.SLI)
    cap = selectors.award_cap(award, award.rule_set)
    quarters = SanctionLetter.objects.filter(award=award, claim_type=QUARTER_CLAIM_TYPE)
    first = quarters.order_by("created_at").first()
    true_ups = ", ".join(_true_up_text(t) for t in award.sli_true_ups.order_by("financial_year"))
    share = sums.sanctioned / cap * 100 if cap else Decimal(0)
    line = (
        f"{award.label} {award.bid.bidder_name}: {quarters.count()} quarters sanctioned, "
        f"SLI {format_inr(sums.sanctioned)} of its cap {format_inr(cap)} ({share:.1f} %), "
        f"paid {format_inr(sums.paid)}, deductions netted {format_inr(sums.netted)}"
    )
    if first is not None and first.deducted:
        line += f" ({format_inr(first.deducted)} from its first letter {first.number})"
    return line + f"; true-ups: {true_ups or 'none'}"


def seed() -> list[str]:
    awards = list(
        Award.objects.filter(tender__reference=MAIN_REFERENCE)
        .select_related("bid", "rule_set")
        .order_by("rank")
    )
    if not SanctionRequest.objects.filter(claim_type=QUARTER_CLAIM_TYPE).exists():
        return ["No sales claim approved yet (the claims demo approves them): no SLI."]
    approver = User.objects.get(username="approver")
    official = User.objects.get(username="official")
    _play(approver)
    _pay(official)
    checked = _replay_all()
    lines = [_award_line(award) for award in awards]
    keys = {v: k for k, v in _letter_keys().items()}
    unpaid = SanctionLetter.objects.filter(pk=keys[UNPAID]).first() if UNPAID in keys else None
    part = (
        SanctionLetter.objects.filter(pk=keys[PART_PAID[0]]).first()
        if PART_PAID[0] in keys
        else None
    )
    if unpaid is not None:
        lines.append(
            f"Unpaid past the 30-day service level: {unpaid.number} "
            f"({(DEMO_AS_OF.date() - unpaid.dated).days} days); part-paid: "
            + (f"{part.number} ({PART_PAID[1] * 100:.0f} %)" if part else "none")
        )
    lines.append(
        f"{SanctionLetter.objects.filter(pool=Pool.SLI).count()} SLI letters; "
        f"{checked} sanctioned figures replayed by recompute_claim, every one identical"
    )
    return lines
