"""Posting to the append-only ledger, and balances as sums of entries.

Every sanction takes the pool's advisory lock before it reads what is left, and the database's
insert trigger takes the same lock and checks again, so no order or concurrency of approvals can
take a pool or an award's cap past its limit. A repeat of a source event posts nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, Sum

from beneficiaries.models import User
from bidding.models import Award
from incentives.models import POOL_LIMIT_FIELD, EntryKind, LedgerEntry, Pool, SanctionLetter
from repm_portal import audit, clock, request_memo
from repm_portal.models import RuleSet
from repm_portal.money import MoneyInput, format_inr, to_money

ZERO = Decimal("0.00")
POOL_LOCK_CLASS = "repm-ledger-pool"


class LimitExceeded(ValidationError):
    """A sanction would take a pool or an award's cap past its limit."""


def lock_pool(pool: str) -> None:
    """Take the pool's transaction-scoped lock: the same one the database trigger takes."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_pool() must run inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", [POOL_LOCK_CLASS, pool]
        )


def pool_limit(rule_set: RuleSet, pool: str) -> Decimal:
    return getattr(rule_set, POOL_LIMIT_FIELD[Pool(pool)])


def total(query: QuerySet[LedgerEntry]) -> Decimal:
    return to_money(query.aggregate(total=Sum("amount"))["total"] or ZERO)


def balance(
    account: str,
    *,
    pool: str | None = None,
    award: Award | None = None,
    claim_type: str | None = None,
    claim_id: str | None = None,
    letter: SanctionLetter | None = None,
    before: dt.datetime | None = None,
) -> Decimal:
    """The sum of the entries counting in `account` (reversals included), filtered as asked."""
    query = LedgerEntry.objects.filter(account=account)
    if pool is not None:
        query = query.filter(pool=pool)
    if award is not None:
        query = query.filter(award=award)
    if claim_type is not None:
        query = query.filter(claim_type=claim_type)
    if claim_id is not None:
        query = query.filter(claim_id=str(claim_id))
    if letter is not None:
        query = query.filter(letter=letter)
    if before is not None:
        query = query.filter(posted_at__lt=before)
    return total(query)


def sanctioned(pool: str, award: Award | None = None) -> Decimal:
    return balance(EntryKind.SANCTION, pool=pool, award=award)


@dataclass(frozen=True)
class Balances:
    sanctioned: Decimal
    paid: Decimal
    penalties: Decimal  # still to be netted (netting entries count in this account)
    recoveries: Decimal  # likewise
    netted: Decimal = ZERO  # deductions netted from sanction letters' payouts

    @property
    def pending(self) -> Decimal:
        """Sanctioned and neither paid nor kept back as a deduction netted."""
        return self.sanctioned - self.paid - self.netted

    @property
    def deductions(self) -> Decimal:
        """Penalties and recoveries still to be netted from future payouts."""
        return self.penalties + self.recoveries


def balances_of(query: QuerySet[LedgerEntry]) -> Balances:
    """Every account over a queryset of entries, in one query."""
    return _balances(query.aggregate(**_sums()))


def _sums() -> dict[str, Sum]:
    return {
        **{
            account: Sum("amount", filter=Q(account=account))
            for account in ("sanction", "payment", "penalty", "recovery")
        },
        "netted": Sum("amount", filter=Q(kind=EntryKind.NETTING, letter__isnull=False)),
    }


def _balances(sums: dict[str, Any]) -> Balances:
    return Balances(
        sanctioned=to_money(sums.get("sanction") or ZERO),
        paid=to_money(sums.get("payment") or ZERO),
        penalties=to_money(sums.get("penalty") or ZERO),
        recoveries=to_money(sums.get("recovery") or ZERO),
        netted=to_money(-(sums.get("netted") or ZERO)),
    )


@request_memo.memoized
def balances_by_pool() -> dict[str, Balances]:
    """Every pool's accounts, all pools in one query."""
    found = {
        row.pop("pool"): row
        for row in LedgerEntry.objects.values("pool").order_by().annotate(**_sums())
    }
    return {pool.value: _balances(found.get(pool.value, {})) for pool in Pool}


@request_memo.memoized
def balances(*, award: Award | None = None, pool: str | None = None) -> Balances:
    """Every account of an award (or a pool, or everything) in one query."""
    if award is None and pool is not None and request_memo.active():
        # A page that reads several pools reads them all at once.
        found = balances_by_pool().get(pool)
        if found is not None:
            return found
    query = LedgerEntry.objects.all()
    if award is not None:
        query = query.filter(award=award)
    if pool is not None:
        query = query.filter(pool=pool)
    return balances_of(query)


