"""Reads of the money core, scoped per user: a firm sees only its own letters, entries and payments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from bidding.models import BidParticipant
from incentives import ledger
from incentives.models import LedgerEntry, Payment, Pool, SanctionLetter
from repm_portal import request_memo, scoping
from repm_portal.models import RuleSet
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role
from repm_portal.selectors import rule_set_in_force

ZERO = Decimal("0.00")


def _firm_filter(user: AnyUser, path: str) -> Q | None:
    """None: everything; Q(pk__in=[]) for nobody."""
    if has_role(user, *READ_ALL_ROLES):
        return None
    if has_role(user, Role.FIRM_USER) and user.firm_id:
        return Q(**{path: user.firm_id})
    return Q(pk__in=[])


# A letter's payments, one group: its total and last date, as subqueries of the letter list.
_payments = Payment.objects.filter(letter=OuterRef("pk")).order_by().values("letter")


# What a letter or ledger row names: its award's tender and bidder, and its rule set.
AWARD_AND_RULES = ("award__tender", "award__bid__firm", "award__bid__consortium", "rule_set")


def letters_visible_to(user: AnyUser) -> QuerySet[SanctionLetter]:
    # The award's chain and the rule set joined; the correcting letters a list shows are read
    # apart (`with_corrections`): nine tables joined took longer to plan than to run.
    query = SanctionLetter.objects.select_related(*AWARD_AND_RULES).annotate(
        # Subqueries, not a join and GROUP BY over every selected column of six tables.
        paid=Coalesce(
            Subquery(_payments.annotate(total=Sum("amount")).values("total")),
            Value(ZERO),
            output_field=DecimalField(max_digits=16, decimal_places=2),
        ),
        last_paid_on=Subquery(_payments.annotate(last=Max("paid_on")).values("last")),
    )
    scope = _firm_filter(user, "award__bid__firm_id")
    if scope is not None and has_role(user, Role.FIRM_USER) and user.firm_id:
        # A consortium's members share its award (bidding.selectors.awards_visible_to) and read
        # its claims, so they read its letters too; only the lead is paid. A subquery, not a
        # join: a join on the members would count each payment once per member in `paid`.
        member_of = BidParticipant.objects.filter(firm_id=user.firm_id).values("bid_id")
        scope |= Q(award__bid__in=member_of)
    return query if scope is None else query.filter(scope)


def with_corrections(letters: QuerySet[SanctionLetter]) -> QuerySet[SanctionLetter]:
    """The letters with the letter each corrects and the one correcting it (their numbers)."""
    return letters.prefetch_related(
        Prefetch("reverses", queryset=SanctionLetter.objects.only("pk", "number")),
        Prefetch("reversed_by", queryset=SanctionLetter.objects.only("pk", "number", "reverses")),
    )


def entries_visible_to(user: AnyUser) -> QuerySet[LedgerEntry]:
    query = LedgerEntry.objects.select_related(
        "award__tender",
        "award__bid__firm",
        "award__bid__consortium",
        "letter",
        "rule_set",
        "posted_by",
    )
    scope = _firm_filter(user, "award__bid__firm_id")
    return query if scope is None else query.filter(scope)


def payments_visible_to(user: AnyUser) -> QuerySet[Payment]:
    query = Payment.objects.select_related("letter__award__bid__firm", "recorded_by")
    scope = _firm_filter(user, "letter__award__bid__firm_id")
    return query if scope is None else query.filter(scope)


@dataclass(frozen=True)
class PaymentPosition:
    """Where a letter stands against the payment service level."""

    sanctioned: Decimal
    paid: Decimal
    days: int  # days from sanction to full payment, or to today while anything is pending
    sla_days: int
    settled_on: dt.date | None
    deducted: Decimal = Decimal("0.00")  # penalties and recoveries netted from the payout

    @property
    def payable(self) -> Decimal:
        return self.sanctioned - self.deducted

    @property
    def pending(self) -> Decimal:
        return self.payable - self.paid

    @property
    def overdue(self) -> bool:
        return self.pending > 0 and self.days > self.sla_days

    @property
    def days_left(self) -> int:
        return self.sla_days - self.days

    @property
    def state(self) -> str:
        if self.sanctioned == 0:
            return "nil"
        if self.pending <= 0:
            return "paid"
        return "overdue" if self.overdue else ("part-paid" if self.paid > 0 else "pending")


def payment_position(letter: SanctionLetter, *, today: dt.date | None = None) -> PaymentPosition:
    """Sanctioned, paid and pending for one letter, with the days elapsed against the service level."""
    today = today or timezone.localdate()
    paid = getattr(letter, "paid", None)
    if paid is None:
        paid = letter.payments.aggregate(total=Sum("amount"))["total"] or ZERO
    last = getattr(letter, "last_paid_on", None)
    if last is None and paid:
        last = letter.payments.aggregate(last=Max("paid_on"))["last"]
    settled = last if paid >= letter.payable and letter.payable > 0 else None
    if letter.payable == 0 and letter.amount > 0:  # all of it netted: settled on issue
        settled = letter.dated
    end = settled or today
    return PaymentPosition(
        sanctioned=letter.amount,
        deducted=letter.deducted,
        paid=paid,
        days=max(0, (end - letter.dated).days),
        sla_days=letter.rule_set.payment_sla_days,
        settled_on=settled,
    )


@dataclass(frozen=True)
class PoolPosition:
    pool: str
    label: str
    limit: Decimal
    balances: ledger.Balances

    @property
    def headroom(self) -> Decimal:
        return self.limit - self.balances.sanctioned

    @property
    def used_pct(self) -> Decimal:
        if not self.limit:
            return ZERO
        return (self.balances.sanctioned * 100 / self.limit).quantize(Decimal("0.01"))


@request_memo.memoized
def pool_positions(rule_set: RuleSet | None = None) -> list[PoolPosition]:
    """Each pool's limit (from the rule set in force), what is sanctioned, paid and left."""
    rule_set = rule_set or rule_set_in_force(on=timezone.localdate())
    return [
        PoolPosition(
            pool=pool.value,
            label=pool.label,
            limit=ledger.pool_limit(rule_set, pool.value),
            balances=ledger.balances(pool=pool.value),
        )
        for pool in Pool
    ]


__all__ = [
    "AWARD_AND_RULES",
    "PaymentPosition",
    "PoolPosition",
    "entries_visible_to",
    "letters_visible_to",
    "payment_position",
    "payments_visible_to",
    "pool_positions",
    "with_corrections",
]


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(SanctionLetter, letters_visible_to)
scoping.register(LedgerEntry, entries_visible_to)
scoping.register(Payment, payments_visible_to)
