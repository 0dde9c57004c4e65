"""Demo of a recovery: the last-ranked winner exits the scheme and refunds what it was paid.

Runs after the SLI demo. L5 Vidarbha notifies its exit on 1 Jul 2030 (FY 2030-31), after its
FY 2029-30 true-up; the claims demo files nothing for it after that date. An official proposes
the recovery of every rupee paid to it (capital subsidy and SLI) with interest at the rule set's
rate; a second official confirms it, which posts it to the ledger and invokes its performance
bank guarantee through the guarantee's lifecycle; the bank's remittance of the guarantee is
recorded as a repayment with its UTR, so part of the recovery is repaid and the rest outstanding.
Its freed capacity is what the open re-tender offers. Idempotent: taken on from where it stands.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from beneficiaries.models import User
from bidding.models import Award, Tender
from incentives.models import Pool
from incentives.recovery import selectors, services
from incentives.recovery.models import Grounds, Recovery
from repm_portal.demo_clock import IST
from repm_portal.money import format_inr

MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"
RETENDER_REFERENCE = "MHI/REPM/GTE/2026/02"
EXITING_RANK = 5
EXIT_ON = dt.date(2030, 7, 1)
# Interest runs to the day the recovery is proposed; it is confirmed a week later.
PROPOSED_AT = dt.datetime(2030, 8, 14, 11, 0, tzinfo=IST)
CONFIRMED_AT = dt.datetime(2030, 8, 21, 15, 0, tzinfo=IST)
REMITTED_ON = dt.date(2030, 9, 4)  # the bank pays the invoked guarantee
REMITTANCE_UTR = "BKIDR52030090400000001"


def _reason(award: Award) -> str:
    return (
        f"{award.bid.bidder_name} notified on {EXIT_ON:%d %b %Y} that it exits the scheme and "
        "will sell its Butibori plant; under the scheme it refunds what it was paid, with interest."
    )


def seed() -> list[str]:
    award = (
        Award.objects.filter(tender__reference=MAIN_REFERENCE, rank=EXITING_RANK)
        .select_related("bid", "tender")
        .first()
    )
    if award is None:
        return ["No award to exit: no recovery."]
    official = User.objects.get(username="official")
    second = User.objects.filter(username="official2").first()
    if second is None:
        return ["No second official (official2) to confirm a recovery: none proposed."]
    recovery = award.recoveries.exclude(status=Recovery.Status.WITHDRAWN).first()
    if recovery is None:
        if not selectors.payments_of(award, [Pool.SLI, Pool.CAPITAL_SUBSIDY]).exists():
            return [f"{award.label} was paid nothing: no recovery."]
        recovery = services.propose_recovery(
            actor=official, award=award, grounds=Grounds.EXIT, reason=_reason(award),
            pools=[Pool.SLI, Pool.CAPITAL_SUBSIDY], as_of=PROPOSED_AT.date(),
            invoke_guarantee=True, now=PROPOSED_AT,
        )  # fmt: skip
    if recovery.status == Recovery.Status.PROPOSED:
        recovery = services.confirm_recovery(actor=second, recovery=recovery, now=CONFIRMED_AT)
    recovery.refresh_from_db()
    if recovery.status == Recovery.Status.CONFIRMED and not recovery.repayments.exists():
        services.record_repayment(
            actor=official, recovery=recovery, amount=recovery.guarantee_invoked,
            paid_on=REMITTED_ON, utr=REMITTANCE_UTR,
            now=dt.datetime.combine(REMITTED_ON, dt.time(16), tzinfo=IST),
        )  # fmt: skip
        recovery.refresh_from_db()
    repaid = selectors.repaid(recovery)
    lines = [
        f"{award.label} {award.bid.bidder_name} exits on {EXIT_ON:%d %b %Y} (no claim after it): "
        f"recovery {recovery.pk} of {format_inr(recovery.principal)} paid (capital subsidy and "
        f"SLI) + {format_inr(recovery.interest)} interest at {recovery.interest_pct.normalize()} % "
        f"to {recovery.as_of:%d %b %Y} = {format_inr(recovery.total)}, proposed by "
        f"{recovery.proposed_by.username}, confirmed by {recovery.confirmed_by.username}",
        f"  guarantee {recovery.guarantee.guarantee_number} ({recovery.guarantee.bank_name}) "
        f"invoked for {format_inr(recovery.guarantee_invoked)}; {format_inr(repaid)} repaid "
        f"(UTR {REMITTANCE_UTR}), {format_inr(recovery.total - repaid)} outstanding",
    ]
    retender = Tender.objects.filter(reference=RETENDER_REFERENCE).first()
    if retender is not None:
        lines.append(
            f"  its {award.allocated_mtpa:,} MTPA freed: re-offered by {retender.reference}, "
            f"{retender.capacity_mtpa:,} MTPA, open for bids until "
            f"{timezone.localtime(retender.bids_due):%d %b %Y %H:%M} IST"
        )
    return lines