def balances_by_award(award_ids: Iterable[int], *, pool: str | None = None) -> dict[int, Balances]:
    """Each award's accounts (in `pool`, if given), all the awards in one query."""
    ids = list(award_ids)
    if not ids:
        return {}
    query = LedgerEntry.objects.filter(award_id__in=ids)
    if pool is not None:
        query = query.filter(pool=pool)
    found = {
        row.pop("award_id"): row for row in query.values("award_id").order_by().annotate(**_sums())
    }
    return {award_id: _balances(found.get(award_id, {})) for award_id in ids}


def balances_for_firm(firm_id: int) -> Balances:
    """Every account over the awards of a firm's bids (alone or as a consortium's lead)."""
    query = LedgerEntry.objects.filter(award__bid__firm_id=firm_id)
    return balances_of(query)


def deductions_outstanding(award: Award, today: dt.date | None = None) -> str:
    """An obligation check for the award's guarantee: penalties and recoveries not yet netted.

    Netting against payouts comes with the sales-linked incentive; until then every deduction posted
    is outstanding, and the guarantee that secures it is not released.
    """
    owed = balances(award=award).deductions
    if owed > 0:
        return f"{format_inr(owed)} of penalties and recoveries is still to be netted or recovered"
    return ""


def pool_headroom(rule_set: RuleSet, pool: str) -> Decimal:
    """What is left in a pool. Call it with the pool's lock held when the answer will be spent."""
    return max(ZERO, pool_limit(rule_set, pool) - sanctioned(pool))


def _check_limits(
    *, pool: str, award: Award, amount: Decimal, rule_set: RuleSet, award_cap: Decimal | None
) -> None:
    limit = pool_limit(rule_set, pool)
    already = sanctioned(pool)
    if already + amount > limit:
        raise LimitExceeded(
            f"This sanction of {format_inr(amount)} would take the {Pool(pool).label.lower()} pool to "
            f"{format_inr(already + amount)}, past its limit of {format_inr(limit)} "
            f"({format_inr(max(ZERO, limit - already))} is left)."
        )
    if award_cap is not None:
        award_already = sanctioned(pool, award)
        if award_already + amount > award_cap:
            raise LimitExceeded(
                f"This sanction of {format_inr(amount)} would take the award to "
                f"{format_inr(award_already + amount)}, past its cap of {format_inr(award_cap)}."
            )


def _snapshot(entry: LedgerEntry) -> dict[str, Any]:
    return audit.snapshot(
        entry,
        [
            "kind",
            "account",
            "pool",
            "award_id",
            "amount",
            "claim_type",
            "claim_id",
            "rule_set_id",
            "letter_id",
            "document_ref",
            "source_key",
            "reverses_id",
            "award_cap",
            "narration",
        ],
    )


def post(
    *,
    kind: str,
    pool: str,
    award: Award,
    amount: MoneyInput,
    source_key: str,
    rule_set: RuleSet,
    document_ref: str,
    narration: str,
    actor: User | None = None,
    now: dt.datetime | None = None,
    claim_type: str = "",
    claim_id: str | int = "",
    letter: SanctionLetter | None = None,
    award_cap: Decimal | None = None,
) -> LedgerEntry | None:
    """Post one entry and audit it, in the caller's transaction; None if `source_key` was posted before.

    A sanction is checked against the pool (from `rule_set`) and, given `award_cap`, the award's cap,
    under the pool's lock; LimitExceeded says by how much it would overrun.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.post() must run inside a transaction.")
    if kind == EntryKind.REVERSAL:
        raise ValueError("Use ledger.reverse() for a reversal.")
    if kind == EntryKind.NETTING:
        raise ValueError("Use ledger.net() to net a deduction.")
    amount = to_money(amount)
    if amount <= 0:
        raise ValidationError(f"A {EntryKind(kind).label.lower()} must be a positive amount.")
    if kind == EntryKind.SANCTION:
        lock_pool(pool)
    if LedgerEntry.objects.filter(source_key=source_key).exists():
        return None
    if kind == EntryKind.SANCTION:
        _check_limits(pool=pool, award=award, amount=amount, rule_set=rule_set, award_cap=award_cap)
    entry = LedgerEntry(
        kind=kind,
        account=kind,
        pool=pool,
        award=award,
        amount=amount,
        claim_type=claim_type,
        claim_id=str(claim_id),
        rule_set=rule_set,
        letter=letter,
        document_ref=document_ref,
        source_key=source_key,
        award_cap=award_cap,
        narration=narration,
        posted_at=clock.now(now),
        posted_by=actor,
    )
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:
        if LedgerEntry.objects.filter(source_key=source_key).exists():
            return None  # a concurrent repeat of the same event won the race
        raise
    audit.record(actor=actor, action=f"ledger.{kind}", obj=entry, new=_snapshot(entry))
    return entry


def reverse(
    entry: LedgerEntry,
    *,
    source_key: str,
    reason: str,
    actor: User | None = None,
    now: dt.datetime | None = None,
    letter: SanctionLetter | None = None,
    document_ref: str = "",
) -> LedgerEntry | None:
    """Reverse an entry in full with an entry of the opposite sign; None if `source_key` was posted before."""
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.reverse() must run inside a transaction.")
    if entry.kind == EntryKind.REVERSAL:
        raise ValidationError("A reversal is not itself reversed; post a new entry instead.")
    if not reason.strip():
        raise ValidationError("Say why the entry is reversed.")
    lock_pool(entry.pool)
    if LedgerEntry.objects.filter(source_key=source_key).exists():
        return None
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(f"Entry {entry.pk} is already reversed.")
    reversal = LedgerEntry.objects.create(
        kind=EntryKind.REVERSAL,
        account=entry.account,
        pool=entry.pool,
        award_id=entry.award_id,
        amount=-entry.amount,
        claim_type=entry.claim_type,
        claim_id=entry.claim_id,
        rule_set_id=entry.rule_set_id,
        letter=letter or entry.letter,
        document_ref=document_ref or entry.document_ref,
        source_key=source_key,
        reverses=entry,
        narration=f"Reversal of entry {entry.pk}: {reason.strip()}",
        posted_at=clock.now(now),
        posted_by=actor,
    )
    audit.record(actor=actor, action="ledger.reversal", obj=reversal, new=_snapshot(reversal))
    return reversal


def lock_deductions(award: Award) -> None:
    """Take the award's deductions lock: the same one the database trigger takes for a netting."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('repm-ledger-deductions'), %s)", [award.pk]
        )


