"""Reads of recoveries, scoped per user: officials and auditors read all, a firm its own, others nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from bidding.models import Award, PerformanceBankGuarantee
from incentives import ledger
from incentives.models import EntryKind, LedgerEntry, Payment
from incentives.recovery.models import Recovery, Repayment
from repm_portal import scoping
from repm_portal.money import format_inr
from repm_portal.roles import AnyUser, Role, has_role

ZERO = Decimal("0.00")
# Who acts on recoveries (propose, confirm, withdraw, record a repayment): the ministry's officials.
OFFICERS = (Role.OFFICIAL, Role.ADMIN)
# Who reads every recovery: the officers and the auditors. Other staff see none.
READERS = (*OFFICERS, Role.AUDITOR)

Status = Recovery.Status


def recoveries_visible_to(user: AnyUser) -> QuerySet[Recovery]:
    base = Recovery.objects.select_related(
        "award__tender",
        "award__bid__firm",
        "award__bid__consortium",
        "rule_set",
        "proposed_by",
        "confirmed_by",
        "withdrawn_by",
        "entry",
        "guarantee",
    )
    if has_role(user, *READERS):
        return base
    if has_role(user, Role.FIRM_USER) and user.firm_id:
        # The lead firm, and a consortium's other members, who answer for the award with it.
        return base.filter(
            Q(award__bid__firm_id=user.firm_id) | Q(award__bid__participants__firm_id=user.firm_id)
        ).distinct()
    return base.none()


def recovery_for(user: AnyUser, recovery_id: int) -> Recovery | None:
    """The recovery if the user may see it, else None (the caller answers 404)."""
    return recoveries_visible_to(user).filter(pk=recovery_id).first()


def awards_for_recovery(user: AnyUser) -> QuerySet[Award]:
    """Awards that have been paid something and have no live recovery: what an officer may propose on."""
    if not has_role(user, *OFFICERS):
        return Award.objects.none()
    return (
        Award.objects.filter(sanction_letters__payments__isnull=False)
        .exclude(recoveries__status__in=Recovery.LIVE_STATUSES)
        .select_related("tender", "bid__firm")
        .distinct()
        .order_by("tender__reference", "rank")
    )


def award_for_recovery(user: AnyUser, award_id: int) -> Award | None:
    return awards_for_recovery(user).filter(pk=award_id).first()


def payments_of(award: Award, pools: list[str]) -> QuerySet[Payment]:
    """What was paid to the award in the pools, oldest first: the principal a recovery asks back."""
    return (
        Payment.objects.filter(letter__award=award, letter__pool__in=pools)
        .select_related("letter")
        .order_by("paid_on", "id")
    )


def active_guarantee(award: Award) -> PerformanceBankGuarantee | None:
    return PerformanceBankGuarantee.objects.filter(
        award=award, status=PerformanceBankGuarantee.Status.ACTIVE
    ).first()


def repaid(recovery: Recovery) -> Decimal:
    return recovery.repayments.aggregate(total=Sum("amount"))["total"] or ZERO


def outstanding(recovery: Recovery) -> Decimal:
    """What of a confirmed recovery is still owed: what is left of its total after its repayments,
    and never more than the award's recoveries not yet netted (later payouts net them too)."""
    if recovery.status != Status.CONFIRMED:
        return ZERO
    award_owes = ledger.outstanding_deductions(recovery.award)[EntryKind.RECOVERY]
    return max(ZERO, min(recovery.total - repaid(recovery), award_owes))


def repayments_of(recovery: Recovery) -> QuerySet[Repayment]:
    return recovery.repayments.select_related("recorded_by", "entry").order_by("paid_on", "id")


def entries_of(recovery: Recovery) -> QuerySet[LedgerEntry]:
    """The award's recovery account: the entry posted, repayments and payouts netted against it."""
    if recovery.entry_id is None:
        return LedgerEntry.objects.none()
    return (
        LedgerEntry.objects.filter(award_id=recovery.award_id, account=EntryKind.RECOVERY)
        .select_related("letter")
        .order_by("posted_at", "id")
    )


@dataclass(frozen=True)
class Position:
    """A recovery's money as it stands."""

    total: Decimal
    repaid: Decimal
    outstanding: Decimal

    @property
    def netted_from_payouts(self) -> Decimal:
        return max(ZERO, self.total - self.repaid - self.outstanding)


def position(recovery: Recovery) -> Position | None:
    if recovery.status in (Status.PROPOSED, Status.WITHDRAWN):
        return None
    back = repaid(recovery)
    return Position(total=recovery.total, repaid=back, outstanding=outstanding(recovery))


def awaiting_confirmation(user: AnyUser) -> QuerySet[Recovery]:
    """Proposed recoveries another officer may confirm (never the proposer's own)."""
    if not has_role(user, *OFFICERS):
        return Recovery.objects.none()
    return (
        recoveries_visible_to(user)
        .filter(status=Status.PROPOSED)
        .exclude(proposed_by=user)
        .order_by("proposed_at", "id")
    )


def _sum_of(query: QuerySet, by: str) -> Coalesce:
    """A correlated subquery summing `amount` over `query` (grouped by its correlated `by`), or zero."""
    money: DecimalField = DecimalField(max_digits=18, decimal_places=2)
    summed = query.order_by().values(by).annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(summed, output_field=money), Value(ZERO), output_field=money)


def with_outstanding(query: QuerySet[Recovery]) -> QuerySet[Recovery]:
    """The recoveries each with `outstanding_now` (as `outstanding()` reads it of a confirmed one)."""
    money: DecimalField = DecimalField(max_digits=18, decimal_places=2)
    repaid_sum = _sum_of(Repayment.objects.filter(recovery=OuterRef("pk")), "recovery")
    award_owes = _sum_of(
        LedgerEntry.objects.filter(award=OuterRef("award_id"), account=EntryKind.RECOVERY), "award"
    )
    return query.annotate(
        outstanding_now=Greatest(
            Value(ZERO),
            Least(F("total") - repaid_sum, award_owes),
            output_field=money,
        )
    )


def confirmed(user: AnyUser) -> QuerySet[Recovery]:
    """Confirmed recoveries with what is `outstanding` of each (as `outstanding()` reads it), in one query."""
    return with_outstanding(recoveries_visible_to(user).filter(status=Status.CONFIRMED)).order_by(
        "confirmed_at", "id"
    )


def recovery_pending(award: Award, today: dt.date) -> str:
    """An obligation check for the award's guarantee: a recovery proposed and not yet decided.

    Once confirmed, the recovery is a ledger entry and `ledger.deductions_outstanding` keeps the
    guarantee until it is netted or repaid.
    """
    pending = Recovery.objects.filter(award=award, status=Status.PROPOSED).first()
    if pending is None:
        return ""
    return (
        f"Recovery {pending.pk} of {format_inr(pending.total)} is proposed and awaits a second "
        "official's confirmation."
    )


__all__ = [
    "OFFICERS",
    "READERS",
    "Position",
    "active_guarantee",
    "awaiting_confirmation",
    "award_for_recovery",
    "awards_for_recovery",
    "confirmed",
    "entries_of",
    "outstanding",
    "payments_of",
    "position",
    "recoveries_visible_to",
    "recovery_for",
    "recovery_pending",
    "repaid",
    "repayments_of",
]


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(Recovery, recoveries_visible_to)