DEDUCTION_ACCOUNTS = (EntryKind.PENALTY, EntryKind.RECOVERY)


def outstanding_deductions(award: Award) -> dict[str, Decimal]:
    """Per account (penalty, recovery), what the award still owes to be netted or repaid."""
    return {account: balance(account, award=award) for account in DEDUCTION_ACCOUNTS}


def net(
    *,
    award: Award,
    amount: MoneyInput,
    source_key: str,
    rule_set: RuleSet,
    document_ref: str,
    narration: str,
    pool: str = Pool.SLI,
    letter: SanctionLetter | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
    claim_type: str = "",
    claim_id: str | int = "",
    accounts: tuple[str, ...] = DEDUCTION_ACCOUNTS,
) -> list[LedgerEntry]:
    """Settle `amount` of the award's outstanding deductions in `accounts`, in that order.

    A payout nets penalties first, then recoveries; a repayment names the account it repays.
    One netting entry (negative, in the account it settles) per account touched, against
    `letter` when it is kept back from a payout, or naming the repayment in `document_ref`.
    More than is outstanding is refused. A repeat of `source_key` posts nothing.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.net() must run inside a transaction.")
    amount = to_money(amount)
    if amount <= 0:
        raise ValidationError("A deduction netted must be a positive amount.")
    lock_deductions(award)
    if LedgerEntry.objects.filter(source_key__startswith=f"{source_key}:").exists():
        return []
    owed = {k: v for k, v in outstanding_deductions(award).items() if k in accounts}
    if amount > sum(owed.values()):
        raise ValidationError(
            f"Only {format_inr(sum(owed.values()))} of deductions is outstanding on {award}; "
            f"{format_inr(amount)} cannot be netted."
        )
    entries = []
    left = amount
    for account in accounts:
        take = min(left, owed[account])
        if take <= 0:
            continue
        entry = LedgerEntry.objects.create(
            kind=EntryKind.NETTING,
            account=account,
            pool=pool,
            award=award,
            amount=-take,
            claim_type=claim_type,
            claim_id=str(claim_id),
            rule_set=rule_set,
            letter=letter,
            document_ref=document_ref,
            source_key=f"{source_key}:{account}",
            narration=narration,
            posted_at=clock.now(now),
            posted_by=actor,
        )
        audit.record(actor=actor, action="ledger.netting", obj=entry, new=_snapshot(entry))
        entries.append(entry)
        left -= take
    return entries


__all__ = [
    "DEDUCTION_ACCOUNTS",
    "Balances",
    "LimitExceeded",
    "balance",
    "balances",
    "balances_for_firm",
    "balances_of",
    "deductions_outstanding",
    "lock_deductions",
    "lock_pool",
    "net",
    "outstanding_deductions",
    "pool_headroom",
    "pool_limit",
    "post",
    "reverse",
    "sanctioned",
]
